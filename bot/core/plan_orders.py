"""One symbol's order intents: band, flips, step rounding, exchange filters, liquidation
distance of the resulting short."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.core.futures import (
    estimated_liquidation_price,
    hedge_delta_usd,
    liquidation_distance,
    quantity_for_usd,
)
from bot.core.ids import client_order_id
from bot.core.model import (
    ONE,
    ZERO,
    ContractSpec,
    HedgePosition,
    NoteKind,
    OrderIntent,
    PlanNote,
    Side,
)
from bot.core.plan_rules import PlanRules, round_to_step

__all__ = ["Leg", "orders_for", "usd"]


@dataclass(slots=True)
class Leg:
    underlying: str
    symbol: str
    spec: ContractSpec
    mark: Decimal
    position: HedgePosition | None
    current: Decimal  # USD short now (negative = long)
    wanted: Decimal  # USD short wanted (after the rules)
    reason: str
    budget: Decimal = ZERO  # USD of margin that can back this symbol


def usd(value: Decimal) -> str:
    return f"${value:,.2f}"


def orders_for(
    leg: Leg,
    rules: PlanRules,
    position_name: str,
    cycle_id: int | str,
    notes: list[PlanNote],
) -> list[OrderIntent]:
    spec, symbol = leg.spec, leg.symbol
    difference = leg.wanted - leg.current
    band = max(rules.band_rel * abs(leg.wanted), rules.band_abs_usd)
    if abs(difference) <= band:
        notes.append(
            PlanNote(
                symbol=symbol,
                kind=NoteKind.BAND,
                message=f"{symbol}: hedge {usd(leg.current)} vs target {usd(leg.wanted)} is "
                f"inside the band {usd(band)}: no trade",
            )
        )
        return []
    held = leg.position.quantity if leg.position is not None else ZERO
    orders: list[tuple[str, Side, Decimal, bool]] = []
    crossing_zero = leg.current != 0 and (leg.wanted == 0 or (leg.wanted > 0) != (leg.current > 0))
    if crossing_zero:
        orders.append(("close", Side.BUY if held < 0 else Side.SELL, abs(held), True))
        if leg.wanted != 0:
            opening = abs(quantity_for_usd(spec, leg.wanted, leg.mark))
            orders.append(("open", Side.SELL if leg.wanted > 0 else Side.BUY, opening, False))
    elif abs(leg.wanted) > abs(leg.current):
        opening = abs(quantity_for_usd(spec, difference, leg.mark))
        orders.append(("open", Side.SELL if difference > 0 else Side.BUY, opening, False))
    else:
        # Closing contracts removes their delta at their entry: F*mark/entry each (inverse).
        per_quantity = abs(hedge_delta_usd(spec, ONE, leg.mark, _entry(leg)))
        reducing = min(abs(difference) / per_quantity, abs(held))
        orders.append(("reduce", Side.SELL if difference > 0 else Side.BUY, reducing, True))
    intents = []
    for leg_kind, side, raw_quantity, reduce_only in orders:
        exact = raw_quantity == abs(held) and reduce_only
        quantity = (
            raw_quantity if exact else round_to_step(raw_quantity, spec.step_size, up=reduce_only)
        )
        quantity = min(quantity, abs(held)) if reduce_only else quantity
        dropped = _rejection(spec, quantity, leg.mark, reduce_only)
        if dropped:
            notes.append(
                PlanNote(
                    symbol=symbol, kind=NoteKind.DROP, message=f"{symbol} {leg_kind}: {dropped}"
                )
            )
            continue
        if quantity > spec.max_qty:
            notes.append(
                PlanNote(
                    symbol=symbol,
                    kind=NoteKind.CAP,
                    message=f"{symbol} {leg_kind}: {quantity} above max_qty {spec.max_qty}; "
                    "the rest follows next cycle",
                )
            )
            quantity = round_to_step(spec.max_qty, spec.step_size)
        reason = (
            f"{leg.underlying} hedge {usd(leg.current)} -> {usd(leg.wanted)} short "
            f"({leg_kind} {side.value} {quantity} {symbol} @ mark {leg.mark}); {leg.reason}"
        )
        intents.append(
            OrderIntent(
                symbol=symbol,
                side=side,
                quantity=quantity,
                reduce_only=reduce_only,
                client_order_id=client_order_id(position_name, cycle_id, f"{symbol}:{leg_kind}"),
                reason=reason + _distance_remark(leg, rules, notes),
            )
        )
    return intents


def _entry(leg: Leg) -> Decimal:
    return leg.position.entry_price if leg.position is not None else leg.mark


def _rejection(spec: ContractSpec, quantity: Decimal, mark: Decimal, reduce_only: bool) -> str:
    if quantity <= 0:
        return "below one step size: nothing to send"
    if quantity < spec.min_qty:
        return f"quantity {quantity} below min_qty {spec.min_qty}: dropped"
    notional = quantity * mark if not spec.inverse else quantity * spec.contract_size
    # Binance exempts reduce-only orders from MIN_NOTIONAL.
    if not reduce_only and notional < spec.min_notional:
        return f"notional {usd(notional)} below min_notional {usd(spec.min_notional)}: dropped"
    return ""


def _distance_remark(leg: Leg, rules: PlanRules, notes: list[PlanNote]) -> str:
    """Where the resulting short would be liquidated, warning under the configured floor."""
    if leg.wanted <= 0:
        return ""
    quantity = -quantity_for_usd(leg.spec, leg.wanted, leg.mark)
    wallet = leg.budget / leg.mark if leg.spec.inverse else leg.budget
    liquidation = estimated_liquidation_price(
        leg.spec, quantity, leg.mark, rules.leverage, rules.margin_type, wallet_margin=wallet
    )
    distance = liquidation_distance(quantity, leg.mark, liquidation)
    if distance < rules.min_short_liq_distance:
        notes.append(
            PlanNote(
                symbol=leg.symbol,
                kind=NoteKind.LIQ_DISTANCE,
                message=f"{leg.symbol}: the short would be liquidated at {liquidation} "
                f"({distance:.1%} away), under the {rules.min_short_liq_distance:.0%} floor",
            )
        )
    where = "never" if liquidation is None else f"~{liquidation:.2f} ({distance:+.1%})"
    return f"; short liquidation {where}"
