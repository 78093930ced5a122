"""The words of the customer's conversation (tracking page and portal) for single events."""

from __future__ import annotations

from datetime import UTC, datetime
from types import SimpleNamespace

from web.customer_ticket import WAITING_WITHOUT_WORDS, _entry

AT = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
TICKET = SimpleNamespace(received_at=AT, description="")


def _event(kind: str, **data: str) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, data=data, at=AT, actor="Sam Agent", summary="")


def test_waiting_without_a_message_says_so_in_words_and_never_a_dangling_colon() -> None:
    for data in ({}, {"message": ""}, {"message": "   "}):
        entry = _entry(_event("waiting", **data), "Europe/London", AT, TICKET, {})
        assert entry is not None
        assert WAITING_WITHOUT_WORDS in str(entry) and "something:" not in str(entry)
    asked = _entry(
        _event("waiting", message="Which campaign is it?"), "Europe/London", AT, TICKET, {}
    )
    assert asked is not None and "Which campaign is it?" in str(asked)


def test_the_request_opens_the_conversation_in_the_customer_s_own_words() -> None:
    asked = SimpleNamespace(received_at=AT, description="Images show as red crosses.\n")
    entry = _entry(_event("opened", channel="email"), "Europe/London", AT, asked, {})
    assert entry is not None and not entry.ours
    assert (entry.text, entry.body) == (
        "You raised this request by e-mail:",
        "Images show as red crosses.",
    )
    # Nothing written (a call logged without notes): a sentence, not a dangling colon.
    bare = _entry(_event("opened", channel="phone"), "Europe/London", AT, TICKET, {})
    assert bare is not None and (bare.text, bare.body) == ("You raised this request by phone.", "")
