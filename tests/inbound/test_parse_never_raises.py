"""Whatever bytes arrive, parse answers an InboundMail: random bytes, and real mails mutated."""

from __future__ import annotations

from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from inbound.message import InboundMail, parse

FIXTURES = sorted((Path(__file__).parent / "fixtures").glob("*.eml"))
SEEDS = [path.read_bytes() for path in FIXTURES]
# Bytes that steer a MIME parser into its corners.
TRICKY = [
    b"\r\n", b"\n", b"\r\n\r\n", b"--", b"=?", b"?=", b"=?utf-8?B?", b"=?iso-2022-jp?Q?",
    b"\x1b$B", b"\x1b(B", b"\xff", b"\x00", b"\xc3", b"\xe2\x80", b";", b"\"", b"'", b"<", b">",
    b"Content-Type: multipart/mixed; boundary=x\r\n", b"--x\r\n", b"--x--", b"charset=",
    b"Content-Transfer-Encoding: base64\r\n", b"Content-Transfer-Encoding: quoted-printable\r\n",
    b"filename*=utf-8''%ff%fe", b"application/ms-tnef", b"\x78\x9f\x3e\x22", b"=\r\n", b"=XX",
    b"<script>", b"<blockquote>", b"From: ", b"Date: ", b"Message-ID: <", b"References: <<>>",
]  # fmt: skip


def _check(mail: InboundMail) -> None:
    assert isinstance(mail, InboundMail)
    for text in (mail.subject, mail.sender, mail.sender_name, mail.text, mail.display_text):
        assert isinstance(text, str) and "\x00" not in text
    assert mail.html is None or "<script" not in mail.html.lower()
    assert all(isinstance(a.data, bytes) and a.filename for a in mail.attachments)
    assert mail.date is None or mail.date.utcoffset() is not None


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4000))
def test_random_bytes(raw: bytes) -> None:
    _check(parse(raw))


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    seed=st.sampled_from(SEEDS),
    edits=st.lists(
        st.tuples(
            st.floats(0, 1),
            st.integers(0, 40),
            st.one_of(st.sampled_from(TRICKY), st.binary(max_size=12)),
        ),
        max_size=8,
    ),
)
def test_real_mails_mutated(seed: bytes, edits: list[tuple[float, int, bytes]]) -> None:
    raw = bytearray(seed)
    for where, cut, insert in edits:
        at = int(where * len(raw))
        raw[at : at + cut] = insert
    _check(parse(bytes(raw)))


def test_deeply_nested_multiparts() -> None:
    depth = 3000
    head = b"".join(
        f"Content-Type: multipart/mixed; boundary=b{i}\r\n\r\n--b{i}\r\n".encode()
        for i in range(depth)
    )
    mail = parse(b"From: a@b.invalid\r\n" + head + b"Content-Type: text/plain\r\n\r\nhi\r\n")
    _check(mail)
    # Past the parser's recursion: still who sent it, and the body as text.
    assert mail.sender == "a@b.invalid" and mail.text.rstrip().endswith("hi")
