"""What a hedger cycle leaves behind: the journal's cycle row, metrics, alerts, the board the
guard reads marks from, and one ``cycle done`` log line with where the time went."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from decimal import Decimal
from typing import Protocol

import structlog

from bot.alerts import Alert
from bot.alerts import events as alert_events
from bot.core.account import AccountAssessment
from bot.core.hedger import HedgeDecision, MarketView, unrealized_usd
from bot.core.model import OrderReport, OrderStatus
from bot.daemon.board import MarketBoard, MarketNote
from bot.daemon.hedger.executor import Execution
from bot.exchange.base import Exchange
from bot.journal import CycleOutcome, CycleSummary, HedgeLine, Journal, ShareLine
from bot.metrics import HedgebotMetrics

log = structlog.get_logger(__name__)


class AlertSubmitter(Protocol):
    def submit(self, alert: Alert) -> bool: ...


class HedgerPublisher:
    def __init__(
        self,
        *,
        account: str,
        journal: Journal,
        alerts: AlertSubmitter,
        metrics: HedgebotMetrics,
        board: MarketBoard,
        symbol_for_underlying: Mapping[str, str],
    ) -> None:
        self._account = account
        self._journal = journal
        self._alerts = alerts
        self._metrics = metrics
        self._board = board
        self._symbol_for_underlying = dict(symbol_for_underlying)

    def market(
        self, market: MarketView, now: datetime, *, account_fresh_for: datetime | None = None
    ) -> None:
        """Post the marks (by underlying) and the hedges' profit for the guard, and the
        account for the capital loop."""
        marks = {
            u: market.marks[s] for u, s in self._symbol_for_underlying.items() if s in market.marks
        }
        profit = unrealized_usd(market.hedges, market.specs, market.marks)
        self._board.post(
            MarketNote(
                at=now,
                marks=marks,
                hedge_profit_usd=profit,
                symbol_marks=dict(market.marks),
                specs=dict(market.specs),
                hedges=market.hedges,
                balances=market.balances,
                account_fresh_for=account_fresh_for,
            )
        )

    def decided(self, decision: HedgeDecision) -> None:
        """Per position: its health factors, its own target and its share of the short."""
        for name, a in decision.assessment.positions.items():
            self._metrics.set_health_factors(
                position=name, oracle_hf=_finite(a.oracle_hf), shadow_hf=_finite(a.shadow_hf)
            )
            for u in a.underlyings:
                self._metrics.set_hedge(
                    position=name,
                    underlying=u.underlying,
                    target_short_usd=u.target.short_usd,
                    current_short_usd=u.current_short_usd,
                )
                if u.liquidation_distance is not None:
                    self._metrics.set_liquidation_distance(
                        position=name, underlying=u.underlying, distance=u.liquidation_distance
                    )
        for alert in decision.alerts:
            self._alerts.submit(alert)

    def executed(
        self, decision: HedgeDecision, execution: Execution, exchange: Exchange, now: datetime
    ) -> int:
        """Count, alert and return the orders the venue accepted."""
        used = exchange.used_weight_1m
        if used is not None:
            venues = sorted({spec.venue.value for spec in exchange.contract_specs().values()})
            self._metrics.set_used_weight(venue="+".join(venues), weight=used)
        sent = 0
        for report in execution.reports:
            self._metrics.count_order(position=self._account, status=report.status)
            if report.status is OrderStatus.REJECTED:
                self._alerts.submit(
                    alert_events.order_rejected(position=self._account, report=report, at=now)
                )
            else:
                sent += 1
        self._hedge_changes(decision.assessment, execution.reports, now)
        return sent

    def finished(
        self, cycle_id: str, decision: HedgeDecision, *, block: int, reasons: Sequence[str],
        now: datetime,
    ) -> None:  # fmt: skip
        a = decision.assessment
        summary = CycleSummary(
            block_number=block,
            oracle_hf=_finite(a.oracle_hf),
            shadow_hf=_finite(a.shadow_hf),
            hedges=tuple(
                HedgeLine(
                    underlying=line.underlying,
                    target_short_usd=line.target.short_usd,
                    current_short_usd=line.current_short_usd,
                    reason=line.target.reason,
                )
                for line in a.lines
            ),
            reasons=tuple(reasons),
            shares=tuple(
                ShareLine(
                    position=name,
                    underlying=line.underlying,
                    target_short_usd=line.target_shares[name],
                    current_short_usd=line.current_shares[name],
                )
                for line in a.lines
                for name in line.target_shares
            ),
        )
        self._journal.finish_cycle(
            cycle_id=cycle_id, outcome=CycleOutcome.OK, summary=summary, now=now
        )

    def _hedge_changes(
        self, a: AccountAssessment, reports: Sequence[OrderReport], now: datetime
    ) -> None:
        traded = {r.symbol for r in reports if r.executed_quantity > 0}
        for line in a.lines:
            if line.symbol in traded:
                self._alerts.submit(
                    alert_events.hedge_changed(
                        position=self._account,
                        underlying=line.underlying,
                        from_short_usd=line.current_short_usd,
                        to_short_usd=line.target.short_usd,
                        reason=line.target.reason,
                        at=now,
                    )
                )


def _finite(value: Decimal) -> Decimal | None:
    return None if value.is_infinite() else value


__all__ = ["HedgerPublisher"]
