"""The daemon's journal opened to look, never to write (see ``bot.journal.read_only``); a
watcher started before the daemon sees no journal yet rather than an error."""

from __future__ import annotations

from bot.journal import Journal, JournalNotCreated
from bot.journal.read_only import sqlite_path


def open_read_only(url: str) -> Journal | None:
    """The journal at ``url`` for reading; None while no daemon has created it yet.

    Raises ``JournalUnavailable`` when it cannot be read or is at another schema version than
    this hedgebot's (the daemon migrates it; a watcher never does)."""
    try:
        return Journal.open_read_only(url)
    except JournalNotCreated:
        return None


__all__ = ["open_read_only", "sqlite_path"]
