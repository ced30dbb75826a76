"""Realise a short's profit without changing the hedge (pure): buy part of the short back
(reduce-only), then sell it again, in one plan.

Binance lets only the wallet balance leave the futures account, never unrealised profit. A
crash that the short hedged leaves its gains unrealised while the reserve they should refill
runs dry, so the capital loop asks for some of it to be realised: the buy books the profit,
the sell restores the short. The executor sends a plan's reductions first and defers its
increases when a reduction fills short, so the short is never larger than before.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import ROUND_CEILING, Decimal

from bot.core.ids import client_order_id
from bot.core.model import ContractSpec, HedgePosition, OrderIntent, Side

__all__ = ["realise_orders"]


def realise_orders(
    *,
    usd: Decimal,
    hedges: Sequence[HedgePosition],
    specs: Mapping[str, ContractSpec],
    marks: Mapping[str, Decimal],
    account: str,
    cycle_id: str,
) -> tuple[OrderIntent, ...]:
    """The buy-back and the re-sale that realise about ``usd`` of profit (rounded up to the
    step, at most the whole short) on the USD-M short whose profit per unit is largest; ()
    when no USD-M short is in profit or the amount is under the contract's minimums."""
    best: tuple[Decimal, HedgePosition, ContractSpec, Decimal] | None = None
    for hedge in hedges:
        spec = specs.get(hedge.symbol)
        mark = marks.get(hedge.symbol)
        if spec is None or mark is None or spec.inverse or hedge.quantity >= 0:
            continue
        per_unit = hedge.entry_price - mark  # USD a unit of short gained
        if per_unit > 0 and (best is None or per_unit > best[0]):
            best = (per_unit, hedge, spec, mark)
    if best is None or usd <= 0:
        return ()
    per_unit, hedge, spec, mark = best
    wanted = (usd / per_unit / spec.step_size).to_integral_value(ROUND_CEILING) * spec.step_size
    quantity = min(wanted, -hedge.quantity)
    if quantity < spec.min_qty or quantity * mark < spec.min_notional:
        return ()
    booked = quantity * per_unit
    why = f"realise {booked:,.2f} USD of {hedge.symbol} short profit so it can be withdrawn"
    return (
        OrderIntent(
            symbol=hedge.symbol, side=Side.BUY, quantity=quantity, reduce_only=True,
            client_order_id=client_order_id(account, cycle_id, "realise-buy"),
            reason=f"{why} (buy back)",
        ),
        OrderIntent(
            symbol=hedge.symbol, side=Side.SELL, quantity=quantity, reduce_only=False,
            client_order_id=client_order_id(account, cycle_id, "realise-sell"),
            reason=f"{why} (sell again: the short is unchanged)",
        ),
    )  # fmt: skip
