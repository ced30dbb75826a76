"""Places a plan's intents and journals them: the intent before it is sent, the outcome after.

An intent whose outcome is unknown (a timeout on a new order that lookups could not settle)
stays in the journal without an outcome; ``reconcile_pending`` settles it by client order id
before anything else is sent, so a crash or a lost answer never leads to a second order.

A plan's increases may rely on its reductions (the total-notional cap counts the room the
reductions free), so once a reduction fills short (partial fill, rejection, unknown outcome) the
rest of the plan's increases wait for the next cycle, which plans on the true positions.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import structlog

from bot.core.model import OrderIntent, OrderReport, OrderStatus
from bot.exchange.base import Exchange
from bot.exchange.errors import RateLimited, UnknownOrderState

log = structlog.get_logger(__name__)


class PendingIntent(Protocol):
    @property
    def intent(self) -> OrderIntent: ...


class IntentLog(Protocol):
    """The part of the journal the executor needs."""

    def record_intent(
        self, intent: OrderIntent, *, position: str, cycle_id: str | None, now: datetime
    ) -> bool:
        """True when the intent was recorded now, False when it already was."""
        ...

    def record_outcome(self, report: OrderReport, *, now: datetime) -> object: ...

    def check_leading(self) -> None:
        """Raise ``FencedOut`` unless this replica may act now (no-op without ``ha``)."""
        ...

    def pending_intents(self, position: str | None = None) -> Sequence[PendingIntent]: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class Execution:
    reports: tuple[OrderReport, ...]
    unknown: tuple[str, ...]  # client order ids left for reconciliation
    halted_reason: str | None = None  # rate limit / ban stopped the rest of the plan


def execute(
    intents: Sequence[OrderIntent],
    *,
    exchange: Exchange,
    journal: IntentLog,
    position: str,
    cycle_id: str | None,
    now: datetime,
    stopping: Callable[[], bool] = lambda: False,
) -> Execution:
    """``stopping``: the daemon was asked to stop; the rest of the plan is not sent (the next
    run plans again on the venue's positions), so a stop never waits on a slow venue for
    orders nobody will watch."""
    reports: list[OrderReport] = []
    unknown: list[str] = []
    short_reduction: str | None = None
    for index, intent in enumerate(intents):
        if stopping():
            log.warning("stop requested: rest of the plan not sent", skipped=len(intents) - index)
            halted = f"stop requested: {len(intents) - index} order(s) not sent"
            return Execution(reports=tuple(reports), unknown=tuple(unknown), halted_reason=halted)
        if short_reduction is not None and not intent.reduce_only:
            rest = sum(1 for i in intents[index:] if not i.reduce_only)
            log.warning("increases deferred to the next cycle", cause=short_reduction, skipped=rest)
            halted = f"{rest} increase(s) deferred: {short_reduction}"
            return Execution(reports=tuple(reports), unknown=tuple(unknown), halted_reason=halted)
        try:
            report = _send(intent, exchange=exchange, journal=journal, position=position,
                           cycle_id=cycle_id, now=now)  # fmt: skip
        except UnknownOrderState as exc:
            log.warning(
                "order outcome unknown", client_order_id=intent.client_order_id, error=str(exc)
            )
            unknown.append(intent.client_order_id)
            if intent.reduce_only:
                short_reduction = f"reduction {intent.client_order_id} outcome unknown"
            continue
        except RateLimited as exc:
            # The intent was never accepted; settle it by lookup later, stop the plan now.
            unknown.append(intent.client_order_id)
            log.warning("rate limited: plan halted", retry_after_secs=exc.retry_after_secs,
                        skipped=len(intents) - index - 1)  # fmt: skip
            halted = f"{type(exc).__name__}: {exc}"
            return Execution(reports=tuple(reports), unknown=tuple(unknown), halted_reason=halted)
        reports.append(report)
        if intent.reduce_only and report.executed_quantity < intent.quantity:
            short_reduction = (
                f"reduction {intent.client_order_id} filled "
                f"{report.executed_quantity.normalize():f} of {intent.quantity.normalize():f} "
                f"({report.status.value})"
            )
    return Execution(reports=tuple(reports), unknown=tuple(unknown))


def _send(
    intent: OrderIntent,
    *,
    exchange: Exchange,
    journal: IntentLog,
    position: str,
    cycle_id: str | None,
    now: datetime,
) -> OrderReport:
    """Journal the intent, place it, journal the venue's answer."""
    # A newly journaled intent cannot have been sent before: no lookup needed first.
    first = journal.record_intent(intent, position=position, cycle_id=cycle_id, now=now)
    journal.check_leading()  # the request is stamped next: inside the lease (ha)
    report = exchange.place(intent, first_send=first)
    journal.record_outcome(report, now=now)
    log.info(
        "order",
        symbol=intent.symbol,
        side=intent.side,
        quantity=str(intent.quantity),
        status=report.status,
        executed=str(report.executed_quantity),
        client_order_id=intent.client_order_id,
        reason=intent.reason,
    )
    return report


def reconcile_pending(
    *, exchange: Exchange, journal: IntentLog, position: str | None, now: datetime
) -> list[OrderReport]:
    """Settle every journaled intent (of ``position``, None: all) that has no outcome by asking
    the exchange for it."""
    settled = []
    for pending in journal.pending_intents(position):
        intent = pending.intent
        report = exchange.order(intent.symbol, intent.client_order_id)
        if report.status is OrderStatus.NOT_FOUND:
            log.warning(
                "journaled intent never reached the exchange",
                client_order_id=intent.client_order_id,
            )
        else:
            log.info(
                "reconciled order",
                client_order_id=intent.client_order_id,
                status=report.status,
                executed=str(report.executed_quantity),
            )
        journal.record_outcome(report, now=now)
        settled.append(report)
    return settled
