"""Circuit breakers: pure checks that stop a plan before it reaches the exchange."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

from bot.core import round_to_step
from bot.core.model import ContractSpec, NoteKind, OrderIntent, PlanNote


@dataclass(frozen=True, slots=True, kw_only=True)
class BreakerLimits:
    max_orders_per_hour: int
    max_notional_change_per_cycle_usd: Decimal
    max_consecutive_failed_cycles: int


@dataclass(frozen=True, slots=True, kw_only=True)
class GatedPlan:
    allowed: tuple[OrderIntent, ...]
    notes: tuple[PlanNote, ...]


def _fit(intent: OrderIntent, notional: Decimal, room: Decimal, spec: ContractSpec) -> Decimal:
    """The largest quantity on the step grid worth at most ``room`` USD; 0 when the venue
    would refuse what is left (under its minimum quantity or notional)."""
    fitted = round_to_step(intent.quantity * max(room, Decimal(0)) / notional, spec.step_size)
    if fitted < spec.min_qty or notional * fitted / intent.quantity < spec.min_notional:
        return Decimal(0)
    return fitted


def gate_intents(
    intents: Sequence[OrderIntent],
    *,
    notional_usd: Mapping[str, Decimal],
    specs: Mapping[str, ContractSpec],
    orders_last_hour: int,
    limits: BreakerLimits,
    open_notional_usd: Decimal = Decimal(0),
    max_total_notional_usd: Decimal | None = None,
) -> GatedPlan:
    """The intents that may be sent, reductions first, within the breakers' limits.

    - Reduce-only intents go first and always pass the notional limits: shrinking risk must
      never wait behind, or be blocked by, a cap meant to limit it; and if the plan stops
      half-way (a ban, a crash), what was sent left the account smaller, not larger.
    - An increase is cut (on the symbol's step grid) to fit both the cycle's remaining notional
      budget and, with ``max_total_notional_usd``, the room left under the total cap given
      ``open_notional_usd`` (all hedges open now); a large hedge builds over several cycles.
    - Nothing passes once ``max_orders_per_hour`` is reached.
    """
    ordered = sorted(intents, key=lambda i: not i.reduce_only)
    allowed: list[OrderIntent] = []
    notes: list[PlanNote] = []
    budget = limits.max_notional_change_per_cycle_usd
    total = open_notional_usd
    count = orders_last_hour
    for planned in ordered:
        intent = planned
        notional = notional_usd[intent.client_order_id]
        if count >= limits.max_orders_per_hour:
            notes.append(
                PlanNote(
                    symbol=intent.symbol,
                    kind=NoteKind.BREAKER_HELD,
                    message=f"breaker: {count} orders in the last hour reached "
                    f"max_orders_per_hour {limits.max_orders_per_hour}; {intent.side} "
                    f"{intent.quantity} not sent",
                )
            )
            continue
        if intent.reduce_only:
            total -= notional
        else:
            room = budget
            limit = "max_notional_change_per_cycle_usd"
            if max_total_notional_usd is not None and max_total_notional_usd - total < room:
                room = max_total_notional_usd - total
                limit = "max_total_notional_usd"
            if notional > room:
                fitted = _fit(intent, notional, room, specs[intent.symbol])
                verdict = f"cut to {fitted}" if fitted > 0 else "not sent"
                notes.append(
                    PlanNote(
                        symbol=intent.symbol,
                        kind=NoteKind.BREAKER_CUT if fitted > 0 else NoteKind.BREAKER_HELD,
                        message=f"breaker: {intent.side} {intent.quantity} {intent.symbol} "
                        f"(${notional:,.0f}) exceeds the ${max(room, Decimal(0)):,.0f} left "
                        f"under {limit}: {verdict}",
                    )
                )
                if fitted <= 0:
                    continue
                notional = notional * fitted / intent.quantity
                intent = replace(intent, quantity=fitted)
            budget -= notional
            total += notional
        allowed.append(intent)
        count += 1
    return GatedPlan(allowed=tuple(allowed), notes=tuple(notes))


def should_pause_after_failures(consecutive_failures: int, limits: BreakerLimits) -> bool:
    return consecutive_failures >= limits.max_consecutive_failed_cycles
