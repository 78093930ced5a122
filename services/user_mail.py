"""The e-mails people get about their sign-in: staff an invitation and a link to reset a
password, customers an invitation to the portal and a link that signs them in.

Written as a colleague would write them; the link is the one thing to do, and says how long
it works.
"""

from __future__ import annotations

from datetime import timedelta

from anyio import to_thread

from activities.mail import Mailer
from api.bootstrap import BOOTSTRAP_NAME
from db.models import Account, Contact, User
from reports.words import possessive
from settings import Settings


async def send_mail(settings: Settings, to: str, name: str, subject: str, body: str) -> None:
    """Send now, in a thread (SMTP blocks); the row it is about is already committed."""
    mailer = Mailer(settings)
    message = mailer.compose(to, subject, body, to_name=name)
    await to_thread.run_sync(mailer.send, message)


def _first_name(full_name: str) -> str:
    return full_name.split()[0] if full_name.split() else full_name


def _lasting(lifetime: timedelta) -> str:
    hours = lifetime.total_seconds() / 3600
    if hours >= 48:
        return f"{round(hours / 24)} days"
    if hours >= 2:
        return f"{round(hours)} hours"
    return f"{round(hours * 60)} minutes"


def invitation(settings: Settings, user: User, token: str, lifetime: timedelta) -> tuple[str, str]:
    link = f"{settings.effective_public_url}/invitations/{token}"
    who = user.invited_by or "An administrator"
    first = _first_name(user.full_name)
    subject = f"{who} has invited you to {possessive(settings.organisation_name)} console"
    body = f"""Hello {first},

{who} has given you an account on {possessive(settings.organisation_name)} console, where we
keep track of our tickets, complaints and customer accounts.

To start, choose your password here:

  {link}

The link works once, for the next {_lasting(lifetime)}. After that, ask {who} to send you
a new one. You will sign in with this address, {user.email}.

If you were not expecting this, you can ignore this e-mail; nothing happens until the
link is used.

{settings.organisation_name}
"""
    return subject, body


def password_reset(
    settings: Settings, user: User, token: str, lifetime: timedelta
) -> tuple[str, str]:
    link = f"{settings.effective_public_url}/password/reset/{token}"
    first = _first_name(user.full_name)
    subject = "Resetting your password"
    body = f"""Hello {first},

Someone, hopefully you, asked to reset the password you use to sign in to
{possessive(settings.organisation_name)} console. To choose a new one, open this link:

  {link}

The link works once, for the next {_lasting(lifetime)}. When you have chosen the new
password, you will be signed out everywhere else.

If it was not you, ignore this e-mail: your password stays as it is.

{settings.organisation_name}
"""
    return subject, body


def portal_invitation(
    settings: Settings, contact: Contact, account: Account, inviter: str | None, may_raise: bool
) -> tuple[str, str]:
    """`inviter`: the person who gave access, to sign the mail (None: the organisation signs)."""
    org = settings.organisation_name
    link = f"{settings.effective_public_url}/portal/login"
    subject = f"You can now follow {possessive(account.name)} support requests with {org}"
    if may_raise:
        can = (
            "There you can raise a support request, follow each one and reply to it, and\n"
            "download your reports."
        )
    else:
        can = (
            f"There you can follow {possessive(account.name)} support requests and reply to them,\n"
            "and download your reports. New requests are raised by your organisation's\n"
            "authorised representatives."
        )
    signed = f"{inviter}\n{org}" if inviter and inviter != BOOTSTRAP_NAME else org
    body = f"""Hello {_first_name(contact.name)},

You now have access to {possessive(org)} customer portal for {account.name}.
{can}

To sign in, open this page and enter this address, {contact.email}:

  {link}

We will e-mail you a link that signs you in; there is no password to remember.

{signed}
"""
    return subject, body


def portal_sign_in(
    settings: Settings, contact: Contact, account: Account, token: str, lifetime: timedelta
) -> tuple[str, str]:
    org = settings.organisation_name
    link = f"{settings.effective_public_url}/portal/link/{token}"
    subject = f"Your link to sign in to {possessive(org)} customer portal"
    body = f"""Hello {_first_name(contact.name)},

Here is your link to sign in to {possessive(org)} customer portal for {account.name}:

  {link}

It opens a page with a "Sign in" button; press it to sign in. The link works once,
for the next {_lasting(lifetime)}. If it has run out, ask for a new one on the sign-in page.

If you did not ask to sign in, you can ignore this e-mail; nothing happens unless the
button is pressed.

{org}
"""
    return subject, body
