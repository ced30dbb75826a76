"""Issue 18: a guard tick that comes with no new block reads nothing from the chain, and still
sees everything that can change between blocks.

The chain's head watcher is a stand-in here (``Heads``: the test says which block it vouches
for; tests/chain/test_heads.py checks the real one does so only while its socket streams); the
reader is the counting stand-in of tests/protect/test_guard_loop.py; the journal, the worker
thread, the board, the publisher and the decision are the real ones.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from bot.alerts import AlertKind
from bot.core.guard import GuardSettings, GuardVerdict
from bot.core.model import PositionSnapshot
from bot.core.repay import ProtectAction
from bot.core.repay_params import ProtectParams
from bot.daemon.board import MarketBoard, MarketNote
from bot.daemon.guard.act import RepayDesk
from bot.daemon.guard.loop import GuardLoop, GuardTiming
from bot.daemon.guard.publish import GuardPublisher
from bot.daemon.guard.read import GuardReads
from bot.daemon.snapshot_reuse import SnapshotReuse
from bot.journal import Journal
from bot.metrics import HealthTracker, HedgebotMetrics
from bot.protect.executor import ExecutionReport
from bot.wallet.worker import TxWorker
from tests.protect.factories import WALLET, position
from tests.protect.test_guard_decision import MAPPING
from tests.protect.test_guard_loop import Capture, Reserve, Wallet

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
MAX_BLOCK_AGE_SECS = 60
CRASH = Decimal(45_000)  # WBTC price that puts the factory position at HF 1.05


def marks(btc: Decimal) -> dict[str, Decimal]:
    return {"BTC": btc, "ETH": Decimal(3000), "USD": Decimal(1)}


def at_block(block: int, *, btc_price: Decimal = Decimal(60_000)) -> PositionSnapshot:
    """The factory position, its block mined at NOW."""
    snapshot = position(block=block, btc_price=btc_price)
    return replace(snapshot, block_timestamp=int(NOW.timestamp()))


@dataclass
class Chain:
    """The reader: returns the test's snapshot and counts the reads."""

    snapshot: PositionSnapshot
    reads: int = 0
    down: bool = False

    def snapshot_at(self, wallet: str, *, now: int) -> PositionSnapshot:
        if self.down:
            raise ConnectionError("node down")
        self.reads += 1
        return self.snapshot


class Heads:
    """The head watcher: vouches that ``head`` is the chain's head (None: it cannot, as when
    it polls or its socket went quiet)."""

    def __init__(self, head: int | None) -> None:
        self.head = head

    def head_confirmed_at(self, block: int) -> float | None:
        return time.monotonic() if block == self.head else None


class SlowWallet(Wallet):
    """A repay that stays in flight until the test lets it be mined."""

    def __init__(self) -> None:
        super().__init__()
        self.mined = threading.Event()

    def execute(self, action: ProtectAction, *, dry_run: bool = False) -> ExecutionReport:
        self.mined.wait(10)
        return super().execute(action, dry_run=dry_run)


@dataclass
class Scene:
    guard: GuardLoop
    chain: Chain
    heads: Heads
    wallet: Wallet
    alerts: Capture
    journal: Journal
    board: MarketBoard

    def tick(self, now: datetime = NOW) -> GuardVerdict:
        result = self.guard.tick(now)
        assert result.ok, result.note
        last = self.guard._publisher._last
        assert last is not None
        return last[0]

    def kinds(self) -> list[AlertKind]:
        return [a.kind for a in self.alerts.alerts]


def scene(
    tmp_path: Path,
    *,
    wallet: Wallet | None = None,
    params: ProtectParams | None = None,
    timing: GuardTiming | None = None,
) -> Scene:
    chain, heads, alerts, board = Chain(at_block(100)), Heads(None), Capture(), MarketBoard()
    wallet = wallet or Wallet()
    journal = Journal.open(tmp_path / "j.db")
    reader: Any = type("Reader", (), {"snapshot": chain.snapshot_at})()
    health = HealthTracker()
    health.register("main:guard", interval_s=1)
    reads = GuardReads(
        position="main", wallet=WALLET, reader=reader, journal=journal, board=board,
        reserve=cast(Any, Reserve()), marks_max_age_secs=3600,
        reuse=SnapshotReuse(chain_id=31337, max_block_age_secs=MAX_BLOCK_AGE_SECS),
    )  # fmt: skip
    publisher = GuardPublisher(
        position="main", alerts=alerts, metrics=HedgebotMetrics(), health=health,
        health_key="main:guard",
    )  # fmt: skip
    desk = RepayDesk(cast(Any, wallet), TxWorker("main"), dry_run=False)
    settings = GuardSettings(
        name="main", wallet=WALLET, params=params or ProtectParams(), mapping=MAPPING
    )
    guard = GuardLoop(
        settings, reads=reads, desk=desk, publisher=publisher,
        timing=timing or GuardTiming(interval_secs=0.45, stall_blocks=20, block_time_secs=0.45),
    )  # fmt: skip
    guard.follow_heads(31337, heads)
    found = Scene(guard, chain, heads, wallet, alerts, journal, board)
    _quiet_start(found)
    return found


def _quiet_start(s: Scene) -> None:
    """The start-up recovery settled, block 100 read, the watcher vouching for it."""
    for _ in range(500):
        s.tick()
        desk = s.guard._desk
        if desk is not None and desk.state().running is None and not desk.recovery_due:
            break
        time.sleep(0.01)
    s.heads.head = 100
    assert s.tick() is GuardVerdict.HEALTHY


def test_ticks_without_a_new_block_read_nothing_and_a_price_block_is_repaid_at_once(
    tmp_path: Path,
) -> None:
    s = scene(tmp_path)
    reads = s.chain.reads
    for _ in range(20):
        assert s.tick() is GuardVerdict.HEALTHY
    assert s.chain.reads == reads  # the watcher vouched for block 100 all along

    s.chain.snapshot = at_block(101, btc_price=CRASH)  # HF 1.05
    s.heads.head = 101
    assert s.tick() is GuardVerdict.REPAY  # that very tick read block 101 and repaid
    assert s.chain.reads == reads + 1
    assert [a.block_number for a in s.wallet.sent] == [101]
    assert AlertKind.HF_LOW in s.kinds()


def test_a_watcher_that_cannot_vouch_for_the_block_leaves_every_tick_to_read(
    tmp_path: Path,
) -> None:
    s = scene(tmp_path)
    s.heads.head = None  # polling, or a socket silent past its stall limit
    reads = s.chain.reads
    for _ in range(5):
        s.tick()
    assert s.chain.reads == reads + 5

    s.heads.head = 99  # a socket behind the RPC vouches for an older block: not this one
    s.tick()
    assert s.chain.reads == reads + 6


def test_another_chains_watcher_vouches_for_nothing_here(tmp_path: Path) -> None:
    """Every chain's watcher is offered to every loop: one whose block numbers happen to match
    the position's (two young chains) must not keep the guard from reading its own."""
    s = scene(tmp_path)
    other = Heads(100)
    s.guard.follow_heads(56, other)  # offered after the position's own, as a second chain's
    reads = s.chain.reads
    s.heads.head = None  # the position's own chain: its watcher polls
    s.tick()
    assert s.chain.reads == reads + 1


def test_a_chain_that_stops_is_read_again_and_alerted_once_its_block_is_too_old(
    tmp_path: Path,
) -> None:
    s = scene(tmp_path)
    reads = s.chain.reads
    later = NOW + timedelta(seconds=MAX_BLOCK_AGE_SECS - 1)
    assert s.tick(later) is GuardVerdict.HEALTHY
    assert s.chain.reads == reads

    # No block for longer than max_block_age_secs: the tick reads, and the read says stale.
    s.chain.snapshot = replace(s.chain.snapshot, stale_reason="block 100 is 61s old")
    stopped = NOW + timedelta(seconds=MAX_BLOCK_AGE_SECS + 1)
    assert s.tick(stopped) is GuardVerdict.STALE
    assert s.chain.reads == reads + 1
    assert AlertKind.STALE_DATA in s.kinds()
    s.tick(stopped)
    assert s.chain.reads == reads + 2  # a stale snapshot is never reused


def test_a_node_that_fails_while_the_chain_is_quiet_raises_the_stall_alert(
    tmp_path: Path,
) -> None:
    timing = GuardTiming(interval_secs=0.05, stall_blocks=2, block_time_secs=0.05)
    s = scene(tmp_path, timing=timing)
    time.sleep(timing.stall_secs)
    assert s.tick() is GuardVerdict.HEALTHY  # the watcher vouched a moment ago: not silent

    s.heads.head = None  # its poll fails too: it vouches for nothing any more
    s.chain.down = True
    assert not s.guard.tick(NOW).ok
    assert AlertKind.GUARD_STALLED not in s.kinds()
    time.sleep(timing.stall_secs)
    assert not s.guard.tick(NOW).ok
    assert AlertKind.GUARD_STALLED in s.kinds()


def test_a_repay_in_flight_is_followed_on_every_tick_until_it_is_mined(tmp_path: Path) -> None:
    wallet = SlowWallet()
    s = scene(tmp_path, wallet=wallet)
    s.chain.snapshot = at_block(101, btc_price=CRASH)
    s.heads.head = 101
    assert s.tick() is GuardVerdict.REPAY
    reads = s.chain.reads
    for _ in range(3):
        assert s.tick() is GuardVerdict.TX_IN_FLIGHT
    assert s.chain.reads == reads + 3  # no block came, and each tick still looked

    wallet.mined.set()
    for _ in range(500):
        if AlertKind.REPAY_EXECUTED in s.kinds():
            break
        s.tick()
        time.sleep(0.01)
    assert AlertKind.REPAY_EXECUTED in s.kinds()
    # Mined in block 102, which this watcher has not vouched for: the guard reads, waiting.
    assert s.tick() is GuardVerdict.BEHIND
    assert len(wallet.sent) == 1


def test_an_operator_stop_is_acknowledged_within_the_recheck_and_never_lets_a_repay_through(
    tmp_path: Path,
) -> None:
    timing = GuardTiming(
        interval_secs=0.45, stall_blocks=20, block_time_secs=0.45, switch_recheck_secs=3600
    )
    s = scene(tmp_path, timing=timing)
    s.journal.set_guard_stopped("main", True, reason="maintenance")
    assert s.tick() is GuardVerdict.HEALTHY  # a quiet tick: the switch read a moment ago

    s.chain.snapshot = at_block(101, btc_price=CRASH)
    s.heads.head = 101
    assert s.tick() is GuardVerdict.STOPPED  # acting would need fresh reads: the switch too
    assert s.wallet.sent == []
    assert AlertKind.GUARD_STOPPED in s.kinds()


def test_a_stop_on_a_quiet_chain_is_acknowledged_after_the_recheck(tmp_path: Path) -> None:
    timing = GuardTiming(
        interval_secs=0.45, stall_blocks=20, block_time_secs=0.45, switch_recheck_secs=0.05
    )
    s = scene(tmp_path, timing=timing)
    reads = s.chain.reads
    s.journal.set_guard_stopped("main", True, reason="maintenance")
    time.sleep(timing.switch_recheck_secs)
    assert s.tick() is GuardVerdict.STOPPED
    assert AlertKind.GUARD_STOPPED in s.kinds()
    assert s.chain.reads == reads + 1  # decided on a fresh read, as every stop is


def test_exchange_marks_under_the_trigger_repay_without_a_new_block(tmp_path: Path) -> None:
    s = scene(tmp_path, params=ProtectParams(use_shadow_hf=True))
    reads = s.chain.reads
    s.board.post(MarketNote(at=NOW, marks=marks(Decimal(60_000))))
    assert s.tick() is GuardVerdict.HEALTHY
    assert s.chain.reads == reads

    # The exchange crashes before the oracle: the shadow HF is under the trigger.
    s.board.post(MarketNote(at=NOW, marks=marks(CRASH)))
    assert s.tick() is GuardVerdict.REPAY
    assert s.chain.reads == reads + 1
    assert [a.block_number for a in s.wallet.sent] == [100]
