"""The journal knows when the database under it was deleted or replaced (issue 14, finding 7)."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.journal import Journal, JournalReplaced


def test_the_same_database_passes(tmp_path: Path) -> None:
    with Journal.open(tmp_path / "j.db") as journal:
        journal.check_identity()
        journal.set_paused(True, reason="x")
        journal.check_identity()


def test_a_deleted_journal_file_is_noticed(tmp_path: Path) -> None:
    path = tmp_path / "j.db"
    with Journal.open(path) as journal:
        for suffix in ("", "-wal", "-shm"):
            Path(f"{path}{suffix}").unlink(missing_ok=True)
        with pytest.raises(JournalReplaced, match="deleted"):
            journal.check_identity()


def test_a_journal_file_replaced_by_another_is_noticed(tmp_path: Path) -> None:
    path, other = tmp_path / "j.db", tmp_path / "other.db"
    with Journal.open(path) as journal:
        Journal.open(other).close()
        other.replace(path)
        with pytest.raises(JournalReplaced, match="not the database hedgebot opened"):
            journal.check_identity()
