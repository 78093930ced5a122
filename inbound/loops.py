"""Whether a machine wrote a mail (RFC 3834 and what mail systems really send), and why.

Answering a machine is how mail loops start: an auto-reply answered by a confirmation that
is auto-replied to again. Anything named here opens no ticket, resumes nothing, and is
never answered (docs/inbound-mail.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

BOUNCE = "bounce"
AUTO_REPLY = "auto-reply"
AUTO_GENERATED = "auto-generated"
RECEIPT = "receipt"
LIST = "list"
BULK = "bulk"
LOOP = "loop"

_DAEMONS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon"}
# Subjects Exchange and Outlook give their out-of-office replies, which then (and only then)
# make X-Auto-Response-Suppress telling.
_OOO_SUBJECT = re.compile(
    r"^\s*(Automatic reply|Auto(matic)?[- ]?reply|Out of (the )?Office|Abwesenheitsnotiz|"
    r"Automatische Antwort|Réponse automatique|Respuesta automática|Risposta automatica|"
    r"Automatisch antwoord|自動応答)\b",
    re.I,
)


def reason(
    headers: Mapping[str, str],
    *,
    content_type: str,
    report_type: str,
    sender: str,
    subject: str,
) -> str | None:
    """Why this mail is machine mail, or None when a person wrote it.

    `headers` maps lower-cased names to their (first) decoded value.
    """

    def value(name: str) -> str:
        return (headers.get(name) or "").strip().lower()

    local = sender.partition("@")[0]
    if content_type == "multipart/report" and report_type == "delivery-status":
        return BOUNCE
    if local in _DAEMONS or value("x-failed-recipients"):
        return BOUNCE
    if content_type == "multipart/report" and report_type == "disposition-notification":
        return RECEIPT  # "read" receipts
    if content_type == "multipart/report":
        return AUTO_GENERATED  # abuse (feedback-report) and other machine reports
    submitted = re.split(r"[\s;(]", value("auto-submitted"), maxsplit=1)[0]  # less comments
    if submitted and submitted != "no":
        return AUTO_REPLY if submitted == "auto-replied" else AUTO_GENERATED
    if value("x-autoreply") or value("x-autorespond") or value("x-autoreply-from"):
        return AUTO_REPLY
    if value("x-mail-autoreply") or value("x-auto-reply"):
        return AUTO_REPLY
    precedence = value("precedence") or value("x-precedence")
    if precedence in ("auto_reply", "auto-reply"):
        return AUTO_REPLY
    # X-Auto-Response-Suppress asks *others* not to answer; Outlook sets it on everyday mail
    # (meeting replies, mail sent through some add-ins), so alone it proves nothing. Exchange's
    # own out-of-office replies carry it with their "Automatic reply:" subject.
    if value("x-auto-response-suppress") and _OOO_SUBJECT.match(subject):
        return AUTO_REPLY
    if value("return-path") == "<>":
        # The null sender is how RFC 3834 and RFC 5321 say a machine's notice must be sent.
        return BOUNCE if "delivery" in subject.lower() else AUTO_GENERATED
    if value("x-loop"):
        return LOOP
    if precedence == "list" or value("list-id"):
        return LIST
    if precedence in ("bulk", "junk") or value("list-unsubscribe"):
        return BULK
    return None
