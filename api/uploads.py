"""Reading an upload (multipart/form-data) as it arrives, refusing it once it passes its limit.

Starlette's `request.form()` keeps every file whole (spooled to disk) before a route can look
at it, so a 2 GB upload would be taken in full before being refused. Here the body is parsed
chunk by chunk with python-multipart's streaming parser: a file past the limit is refused
(413) at the chunk that crosses it, and a body that declares more than any accepted upload can
hold is refused before a byte of it is read. The JSON routes, the console's form and the
portal's read uploads with this one function.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from python_multipart.exceptions import FormParserError
from python_multipart.multipart import MultipartParser, parse_options_header
from starlette.requests import ClientDisconnect

from api.errors import InvalidInput, PayloadTooLarge
from services.attachment_rules import limit_words

# Files in one request; each is held in memory (up to the limit) until it is checked.
MAX_FILES = 10
# Text fields beside the files (a "public" box, a portal form's subject and description).
MAX_FIELDS = 50
MAX_FIELD_BYTES = 64 * 1024
# Part headers and boundaries on top of the files themselves.
OVERHEAD = 256 * 1024


@dataclass(frozen=True)
class UploadedFile:
    field: str
    filename: str  # as the client sent it; services.attachment_rules cleans it
    data: bytes


@dataclass
class Upload:
    files: list[UploadedFile] = field(default_factory=list)
    fields: dict[str, str] = field(default_factory=dict)


class _Refused(Exception):
    """Raised from inside the parser's callbacks, re-raised as the API's error outside them."""

    def __init__(self, error: Exception) -> None:
        self.error = error


@dataclass
class _Part:
    headers: dict[bytes, bytes] = field(default_factory=dict)
    name: str = ""
    filename: str | None = None
    data: bytearray = field(default_factory=bytearray)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


class _Reader:
    def __init__(self, file_field: str, max_file_bytes: int, max_files: int) -> None:
        self.file_field = file_field
        self.max_file_bytes = max_file_bytes
        self.max_files = max_files
        self.upload = Upload()
        self.part = _Part()
        self.header_name = b""
        self.header_value = b""
        self.ended = False

    def callbacks(self) -> dict[str, object]:
        return {
            "on_part_begin": self.on_part_begin,
            "on_part_data": self.on_part_data,
            "on_part_end": self.on_part_end,
            "on_header_field": self.on_header_field,
            "on_header_value": self.on_header_value,
            "on_header_end": self.on_header_end,
            "on_headers_finished": self.on_headers_finished,
            "on_end": self.on_end,
        }

    def on_part_begin(self) -> None:
        self.part = _Part()

    def on_header_field(self, data: bytes, start: int, end: int) -> None:
        self.header_name += data[start:end]

    def on_header_value(self, data: bytes, start: int, end: int) -> None:
        self.header_value += data[start:end]

    def on_header_end(self) -> None:
        self.part.headers[self.header_name.lower()] = self.header_value
        self.header_name = self.header_value = b""

    def on_headers_finished(self) -> None:
        _, options = parse_options_header(self.part.headers.get(b"content-disposition"))
        if b"name" not in options:
            raise _Refused(
                InvalidInput.for_field("body", "a part of the form has no name; send the files "
                                       f"in a field named {self.file_field!r}")
            )  # fmt: skip
        self.part.name = _decode(options[b"name"])
        if b"filename" in options:
            self.part.filename = _decode(options[b"filename"])
            if self.part.name != self.file_field:
                raise _Refused(
                    InvalidInput.for_field(
                        f"body.{self.part.name}",
                        f"is not a field for files; send them in a field named {self.file_field!r}",
                    )
                )
            if len(self.upload.files) >= self.max_files:
                raise _Refused(
                    InvalidInput.for_field(
                        f"body.{self.file_field}",
                        f"at most {self.max_files} files can be sent at once",
                    )
                )
        elif len(self.upload.fields) >= MAX_FIELDS:
            raise _Refused(InvalidInput.for_field("body", f"at most {MAX_FIELDS} fields"))

    def on_part_data(self, data: bytes, start: int, end: int) -> None:
        part = self.part
        part.data += data[start:end]
        if part.filename is not None and len(part.data) > self.max_file_bytes:
            raise _Refused(
                PayloadTooLarge.for_field(
                    f"body.{self.file_field}",
                    f"{part.filename or 'a file'} is larger than "
                    f"{limit_words(self.max_file_bytes)}, the most a file may be",
                )
            )
        if part.filename is None and len(part.data) > MAX_FIELD_BYTES:
            raise _Refused(
                InvalidInput.for_field(
                    f"body.{part.name}", f"is longer than {MAX_FIELD_BYTES // 1024} KB"
                )
            )

    def on_part_end(self) -> None:
        part = self.part
        if part.filename is None:
            self.upload.fields[part.name] = _decode(bytes(part.data))
        # A file input left empty sends a part with no name and no bytes: nothing was chosen.
        elif part.filename or part.data:
            self.upload.files.append(UploadedFile(part.name, part.filename, bytes(part.data)))

    def on_end(self) -> None:
        self.ended = True


def _not_multipart(file_field: str) -> InvalidInput:
    return InvalidInput.for_field(
        "body",
        f"send the files as multipart/form-data, each in a field named {file_field!r}",
    )


async def read_upload(
    request: Request,
    *,
    max_file_bytes: int,
    file_field: str = "file",
    max_files: int = MAX_FILES,
    partial: Upload | None = None,
) -> Upload:
    """The files and fields of a multipart/form-data body, each file at most `max_file_bytes`
    (413 naming the field and the limit as soon as one passes it), at most `max_files` of them.

    A body that is not multipart, has no boundary or is cut short is refused with 422; no file
    at all is left to the caller (a portal form may have none). `partial`, when given, is
    filled as the body is read, so a refused upload still leaves the fields before the file
    that was refused: a form page gives back what was typed.
    """
    kind, options = parse_options_header(request.headers.get("content-type"))
    boundary = options.get(b"boundary")
    if kind != b"multipart/form-data" or not boundary:
        raise _not_multipart(file_field)
    declared = request.headers.get("content-length")
    limit = max_files * max_file_bytes + MAX_FIELDS * MAX_FIELD_BYTES + OVERHEAD
    if declared is not None and declared.isdigit() and int(declared) > limit:
        raise PayloadTooLarge.for_field(
            f"body.{file_field}",
            f"the upload is {int(declared) // (1024 * 1024)} MB; a file may be at most "
            f"{limit_words(max_file_bytes)}, and at most {max_files} files can be sent at once",
        )
    reader = _Reader(file_field, max_file_bytes, max_files)
    if partial is not None:
        reader.upload = partial
    try:
        parser = MultipartParser(boundary, reader.callbacks())  # type: ignore[arg-type]
        async for chunk in request.stream():
            parser.write(chunk)
        parser.finalize()
    except _Refused as refused:
        raise refused.error from None
    except FormParserError as exc:
        raise InvalidInput.for_field(
            "body", f"the multipart/form-data body could not be read ({exc})"
        ) from None
    except ClientDisconnect:
        raise InvalidInput.for_field("body", "the upload stopped before it was complete") from None
    if not reader.ended:
        raise InvalidInput.for_field(
            "body", "the multipart/form-data body ends before its closing boundary"
        )
    return reader.upload
