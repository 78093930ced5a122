"""One received mail, as raw bytes, read into what Pledge needs of it; never raises."""

from __future__ import annotations

import mimetypes
import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import Message
from email.parser import BytesParser
from email.utils import getaddresses, parsedate_to_datetime

from inbound import html as html_body
from inbound import loops, quotes, tnef
from inbound.text import clean, decode, header_text, raw_bytes, unfold

# Past this, a nested part is kept whole as a file rather than walked (a bomb of nested
# multiparts must not exhaust the stack).
MAX_DEPTH = 30
MAX_ID = 998  # the longest line RFC 5322 allows
_ID_TOKEN = re.compile(r"<([^<>\s]{1,998})>")
_ADDRESS = re.compile(r"[^\s<>\"'(),;:@]+@[^\s<>\"'(),;:@]+\.[^\s<>\"'(),;:@]+")
# Parts of reports meant for machines: the human-readable part says the same.
_MACHINE_PARTS = {
    "message/delivery-status",
    "message/global-delivery-status",
    "message/disposition-notification",
    "message/feedback-report",
    "text/rfc822-headers",
}
_TNEF_TYPES = {"application/ms-tnef", "application/vnd.ms-tnef"}


@dataclass(frozen=True)
class InboundAttachment:
    filename: str
    content_type: str
    data: bytes


@dataclass(frozen=True)
class InboundMail:
    message_id: str | None  # without its angle brackets
    in_reply_to: str | None
    references: tuple[str, ...]
    subject: str
    sender: str  # From's address, lower-cased ("" when there is none); never Reply-To
    sender_name: str
    date: datetime | None  # UTC
    automatic: str | None  # why a machine wrote it (inbound.loops), None for a person
    text: str  # the whole body
    display_text: str  # without quoted history, signature, "Sent from my iPhone"
    html: str | None  # sanitised (inbound.html.sanitise)
    attachments: tuple[InboundAttachment, ...]


def parse(raw: bytes) -> InboundMail:
    """`raw` (an RFC 5322 message as received) read into an InboundMail; whatever the bytes
    hold, an answer: a mail too broken to walk is read as one block of text."""
    try:
        return _parse(raw)
    except Exception:  # noqa: BLE001 - never lose a mail to a parser surprise
        pass
    try:  # e.g. multiparts nested past the parser's recursion: its headers, its body as text
        return _parse(raw, headers_only=True)
    except Exception:  # noqa: BLE001
        text = decode(raw if isinstance(raw, bytes) else bytes(raw or b""))
        return InboundMail(
            message_id=None,
            in_reply_to=None,
            references=(),
            subject="",
            sender="",
            sender_name="",
            date=None,
            automatic=None,
            text=text,
            display_text=text.strip(),
            html=None,
            attachments=(),
        )


def _parse(raw: bytes, *, headers_only: bool = False) -> InboundMail:
    # compat32: the most forgiving of the email package's policies.
    message = BytesParser().parsebytes(raw, headersonly=headers_only)
    headers = _headers(message)
    sender_name, sender = _sender(headers)
    subject = header_text(headers.get("subject"))
    body = _Body()
    if headers_only:
        body.texts.append(decode(_payload(message)))
    else:
        body.walk(message, 0)
    text = body.text()
    html = html_body.sanitise(body.html) if body.html is not None else None
    content_type = _content_type(message)
    automatic = loops.reason(
        {name: header_text(value) for name, value in headers.items()},
        content_type=content_type,
        report_type=_param(message, "report-type").lower(),
        sender=sender,
        subject=subject,
    )
    return InboundMail(
        message_id=_first_id(headers.get("message-id")),
        in_reply_to=_first_id(headers.get("in-reply-to")),
        references=_ids(headers.get("references")),
        subject=subject,
        sender=sender,
        sender_name=sender_name,
        date=_date(headers.get("date")),
        automatic=automatic,
        text=text,
        display_text=quotes.trim(text, forwarded=bool(quotes.FORWARD_SUBJECT.match(subject))),
        html=html,
        attachments=tuple(body.attachments),
    )


def _headers(message: Message) -> dict[str, str]:
    """First value of each header by lower-cased name, as written (unparsed)."""
    found: dict[str, str] = {}
    for name, value in message.raw_items():
        key = str(name).strip().lower()
        if key not in found:
            found[key] = str(value)
    return found


def _sender(headers: dict[str, str]) -> tuple[str, str]:
    """From (or Sender, when From is empty): the display name decoded, the address lower."""
    for field in ("from", "sender"):
        value = unfold(headers.get(field) or "")
        if not value.strip():
            continue
        try:
            pairs = getaddresses([value])
        except Exception:  # noqa: BLE001 - a malformed address list
            pairs = []
        for name, address in pairs:
            if "@" in address:
                return header_text(name), clean(address).strip().lower()
        plain = _ADDRESS.search(header_text(value))
        if plain:
            return "", plain.group(0).lower()
    return "", ""


def _first_id(value: str | None) -> str | None:
    ids = _ids(value)
    return ids[0] if ids else None


def _ids(value: str | None) -> tuple[str, ...]:
    """Message-IDs in a header: the <…> tokens, or bare words when a client left off the
    brackets; in order, each once."""
    if not value:
        return ()
    text = decode(raw_bytes(unfold(value)))
    found = _ID_TOKEN.findall(text)
    if not found and "<" not in text:
        found = [word for word in text.split() if "@" in word and len(word) <= MAX_ID]
    unique: list[str] = []
    for item in found:
        item = clean(item).strip()
        if item and item not in unique:
            unique.append(item)
    return tuple(unique)


def _date(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = parsedate_to_datetime(header_text(value))
    except Exception:  # noqa: BLE001 - any unreadable date is no date
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000": the zone is unknown, the time is UTC
        parsed = parsed.replace(tzinfo=UTC)
    try:
        return parsed.astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def _content_type(part: Message) -> str:
    try:
        return part.get_content_type().lower()
    except Exception:  # noqa: BLE001
        return "text/plain"


def _param(part: Message, name: str) -> str:
    try:
        value = part.get_param(name)
    except Exception:  # noqa: BLE001
        return ""
    if isinstance(value, tuple):  # RFC 2231: (charset, language, value)
        value = value[2]
    return str(value or "").strip()


def _payload(part: Message) -> bytes:
    try:
        data = part.get_payload(decode=True)
    except Exception:  # noqa: BLE001 - damaged base64 or quoted-printable
        data = None
    if isinstance(data, bytes):
        return data
    payload = part.get_payload()
    return raw_bytes(payload) if isinstance(payload, str) else b""


def _filename(part: Message) -> str:
    try:
        name = part.get_filename() or _param(part, "name")
    except Exception:  # noqa: BLE001 - RFC 2231 in an unknown charset
        name = _param(part, "name")
    # Outlook and Gmail also write RFC 2047 words into file names.
    return safe_filename(header_text(str(name))) if name else ""


def safe_filename(name: str) -> str:
    """A file name without folders, control characters or leading dots, at most 255 chars."""
    name = clean(name).replace("\n", " ").replace("\t", " ")
    name = re.split(r"[\\/]", name)[-1].strip().lstrip(".").strip()
    if len(name) > 255:
        stem, dot, ext = name.rpartition(".")
        name = (stem[: 250 - len(ext)] + dot + ext) if dot and len(ext) < 16 else name[:255]
    return name


def _disposition(part: Message) -> str:
    try:
        value = part.get("Content-Disposition")
    except Exception:  # noqa: BLE001
        return ""
    return str(value or "").split(";")[0].strip().lower()


class _Body:
    """The walk over a message's parts: body text and HTML, and the files it carries."""

    def __init__(self) -> None:
        self.texts: list[str] = []
        self.htmls: list[str] = []
        self.attachments: list[InboundAttachment] = []

    @property
    def html(self) -> str | None:
        return "\n".join(self.htmls) if self.htmls else None

    def text(self) -> str:
        if self.texts:
            return "\n\n".join(t.strip("\n") for t in self.texts if t.strip()).strip("\n")
        if self.html is not None:
            return html_body.to_text(self.html)
        return ""

    def walk(self, part: Message, depth: int) -> None:
        kind = _content_type(part)
        if depth > MAX_DEPTH:
            self._attach(part, kind)
            return
        if kind == "message/rfc822":  # forwarded as a file: kept as one, not read as ours
            self._attach(part, kind, _filename(part) or "forwarded message.eml")
            return
        if part.is_multipart():
            children = [c for c in _children(part)]
            if kind == "multipart/alternative":
                self._alternative(children, depth)
            else:
                for child in children:
                    self.walk(child, depth + 1)
            return
        if kind in _MACHINE_PARTS:
            return
        name = _filename(part)
        if kind in _TNEF_TYPES or name.lower() == "winmail.dat":
            self._tnef(part)
            return
        attached = _disposition(part) == "attachment"
        if kind in ("text/plain", "text/html") and not name and not attached:
            content = self._decoded(part, kind)
            (self.htmls if kind == "text/html" else self.texts).append(content)
            return
        if not name and not attached and kind.startswith("image/"):
            return  # an unnamed inline picture: a signature's logo, drawn by the HTML
        self._attach(part, kind, name)

    def _alternative(self, children: list[Message], depth: int) -> None:
        """One body in several forms: the plain text (the writer's own), the last HTML."""
        plain = [c for c in children if _content_type(c) == "text/plain"]
        for child in children:
            kind = _content_type(child)
            if kind == "text/plain" and child is not plain[-1]:
                continue
            if (
                kind == "text/html"
                and child is not [c for c in children if _content_type(c) == "text/html"][-1]
            ):
                continue
            if kind.startswith("multipart/") and plain and not self._has_html(child):
                continue  # another plain form of the body
            self.walk(child, depth + 1)

    def _has_html(self, part: Message) -> bool:
        return any(_content_type(p) == "text/html" for p in _parts(part, 0))

    def _decoded(self, part: Message, kind: str) -> str:
        data = _payload(part)
        charset = _param(part, "charset")
        if kind == "text/html" and not charset:
            found = re.search(rb"<meta[^>]+charset=[\"']?([A-Za-z0-9_.:-]+)", data[:4096], re.I)
            charset = found.group(1).decode("ascii") if found else ""
        return decode(data, charset or None)

    def _tnef(self, part: Message) -> None:
        data = _payload(part)
        unpacked = tnef.unpack(data)
        if unpacked is None or not (unpacked.files or unpacked.text or unpacked.html):
            self.attachments.append(InboundAttachment("winmail.dat", "application/ms-tnef", data))
            return
        for name, content in unpacked.files:
            filename = safe_filename(name) or self._generated("")
            self.attachments.append(InboundAttachment(filename, _guess(filename), content))
        # Outlook sends the body only inside winmail.dat when it sends rich text.
        if not self.texts and unpacked.text.strip():
            self.texts.append(clean(unpacked.text))
        if not self.htmls and unpacked.html:
            self.htmls.append(unpacked.html)

    def _attach(self, part: Message, kind: str, name: str = "") -> None:
        if kind == "message/rfc822" or part.is_multipart():
            data = _as_bytes(part)
        else:
            data = _payload(part)
        self.attachments.append(InboundAttachment(name or self._generated(kind), kind, data))

    def _generated(self, kind: str) -> str:
        extension = mimetypes.guess_extension(kind) or (".txt" if kind.startswith("text/") else "")
        if kind == "message/rfc822":
            extension = ".eml"
        return f"attachment-{len(self.attachments) + 1}{extension}"


def _children(part: Message) -> list[Message]:
    payload = part.get_payload()
    return [c for c in payload if isinstance(c, Message)] if isinstance(payload, list) else []


def _parts(part: Message, depth: int) -> Iterator[Message]:
    yield part
    if depth < MAX_DEPTH:
        for child in _children(part):
            yield from _parts(child, depth + 1)


def _as_bytes(part: Message) -> bytes:
    """A forwarded message as the bytes it came in (its own headers and body)."""
    inner = _children(part)
    target = inner[0] if part.get_content_type() == "message/rfc822" and inner else part
    try:
        return target.as_bytes()
    except Exception:  # noqa: BLE001
        return _payload(part)


def _guess(filename: str) -> str:
    return mimetypes.guess_type(filename)[0] or "application/octet-stream"
