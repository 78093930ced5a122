"""Bytes and header words to text in whatever charset they claim, never raising."""

from __future__ import annotations

import base64
import binascii
import codecs
import re

# Names mail software writes that Python does not know, or knows as something narrower than
# what the sender meant (WHATWG's rule: a page labelled Latin-1 or ASCII is read as
# windows-1252, which is what such mail almost always holds).
_ALIASES = {
    "latin1": "cp1252",
    "latin-1": "cp1252",
    "iso-8859-1": "cp1252",
    "iso8859-1": "cp1252",
    "iso_8859-1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "ansi_x3.4-1968": "cp1252",
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "ks_c_5601-1987": "cp949",
    "euc-kr": "cp949",
    "iso-8859-8-i": "iso-8859-8",
    "x-sjis": "shift_jis",
    "shift-jis": "shift_jis",
    "utf8": "utf-8",
    "unicode-1-1-utf-7": "utf-7",
}
_UNKNOWN = {"", "unknown-8bit", "x-unknown", "unknown", "default", "charset"}
# C0 controls other than tab and newline, DEL, and lone surrogates: PostgreSQL refuses NUL in
# text, and none of them means anything to a reader.
_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ud800-\udfff]")
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,64})\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")


def codec_for(charset: str | None) -> str | None:
    """The Python codec for a MIME charset name, or None when it names no text encoding."""
    name = (charset or "").strip().strip("\"'").lower().partition("*")[0]
    if name in _UNKNOWN:
        return None
    name = _ALIASES.get(name, name)
    try:
        info = codecs.lookup(name)
    except (LookupError, ValueError):
        return None
    # bytes.decode refuses transforms (base64, rot13) and idna takes no error handler.
    if not getattr(info, "_is_text_encoding", True) or info.name in {"idna", "punycode"}:
        return None
    return info.name


def decode(data: bytes, charset: str | None = None) -> str:
    """`data` as text: in its charset with bad bytes replaced, else UTF-8 if it is, else
    windows-1252 (every byte means something there, near enough)."""
    codec = codec_for(charset)
    if codec is not None:
        try:
            return clean(data.decode(codec, errors="replace"))
        except Exception:  # noqa: BLE001 - a codec's own bug must not lose the mail
            pass
    try:
        return clean(data.decode("utf-8"))
    except UnicodeDecodeError:
        return clean(data.decode("cp1252", errors="replace"))


def clean(text: str) -> str:
    """Without the control characters no reader wants and no database stores."""
    return _CONTROLS.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))


def raw_bytes(value: str) -> bytes:
    """A header value as the bytes it came in (the parser keeps 8-bit bytes as surrogates)."""
    return value.encode("utf-8", errors="surrogateescape")


def unfold(value: str) -> str:
    return re.sub(r"\r?\n(?=[ \t])", "", value).replace("\r", "").replace("\n", " ")


def header_text(value: str | None) -> str:
    """A header's value as a person reads it: unfolded, RFC 2047 words decoded (adjacent
    words in one charset joined before decoding, as a split multibyte character needs), raw
    8-bit bytes read as UTF-8 or windows-1252."""
    if not value:
        return ""
    text = decode(raw_bytes(unfold(str(value))))
    pieces: list[str] = []
    pending: list[bytes] = []
    pending_charset: str | None = None
    position = 0

    def flush() -> None:
        nonlocal pending, pending_charset
        if pending:
            pieces.append(decode(b"".join(pending), pending_charset))
        pending, pending_charset = [], None

    for found in _ENCODED_WORD.finditer(text):
        gap = text[position : found.start()]
        if not (pending and _BETWEEN_WORDS.fullmatch(gap)):
            flush()
            pieces.append(gap)
        charset, kind, payload = found.group(1), found.group(2).lower(), found.group(3)
        data = _word_bytes(kind, payload)
        if data is None:  # not really an encoded word: keep it as it was written
            flush()
            pieces.append(found.group(0))
        else:
            if pending and charset.lower() != (pending_charset or "").lower():
                flush()
            pending.append(data)
            pending_charset = charset
        position = found.end()
    flush()
    pieces.append(text[position:])
    return clean("".join(pieces)).replace("\n", " ").strip()


def _word_bytes(kind: str, payload: str) -> bytes | None:
    try:
        if kind == "b":
            padded = payload + "=" * (-len(payload) % 4)
            return base64.b64decode(padded.encode("ascii"), validate=False)
        return binascii.a2b_qp(payload.encode("ascii"), header=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        return None
