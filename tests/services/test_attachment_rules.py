"""The rules every attached file passes (services.attachment_rules): pure, so checked directly,
with real files of each kind and the disguises people (and malware) use."""

from __future__ import annotations

import hashlib
import io

import pytest
from pypdf import PdfReader

from services.attachment_rules import (
    ACCEPTED,
    AttachmentRefused,
    clean_name,
    inspect,
    limit_words,
    max_bytes,
    size_words,
)
from tests import files

LIMIT = max_bytes(10)


def accepted(name: str, data: bytes) -> tuple[str, str]:
    found = inspect(name, data, max_size=LIMIT)
    assert found.size == len(data)
    assert found.sha256 == hashlib.sha256(data).hexdigest()
    return found.filename, found.content_type


def refused(name: str, data: bytes, max_size: int = LIMIT) -> AttachmentRefused:
    with pytest.raises(AttachmentRefused) as caught:
        inspect(name, data, max_size=max_size)
    return caught.value


def test_the_sample_files_are_real() -> None:
    # What the tests call a PDF is one a PDF reader opens and finds the words in.
    reader = PdfReader(io.BytesIO(files.pdf("Invoice 4711")))
    assert "Invoice 4711" in reader.pages[0].extract_text()
    assert files.png().startswith(b"\x89PNG") and b"IEND" in files.png()


@pytest.mark.parametrize(
    ("name", "make", "expected"),
    [
        ("report.pdf", files.pdf, ("report.pdf", "application/pdf")),
        ("screen.png", files.png, ("screen.png", "image/png")),
        (
            "letter.docx",
            files.docx,
            (
                "letter.docx",
                "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
            ),
        ),  # noqa: E501
        (
            "figures.xlsx",
            files.xlsx,
            ("figures.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
        ),  # noqa: E501
        (
            "deck.pptx",
            files.pptx,
            (
                "deck.pptx",
                "application/vnd.openxmlformats-officedocument.presentationml.presentation",
            ),
        ),  # noqa: E501
        ("minutes.odt", files.odt, ("minutes.odt", "application/vnd.oasis.opendocument.text")),
        ("logs.zip", files.plain_zip, ("logs.zip", "application/zip")),
    ],
)
def test_documents_and_images_are_accepted_by_their_content(
    name: str, make: object, expected: tuple[str, str]
) -> None:
    assert accepted(name, make()) == expected  # type: ignore[operator]


def test_images_by_their_magic_numbers() -> None:
    assert accepted("p.jpg", b"\xff\xd8\xff\xe0\x00\x10JFIF\x00rest")[1] == "image/jpeg"
    assert accepted("p.gif", b"GIF89a\x01\x00\x01\x00rest")[1] == "image/gif"
    assert accepted("p.webp", b"RIFF\x24\x00\x00\x00WEBPVP8 rest")[1] == "image/webp"


def test_text_csv_logs_and_mail() -> None:
    assert accepted("app.log", b"2026-11-16 10:00 started\n\x1b[31merror\x1b[0m\n") == (
        "app.log",
        "text/plain; charset=utf-8",
    )
    assert accepted("list.csv", "name,city\nZoë,Łódź\n".encode()) == (
        "list.csv",
        "text/csv; charset=utf-8",
    )
    assert accepted("old.txt", "café latin-1".encode("latin-1"))[1] == (
        "text/plain; charset=windows-1252"
    )
    assert accepted("bounce.eml", files.EML) == ("bounce.eml", "message/rfc822")


def test_a_name_that_lies_about_the_content_is_judged_by_the_content() -> None:
    # The client's name (and Content-Type) are not believed: a PNG called .pdf is a PNG, and
    # keeps a name that opens it as one.
    assert accepted("scan.pdf", files.png()) == ("scan.pdf.png", "image/png")
    assert accepted("notes", b"just words\n") == ("notes.txt", "text/plain; charset=utf-8")
    # Text with a program's extension is text, and downloads as text: opening it runs nothing.
    assert accepted("fix.bat", b"del /q C:\\temp\n")[0] == "fix.bat.txt"
    assert accepted("data.jar", files.plain_zip())[0] == "data.jar.zip"


def test_a_program_renamed_as_a_pdf_is_refused() -> None:
    problem = refused("invoice.pdf", files.exe())
    assert "Windows program" in problem.message and not problem.too_large
    assert "Linux program" in refused("report.pdf", b"\x7fELF\x02\x01\x01" + b"\x00" * 60).message
    assert "program" in refused("a.png", b"\xcf\xfa\xed\xfe" + b"\x00" * 20).message
    assert "script" in refused("run.txt", b"#!/bin/sh\nrm -rf ~\n").message


@pytest.mark.parametrize(
    "content",
    [
        b"<!DOCTYPE html><html><body>hi</body></html>",
        b"  \n<html><script>alert(1)</script></html>",
        b"<svg xmlns='http://www.w3.org/2000/svg' onload='alert(1)'/>",
        b'<?xml version="1.0"?><svg/>',
        b"\xef\xbb\xbf<script>alert(1)</script>",
        b"Report\n<p>hello</p><script src=x></script>",
    ],
)
def test_html_svg_and_xml_are_refused_whatever_their_name(content: bytes) -> None:
    assert "HTML, SVG or XML" in refused("report.txt", content).message


def test_unrecognised_damaged_and_macro_files_are_refused_saying_what_is_accepted() -> None:
    unknown = refused("data.bin", bytes(range(256)) * 4)
    assert "not a kind of file Pledge accepts" in unknown.message and ACCEPTED in unknown.message
    assert "damaged ZIP" in refused("x.zip", b"PK\x03\x04 not really a zip").message
    assert "macros" in refused("letter.docx", files.docx(macros=True)).message


def test_empty_and_too_large_files() -> None:
    assert "empty" in refused("a.txt", b"").message
    big = refused("big.txt", b"a" * 2049, max_size=2048)
    assert big.too_large and "2 KB" in big.message
    assert inspect("fits.txt", b"a" * 2048, max_size=2048).size == 2048
    assert limit_words(max_bytes(10)) == "10 MB" and limit_words(max_bytes(0.5)) == "512 KB"
    assert [size_words(n) for n in (1, 812, 14_000, 2_500_000)] == [
        "1 byte",
        "812 bytes",
        "14 KB",
        "2.4 MB",
    ]


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("report.pdf", "report.pdf"),
        ("C:\\Users\\ann\\Desktop\\report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("/tmp/../.bashrc", "bashrc"),
        ("in\x00voice\r\n.pdf", "invoice.pdf"),
        ("harmless\u202efdp.exe", "harmlessfdp.exe"),  # a right-to-left override
        ('a<b>:"c"|?*.txt', "a_b___c____.txt"),
        ("  many    spaces .txt ", "many spaces .txt"),
        ("", "attachment"),
        ("...", "attachment"),
        ("Łódź plan.pdf", "Łódź plan.pdf"),
    ],
)
def test_names_lose_path_parts_and_control_characters(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


def test_a_long_name_keeps_its_extension() -> None:
    name = clean_name("x" * 500 + ".pdf")
    assert len(name) == 200 and name.endswith("x.pdf")
