"""Rebalance planner: from hedge targets and current positions to order intents.

Rules, in order, per underlying: refuse longs unless allowed; cap per symbol, then in total;
fit the margin (initial margin x safety factor, and enough to keep the short's liquidation
price ``min_short_liq_distance`` away), shrinking the order and saying so; skip moves inside
the band; round to the step without ever passing the target (increases round down,
reductions round up); drop what the exchange would reject (min qty, min notional).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_FLOOR, Decimal

from bot.core.exposure import mark_for
from bot.core.futures import (
    hedge_delta_usd,
    margin_for_liquidation_distance,
    quantity_for_usd,
)
from bot.core.model import (
    ONE,
    ZERO,
    ContractSpec,
    HedgePosition,
    HedgeTarget,
    MarginType,
    NoteKind,
    OrderIntent,
    PlanNote,
    RebalancePlan,
)
from bot.core.plan_orders import Leg, orders_for, usd
from bot.core.plan_rules import PlanRules, round_to_step

__all__ = ["PlanRules", "plan_rebalance", "round_to_step"]


def _position_for(positions: Sequence[HedgePosition], symbol: str) -> HedgePosition | None:
    found = [p for p in positions if p.symbol == symbol and p.quantity != 0]
    if len(found) > 1:
        raise ValueError(f"{symbol}: {len(found)} positions; hedgebot runs one-way mode only")
    return found[0] if found else None


def plan_rebalance(
    *,
    targets: Mapping[str, HedgeTarget] | Sequence[HedgeTarget],
    positions: Sequence[HedgePosition],
    specs: Mapping[str, ContractSpec],
    marks: Mapping[str, Decimal],
    available_margin_usd: Decimal | Mapping[str, Decimal],
    rules: PlanRules,
    position_name: str,
    cycle_id: int | str,
    symbol_for_underlying: Mapping[str, str],
) -> RebalancePlan:
    """Order intents that move each underlying's hedge to its target, plus notes on everything
    the rules changed or refused. ``available_margin_usd`` is one USD pool, or one per margin
    asset (``{"USDT": ..., "BNB": ...}``, valued in USD)."""
    by_underlying = _targets_by_underlying(targets)
    notes: list[PlanNote] = []
    legs: list[Leg] = []
    for underlying in sorted(by_underlying):
        target = by_underlying[underlying]
        symbol = symbol_for_underlying.get(underlying)
        if symbol is None:
            raise ValueError(f"no futures symbol configured for underlying {underlying!r}")
        spec = specs.get(symbol)
        if spec is None:
            raise ValueError(f"no contract spec for {symbol} (underlying {underlying!r})")
        mark = mark_for(marks, spec)
        position = _position_for(positions, symbol)
        current = ZERO
        if position is not None:
            current = -hedge_delta_usd(spec, position.quantity, mark, position.entry_price)
            if position.leverage > rules.max_leverage:
                notes.append(
                    PlanNote(
                        symbol=symbol,
                        kind=NoteKind.LEVERAGE,
                        message=f"{symbol} runs at {position.leverage}x, above max_leverage "
                        f"{rules.max_leverage}x",
                    )
                )
        wanted = target.short_usd
        if wanted < 0 and not rules.allow_long:
            notes.append(
                PlanNote(
                    symbol=symbol,
                    kind=NoteKind.LONG_BLOCKED,
                    message=f"target long {usd(-wanted)} on {underlying} refused "
                    "(allow_long is off): hedge set to 0",
                )
            )
            wanted = ZERO
        cap = rules.symbol_cap(symbol)
        if cap is not None and abs(wanted) > cap:
            notes.append(
                PlanNote(
                    symbol=symbol,
                    kind=NoteKind.CAP,
                    message=f"target {usd(wanted)} capped at {usd(cap)} for {symbol}",
                )
            )
            wanted = cap if wanted > 0 else -cap
        legs.append(Leg(underlying, symbol, spec, mark, position, current, wanted, target.reason))
    _apply_total_cap(legs, rules, notes)
    _apply_margin(legs, available_margin_usd, rules, notes)
    intents: list[OrderIntent] = []
    for leg in legs:
        intents.extend(orders_for(leg, rules, position_name, cycle_id, notes))
    return RebalancePlan(intents=tuple(intents), notes=tuple(notes))


def _targets_by_underlying(
    targets: Mapping[str, HedgeTarget] | Sequence[HedgeTarget],
) -> dict[str, HedgeTarget]:
    items = list(targets.values()) if isinstance(targets, Mapping) else list(targets)
    result: dict[str, HedgeTarget] = {}
    for target in items:
        if target.underlying in result:
            raise ValueError(f"two hedge targets for underlying {target.underlying!r}")
        result[target.underlying] = target
    return result


def _apply_total_cap(legs: list[Leg], rules: PlanRules, notes: list[PlanNote]) -> None:
    limit = rules.max_total_notional_usd
    total = sum((abs(leg.wanted) for leg in legs), ZERO)
    if limit is None or total <= limit:
        return
    scale = limit / total
    for leg in legs:
        before = leg.wanted
        # Rounded down so the sum never passes the limit.
        leg.wanted = (leg.wanted * scale).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
        if leg.wanted < 0 < before or (before < 0 and leg.wanted > 0):
            leg.wanted = ZERO
        notes.append(
            PlanNote(
                symbol=leg.symbol,
                kind=NoteKind.CAP,
                message=f"total hedge {usd(total)} above max_total_notional_usd {usd(limit)}: "
                f"{leg.symbol} scaled from {usd(before)} to {usd(leg.wanted)}",
            )
        )


def _distance_margin_per_usd(leg: Leg, rules: PlanRules, short: bool) -> Decimal:
    """Margin per USD of notional that keeps liquidation ``min_short_liq_distance`` away."""
    unit_quantity = quantity_for_usd(leg.spec, ONE, leg.mark) * (-ONE if short else ONE)
    return margin_for_liquidation_distance(
        leg.spec, unit_quantity, leg.mark, rules.min_short_liq_distance
    )


def _margin_per_usd(leg: Leg, rules: PlanRules, short: bool) -> Decimal:
    """Margin a unit of USD notional ties up when opened: initial margin with the safety
    factor, or the liquidation-distance margin, whichever is more."""
    distance = _distance_margin_per_usd(leg, rules, short)
    return max(rules.margin_safety_factor / rules.leverage, distance)


def _committed_margin(leg: Leg, rules: PlanRules) -> Decimal:
    """Margin already backing the open position: its isolated wallet, or (cross) the initial
    margin the exchange holds back from the available balance."""
    position = leg.position
    if position is not None and position.margin_type is MarginType.ISOLATED:
        return position.isolated_margin * (leg.mark if leg.spec.inverse else ONE)
    return abs(leg.current) / rules.leverage


def _deposit_asset(leg: Leg, rules: PlanRules) -> str:
    return rules.deposit_asset or leg.spec.margin_asset


def _apply_margin(
    legs: list[Leg],
    available: Decimal | Mapping[str, Decimal],
    rules: PlanRules,
    notes: list[PlanNote],
) -> None:
    pools: dict[str, Decimal] = {}
    for leg in legs:
        asset = leg.spec.margin_asset
        if isinstance(available, Mapping):
            pool = pools.setdefault(asset, available.get(asset, ZERO))
        else:
            pool = pools.setdefault("", available)
        committed = _committed_margin(leg, rules)
        budget = pool + committed
        per_usd = _margin_per_usd(leg, rules, short=leg.wanted >= 0)
        need = abs(leg.wanted) * per_usd
        growing = abs(leg.wanted) > abs(leg.current) or (leg.wanted * leg.current < 0)
        if growing and need > budget:
            affordable = max(budget / per_usd, ZERO)
            floor = abs(leg.current) if leg.wanted * leg.current > 0 else ZERO
            shrunk = max(affordable, floor).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
            shrunk = min(shrunk, abs(leg.wanted))
            shortfall = need - budget
            notes.append(
                PlanNote(
                    symbol=leg.symbol,
                    kind=NoteKind.SHRINK,
                    amount_usd=shortfall,
                    message=f"{leg.symbol}: target {usd(leg.wanted)} needs {usd(need)} margin "
                    f"(x{rules.margin_safety_factor} at {rules.leverage}x, liquidation >= "
                    f"{rules.min_short_liq_distance:.0%} away), {usd(budget)} available: "
                    f"reduced to {usd(shrunk)}; a top-up of {usd(shortfall)} of "
                    f"{_deposit_asset(leg, rules)} would restore the full hedge",
                )
            )
            leg.wanted = shrunk if leg.wanted > 0 else -shrunk
            need = shrunk * per_usd
        leg.budget = budget
        keep = abs(leg.wanted) * _distance_margin_per_usd(leg, rules, short=leg.wanted >= 0)
        if keep > budget:
            notes.append(
                PlanNote(
                    symbol=leg.symbol,
                    kind=NoteKind.TOP_UP,
                    amount_usd=keep - budget,
                    message=f"{leg.symbol}: a hedge of {usd(leg.wanted)} needs {usd(keep)} "
                    f"margin to keep liquidation >= {rules.min_short_liq_distance:.0%} away, "
                    f"{usd(budget)} backs it: top up {usd(keep - budget)} of "
                    f"{_deposit_asset(leg, rules)} (the open hedge is kept, not cut)",
                )
            )
        pools[asset if isinstance(available, Mapping) else ""] = max(
            pool - max(need - committed, ZERO), ZERO
        )
