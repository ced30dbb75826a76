"""How much margin the shorts a policy wants need, against what the futures wallet holds (pure).

The need is what keeps each wanted short ``distance`` from its own liquidation price
(``hedge.min_short_liq_distance``): the amount the capital loop would have to deposit before
the hedge is as safe as configured. ``status`` shows it; ``check-config`` shows the simulated
loan's largest need.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.core.futures import margin_for_liquidation_distance, quantity_for_usd
from bot.core.model import ONE, ZERO, ContractSpec, MarginBalance, Venue

__all__ = ["MarginNeed", "margin_for_short_usd", "margin_need", "short_margin_fraction"]


@dataclass(frozen=True, slots=True, kw_only=True)
class MarginNeed:
    distance: Decimal  # the short's liquidation distance the need keeps, fraction of the mark
    need_usd: Decimal
    have_usd: Decimal  # wallet balances backing the shorts (after haircut), PnL not counted
    by_symbol: Mapping[str, Decimal]

    @property
    def shortfall_usd(self) -> Decimal:
        return max(self.need_usd - self.have_usd, ZERO)


def margin_for_short_usd(
    spec: ContractSpec, short_usd: Decimal, mark: Decimal, distance: Decimal
) -> Decimal:
    """USD of margin a short worth ``short_usd`` at ``mark`` needs so that its liquidation
    price is ``distance`` above the mark."""
    if not short_usd > 0:
        return ZERO
    quantity = -quantity_for_usd(spec, short_usd, mark)
    return margin_for_liquidation_distance(spec, quantity, mark, distance)


def short_margin_fraction(distance: Decimal, maint_margin_rate: Decimal) -> Decimal:
    """Margin per USD of a linear short so that it liquidates ``distance`` above the mark,
    whatever the price: (1 + distance)(1 + mmr) - 1."""
    return (ONE + distance) * (ONE + maint_margin_rate) - ONE


def _backing(balances: Sequence[MarginBalance], specs: Sequence[ContractSpec]) -> Decimal:
    """USD of the wallets that back ``specs``: on USD-M every asset (BNB margin runs in
    Multi-Assets Mode, where the whole wallet is one cross pool); on COIN-M only the coin each
    contract is margined in."""
    coinm_assets = {s.margin_asset for s in specs if s.venue is Venue.COINM}
    usdm = any(s.venue is Venue.USDM for s in specs)
    return sum(
        (
            b.usd_value
            for b in balances
            if (b.venue is Venue.USDM and usdm)
            or (b.venue is Venue.COINM and b.asset in coinm_assets)
        ),
        ZERO,
    )


def margin_need(
    *,
    shorts_usd: Mapping[str, Decimal],
    specs: Mapping[str, ContractSpec],
    marks: Mapping[str, Decimal],
    balances: Sequence[MarginBalance],
    distance: Decimal,
) -> MarginNeed:
    """``shorts_usd``: futures symbol -> wanted short (USD); symbols without a spec or a mark
    are left out (they cannot be traded either)."""
    by_symbol = {
        symbol: margin_for_short_usd(specs[symbol], usd, marks[symbol], distance)
        for symbol, usd in shorts_usd.items()
        if symbol in specs and symbol in marks
    }
    used = [specs[s] for s in by_symbol]
    return MarginNeed(
        distance=distance,
        need_usd=sum(by_symbol.values(), ZERO),
        have_usd=_backing(balances, used),
        by_symbol=by_symbol,
    )
