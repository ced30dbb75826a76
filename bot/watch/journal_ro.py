"""The daemon's journal opened to look, never to write: no schema migration, and every
connection refuses writes (SQLite ``query_only``, PostgreSQL read-only transactions), so a
watcher cannot change what the daemon recorded nor hold its write lock."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import event
from sqlalchemy.exc import OperationalError

from bot.journal import Journal, JournalUnavailable
from bot.journal.engine import READ_ONLY_OPTION, create_journal_engine, journal_url
from bot.journal.journal import system_clock
from bot.journal.migrations import LATEST_VERSION, current_version


def sqlite_path(url: str) -> Path | None:
    """The file of a SQLite journal URL or path (None for PostgreSQL or memory)."""
    parsed = journal_url(url)
    if parsed.get_backend_name() != "sqlite" or not parsed.database:
        return None
    return Path(parsed.database)


def open_read_only(url: str) -> Journal | None:
    """The journal at ``url`` for reading; None while no daemon has created it yet.

    Raises ``JournalUnavailable`` when it cannot be read or is at another schema version than
    this hedgebot's (the daemon migrates it; a watcher never does)."""
    path = sqlite_path(url)
    if path is not None and not path.exists():
        return None
    engine = create_journal_engine(journal_url(url))
    event.listen(engine, "connect", _refuse_writes)
    reading = engine.execution_options(**{READ_ONLY_OPTION: True})
    where = engine.url.render_as_string(hide_password=True)
    try:
        with reading.connect() as conn:
            version = current_version(conn)
    except OperationalError as exc:
        engine.dispose()
        raise JournalUnavailable(
            f"cannot read the journal at {where}: {str(exc.orig).strip()}"
        ) from None
    if version != LATEST_VERSION:
        engine.dispose()
        raise JournalUnavailable(
            f"the journal at {where} is at schema version {version}, this hedgebot reads "
            f"{LATEST_VERSION}: run the daemon of this version once (it migrates), or watch "
            "with the daemon's own version"
        )
    return Journal(reading, deployment="default", clock=system_clock)


def _refuse_writes(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        if type(dbapi_connection).__module__.startswith("sqlite3"):
            cursor.execute("PRAGMA query_only=ON")
        else:
            cursor.execute("SET SESSION CHARACTERISTICS AS TRANSACTION READ ONLY")
            dbapi_connection.commit()  # a SET in a rolled-back transaction would not last
    finally:
        cursor.close()


__all__ = ["open_read_only", "sqlite_path"]
