"""Fixtures for the replicas' tests: the journal's backends (SQLite and the embedded PostgreSQL
server) as in tests/journal, and the daemon's anvil and emulator as in tests/daemon."""

from __future__ import annotations

from tests.daemon.conftest import devnet, devnet_session, emulator, emulator_session
from tests.journal.conftest import clock, journal, journal_url
from tests.postgres_fixture import postgres_server

__all__ = [
    "clock",
    "devnet",
    "devnet_session",
    "emulator",
    "emulator_session",
    "journal",
    "journal_url",
    "postgres_server",
]
