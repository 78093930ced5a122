"""What a reply says, without the history it quotes or the signature under it."""

from __future__ import annotations

import re

# "On Tue, 3 Mar 2026 at 10:04, Casey <casey@…> wrote:" (Gmail, Apple Mail, Thunderbird) and
# its translations; clients wrap it over two or three lines, so it is matched on joined lines.
_ATTRIBUTION = re.compile(
    r"^\s*("
    r"On\b.{4,300}\bwrote\s*:"
    r"|Le\b.{4,300}\ba\s+écrit\s*:"
    r"|Am\b.{4,300}\bschrieb\b.{0,200}:"
    r"|El\b.{4,300}\bescribió\s*:"
    r"|Il\b.{4,300}\bha\s+scritto\s*:"
    r"|Op\b.{4,300}\bschreef\b.{0,200}:"
    r"|Em\b.{4,300}\bescreveu\s*:"
    r"|Den\b.{4,300}\bskrev\b.{0,200}:"
    r"|W\s+dniu\b.{4,300}\bpisze\s*:"
    r"|.{4,300}\bkirjoitti\s*:"
    r"|.{4,300}(のメッセージ|は書きました)\s*[:：]"
    r")\s*$",
    re.IGNORECASE,
)
_OPENS = re.compile(r"^\s*(On|Le|Am|El|Il|Op|Em|Den|W dniu)\b|.*\d", re.I)
# Outlook's header block ("From: … / Sent: … / To: … / Subject: …"), in a few languages;
# a From line counts only with a Sent or Date line just under it.
_FROM = re.compile(
    r"^\s*\*?(From|Von|De|Da|Van|Från|Fra|Od|Kimden|差出人|发件人)\s?\*?\s?[:：]", re.I
)
_SENT = re.compile(
    r"^\s*\*?(Sent|Date|Gesendet|Datum|Envoyé|Enviado|Fecha|Inviato|Data|Verzonden|Skickat|"
    r"Sendt|送信日時|发送时间|Wysłano)\s?\*?\s?[:：]",
    re.I,
)
_SEPARATOR = re.compile(
    r"^\s*(-{2,}\s*(Original Message|Ursprüngliche Nachricht|Message d'origine|Mensaje original|"
    r"Messaggio originale|Oorspronkelijk bericht|Original message)\s*-{2,}|_{20,})\s*$",
    re.I,
)
_FORWARDED = re.compile(
    r"^\s*(-{2,}\s*(Forwarded message|Forwarded Message|Weitergeleitete Nachricht|"
    r"Message transféré|Mensaje reenviado|Messaggio inoltrato|Doorgestuurd bericht)\s*-{2,}|"
    r"Begin forwarded message:|Anfang der weitergeleiteten Nachricht:|"
    r"Début du message réexpédié :)\s*$",
    re.I,
)
# A subject that says the mail passes another one on (Outlook's forward looks like its reply).
FORWARD_SUBJECT = re.compile(r"^\s*(Fwd?|FW|WG|TR|RV|I|Doorst|VS|VB)\s*:", re.I)
_SIGNATURE = re.compile(r"^--\s?$")
# What phones add under every mail; only ever the last words of a message.
_SENT_FROM = re.compile(
    r"^\s*(Sent from (my )?\S.{0,60}|Sent via \S.{0,40}|"
    r"(Get|Obtener|Télécharger) Outlook (for|para|pour) \S.{0,30}|"
    r"Von meinem \S.{0,40} gesendet|Envoyé de mon \S.{0,40}|Enviado desde mi \S.{0,40}|"
    r"Inviato da(l mio)? \S.{0,40}|Verzonden (vanaf|met) (mijn )?\S.{0,40}|"
    r"Skickat från min \S.{0,40})"
    r"\s*$",
    re.I,
)


def _history_starts(lines: list[str]) -> int | None:
    """The line where the quoted history begins: an attribution line (maybe wrapped over up
    to three lines), an Outlook header block, an "Original Message" separator."""
    for index, line in enumerate(lines):
        if not line.strip():
            continue
        if _FORWARDED.match(line):
            return None  # what follows was passed on to us to read, not history
        if _SEPARATOR.match(line):
            return index
        if _FROM.match(line) and any(_SENT.match(n) for n in lines[index + 1 : index + 4]):
            return index
        for span in (1, 2, 3):
            part = lines[index : index + span]
            if span > 1 and (not all(p.strip() for p in part) or not _OPENS.match(line)):
                break  # a wrapped attribution is one paragraph, opening with its date
            if _ATTRIBUTION.match(" ".join(p.strip() for p in part)):
                return index
        # Any other "…:" line that a quoted (">") line follows is an attribution too.
        following = next((n for n in lines[index + 1 : index + 3] if n.strip()), "")
        if line.rstrip().endswith((":", "：")) and following.startswith(">") and index:
            looks_like_header = "@" in line or re.search(r"\d", line)
            if looks_like_header:
                return index
    return None


def _unquoted(lines: list[str]) -> list[str]:
    """Bottom-posted: the reply is the lines that are not quoted (nor the attribution)."""
    kept: list[str] = []
    for index, line in enumerate(lines):
        if line.lstrip().startswith(">"):
            continue
        ahead = next((n for n in lines[index + 1 : index + 4] if n.strip()), "")
        if ahead.lstrip().startswith(">") and line.rstrip().endswith((":", "：")):
            continue  # its attribution
        kept.append(line)
    return kept


def _interleaved(history: list[str]) -> bool:
    """Quoted history with answers written between its lines (then those answers stay)."""
    history = _without_signature(history)
    quoted = [i for i, line in enumerate(history) if line.lstrip().startswith(">")]
    if not quoted or any(line.strip() for line in history[: quoted[0]]):
        return False
    return any(line.strip() and not line.lstrip().startswith(">") for line in history[quoted[0] :])


def _without_signature(lines: list[str]) -> list[str]:
    for index in range(len(lines) - 1, -1, -1):
        if _SIGNATURE.match(lines[index]) and any(line.strip() for line in lines[:index]):
            return lines[:index]
    return lines


def _without_phone_lines(lines: list[str]) -> list[str]:
    lines = _rstrip(lines)
    while lines and _SENT_FROM.match(lines[-1]):
        lines = _rstrip(lines[:-1])
    return lines


def _rstrip(lines: list[str]) -> list[str]:
    end = len(lines)
    while end and not lines[end - 1].strip():
        end -= 1
    return lines[:end]


def trim(text: str, *, forwarded: bool = False) -> str:
    """The new words of a reply, for display: history below an attribution, Outlook header
    block or separator goes, as do trailing quoted lines, a "-- " signature and "Sent from
    my iPhone". A forward (`forwarded`, or a forwarded-message line) keeps what it passes on.
    A mail that would be left empty is shown whole."""
    lines = text.replace("\r\n", "\n").split("\n")
    start = None if forwarded else _history_starts(lines)
    if start is not None and any(line.strip() for line in lines[:start]):
        lines = _unquoted(lines) if _interleaved(lines[start + 1 :]) else lines[:start]
    elif not forwarded and any(line.lstrip().startswith(">") for line in lines):
        lines = _unquoted(lines)
    lines = _without_phone_lines(_without_signature(_rstrip(lines)))
    shown = re.sub(r"\n{3,}", "\n\n", "\n".join(line.rstrip() for line in lines)).strip("\n")
    return shown if shown.strip() else text.strip()
