"""One position's cycle: read -> assess -> gate -> execute -> journal, metrics and alerts.

``PositionCycle`` holds the collaborators (injected) and the little state that carries from
one cycle to the next (ladder state, HF alert levels, the last block seen). It sequences the
stages; every decision is made by the pure functions it calls.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import structlog

from bot.alerts import Alert, HfAlertState, HfThresholds, step_hf_alert
from bot.alerts import events as alert_events
from bot.chain.protocol import LendingProtocol
from bot.core import HedgePolicy, LadderState, PlanRules, notional_usd
from bot.core.model import (
    ContractSpec,
    HedgePosition,
    OrderReport,
    OrderStatus,
    PositionSnapshot,
    TokenMapping,
)
from bot.daemon.assess import Assessment, assess
from bot.daemon.breakers import BreakerLimits, gate_intents, should_pause_after_failures
from bot.daemon.cadence import Cadence, next_interval_secs
from bot.daemon.executor import execute, reconcile_pending
from bot.daemon.fees import settle_fees
from bot.exchange.base import Exchange
from bot.exchange.errors import ExchangeError, IpBanned
from bot.journal import CycleOutcome, CycleSummary, HedgeLine, Journal
from bot.logs import bind_cycle
from bot.metrics import HealthTracker, HedgebotMetrics

log = structlog.get_logger(__name__)

HOUR_MS = 3_600_000


class AlertSubmitter(Protocol):
    def submit(self, alert: Alert) -> bool: ...


class Protector(Protocol):
    """The on-chain repay stage (``bot.protect``): acts when HF falls under its trigger."""

    def run(
        self,
        *,
        snapshot: PositionSnapshot,
        shadow: PositionSnapshot,
        hedge_profit_usd: Decimal,
        now: datetime,
    ) -> str | None:
        """Return a one-line description of what it did (None when nothing was needed)."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionSettings:
    name: str
    wallet: str
    mapping: Mapping[str, TokenMapping]
    symbol_for_underlying: Mapping[str, str]
    policy: HedgePolicy
    rules: PlanRules
    limits: BreakerLimits
    cadence: Cadence
    use_shadow_hf: bool = True
    count_margin_as_exposure: bool = True
    fee_settle_interval_secs: float = 60.0
    hf_thresholds: HfThresholds = field(
        default_factory=lambda: HfThresholds(warning_hf=Decimal("1.3"), critical_hf=Decimal("1.15"))
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleResult:
    cycle_id: str
    outcome: CycleOutcome
    next_interval_secs: float
    assessment: Assessment | None = None
    orders_sent: int = 0
    note: str = ""


class PositionCycle:
    def __init__(
        self,
        settings: PositionSettings,
        *,
        reader: LendingProtocol,
        exchange: Exchange,
        journal: Journal,
        alerts: AlertSubmitter,
        metrics: HedgebotMetrics,
        health: HealthTracker,
        protector: Protector | None = None,
    ) -> None:
        self.settings = settings
        self._reader = reader
        self._exchange = exchange
        self._journal = journal
        self._alerts = alerts
        self._metrics = metrics
        self._health = health
        self._protector = protector
        self._ladder: dict[str, LadderState] = {}
        self._hf_alerts: dict[str, HfAlertState] = {}
        self._last_block = -1
        self._fees_settled_at: datetime | None = None

    def run(self, now: datetime) -> CycleResult:
        """Run one cycle at ``now``; never raises for a cycle-level failure."""
        s = self.settings
        cycle_id = f"{s.name}-{int(now.timestamp() * 1000):x}"
        started = time.perf_counter()
        with bind_cycle(position=s.name, cycle_id=cycle_id):
            self._journal.start_cycle(position=s.name, cycle_id=cycle_id, now=now)
            try:
                result = self._run(cycle_id, now)
            except Exception as exc:  # one failed cycle must not kill the daemon
                log.exception("cycle failed")
                result = CycleResult(
                    cycle_id=cycle_id,
                    outcome=CycleOutcome.FAILED,
                    next_interval_secs=s.cadence.fast_interval_secs,
                    note=f"{type(exc).__name__}: {exc}",
                )
                self._journal.finish_cycle(
                    cycle_id=cycle_id, outcome=CycleOutcome.FAILED, error=result.note, now=now
                )
                self._after_failure(now)
            self._metrics.observe_cycle(
                position=s.name,
                duration_s=time.perf_counter() - started,
                outcome=result.outcome.value,
                finished_at=now,
            )
            if result.outcome is CycleOutcome.OK:
                self._health.record_success(s.name, now)
            return result

    def _skip(
        self, cycle_id: str, now: datetime, reason: str, summary: CycleSummary | None = None
    ) -> CycleResult:
        self._journal.finish_cycle(
            cycle_id=cycle_id, outcome=CycleOutcome.SKIPPED, summary=summary, error=reason, now=now
        )
        log.warning("cycle skipped", reason=reason)
        return CycleResult(
            cycle_id=cycle_id,
            outcome=CycleOutcome.SKIPPED,
            next_interval_secs=self.settings.cadence.interval_secs,
            note=reason,
        )

    def _run(self, cycle_id: str, now: datetime) -> CycleResult:
        s = self.settings
        paused = self._journal.is_paused()
        self._metrics.set_paused(paused)
        if paused:
            return self._skip(cycle_id, now, f"paused: {self._journal.pause_state().reason}")
        reconcile_pending(exchange=self._exchange, journal=self._journal, position=s.name, now=now)
        clock = _Stopwatch()
        snapshot = self._reader.snapshot(s.wallet, now=int(now.timestamp()))
        rpc_s = clock.lap()
        self._metrics.observe_rpc(method="snapshot", seconds=rpc_s)
        if snapshot.block_number < self._last_block:
            snapshot = _stale(
                snapshot,
                f"block number went backwards: {snapshot.block_number} after {self._last_block}",
            )
        if snapshot.is_stale:
            reason = snapshot.stale_reason or "stale"
            self._alerts.submit(
                alert_events.stale_data(
                    position=s.name, reason=reason, block_number=snapshot.block_number, at=now
                )
            )
            return self._skip(
                cycle_id,
                now,
                f"stale chain data: {reason}",
                CycleSummary(block_number=snapshot.block_number),
            )
        self._last_block = snapshot.block_number
        specs = self._exchange.contract_specs()
        symbols = sorted(set(s.symbol_for_underlying.values()))
        marks = {symbol: self._exchange.mark_price(symbol) for symbol in symbols}
        self._metrics.observe_exchange(endpoint="mark_price", seconds=clock.lap())
        hedges = self._exchange.positions()
        self._metrics.observe_exchange(endpoint="positions", seconds=clock.lap())
        balances = self._exchange.balances()
        self._metrics.observe_exchange(endpoint="balances", seconds=clock.lap())
        read_s = clock.since_start() - rpc_s
        a = assess(
            snapshot=snapshot,
            mapping=s.mapping,
            hedges=hedges,
            balances=balances,
            specs=specs,
            marks=marks,
            symbol_for_underlying=s.symbol_for_underlying,
            policy=s.policy,
            rules=s.rules,
            position_name=s.name,
            cycle_id=cycle_id,
            use_shadow_hf=s.use_shadow_hf,
            count_margin_as_exposure=s.count_margin_as_exposure,
            ladder_states=self._ladder,
        )
        self._ladder = dict(a.ladder_states)
        self._observe(a, now)
        reasons = [u.target.reason for u in a.underlyings] + [n.message for n in a.plan.notes]
        plan_s = clock.lap()
        protect_note = None
        if self._protector is not None:
            protect_note = self._protector.run(
                snapshot=snapshot,
                shadow=a.shadow_snapshot,
                hedge_profit_usd=_unrealized_usd(hedges, specs, marks),
                now=now,
            )
            if protect_note:
                reasons.append(protect_note)
        protect_s = clock.lap()
        since = int(now.timestamp() * 1000) - HOUR_MS
        gated = gate_intents(
            a.plan.intents,
            notional_usd={
                i.client_order_id: notional_usd(specs[i.symbol], i.quantity, marks[i.symbol])
                for i in a.plan.intents
            },
            specs=specs,
            orders_last_hour=self._journal.order_count_since(since, position=s.name),
            limits=s.limits,
            open_notional_usd=sum(
                (
                    abs(
                        notional_usd(specs[h.symbol], h.quantity, marks.get(h.symbol, h.mark_price))
                    )
                    for h in hedges
                    if h.symbol in specs
                ),
                Decimal(0),
            ),
            max_total_notional_usd=s.rules.max_total_notional_usd,
        )
        reasons.extend(n.message for n in gated.notes)
        plan_s += clock.lap()
        for note in gated.notes:
            if note.kind == "breaker" and "cut to" in note.message:
                continue  # a large change built over several cycles is the breaker working
            self._alerts.submit(
                alert_events.circuit_breaker_tripped(position=s.name, reason=note.message, at=now)
            )
        sent = 0
        try:
            execution = execute(
                gated.allowed,
                exchange=self._exchange,
                journal=self._journal,
                position=s.name,
                cycle_id=cycle_id,
                now=now,
            )
        except IpBanned as exc:
            self._alerts.submit(alert_events.exchange_banned(detail=str(exc), at=now))
            raise
        orders_s = clock.lap()
        if gated.allowed:
            self._metrics.observe_exchange(endpoint="place_orders", seconds=orders_s)
        self._observe_used_weight(specs)
        for report in execution.reports:
            self._metrics.count_order(position=s.name, status=report.status)
            if report.status is OrderStatus.REJECTED:
                self._alerts.submit(
                    alert_events.order_rejected(position=s.name, report=report, at=now)
                )
            else:
                sent += 1
        if execution.halted_reason:
            reasons.append(execution.halted_reason)
        if not gated.allowed:
            self._settle_fees(now)
        self._alert_hedge_changes(a, execution.reports, now)
        summary = CycleSummary(
            block_number=snapshot.block_number,
            oracle_hf=_finite(a.oracle_hf),
            shadow_hf=_finite(a.shadow_hf),
            hedges=tuple(
                HedgeLine(
                    underlying=u.underlying,
                    target_short_usd=u.target.short_usd,
                    current_short_usd=u.current_short_usd,
                    reason=u.target.reason,
                )
                for u in a.underlyings
            ),
            reasons=tuple(reasons),
        )
        self._journal.finish_cycle(
            cycle_id=cycle_id, outcome=CycleOutcome.OK, summary=summary, now=now
        )
        interval = next_interval_secs(
            s.cadence,
            health_factors=[a.oracle_hf, a.shadow_hf],
            liquidation_distances=[u.liquidation_distance for u in a.underlyings],
        )
        log.info(
            "cycle done",
            block=snapshot.block_number,
            oracle_hf=_fmt(a.oracle_hf),
            shadow_hf=_fmt(a.shadow_hf),
            orders=sent,
            next_in_secs=interval,
            # Where the cycle's time went, for latency work (the reaction benchmark).
            rpc_ms=_ms(rpc_s),
            exchange_read_ms=_ms(read_s),
            plan_ms=_ms(plan_s),
            protect_ms=_ms(protect_s),
            orders_ms=_ms(orders_s),
        )
        return CycleResult(
            cycle_id=cycle_id,
            outcome=CycleOutcome.OK,
            assessment=a,
            next_interval_secs=interval,
            orders_sent=sent,
            note=protect_note or "",
        )

    def _observe(self, a: Assessment, now: datetime) -> None:
        s = self.settings
        self._metrics.set_health_factors(
            position=s.name, oracle_hf=_finite(a.oracle_hf), shadow_hf=_finite(a.shadow_hf)
        )
        for u in a.underlyings:
            self._metrics.set_hedge(
                position=s.name,
                underlying=u.underlying,
                target_short_usd=u.target.short_usd,
                current_short_usd=u.current_short_usd,
            )
            if u.liquidation_distance is not None:
                self._metrics.set_liquidation_distance(
                    position=s.name, underlying=u.underlying, distance=u.liquidation_distance
                )
        for source, hf in (("oracle", a.oracle_hf), ("shadow", a.shadow_hf)):
            if hf.is_infinite():
                continue
            decision = step_hf_alert(
                self._hf_alerts.get(source, HfAlertState()),
                hf=hf,
                thresholds=s.hf_thresholds,
                position=s.name,
                source=source,
                at=now,
            )
            self._hf_alerts[source] = decision.state
            if decision.alert is not None:
                self._alerts.submit(decision.alert)
        for note in a.plan.notes:
            if note.kind == "liq_distance":
                self._alerts.submit(
                    alert_events.liquidation_distance_low(
                        position=s.name,
                        symbol=note.symbol,
                        distance=note.amount_usd,
                        floor=s.rules.min_short_liq_distance,
                        at=now,
                    )
                )

    def _observe_used_weight(self, specs: Mapping[str, ContractSpec]) -> None:
        """Export the venue's ``X-MBX-USED-WEIGHT-1M`` when the exchange reports it (the paper
        exchange does not)."""
        used = getattr(self._exchange, "used_weight_1m", None)
        if isinstance(used, int):
            venues = sorted({spec.venue.value for spec in specs.values()})
            self._metrics.set_used_weight(venue="+".join(venues), weight=used)

    def _alert_hedge_changes(
        self, a: Assessment, reports: Sequence[OrderReport], now: datetime
    ) -> None:
        traded = {r.symbol for r in reports if r.executed_quantity > 0}
        for u in a.underlyings:
            if u.symbol in traded:
                self._alerts.submit(
                    alert_events.hedge_changed(
                        position=self.settings.name,
                        underlying=u.underlying,
                        from_short_usd=u.current_short_usd,
                        to_short_usd=u.target.short_usd,
                        reason=u.target.reason,
                        at=now,
                    )
                )

    def _after_failure(self, now: datetime) -> None:
        s = self.settings
        failures = self._journal.consecutive_failed_cycles(s.name)
        if should_pause_after_failures(failures, s.limits):
            reason = f"{failures} consecutive failed cycles"
            self._journal.set_paused(True, reason=reason, actor="circuit-breaker", now=now)
            self._alerts.submit(
                alert_events.circuit_breaker_tripped(position=s.name, reason=reason, at=now)
            )

    def _settle_fees(self, now: datetime) -> None:
        """Off the order path: a cycle that sent nothing reads the fees of earlier fills."""
        last, every = self._fees_settled_at, self.settings.fee_settle_interval_secs
        if last is not None and (now - last).total_seconds() < every:
            return
        self._fees_settled_at = now
        try:
            settle_fees(
                exchange=self._exchange, journal=self._journal, position=self.settings.name, now=now
            )
        except ExchangeError as exc:  # the fills stand; only their fees wait for the next round
            log.warning("fee settlement failed", error=str(exc))


def _unrealized_usd(
    hedges: Sequence[HedgePosition], specs: Mapping[str, ContractSpec], marks: Mapping[str, Decimal]
) -> Decimal:
    """The hedges' unrealised PnL in USD (COIN-M PnL is in coin: valued at the mark)."""
    total = Decimal(0)
    for h in hedges:
        spec = specs.get(h.symbol)
        mark = marks.get(h.symbol, h.mark_price)
        total += h.unrealized_pnl * mark if spec is not None and spec.inverse else h.unrealized_pnl
    return total


def _stale(snapshot: PositionSnapshot, reason: str) -> PositionSnapshot:
    return replace(snapshot, stale_reason=reason)


class _Stopwatch:
    def __init__(self) -> None:
        self._start = self._last = time.perf_counter()

    def lap(self) -> float:
        """Seconds since the previous lap (or the start)."""
        now = time.perf_counter()
        elapsed, self._last = now - self._last, now
        return elapsed

    def since_start(self) -> float:
        return self._last - self._start


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _finite(value: Decimal) -> Decimal | None:
    return None if value.is_infinite() else value


def _fmt(value: Decimal) -> str:
    return "inf" if value.is_infinite() else f"{value:.4f}"


__all__ = ["CycleResult", "PositionCycle", "PositionSettings", "Protector"]
