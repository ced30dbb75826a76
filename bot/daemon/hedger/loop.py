"""One exchange account's hedger (every position sharing it, planned together): read ->
``decide_hedge`` -> place orders -> publish.

It holds the little state one cycle hands to the next (``HedgerMemory``) and sequences the
stages; every decision is made by ``bot.core.hedger.decide_hedge``.
"""

from __future__ import annotations

import threading
import time
from datetime import datetime
from decimal import Decimal

import structlog
from sqlalchemy.exc import OperationalError

from bot.alerts import events as alert_events
from bot.core.breakers import should_pause_after_failures
from bot.core.hedger import HedgeDecision, HedgerMemory, HedgerSettings, decide_hedge
from bot.core.model import PositionSnapshot
from bot.daemon.hedger.executor import Execution, execute, reconcile_pending
from bot.daemon.hedger.fees import settle_fees
from bot.daemon.hedger.positions import PositionGuardrail
from bot.daemon.hedger.publish import AlertSubmitter, HedgerPublisher
from bot.daemon.hedger.read import CycleTimes, HedgerReads
from bot.daemon.hedger.venue import VenueGate
from bot.daemon.loops import LoopResult
from bot.daemon.snapshot_reuse import HeadConfirmations
from bot.exchange.base import Exchange
from bot.exchange.errors import ExchangeError, IpBanned
from bot.journal import CycleOutcome, CycleSummary, FencedOut, Journal, JournalReplaced
from bot.logs import bind_cycle
from bot.metrics import HealthTracker, HedgebotMetrics

log = structlog.get_logger(__name__)


class HedgerLoop:
    def __init__(
        self,
        settings: HedgerSettings,
        *,
        reads: HedgerReads,
        exchange: Exchange,
        venue: VenueGate,
        journal: Journal,
        alerts: AlertSubmitter,
        metrics: HedgebotMetrics,
        health: HealthTracker,
        publisher: HedgerPublisher,
        positions: PositionGuardrail,
        stopping: threading.Event | None = None,
    ) -> None:
        self.settings = settings
        self.name = f"{settings.name}:hedger"
        self._reads = reads
        self._exchange = exchange
        self._venue = venue
        self._journal = journal
        self._alerts = alerts
        self._metrics = metrics
        self._health = health
        self._publisher = publisher
        self._positions = positions
        self._stopping = stopping or threading.Event()
        self._memory = HedgerMemory()
        self._fees_settled_at: datetime | None = None

    @property
    def interval_secs(self) -> float:
        return self.settings.cadence.interval_secs

    def stop(self, *, wait: bool) -> None:
        return None  # nothing runs beside the scheduler

    def on_lead(self) -> None:
        """This replica leads a new epoch (ha): another one may have traded meanwhile, so the
        venue is made ready again (pending intents settled, positions checked) before any
        order, and nothing this hedger remembered from before is trusted."""
        self._venue.reset()
        self._memory = HedgerMemory()

    def last_block_on(self, chain_id: int) -> int:
        return self._reads.last_block_on(chain_id)

    def follow_heads(self, chain_id: int, heads: HeadConfirmations) -> None:
        self._reads.follow(chain_id, heads)

    def tick(self, now: datetime) -> LoopResult:
        """Run one cycle at ``now``; never raises for a cycle-level failure."""
        s = self.settings
        cycle_id = f"{s.name}-{int(now.timestamp() * 1000):x}"
        started = time.perf_counter()
        with bind_cycle(position=s.name, cycle_id=cycle_id):
            try:
                # Before anything is decided: a replaced journal forgets the orders in flight.
                self._journal.check_identity()
                self._journal.start_cycle(position=s.name, cycle_id=cycle_id, now=now)
                result = self._cycle(cycle_id, now)
            except FencedOut as exc:
                # Not a failure (no breaker counts it): another replica leads now.
                log.warning("fenced out: this replica stops acting", reason=str(exc))
                result = LoopResult(
                    ok=True, skipped=True, next_interval_secs=s.cadence.interval_secs,
                    note=f"fenced out: {exc}",
                )  # fmt: skip
            except (JournalReplaced, OperationalError) as exc:
                result = self._journal_lost(exc, now)
            except Exception as exc:  # one failed cycle must not kill the daemon
                log.exception("cycle failed")
                result = self._failed(cycle_id, exc, now)
            outcome = CycleOutcome.OK if result.ok else CycleOutcome.FAILED
            if result.skipped:
                outcome = CycleOutcome.SKIPPED
            self._metrics.observe_cycle(
                position=s.name,
                duration_s=time.perf_counter() - started,
                outcome=outcome.value,
                finished_at=now,
            )
            if result.ok:
                self._health.record_success(self.name, now)
            return result

    def _cycle(self, cycle_id: str, now: datetime) -> LoopResult:
        """read -> decide -> act -> publish, or a skip that says why."""
        paused = self._journal.is_paused()
        self._metrics.set_paused(paused)
        self._health.set_state(self.name, "paused" if paused else "")
        if paused:
            return self._skip(cycle_id, now, f"paused: {self._journal.pause_state().reason}")
        self._venue.ensure_ready(now)
        # Any order of the account left unknown, whichever name a past run gave it.
        reconcile_pending(exchange=self._exchange, journal=self._journal, position=None, now=now)
        times = CycleTimes()
        snapshots = self._reads.snapshots(now, times)
        stale = [(name, s) for name, s in snapshots.items() if s.is_stale]
        if stale:
            return self._stale(cycle_id, *stale[0], now)
        market, wrong = self._positions.check(
            self._reads.market(now, times), lambda: self._reads.market_again(now, times)
        )
        if wrong:
            return self._held(cycle_id, "; ".join(wrong), now)
        self._publisher.market(market, now, account_fresh_for=self._reads.account_fresh_for)
        started = time.perf_counter()
        decision = decide_hedge(
            snapshots=snapshots,
            market=market,
            settings=self.settings,
            memory=self._memory,
            cycle_id=cycle_id,
            now=now,
            realise_usd=self._reads.realise_wanted(now),
        )
        self._memory = decision.memory
        self._publisher.decided(decision)
        times.plan_s, started = time.perf_counter() - started, time.perf_counter()
        execution = self._act(decision, now, cycle_id)
        times.orders_s = time.perf_counter() - started
        block = max(s.block_number for s in snapshots.values())
        return self._publish(cycle_id, block, decision, execution, times, now)

    def _stale(
        self, cycle_id: str, position: str, snapshot: PositionSnapshot, now: datetime
    ) -> LoopResult:
        """One loan unknown: the account's short is held as it is (its target is a sum)."""
        reason = snapshot.stale_reason or "stale"
        self._alerts.submit(
            alert_events.stale_data(
                position=position,
                reason=reason,
                block_number=snapshot.block_number,
                at=now,
            )
        )
        summary = CycleSummary(block_number=snapshot.block_number)
        named = reason if len(self.settings.positions) == 1 else f"{position}: {reason}"
        return self._skip(cycle_id, now, f"stale chain data: {named}", summary)

    def _held(self, cycle_id: str, detail: str, now: datetime) -> LoopResult:
        """A position reading that disagrees with the fills, twice: never traded on."""
        self._alerts.submit(
            alert_events.position_mismatch(position=self.settings.name, detail=detail, at=now)
        )
        return self._skip(cycle_id, now, f"held: {detail}")

    def _publish(
        self, cycle_id: str, block: int, decision: HedgeDecision, execution: Execution,
        times: CycleTimes, now: datetime,
    ) -> LoopResult:  # fmt: skip
        if decision.intents:
            self._metrics.observe_exchange(endpoint="place_orders", seconds=times.orders_s)
        sent = self._publisher.executed(decision, execution, self._exchange, now)
        reasons = list(decision.reasons)
        if execution.halted_reason:
            reasons.append(execution.halted_reason)
        self._publisher.finished(cycle_id, decision, block=block, reasons=reasons, now=now)
        a = decision.assessment
        log.info(
            "cycle done",
            block=block,
            oracle_hf=_fmt(a.oracle_hf),
            shadow_hf=_fmt(a.shadow_hf),
            orders=sent,
            next_in_secs=decision.next_interval_secs,
            # Where the cycle's time went, for latency work (the reaction benchmark).
            rpc_ms=_ms(times.rpc_s),
            exchange_read_ms=_ms(times.exchange_s),
            plan_ms=_ms(times.plan_s),
            orders_ms=_ms(times.orders_s),
        )
        return LoopResult(ok=True, next_interval_secs=decision.next_interval_secs, orders_sent=sent)

    def _act(self, decision: HedgeDecision, now: datetime, cycle_id: str) -> Execution:
        try:
            execution = execute(
                decision.intents,
                exchange=self._exchange,
                journal=self._journal,
                position=self.settings.name,
                cycle_id=cycle_id,
                now=now,
                stopping=self._stopping.is_set,
            )
        except IpBanned as exc:
            self._alerts.submit(alert_events.exchange_banned(detail=str(exc), at=now))
            raise
        if not decision.intents:
            self._settle_fees(now)
        return execution

    def _skip(
        self, cycle_id: str, now: datetime, reason: str, summary: CycleSummary | None = None
    ) -> LoopResult:
        self._journal.finish_cycle(
            cycle_id=cycle_id, outcome=CycleOutcome.SKIPPED, summary=summary, error=reason, now=now
        )
        log.warning("cycle skipped", reason=reason)
        interval = self.settings.cadence.interval_secs
        return LoopResult(ok=True, skipped=True, next_interval_secs=interval, note=reason)

    def _journal_lost(self, exc: Exception, now: datetime) -> LoopResult:
        """The journal is gone, replaced or cannot be written (disk full): nothing is traded
        until it is back, and the alert goes out without it (alerts need no journal)."""
        detail = f"{type(exc).__name__}: {exc}"
        log.error("journal lost: the hedger trades nothing", error=detail)
        self._alerts.submit(
            alert_events.journal_lost(position=self.settings.name, detail=detail, at=now)
        )
        interval = self.settings.cadence.interval_secs
        return LoopResult(ok=False, next_interval_secs=interval, note=detail)

    def _failed(self, cycle_id: str, exc: Exception, now: datetime) -> LoopResult:
        s = self.settings
        note = f"{type(exc).__name__}: {exc}"
        self._journal.finish_cycle(
            cycle_id=cycle_id, outcome=CycleOutcome.FAILED, error=note, now=now
        )
        failures = self._journal.consecutive_failed_cycles(s.name)
        if should_pause_after_failures(failures, s.limits):
            reason = f"{failures} consecutive failed cycles"
            self._journal.set_paused(True, reason=reason, actor="circuit-breaker", now=now)
            self._alerts.submit(
                alert_events.circuit_breaker_tripped(position=s.name, reason=reason, at=now)
            )
        return LoopResult(ok=False, next_interval_secs=s.cadence.fast_interval_secs, note=note)

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


def _ms(seconds: float) -> float:
    return round(seconds * 1000, 2)


def _fmt(value: Decimal) -> str:
    return "inf" if value.is_infinite() else f"{value:.4f}"


__all__ = ["HedgerLoop"]
