"""What a file attached to a ticket may be: one set of rules for every way a file arrives.

The portal's form, the console's, the JSON API and (issue 16) mail read in all call `inspect`
with the file's name and bytes. It is pure: no I/O, no database, nothing of the API, so an
activity can call it as a route does.

The type is judged by the bytes (their magic numbers, or a zip's directory), never by the name
or the Content-Type the client claims. Documents and images people send support are accepted;
programs, and HTML, SVG and XML (which a browser may run scripts from), are refused, and so is
anything not recognised. The name is cleaned for display and for a Content-Disposition header,
and given the extension of its type when it has another one: a text file called `run.bat`
becomes `run.bat.txt`, so that opening the download never runs it.
"""

from __future__ import annotations

import hashlib
import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

DEFAULT_MAX_MB = 10
MAX_NAME_LENGTH = 200
ACCEPTED = (
    "PDF, PNG, JPEG, GIF, WebP, plain text, CSV and log files, Word, Excel and PowerPoint "
    "(.docx, .xlsx, .pptx), OpenDocument (.odt, .ods, .odp), ZIP and e-mails (.eml)"
)
# For a file input's `accept`: a hint to the browser's picker; the bytes still decide.
ACCEPT_ATTRIBUTE = ",".join(
    (
        ".pdf,.png,.jpg,.jpeg,.gif,.webp,.txt,.csv,.log,.docx,.xlsx,.pptx,.odt,.ods,.odp,.zip,.eml",
        "application/pdf,image/png,image/jpeg,image/gif,image/webp,text/plain,text/csv",
    )
)


class AttachmentRefused(ValueError):
    """A file the rules refuse; `message` says why in words the sender can act on."""

    def __init__(self, message: str, *, too_large: bool = False) -> None:
        super().__init__(message)
        self.message = message
        self.too_large = too_large


@dataclass(frozen=True)
class FileType:
    content_type: str
    label: str  # how people call it: "PDF", "Word document"
    extensions: tuple[str, ...]  # the first is added to a name that has none of them


PDF = FileType("application/pdf", "PDF", (".pdf",))
PNG = FileType("image/png", "PNG image", (".png",))
JPEG = FileType("image/jpeg", "JPEG image", (".jpg", ".jpeg"))
GIF = FileType("image/gif", "GIF image", (".gif",))
WEBP = FileType("image/webp", "WebP image", (".webp",))
TEXT = FileType("text/plain; charset=utf-8", "text file", (".txt", ".log", ".text"))
CSV = FileType("text/csv; charset=utf-8", "CSV file", (".csv",))
# Text that is not UTF-8: served as Windows-1252, which reads every byte Latin-1 can.
TEXT_1252 = FileType("text/plain; charset=windows-1252", "text file", (".txt", ".log", ".text"))
CSV_1252 = FileType("text/csv; charset=windows-1252", "CSV file", (".csv",))
EML = FileType("message/rfc822", "e-mail", (".eml",))
ZIP = FileType("application/zip", "ZIP archive", (".zip",))
DOCX = FileType(
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "Word document",
    (".docx",),
)
XLSX = FileType(
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "Excel workbook",
    (".xlsx",),
)
PPTX = FileType(
    "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "PowerPoint presentation",
    (".pptx",),
)
ODT = FileType("application/vnd.oasis.opendocument.text", "OpenDocument text", (".odt",))
ODS = FileType(
    "application/vnd.oasis.opendocument.spreadsheet", "OpenDocument spreadsheet", (".ods",)
)
ODP = FileType(
    "application/vnd.oasis.opendocument.presentation", "OpenDocument presentation", (".odp",)
)
OPEN_DOCUMENTS = {t.content_type: t for t in (ODT, ODS, ODP)}
# Office Open XML: the part every such package has, and the folder that says which kind.
OFFICE_FOLDERS = (("word/", DOCX), ("xl/", XLSX), ("ppt/", PPTX))

LABELS = {
    t.content_type: t.label
    for t in (PDF, PNG, JPEG, GIF, WEBP, TEXT, CSV, TEXT_1252, CSV_1252, EML, ZIP, DOCX, XLSX)
    + (PPTX, ODT, ODS, ODP)
}


def label_of(content_type: str) -> str:
    """How people call a stored type: 'PDF', 'Word document'; 'file' for one unknown here."""
    return LABELS.get(content_type, "file")


# Programs, by their first bytes: Windows (MZ), Linux (ELF), macOS (Mach-O, fat binaries,
# which share CAFEBABE with Java classes), WebAssembly.
PROGRAMS = (
    (b"MZ", "a Windows program"),
    (b"\x7fELF", "a Linux program"),
    (b"\xfe\xed\xfa\xce", "a macOS program"),
    (b"\xfe\xed\xfa\xcf", "a macOS program"),
    (b"\xce\xfa\xed\xfe", "a macOS program"),
    (b"\xcf\xfa\xed\xfe", "a macOS program"),
    (b"\xca\xfe\xba\xbe", "a program (macOS or Java)"),
    (b"\x00asm", "a WebAssembly program"),
)
# The tags a browser's sniffer takes for HTML (WHATWG MIME Sniffing, "identifying a resource
# with an unknown MIME type"), and SVG and XML, which carry scripts the same way.
MARKUP = re.compile(
    rb"<(?:!doctype\s+html|html|head|script|iframe|h1|div|font|table|a|style|title|b|body|br|p"
    rb"|!--|\?xml|svg|object|embed|math|xsl)[\s/>]",
    re.IGNORECASE,
)
# Characters no file name needs and some use to mislead: controls, and the bidirectional
# overrides that make "exe.pdf" of "\u202efdp.exe".
_INVISIBLE = re.compile(
    "[\x00-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff]"
)
# Characters Windows refuses in a file name.
_RESERVED = re.compile(r'[<>:"|?*]')
_SPACES = re.compile(r"\s+")
# A header block's first line: "Name: value", as RFC 5322 writes it.
_HEADER_LINE = re.compile(rb"^[!-9;-~]+:[ \t]")
MAIL_HEADERS = (b"from", b"date", b"subject", b"message-id", b"received", b"to", b"mime-version")


@dataclass(frozen=True)
class Inspected:
    """A file the rules accept: its clean name, its type as the bytes show it, and its digest."""

    filename: str
    content_type: str
    label: str
    size: int
    sha256: str


def max_bytes(max_mb: float) -> int:
    return int(max_mb * 1024 * 1024)


def limit_words(limit: int) -> str:
    """'10 MB'."""
    megabytes = limit / (1024 * 1024)
    return f"{megabytes:g} MB" if megabytes >= 1 else f"{max(1, limit // 1024)} KB"


def size_words(size: int) -> str:
    """A size as people read it: '812 bytes', '14 KB', '2.4 MB'."""
    if size < 1024:
        return f"{size} byte" + ("" if size == 1 else "s")
    if size < 1024 * 1024:
        return f"{round(size / 1024)} KB"
    return f"{size / (1024 * 1024):.1f} MB"


def clean_name(raw: str) -> str:
    """The name to show and to send back: its last path part, without control or direction
    characters, characters Windows refuses, leading dots or runs of spaces, at most 200
    characters (the extension kept); 'attachment' when nothing is left."""
    name = unicodedata.normalize("NFC", raw)
    name = re.split(r"[/\\]", name)[-1]
    name = _INVISIBLE.sub("", name)
    name = _RESERVED.sub("_", name)
    name = _SPACES.sub(" ", name).strip().lstrip(".").strip()
    if len(name) > MAX_NAME_LENGTH:
        stem, dot, extension = name.rpartition(".")
        if dot and 0 < len(extension) <= 10:
            name = stem[: MAX_NAME_LENGTH - len(extension) - 1].rstrip() + "." + extension
        else:
            name = name[:MAX_NAME_LENGTH].rstrip()
    return name or "attachment"


def _with_extension(name: str, kind: FileType) -> str:
    if name.lower().endswith(kind.extensions):
        return name
    extension = kind.extensions[0]
    if len(name) + len(extension) > MAX_NAME_LENGTH:
        name = name[: MAX_NAME_LENGTH - len(extension)].rstrip()
    return name + extension


def _refuse_unknown(what: str = "") -> AttachmentRefused:
    found = f" ({what})" if what else ""
    return AttachmentRefused(
        f"is not a kind of file Pledge accepts{found}; accepted are {ACCEPTED}"
    )


def _zip_type(data: bytes) -> FileType:
    """What a zip holds: an office document (by its parts), or a plain archive."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            names = archive.namelist()
            declared = ""
            if "mimetype" in names:
                # OpenDocument: the first entry, stored uncompressed, names the type.
                with archive.open("mimetype") as entry:
                    declared = entry.read(100).decode("ascii", "replace").strip()
    except NotImplementedError:  # a compression method zipfile cannot read: still a zip
        return ZIP
    except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError, OSError):
        raise _refuse_unknown("a damaged ZIP archive") from None
    if declared in OPEN_DOCUMENTS:
        return OPEN_DOCUMENTS[declared]
    if "[Content_Types].xml" in names:
        if any(name.lower().endswith("vbaproject.bin") for name in names):
            raise AttachmentRefused(
                "is an office document with macros, which can run code when opened; "
                "save it without macros (.docx, .xlsx, .pptx) and attach that"
            )
        for folder, kind in OFFICE_FOLDERS:
            if any(name.startswith(folder) for name in names):
                return kind
    return ZIP


def _text(data: bytes) -> str | None:
    """The bytes as text, if they are text: UTF-8 (a BOM allowed) or, failing that, a single
    byte encoding, with no control characters but tabs, line ends, form feeds and escapes."""
    body = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = body.decode("utf-8")
        encoding = "utf-8"
    except UnicodeDecodeError:
        text = body.decode("latin-1")
        encoding = "windows-1252"
    allowed = {"\t", "\n", "\r", "\f", "\x1b"}
    if any((ord(c) < 32 or ord(c) == 127) and c not in allowed for c in text):
        return None
    return encoding


def _looks_like_mail(data: bytes) -> bool:
    head = data[:8192].replace(b"\r\n", b"\n").split(b"\n\n", 1)[0]
    lines = head.split(b"\n")
    if not lines or not _HEADER_LINE.match(lines[0]):
        return False
    names = {line.split(b":", 1)[0].lower() for line in lines if _HEADER_LINE.match(line)}
    return b"from" in names and len(names & set(MAIL_HEADERS)) >= 2


def file_type(filename: str, data: bytes) -> FileType:
    """The type the bytes show; `filename` only tells CSV from other text. Raises
    AttachmentRefused for programs, markup and anything unrecognised."""
    for magic, what in PROGRAMS:
        if data.startswith(magic):
            raise AttachmentRefused(f"is {what}, and programs cannot be attached")
    if data.startswith(b"%PDF-"):
        return PDF
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return PNG
    if data.startswith(b"\xff\xd8\xff"):
        return JPEG
    if data.startswith((b"GIF87a", b"GIF89a")):
        return GIF
    if data.startswith(b"RIFF") and data[8:12] == b"WEBP":
        return WEBP
    if data.startswith((b"PK\x03\x04", b"PK\x05\x06")):
        return _zip_type(data)
    encoding = _text(data)
    if encoding is None:
        raise _refuse_unknown()
    start = data.removeprefix(b"\xef\xbb\xbf").lstrip(b" \t\r\n\f")
    if MARKUP.match(start) or re.search(rb"<(?:script|svg|html)[\s/>]", data[:1024], re.I):
        raise AttachmentRefused(
            "is HTML, SVG or XML, which can carry scripts; send it as a PDF or a screenshot, "
            "or inside a ZIP archive"
        )
    if start.startswith(b"#!"):
        raise AttachmentRefused("is a script, and programs cannot be attached")
    if _looks_like_mail(start):
        return EML
    csv = filename.lower().endswith((".csv", ".tsv"))
    if encoding == "utf-8":
        return CSV if csv else TEXT
    return CSV_1252 if csv else TEXT_1252


def inspect(filename: str, data: bytes, *, max_size: int) -> Inspected:
    """Check one file against the rules; the accepted file's clean name, type and digest.

    Raises AttachmentRefused: empty, larger than `max_size` (its `too_large` set), a program,
    markup, or a type not accepted.
    """
    if not data:
        raise AttachmentRefused("is empty; choose the file again, or another one")
    if len(data) > max_size:
        raise AttachmentRefused(
            f"is {size_words(len(data))}; a file may be at most {limit_words(max_size)}",
            too_large=True,
        )
    name = clean_name(filename)
    kind = file_type(name, data)
    return Inspected(
        filename=_with_extension(name, kind),
        content_type=kind.content_type,
        label=kind.label,
        size=len(data),
        sha256=hashlib.sha256(data).hexdigest(),
    )
