"""What a reply shows: its new words, without quoted history, signature or phone footer."""

from __future__ import annotations

import pytest

from inbound.quotes import trim

CASES = {
    "gmail wrapped attribution": (
        "Thanks, that fixed it.\n\nCasey\n\nOn Tue, 3 Mar 2026 at 10:04, Acme Support "
        "<support@support.pledge.invalid>\nwrote:\n\n> Dear Casey,\n> We have logged...\n",
        "Thanks, that fixed it.\n\nCasey",
    ),
    "apple mail, phone footer above a quoted attribution": (
        "Thanks!\n\nSent from my iPhone\n\n> On 3 Mar 2026, at 10:04, Acme Support "
        "<support@support.pledge.invalid> wrote:\n>\n> Dear Casey\n",
        "Thanks!",
    ),
    "signature": (
        "Hello,\nstill broken.\n\n-- \nCasey Contact\nACME Ltd\n",
        "Hello,\nstill broken.",
    ),
    "signature whose space a client dropped": ("Fine now.\n--\nCasey\n", "Fine now."),
    "outlook header block": (
        "Yes please.\n\n________________________________\nFrom: Acme Support "
        "<support@support.pledge.invalid>\nSent: Tuesday, March 3, 2026 10:04 AM\nTo: Casey\n"
        "Subject: [T-7B1X-9BKN] x\n\nDear Casey",
        "Yes please.",
    ),
    "outlook header block without the rule, German": (
        "Bitte schließen.\n\nVon: Acme Support <support@support.pledge.invalid>\n"
        "Gesendet: Dienstag, 3. März 2026 10:04\nAn: Casey\nBetreff: x\n\nHallo",
        "Bitte schließen.",
    ),
    "original message separator": (
        "See above.\n\n-----Original Message-----\nFrom: a\nSent: b\n\nold",
        "See above.",
    ),
    "bottom-posted": (
        "On Tue, 3 Mar 2026, Support wrote:\n> q1\n\nmy answer at bottom\n",
        "my answer at bottom",
    ),
    "interleaved answers stay": (
        "Hi\n\nOn Tue, 3 Mar 2026, Support wrote:\n> question one?\nanswer one\n"
        "> question two?\nanswer two\n\n-- \nsig",
        "Hi\n\nanswer one\nanswer two",
    ),
    "french": (
        "Merci !\n\nLe mar. 3 mars 2026 à 10:04, Support <s@x.invalid> a écrit :\n> Bonjour\n",
        "Merci !",
    ),
    "german, phone footer": (
        "Danke\n\nVon meinem iPhone gesendet\n\nAm 03.03.2026 um 10:04 schrieb Support "
        "<s@x.invalid>:\n> Hallo",
        "Danke",
    ),
    "japanese gmail": (
        "了解しました。\n\n2026年3月3日(火) 10:04 Support <s@x.invalid>:\n> こんにちは\n",
        "了解しました。",
    ),
    "spanish outlook mobile": (
        "Gracias\n\nObtener Outlook para iOS\n\n"
        "El mar, 3 mar 2026 a las 10:04, Support escribió:\n> Hola",
        "Gracias",
    ),
    "get outlook for ios": ("Thanks\n\nGet Outlook for iOS\n", "Thanks"),
}


@pytest.mark.parametrize(("text", "shown"), CASES.values(), ids=CASES.keys())
def test_a_reply_shows_its_new_words(text: str, shown: str) -> None:
    assert trim(text) == shown


@pytest.mark.parametrize(
    "text",
    [
        "> only a quote, nothing new\n",
        "-- \nonly a signature",
        "Sent from my iPhone",
        "---------- Forwarded message ---------\nFrom: Vendor <v@x.invalid>\nDate: Tue\n\n"
        "The forwarded words.",
    ],
)
def test_a_mail_that_would_show_nothing_is_shown_whole(text: str) -> None:
    assert trim(text).split() == text.split()


def test_an_outlook_forward_keeps_what_it_passes_on() -> None:
    text = (
        "Please see the customer's complaint below.\n\n________________________________\n"
        "From: Angry Customer <angry@x.invalid>\nSent: Tuesday, March 3, 2026 10:04 AM\n"
        "To: Casey\nSubject: Broken\n\nNothing works."
    )
    assert trim(text, forwarded=True) == text
    assert trim(text) == "Please see the customer's complaint below."


def test_words_that_merely_mention_from_or_wrote_stay() -> None:
    text = (
        "From: our billing team we heard nothing.\nThe note she wrote: unclear.\n\n"
        "On the old site it worked.\nWhat do you need from us?"
    )
    assert trim(text) == text
