"""Issue 18: a hedger cycle with no new block on a position's chain plans on the snapshot it
read last, instead of reading the chain again; a new block, a block grown too old or a watcher
that cannot vouch for the head is read as before.

The reader and the head watcher are stand-ins (tests/chain/test_heads.py checks the real
watcher vouches only while its socket streams; tests/daemon/test_block_wake.py runs the whole
daemon); the reads, metrics and journal are the real ones.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

from bot.core.model import PositionSnapshot
from bot.daemon.hedger.read import CycleTimes, HedgerReads, LoanSource
from bot.daemon.snapshot_reuse import SnapshotReuse
from bot.journal import Journal
from bot.metrics import HedgebotMetrics
from tests.protect.factories import WALLET, position

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
MAX_BLOCK_AGE_SECS = 60
CHAIN_ID = 31337


@dataclass
class Reader:
    snapshot_now: PositionSnapshot
    reads: int = 0

    @property
    def info(self) -> Any:
        return type("Info", (), {"chain_id": CHAIN_ID})()

    def snapshot(self, wallet: str, *, now: int) -> PositionSnapshot:
        self.reads += 1
        return self.snapshot_now


class Heads:
    def __init__(self, head: int | None) -> None:
        self.head = head

    def head_confirmed_at(self, block: int) -> float | None:
        return 0.0 if block == self.head else None


def at_block(block: int) -> PositionSnapshot:
    return replace(position(block=block), block_timestamp=int(NOW.timestamp()))


def test_a_cycle_reads_a_chain_only_when_a_block_came(tmp_path: Path) -> None:
    reader, heads = Reader(at_block(100)), Heads(None)
    loan = LoanSource(
        name="main",
        wallet=WALLET,
        reader=cast(Any, reader),
        reuse=SnapshotReuse(chain_id=CHAIN_ID, max_block_age_secs=MAX_BLOCK_AGE_SECS),
    )
    reads = HedgerReads(
        loans=[loan],
        exchange=cast(Any, None),
        journal=Journal.open(tmp_path / "j.db"),
        metrics=HedgebotMetrics(),
        symbols=["BTCUSDT"],
    )
    reads.follow(CHAIN_ID + 1, heads)  # another chain's watcher: not this position's
    reads.snapshots(NOW, CycleTimes())
    heads.head = 100
    reads.snapshots(NOW, CycleTimes())
    assert reader.reads == 2

    reads.follow(CHAIN_ID, heads)
    for _ in range(3):
        assert reads.snapshots(NOW, CycleTimes())["main"].block_number == 100
    assert reader.reads == 2

    reader.snapshot_now, heads.head = at_block(101), 101
    assert reads.snapshots(NOW, CycleTimes())["main"].block_number == 101
    assert reader.reads == 3
    assert reads.last_block_on(CHAIN_ID) == 101

    too_old = NOW + timedelta(seconds=MAX_BLOCK_AGE_SECS + 1)
    reader.snapshot_now = replace(at_block(101), stale_reason="block 101 is 61s old")
    assert reads.snapshots(too_old, CycleTimes())["main"].is_stale
    assert reads.snapshots(too_old, CycleTimes())["main"].is_stale
    assert reader.reads == 5  # a stale snapshot is never reused
