"""The `pledge` command: manage API keys and migrate the database from a shell."""

from __future__ import annotations

import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import Annotated, TypeVar

import typer
from sqlalchemy.ext.asyncio import AsyncSession

from api import keys
from api.bootstrap import ensure_bootstrap_admin
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


@app.command()
def migrate() -> None:
    """Bring the database to the newest schema."""
    from db.migrate import main as migrate_main

    raise typer.Exit(migrate_main())


@app.command()
def bootstrap() -> None:
    """Migrate, then make sure an admin key exists (PLEDGE_BOOTSTRAP_API_KEY or generated)."""
    from db.migrate import main as migrate_main

    if code := migrate_main():
        raise typer.Exit(code)
    admin = _run(lambda s: ensure_bootstrap_admin(s, get_settings()))
    typer.echo(f"pledge: admin API key {admin.source}")


if __name__ == "__main__":
    sys.exit(app())
