"""A ticket's files as the pages show them: the rows of the shared list and the upload
field's hint (web/templates/_attachments.html). The console's ticket page uses them, and so
can the portal's: each page gives the address a file downloads from and how it writes times.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from api.schemas import AttachmentOut
from api.uploads import MAX_FILES
from services.attachment_rules import ACCEPT_ATTRIBUTE, label_of, limit_words, size_words


@dataclass(frozen=True)
class AttachmentRow:
    filename: str
    href: str
    kind: str  # "PDF", "Word document"
    size: str  # "2.4 MB"
    added_by: str
    when_iso: str
    when: str  # as the page writes times
    public: bool


def attachment_rows(
    items: Sequence[AttachmentOut],
    href: Callable[[AttachmentOut], str],
    when: Callable[[datetime], str],
) -> list[AttachmentRow]:
    return [
        AttachmentRow(
            filename=item.filename,
            href=href(item),
            kind=label_of(item.content_type),
            size=size_words(item.size),
            added_by=item.added_by,
            when_iso=item.added_at.isoformat(),
            when=when(item.added_at),
            public=item.public,
        )
        for item in items
    ]


@dataclass(frozen=True)
class UploadHint:
    text: str
    accept: str


def upload_hint(max_size: int) -> UploadHint:
    """What the file field says under it, and its `accept` list for the browser's picker."""
    return UploadHint(
        text=(
            "PDF, images (PNG, JPEG, GIF, WebP), text, CSV and log files, Word, Excel, "
            "PowerPoint and OpenDocument files, ZIP archives and e-mails (.eml); up to "
            f"{limit_words(max_size)} each, {MAX_FILES} at a time."
        ),
        accept=ACCEPT_ATTRIBUTE,
    )
