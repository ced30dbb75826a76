"""A watcher reads the daemon's journal and never changes it: no file is created, no schema is
migrated, a write is refused; and the journal's alerts, funding and operator actions reach the
view once each."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from bot.config import load_config
from bot.daemon.status import loops_state
from bot.journal import Journal, JournalUnavailable
from bot.watch.journal_ro import open_read_only
from bot.watch.journal_tail import JournalTail

REPO = Path(__file__).resolve().parents[2]
AT = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def _daemon_journal(path: Path) -> None:
    with Journal.open(f"sqlite:///{path}") as journal:
        journal.set_paused(True, reason="maintenance", actor="cli")
        journal.record_alert(
            kind="hf_warning",
            severity="warning",
            title="HF 1.25 under 1.3",
            text="...",
            dedupe_key="hf",
            sinks=("webhook-0",),
            outcome="failed",
        )
        journal.record_funding(
            symbol="BTCUSDT",
            asset="USDT",
            amount=Decimal("-1.2345"),
            income_at=AT,
            transaction_id="t1",
        )


def test_a_missing_journal_is_not_created(tmp_path: Path) -> None:
    path = tmp_path / "var" / "journal.db"
    assert open_read_only(f"sqlite:///{path}") is None
    assert not path.exists()
    assert not path.parent.exists()


def test_the_switches_are_read_and_a_write_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    _daemon_journal(path)
    before = path.stat().st_mtime_ns
    journal = open_read_only(f"sqlite:///{path}")
    assert journal is not None
    config = load_config(REPO / "config" / "demo.yaml")  # only its protect section is read
    try:
        state = loops_state(config, "main", journal)
        assert (state.hedger, state.hedger_reason) == ("paused", "maintenance")
        with pytest.raises(OperationalError, match="readonly"):
            journal.set_paused(False, reason="a watcher must not", actor="watch")
    finally:
        journal.close()
    with Journal.open(f"sqlite:///{path}") as daemon:
        assert daemon.pause_state().paused
    assert path.stat().st_mtime_ns == before


def test_a_journal_at_another_schema_version_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    Journal.open(f"sqlite:///{path}", migrate_to=3).close()
    with pytest.raises(JournalUnavailable, match="schema version 3"):
        open_read_only(f"sqlite:///{path}")


def test_alerts_funding_and_operator_actions_are_news_once(tmp_path: Path) -> None:
    path = tmp_path / "journal.db"
    _daemon_journal(path)
    tail = JournalTail(path)
    try:
        first = tail.new_notes()
        again = tail.new_notes()
    finally:
        tail.close()
    texts = {n.kind: n.text for n in first}
    assert texts["alert"] == "warning HF 1.25 under 1.3 (failed)"
    assert texts["funding"] == "BTCUSDT funding -1.2345 USDT"
    assert texts["operator"] == "pause by cli: maintenance"
    assert again == []
