"""Build the SQLAlchemy engine behind a journal from a path or URL.

- A plain path (``var/journal.db``) or ``sqlite:///path`` opens a SQLite file in WAL mode with
  ``synchronous=FULL`` (an intent committed before an order is sent must survive a power cut),
  foreign keys on and a busy timeout, so the daemon and a CLI command (pause/resume) can write
  from two processes. Every transaction starts with ``BEGIN IMMEDIATE``: it takes the write lock
  up front, so a read-then-write transaction never fails half-way with "database is locked".
- ``sqlite://`` (no path) is an in-memory database for tests, one connection shared by threads.
- ``postgresql://...`` uses psycopg 3 (``postgresql+psycopg://``).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from sqlalchemy import URL, Engine, create_engine, event, make_url
from sqlalchemy.pool import StaticPool

SqliteSync = Literal["FULL", "NORMAL"]

READ_ONLY_OPTION = "journal_read_only"
"""Execution option marking a connection whose transactions only read (SQLite: BEGIN DEFERRED)."""


def journal_url(location: str | Path) -> URL:
    """The SQLAlchemy URL for a path or URL string; plain paths become SQLite files."""
    if isinstance(location, Path) or "://" not in location:
        path = Path(location).expanduser().resolve()
        return URL.create("sqlite+pysqlite", database=str(path))
    url = make_url(location)
    if url.drivername in ("postgresql", "postgres"):
        url = url.set(drivername="postgresql+psycopg")
    elif url.drivername == "sqlite":
        url = url.set(drivername="sqlite+pysqlite")
    return url


def is_memory_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite" and url.database in (None, "", ":memory:")


def create_journal_engine(
    url: URL, *, busy_timeout_ms: int = 10_000, sqlite_synchronous: SqliteSync = "FULL"
) -> Engine:
    """An engine configured for the journal's durability and concurrency needs.

    ``sqlite_synchronous="NORMAL"`` skips the fsync per commit: in WAL mode a killed process
    still loses nothing, but a power cut may lose the last commits (an intent among them).
    """
    backend = url.get_backend_name()
    if backend == "sqlite":
        if sqlite_synchronous not in ("FULL", "NORMAL"):
            raise ValueError(
                f"sqlite_synchronous must be FULL or NORMAL, got {sqlite_synchronous!r}"
            )
        return _sqlite_engine(url, busy_timeout_ms=busy_timeout_ms, synchronous=sqlite_synchronous)
    if backend == "postgresql":
        return create_engine(url, pool_pre_ping=True, pool_size=2, max_overflow=4)
    raise ValueError(
        f"journal URL backend {backend!r} is not supported; use a SQLite path or postgresql://"
    )


def _sqlite_engine(url: URL, *, busy_timeout_ms: int, synchronous: SqliteSync) -> Engine:
    memory = is_memory_sqlite(url)
    if not memory and url.database:
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)
    kwargs: dict[str, Any] = {
        "connect_args": {"timeout": busy_timeout_ms / 1000, "check_same_thread": False}
    }
    if memory:
        kwargs["poolclass"] = StaticPool
    engine = create_engine(url, **kwargs)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" hook below own transactions (pysqlite's own handling
        # does not put DDL inside them and opens deferred transactions).
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            if not memory:
                cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute(f"PRAGMA synchronous={synchronous}")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute(f"PRAGMA busy_timeout={int(busy_timeout_ms)}")
        finally:
            cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        if conn.get_execution_options().get(READ_ONLY_OPTION):
            conn.exec_driver_sql("BEGIN DEFERRED")
        else:
            conn.exec_driver_sql("BEGIN IMMEDIATE")

    return engine
