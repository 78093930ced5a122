"""The `pledge` command: manage API keys and migrate the database from a shell."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from api import keys
from api.auth import Principal
from api.bootstrap import ensure_bootstrap_admin, ensure_bootstrap_user
from api.errors import PledgeError
from db.errors import explain
from db.models import Role
from db.session import make_engine, make_session_factory
from settings import get_settings

app = typer.Typer(help="Pledge administration.", no_args_is_help=True, add_completion=False)
keys_app = typer.Typer(help="Create, list and revoke API keys.", no_args_is_help=True)
app.add_typer(keys_app, name="keys")

T = TypeVar("T")


def _run(work: Callable[[AsyncSession], Awaitable[T]]) -> T:
    """Run `work` in one committed transaction, turning failures into one line and exit 1."""
    settings = get_settings()

    async def go() -> T:
        engine = make_engine(settings.effective_database_url)
        try:
            async with make_session_factory(engine, writes=True)() as session, session.begin():
                return await work(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(go())
    except PledgeError as exc:
        typer.echo(f"pledge: {exc.detail}", err=True)
    except Exception as exc:  # noqa: BLE001 - a person reads this, not a traceback
        typer.echo(f"pledge: {explain(exc, settings.effective_database_url)}", err=True)
    raise typer.Exit(1)


@keys_app.command("create")
def create_key(
    name: Annotated[str, typer.Option(help="Who or what the key is for.")],
    role: Annotated[Role, typer.Option(help="What the key may do.")],
    account: Annotated[
        int | None, typer.Option(help="The account a customer key is bound to.")
    ] = None,
    full_name: Annotated[
        str | None, typer.Option(help="The person using it; their letters are signed so.")
    ] = None,
    job_title: Annotated[str | None, typer.Option(help="Their job title, for signatures.")] = None,
) -> None:
    """Create a key and print its secret (shown this once)."""
    minted = _run(
        lambda s: keys.mint_key(
            s,
            name=name,
            role=role,
            account_id=account,
            full_name=full_name,
            job_title=job_title,
        )
    )
    typer.echo(f"created key {minted.key.id} ({role.value}) for {name!r}:")
    typer.echo(minted.secret)


@keys_app.command("list")
def list_keys(
    all_keys: Annotated[bool, typer.Option("--all", help="Include revoked keys.")] = False,
) -> None:
    """List keys (never their secrets)."""
    rows = _run(lambda s: keys.list_keys(s, include_revoked=all_keys))
    for key in rows:
        state = f"revoked {key.revoked_at:%Y-%m-%d %H:%M}" if key.revoked_at else "active"
        account = f" account {key.account_id}" if key.account_id is not None else ""
        person = f" [{', '.join(p for p in (key.full_name, key.job_title) if p)}]"
        typer.echo(
            f"{key.id:>4}  {key.fingerprint}  {key.role.value:<18} {state:<24} {key.name}{account}"
            + (person if key.full_name or key.job_title else "")
        )


@keys_app.command("name")
def name_key(
    key_id: Annotated[int, typer.Argument(help="The id `pledge keys list` shows.")],
    full_name: Annotated[
        str | None, typer.Option(help="The person using it ('' clears it).")
    ] = None,
    job_title: Annotated[str | None, typer.Option(help="Their job title ('' clears it).")] = None,
) -> None:
    """Set the name and job title a key's letters are signed with."""
    changes = {
        field: value
        for field, value in (("full_name", full_name), ("job_title", job_title))
        if value is not None
    }
    key = _run(lambda s: keys.set_person(s, key_id, changes))
    signed = ", ".join(part for part in (key.full_name, key.job_title) if part) or "no one"
    typer.echo(f"key {key.id} ({key.name}) signs as: {signed}")


@keys_app.command("revoke")
def revoke_key(
    key_id: Annotated[int, typer.Argument(help="The id `pledge keys list` shows.")],
) -> None:
    """Revoke a key; it stops working at once."""
    key = _run(lambda s: keys.revoke_key(s, key_id))
    typer.echo(f"revoked key {key.id} ({key.name})")


users_app = typer.Typer(
    help="Invite, list and remove the people who sign in to the console.", no_args_is_help=True
)
app.add_typer(users_app, name="users")


def _operator() -> Principal:
    # Whoever runs the command on the server: an admin in all but name.
    return Principal(key_id=None, name="an administrator", role=Role.ADMIN, account_id=None)


@users_app.command("invite")
def invite_user(
    email: Annotated[str, typer.Option(help="The address they sign in with.")],
    name: Annotated[str, typer.Option(help="Their full name; letters are signed with it.")],
    role: Annotated[list[Role], typer.Option(help="A role; repeat for several.")],
    job_title: Annotated[str | None, typer.Option(help="Their job title, for letters.")] = None,
) -> None:
    """Add a person and print the single-use link on which they choose their password."""
    from datetime import timedelta

    from services import users

    settings = get_settings()
    lifetime = timedelta(days=settings.invitation_days)
    invited = _run(
        lambda s: users.invite_user(
            s, _operator(), email=email, full_name=name, job_title=job_title, roles=role,
            lifetime=lifetime,
        )
    )  # fmt: skip
    typer.echo(f"invited user {invited.user.id} ({invited.user.email}); their link, valid once:")
    typer.echo(f"{settings.effective_public_url}/invitations/{invited.token}")


@users_app.command("list")
def list_users() -> None:
    """The people who can sign in (or are invited to)."""
    from services import users

    for user in _run(users.list_users):
        state = "active" if user.password_hash else "invited"
        typer.echo(f"{user.id:>4}  {state:<8} {','.join(user.roles):<40} {user.email}")


@users_app.command("remove")
def remove_user(
    user_id: Annotated[int, typer.Argument(help="The id `pledge users list` shows.")],
) -> None:
    """Remove a person: they are signed out everywhere and cannot sign in again."""
    from services import users

    user = _run(lambda s: users.remove_user(s, _operator(), user_id))
    typer.echo(f"removed user {user.id} ({user.email})")


portal_app = typer.Typer(help="The customer portal.", no_args_is_help=True)
app.add_typer(portal_app, name="portal")


@portal_app.command("link")
def portal_link(
    email: Annotated[str, typer.Argument(help="The contact's e-mail address.")],
) -> None:
    """Print a single-use link that signs this contact in to the portal (for each account
    where they may), instead of mailing it: for trying the portal, or helping on the phone."""
    from datetime import timedelta

    from services import portal_access

    settings = get_settings()
    lifetime = timedelta(minutes=settings.portal_link_minutes)

    async def links(session: AsyncSession) -> list[tuple[str, str]]:
        found = await portal_access.contacts_for_email(session, email)
        return [
            (account.name, await portal_access.issue_link(session, contact, lifetime, None))
            for contact, account in found
        ]

    made = _run(links)
    if not made:
        typer.echo(f"pledge: no contact with portal access has the address {email}", err=True)
        raise typer.Exit(1)
    minutes = round(lifetime.total_seconds() / 60)
    for account, token in made:
        typer.echo(f"{account}: valid once, for {minutes} minutes:")
        typer.echo(f"{settings.effective_public_url}/portal/link/{token}")


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema."""
    from db.migrate import main as migrate_main

    raise typer.Exit(migrate_main())


@app.command()
def bootstrap() -> None:
    """Migrate, then make sure an admin key and an admin user exist (PLEDGE_BOOTSTRAP_API_KEY,
    PLEDGE_BOOTSTRAP_ADMIN_EMAIL/_PASSWORD, or generated)."""
    from db.migrate import main as migrate_main

    if code := migrate_main():
        raise typer.Exit(code)
    admin = _run(lambda s: ensure_bootstrap_admin(s, get_settings()))
    typer.echo(f"pledge: admin API key {admin.source}")
    person = _run(lambda s: ensure_bootstrap_user(s, get_settings()))
    typer.echo(f"pledge: sign in at /login as {person.email}: {person.source}")


if __name__ == "__main__":
    sys.exit(app())
