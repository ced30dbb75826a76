"""How close each open short is to its own liquidation, read every cycle whether or not an
order is planned (pure).

The exchange's ``liquidationPrice`` is the truth when it gives one; an isolated position it
does not price is estimated with the core's model. A short is in danger when its distance is
under the configured floor (``hedge.min_short_liq_distance``). Hysteresis: once alerted, a
symbol is alerted again only after its distance has come back above the floor by
``REARM_MARGIN``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.core.futures import estimated_liquidation_price, liquidation_distance
from bot.core.model import ContractSpec, HedgePosition, MarginType

REARM_MARGIN = Decimal("0.02")


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgeDanger:
    symbol: str
    distance: Decimal  # fraction the mark must rise to liquidate the short
    liquidation_price: Decimal


def hedge_distance(
    position: HedgePosition, spec: ContractSpec, mark: Decimal
) -> tuple[Decimal, Decimal] | None:
    """(distance, liquidation price) of an open short; None when nothing liquidates it."""
    if position.quantity >= 0:
        return None
    liquidation = position.liquidation_price
    if liquidation is None and position.margin_type is MarginType.ISOLATED:
        liquidation = estimated_liquidation_price(
            spec, position.quantity, position.entry_price, position.leverage,
            position.margin_type, wallet_margin=position.isolated_margin,
        )  # fmt: skip
    if liquidation is None:
        return None
    return liquidation_distance(position.quantity, mark, liquidation), liquidation


def hedge_dangers(
    hedges: Sequence[HedgePosition],
    specs: Mapping[str, ContractSpec],
    marks: Mapping[str, Decimal],
    *,
    floor: Decimal,
) -> list[HedgeDanger]:
    """Every short closer to its liquidation than the floor."""
    out = []
    for position in hedges:
        spec = specs.get(position.symbol)
        if spec is None:
            continue
        found = hedge_distance(position, spec, marks.get(position.symbol, position.mark_price))
        if found is None:
            continue
        distance, liquidation = found
        if distance < floor:
            out.append(
                HedgeDanger(
                    symbol=position.symbol, distance=distance, liquidation_price=liquidation
                )
            )
    return out


def step_alarms(
    dangers: Sequence[HedgeDanger],
    distances: Mapping[str, Decimal],
    alarmed: frozenset[str],
    *,
    floor: Decimal,
) -> tuple[list[HedgeDanger], frozenset[str]]:
    """The dangers to alert now (new ones) and the symbols alarmed after this cycle: a symbol
    leaves the set only when its distance is back above ``floor + REARM_MARGIN``."""
    new = [d for d in dangers if d.symbol not in alarmed]
    still = {d.symbol for d in dangers}
    for symbol in alarmed - still:
        if distances.get(symbol, Decimal("Infinity")) <= floor + REARM_MARGIN:
            still.add(symbol)
    return new, frozenset(still)


__all__ = ["HedgeDanger", "hedge_dangers", "hedge_distance", "step_alarms"]
