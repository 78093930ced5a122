"""Names for files people download: safe on every system, and in an HTTP header.

A stored filename keeps the letters of an account's name, whatever the script ("łódź-digital"),
and loses everything a file system or a header could misread (spaces, quotes, slashes, control
characters). The ASCII form is the fallback for clients that cannot read RFC 6266's `filename*`.
"""

from __future__ import annotations

import re
import unicodedata

# Letters that do not decompose into a base letter and a mark, so NFKD alone would drop them.
_LATIN = str.maketrans(
    {"Ł": "L", "ł": "l", "Ø": "O", "ø": "o", "Đ": "D", "đ": "d", "ß": "ss", "Æ": "AE", "æ": "ae"}
    | {"Œ": "OE", "œ": "oe", "Þ": "Th", "þ": "th", "ı": "i"}
)
_NOT_WORD = re.compile(r"[^\w.]+")
_NOT_ASCII_WORD = re.compile(r"[^A-Za-z0-9.]+")


def file_slug(text: str) -> str:
    """'Łódź "Digital" Ltd/UK' -> 'łódź-digital-ltd-uk': letters and digits of any script."""
    return _NOT_WORD.sub("-", text.lower().replace("_", "-")).strip("-.") or "file"


def ascii_filename(filename: str) -> str:
    """'łódź-digital-monthly-report.pdf' -> 'lodz-digital-monthly-report.pdf'."""
    plain = unicodedata.normalize("NFKD", filename.translate(_LATIN))
    plain = plain.encode("ascii", "ignore").decode()
    return _NOT_ASCII_WORD.sub("-", plain).strip("-.") or "download"
