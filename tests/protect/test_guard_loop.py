"""The guard's loop around its pure decision: what a tick raises, hands over and holds back.

The chain reader and the executor are small stand-ins here (the end-to-end tests in
tests/daemon/test_guard.py run the real ones on anvil); the journal, the worker thread, the
publisher and the decision are the real ones.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any, cast

from bot.alerts import Alert, AlertKind
from bot.core.guard import GuardSettings, GuardVerdict
from bot.core.model import PositionSnapshot
from bot.core.repay import ProtectAction, ReserveBalance
from bot.core.repay_params import ProtectParams
from bot.daemon.board import MarketBoard
from bot.daemon.guard.act import RepayDesk
from bot.daemon.guard.loop import GuardLoop, GuardTiming
from bot.daemon.guard.publish import GuardPublisher
from bot.daemon.guard.read import GuardReads
from bot.journal import Journal
from bot.metrics import HealthTracker, HedgebotMetrics
from bot.protect.executor import ExecutionReport
from bot.wallet.txtypes import TxOutcome, TxStatus
from bot.wallet.worker import TxWorker
from tests.protect.factories import USDC_ADDR, WALLET, position

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)


@dataclass
class Chain:
    """Stands in for the Aave reader: the position it returns is the test's to set."""

    snapshot: PositionSnapshot

    def snapshot_at(self, wallet: str, *, now: int) -> PositionSnapshot:
        return self.snapshot


@dataclass
class Wallet:
    """Stands in for the executor: records each action and 'mines' it one block later."""

    sent: list[ProtectAction] = field(default_factory=list)

    def execute(self, action: ProtectAction, *, dry_run: bool = False) -> ExecutionReport:
        self.sent.append(action)
        outcome = TxOutcome(
            key=action.key, status=TxStatus.MINED, tx_hash="0x01",
            block_number=action.block_number + 1,
        )  # fmt: skip
        return ExecutionReport(action=action, dry_run=False, ok=True, outcome=outcome, message="")

    def recover(self) -> list[TxOutcome]:
        return []

    def prepare_allowances(self) -> list[TxOutcome]:
        return []


class Capture:
    def __init__(self) -> None:
        self.alerts: list[Alert] = []

    def submit(self, alert: Alert) -> bool:
        self.alerts.append(alert)
        return True


class Reserve:
    def balances(self) -> tuple[ReserveBalance, ...]:
        return (
            ReserveBalance(symbol="USDC", address=USDC_ADDR, decimals=6, balance=Decimal(90_000)),
        )


def _guard(tmp_path: Path, chain: Chain, wallet: Wallet, alerts: Capture) -> GuardLoop:
    reader: Any = type("Reader", (), {"snapshot": chain.snapshot_at})()
    health = HealthTracker()
    health.register("main:guard", interval_s=1)
    reads = GuardReads(
        position="main", wallet=WALLET, reader=reader, journal=Journal.open(tmp_path / "j.db"),
        board=MarketBoard(), reserve=cast(Any, Reserve()), marks_max_age_secs=5,
    )  # fmt: skip
    publisher = GuardPublisher(
        position="main", alerts=alerts, metrics=HedgebotMetrics(), health=health,
        health_key="main:guard",
    )  # fmt: skip
    desk = RepayDesk(cast(Any, wallet), TxWorker("main"), dry_run=False)
    settings = GuardSettings(name="main", wallet=WALLET, params=ProtectParams(), mapping={})
    timing = GuardTiming(interval_secs=0.45, stall_blocks=20, block_time_secs=0.45)
    return GuardLoop(settings, reads=reads, desk=desk, publisher=publisher, timing=timing)


def _settle(guard: GuardLoop) -> None:
    """Ticks until the worker has nothing running (its jobs are a few ms here)."""
    for _ in range(100):
        guard.tick(NOW)
        if guard._desk is not None and guard._desk.state().running is None:
            return
        time.sleep(0.01)


def test_one_repay_per_crash_and_the_hf_alert_of_the_tick_that_saw_it(tmp_path: Path) -> None:
    chain = Chain(position(block=100))
    wallet, alerts = Wallet(), Capture()
    guard = _guard(tmp_path, chain, wallet, alerts)
    _settle(guard)  # the start-up recovery
    assert guard.tick(NOW).ok

    chain.snapshot = position(btc_price=Decimal(45_000), block=101)  # HF 1.05
    result = guard.tick(NOW)
    assert result.ok, result.note
    assert [a.kind for a in alerts.alerts if a.kind is AlertKind.HF_LOW] == [AlertKind.HF_LOW]

    # The repay is on the worker; ticks reading the same block send nothing more, before and
    # after it is mined (the block predates the repay's).
    for _ in range(5):
        guard.tick(NOW)
        time.sleep(0.01)
    assert len(wallet.sent) == 1
    assert wallet.sent[0].block_number == 101
    assert any(a.kind is AlertKind.REPAY_EXECUTED for a in alerts.alerts)
    last = guard._publisher._last
    assert last is not None
    assert last[0] is GuardVerdict.BEHIND


def test_a_failed_read_is_a_failed_tick_and_never_an_exception(tmp_path: Path) -> None:
    chain = Chain(position())
    guard = _guard(tmp_path, chain, Wallet(), Capture())

    def broken(wallet: str, *, now: int) -> PositionSnapshot:
        raise ConnectionError("node down")

    guard._reads._reader = type("Down", (), {"snapshot": staticmethod(broken)})()
    result = guard.tick(NOW)
    assert not result.ok
    assert "node down" in result.note
    assert replace(result, note="").next_interval_secs == 0.45
