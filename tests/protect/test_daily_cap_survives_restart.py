"""The daily repay cap counts what the journal says was repaid today, so a restarted daemon
cannot spend the day's budget twice."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from bot.daemon.board import MarketBoard
from bot.daemon.guard.read import GuardReads
from bot.journal import Journal, TxIntent

NOW = datetime(2026, 11, 23, 15, 0, tzinfo=UTC)


def _repay(journal: Journal, key: str, amount: str, *, at: datetime, nonce: int) -> None:
    journal.record_tx_intent(
        TxIntent(
            tx_key=key,
            chain_id=31337,
            from_address="0x" + "1" * 40,
            nonce=nonce,
            to_address="0x" + "2" * 40,
            kind="repay",
            data_hash="0x00",
            amount=Decimal(amount),
            asset="0x" + "3" * 40,
        ),
        now=at,
    )
    tx_hash = "0x" + f"{nonce:064x}"
    journal.record_tx_sent(key, tx_hash=tx_hash)
    journal.record_tx_receipt(
        key, tx_hash=tx_hash, success=True, block_number=nonce, gas_used=100_000
    )


def test_spent_today_comes_from_the_journal(tmp_path: Path) -> None:
    journal = Journal.open(tmp_path / "journal.db")
    _repay(journal, "yesterday", "7000", at=NOW - timedelta(days=1), nonce=1)
    _repay(journal, "this-morning", "9204.67", at=NOW - timedelta(hours=6), nonce=2)
    journal.close()
    restarted = GuardReads(
        position="main",
        wallet="0x" + "1" * 40,
        reader=cast(Any, None),
        journal=Journal.open(tmp_path / "journal.db"),
        board=MarketBoard(),
        reserve=None,
        marks_max_age_secs=5,
    )
    assert restarted.spent_today_usd(NOW) == Decimal("9204.67")
