"""What the guard tells the operator: alerts, metrics, ``/healthz`` and a few log lines.

A tick is logged only when its verdict changes, so a guard reading every block does not fill
the log; every transaction it hands over or settles is logged and alerted.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import structlog

from bot.alerts import Alert
from bot.alerts import events as alert_events
from bot.core.guard import GuardDecision, GuardVerdict
from bot.core.repay import ProtectAction, ReserveBalance
from bot.metrics import HealthTracker, HedgebotMetrics
from bot.protect.executor import ExecutionReport
from bot.wallet.worker import JobResult

log = structlog.get_logger(__name__)


class AlertSubmitter(Protocol):
    def submit(self, alert: Alert) -> bool: ...


class GuardPublisher:
    def __init__(
        self,
        *,
        position: str,
        alerts: AlertSubmitter,
        metrics: HedgebotMetrics,
        health: HealthTracker,
        health_key: str,
        reserve_target_usd: Decimal | None = None,
        capital_loop: bool = False,
    ) -> None:
        self._capital_loop = capital_loop  # it refills the reserve and alerts what it cannot
        self._position = position
        self._alerts = alerts
        self._metrics = metrics
        self._health = health
        self._health_key = health_key
        self._reserve_target_usd = reserve_target_usd
        self._reserve_high = Decimal(0)
        self._last: tuple[GuardVerdict, str] | None = None
        self._stopped = False
        self._stall_alerted = False

    def decided(self, decision: GuardDecision, *, block: int, now: datetime) -> None:
        for alert in decision.alerts:
            self._alerts.submit(alert)
        verdict = decision.verdict
        self._switch_alert(decision, now)
        self._metrics.count_guard_tick(position=self._position, verdict=verdict.value)
        self._metrics.set_guard_state(position=self._position, state=_state_of(verdict))
        self._health.record_success(self._health_key, now)
        self._health.set_state(self._health_key, _state_of(verdict))
        self._stall_alerted = False
        if self._last != (verdict, _gist(decision)):
            self._last = (verdict, _gist(decision))
            log.info(
                "guard verdict",
                position=self._position,
                verdict=verdict.value,
                block=block,
                oracle_hf=_fmt(decision.oracle_hf),
                reason=decision.reason,
            )

    def _switch_alert(self, decision: GuardDecision, now: datetime) -> None:
        stopped = decision.verdict is GuardVerdict.STOPPED
        if stopped == self._stopped:
            return
        self._stopped = stopped
        log.warning("guard switch", position=self._position, stopped=stopped, why=decision.reason)
        self._alerts.submit(
            alert_events.guard_switched(
                position=self._position,
                stopped=stopped,
                actor="operator",
                reason=decision.reason,
                at=now,
            )
        )

    def handed_over(self, action: ProtectAction, *, dry_run: bool) -> None:
        log.warning(
            "repay handed to the wallet",
            position=self._position,
            kind=str(action.kind),
            amount=str(action.amount),
            asset=action.symbol,
            block=action.block_number,
            dry_run=dry_run,
            key=action.key,
        )

    def settled(self, results: Sequence[JobResult], now: datetime) -> None:
        for result in results:
            if isinstance(result.value, ExecutionReport):
                self._report(result.value, now)
            elif result.error is not None:
                self._metrics.count_guard_tx(position=self._position, kind="job", status="error")
                self._alerts.submit(
                    alert_events.repay_failed(
                        position=self._position,
                        amount=Decimal(0),
                        asset="-",
                        error=f"{result.name}: {type(result.error).__name__}: {result.error}",
                        at=now,
                    )
                )

    def failed(
        self, exc: Exception, *, now: datetime, silent_secs: float, stall_secs: float, blocks: int
    ) -> None:
        """A tick that could not read or decide; past ``stall_secs`` without a completed read
        the operator gets a critical alert (once per stall)."""
        error = f"{type(exc).__name__}: {exc}"
        log.warning("guard read failed", position=self._position, error=error)
        self._metrics.count_guard_tick(position=self._position, verdict="failed")
        self._last = None
        if silent_secs >= stall_secs and not self._stall_alerted:
            self._stall_alerted = True
            self._metrics.set_guard_state(position=self._position, state="stalled")
            self._health.set_state(self._health_key, "stalled")
            log.error("guard stalled", position=self._position, seconds=silent_secs, error=error)
            self._alerts.submit(
                alert_events.guard_stalled(
                    position=self._position, seconds=silent_secs, blocks=blocks, error=error, at=now
                )
            )

    def reserve_seen(
        self, reserves: Sequence[ReserveBalance], hedge_profit_usd: Decimal, now: datetime
    ) -> None:
        """Alert when the reserve is under the level it started at (or the configured target)
        and nothing refills it: without a ``capital:`` section hedge profit stays on the
        exchange, and the alert says so with the amounts."""
        held = sum((r.balance for r in reserves), Decimal(0))  # stablecoins: 1 USD each
        self._reserve_high = max(self._reserve_high, held)
        wanted = self._reserve_target_usd or self._reserve_high
        if self._capital_loop or wanted <= 0 or held >= wanted * Decimal("0.99"):
            return
        asset = reserves[0].symbol if reserves else "USD"
        text = (
            f"reserve {held:,.2f} USD is {wanted - held:,.2f} USD under the wanted "
            f"{wanted:,.2f} USD; the hedges hold {max(hedge_profit_usd, Decimal(0)):,.2f} USD "
            "of unrealised profit on the exchange, which hedgebot does not move without a "
            "capital: section: move it to the reserve wallet by hand, or configure capital"
        )
        alert = alert_events.reserve_refill_needed(
            position=self._position, asset=asset, balance=held, minimum=wanted, at=now
        )
        self._alerts.submit(replace(alert, text=text))

    def _report(self, report: ExecutionReport, now: datetime) -> None:
        action = report.action
        status = "simulated" if report.dry_run else "mined" if report.ok else "failed"
        self._metrics.count_guard_tx(position=self._position, kind=str(action.kind), status=status)
        log.warning("protect", dry_run=report.dry_run, ok=report.ok, message=report.message)
        if report.ok and not report.dry_run:
            tx_hash = report.outcome.tx_hash if report.outcome else None
            self._alerts.submit(
                alert_events.repay_executed(
                    position=self._position,
                    amount=action.amount,
                    asset=action.symbol,
                    tx_hash=tx_hash or "-",
                    hf_before=action.hf_before,
                    hf_after=action.expected_hf_after,
                    at=now,
                )
            )
        elif not report.ok:
            self._alerts.submit(
                alert_events.repay_failed(
                    position=self._position,
                    amount=action.amount,
                    asset=action.symbol,
                    error=report.message,
                    at=now,
                )
            )


def _state_of(verdict: GuardVerdict) -> str:
    if verdict is GuardVerdict.STOPPED:
        return "stopped"
    if verdict is GuardVerdict.WATCH_ONLY:
        return "watch_only"
    return "running"


def _gist(decision: GuardDecision) -> str:
    """What makes a verdict worth a new log line: its kind and, when acting, the action."""
    return decision.action.key if decision.action is not None else ""


def _fmt(value: Decimal) -> str:
    return "inf" if value.is_infinite() else f"{value:.4f}"


__all__ = ["GuardPublisher"]
