"""Circuit breakers: pure checks that stop a plan before it reaches the exchange."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from bot.core import round_to_step
from bot.core.model import ContractSpec, OrderIntent, PlanNote


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerLimits:
    max_orders_per_hour: int
    max_notional_change_per_cycle_usd: Decimal
    max_consecutive_failed_cycles: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GatedPlan:
    allowed: tuple[OrderIntent, ...]
    notes: tuple[PlanNote, ...]


def gate_intents(
    intents: Sequence[OrderIntent],
    *,
    notional_usd: Mapping[str, Decimal],
    specs: Mapping[str, ContractSpec],
    orders_last_hour: int,
    limits: BreakerLimits,
) -> GatedPlan:
    """Keep intents in order while both the hourly order count and the cycle's notional
    change stay within limits. An increase larger than the remaining budget is cut to fit
    (on the symbol's step grid) so a large hedge builds over several cycles instead of never.
    Reduce-only intents always pass the notional limit: shrinking risk must never be blocked
    by a cap meant to limit it."""
    allowed: list[OrderIntent] = []
    notes: list[PlanNote] = []
    budget = limits.max_notional_change_per_cycle_usd
    count = orders_last_hour
    for planned in intents:
        intent = planned
        notional = notional_usd[intent.client_order_id]
        if count >= limits.max_orders_per_hour:
            notes.append(
                PlanNote(
                    symbol=intent.symbol,
                    message=f"breaker: {count} orders in the last hour reached "
                    f"max_orders_per_hour {limits.max_orders_per_hour}; {intent.side} "
                    f"{intent.quantity} not sent",
                )
            )
            continue
        if not intent.reduce_only and notional > budget:
            spec = specs[intent.symbol]
            fitted = round_to_step(intent.quantity * budget / notional, spec.step_size)
            if fitted < spec.min_qty or notional * fitted / intent.quantity < spec.min_notional:
                fitted = Decimal(0)  # the venue would refuse a remainder this small
            verdict = f"cut to {fitted}" if fitted > 0 else "not sent"
            notes.append(
                PlanNote(
                    symbol=intent.symbol,
                    kind="breaker",
                    message=f"breaker: {intent.side} {intent.quantity} {intent.symbol} "
                    f"(${notional:,.0f}) exceeds the cycle's remaining notional budget "
                    f"${budget:,.0f} (max_notional_change_per_cycle_usd): {verdict}",
                )
            )
            if fitted <= 0:
                continue
            notional = notional * fitted / intent.quantity
            intent = replace(intent, quantity=fitted)
        allowed.append(intent)
        count += 1
        if not intent.reduce_only:
            budget -= notional
    return GatedPlan(allowed=tuple(allowed), notes=tuple(notes))


def should_pause_after_failures(consecutive_failures: int, limits: BreakerLimits) -> bool:
    return consecutive_failures >= limits.max_consecutive_failed_cycles
