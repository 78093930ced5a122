"""The e-mails people get about their sign-in: an invitation, and a link to reset a password.

Written as a colleague would write them; the link is the one thing to do, and says how long
it works.
"""

from __future__ import annotations

from datetime import timedelta

from db.models import User
from settings import Settings


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
    first = user.full_name.split()[0] if user.full_name.split() else user.full_name
    subject = f"{who} has invited you to {settings.organisation_name}'s console"
    body = f"""Hello {first},

{who} has given you an account on {settings.organisation_name}'s console, where we
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
    first = user.full_name.split()[0] if user.full_name.split() else user.full_name
    subject = "Resetting your password"
    body = f"""Hello {first},

Someone, hopefully you, asked to reset the password you use to sign in to
{settings.organisation_name}'s console. To choose a new one, open this link:

  {link}

The link works once, for the next {_lasting(lifetime)}. When you have chosen the new
password, you will be signed out everywhere else.

If it was not you, ignore this e-mail: your password stays as it is.

{settings.organisation_name}
"""
    return subject, body
