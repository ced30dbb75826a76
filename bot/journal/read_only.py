"""The journal's database opened to look, never to write: for status, the dashboard,
``hedgebot watch`` and the demo.

No schema migration and no file is ever created; every connection refuses writes in the
database itself (SQLite ``PRAGMA query_only``, PostgreSQL ``default_transaction_read_only``),
and every transaction is a deferred one, so a reader never holds or waits for the daemon's
write lock. A journal at another schema version than this code's is refused with a message
saying so: only the daemon migrates.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import URL, Engine, event
from sqlalchemy.exc import OperationalError

from bot.journal.engine import READ_ONLY_OPTION, create_journal_engine, journal_url
from bot.journal.errors import JournalNotCreated, JournalUnavailable
from bot.journal.migrations import LATEST_VERSION, current_version


def sqlite_path(location: str | Path) -> Path | None:
    """The file of a SQLite journal URL or path (None for PostgreSQL or memory)."""
    url = journal_url(location)
    if url.get_backend_name() != "sqlite" or not url.database or url.database == ":memory:":
        return None
    return Path(url.database)


def read_only_engine(location: str | Path) -> Engine:
    """An engine on the existing journal at ``location`` whose connections cannot write."""
    url = journal_url(location)
    where = url.render_as_string(hide_password=True)
    path = sqlite_path(location)
    if path is not None and not path.exists():
        raise JournalNotCreated(f"no journal at {where} yet (the daemon creates it)")
    if path is None and url.get_backend_name() == "sqlite":
        raise JournalUnavailable("an in-memory journal cannot be opened read-only")
    engine = create_journal_engine(url)
    event.listen(engine, "connect", _refuse_writes)
    reading = engine.execution_options(**{READ_ONLY_OPTION: True})
    try:
        _check_version(reading, url)
    except BaseException:
        engine.dispose()
        raise
    return reading


def _check_version(engine: Engine, url: URL) -> None:
    where = url.render_as_string(hide_password=True)
    try:
        with engine.connect() as conn:
            version = current_version(conn)
    except OperationalError as exc:
        raise JournalUnavailable(
            f"cannot read the journal at {where}: {str(exc.orig).strip()}"
        ) from None
    if version != LATEST_VERSION:
        raise JournalUnavailable(
            f"the journal at {where} is at schema version {version}, this hedgebot reads "
            f"{LATEST_VERSION}: run the daemon of this version once (it migrates), or read it "
            "with the daemon's own version"
        )


def _refuse_writes(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("SET default_transaction_read_only = on")
            dbapi_connection.commit()  # a SET in a rolled-back transaction would not last
    finally:
        cursor.close()


__all__ = ["read_only_engine", "sqlite_path"]
