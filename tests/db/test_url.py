"""DATABASE_URL: what runs, and a clear refusal for what does not."""

import pytest

from db.url import DatabaseUrlError, async_url, describe, parse_database_url


@pytest.mark.parametrize(
    ("raw", "driver"),
    [
        ("sqlite:///.data/pledge.db", "sqlite"),
        ("postgresql+psycopg://u:p@h:5432/pledge", "postgresql+psycopg"),
        ("postgresql://u@h/pledge", "postgresql+psycopg"),
        ("postgres://u@h/pledge", "postgresql+psycopg"),
    ],
)
def test_supported_urls_normalise_to_the_installed_drivers(raw: str, driver: str) -> None:
    assert parse_database_url(raw).drivername == driver


def test_async_driver_follows_the_backend() -> None:
    assert async_url(parse_database_url("sqlite:///x.db")).drivername == "sqlite+aiosqlite"
    assert async_url(parse_database_url("postgresql://h/db")).drivername == "postgresql+psycopg"


@pytest.mark.parametrize(
    ("raw", "words"),
    [
        ("not a url", "malformed"),
        ("postgresql://u@h:notaport/db", "malformed"),
        ("mysql://root@localhost/pledge", "'mysql'"),
        ("sqlite://", "must name an SQLite file"),
        ("sqlite:///:memory:", "in-memory"),
        ("postgresql://u@h", "names no database"),
    ],
)
def test_unusable_urls_are_refused_with_the_reason(raw: str, words: str) -> None:
    with pytest.raises(DatabaseUrlError) as refused:
        parse_database_url(raw)
    assert words in str(refused.value)
    assert "DATABASE_URL" in str(refused.value)


def test_passwords_never_printed() -> None:
    assert "s3cret" not in describe(parse_database_url("postgresql://u:s3cret@h/db"))
