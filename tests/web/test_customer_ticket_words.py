"""The words of the customer's conversation (tracking page and portal) for single events."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from web.customer_ticket import WAITING_WITHOUT_WORDS, _entry

AT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


def _event(kind: str, **data: str) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, data=data, at=AT, actor="Sam Agent", summary="")


def test_waiting_without_a_message_says_so_in_words_and_never_a_dangling_colon() -> None:
    for data in ({}, {"message": ""}, {"message": "   "}):
        entry = _entry(_event("waiting", **data), "Europe/London", AT, AT, {})
        assert entry is not None
        assert WAITING_WITHOUT_WORDS in str(entry) and "something:" not in str(entry)
    asked = _entry(_event("waiting", message="Which campaign is it?"), "Europe/London", AT, AT, {})
    assert asked is not None and "Which campaign is it?" in str(asked)
