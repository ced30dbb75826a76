"""The exchange account's side of a capital decision (pure): how much margin the shorts need,
how much of the movable balance must stay, and how near the nearest short is to liquidation.

Binance's ``maxWithdrawAmount`` already keeps the positions' initial margin, but not the
margin that keeps a short at ``restore_distance`` from its liquidation: a withdrawal sized on
``maxWithdrawAmount`` alone would pull the short's liquidation in and set up the next deposit.
So the part of the movable balance that must stay is what takes the account's equity under
the margin the shorts need at that distance.

Only USD-M positions count: a stablecoin moves their margin directly. A COIN-M short is
margined in its coin, which a stablecoin deposit does not feed without a trade.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.core.capital_model import (
    AlertReason,
    CapitalRules,
    CapitalView,
    Direction,
    MoneyMove,
)
from bot.core.futures import hedge_pnl_usd, margin_for_liquidation_distance
from bot.core.hedge_watch import hedge_distance
from bot.core.model import ZERO, ContractSpec, HedgePosition, MarginBalance, Venue

__all__ = ["AccountMargin", "account_margin", "profit_to_realise"]


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountMargin:
    equity_usd: Decimal  # USD-M wallet (after haircuts) plus the USD-M positions' unrealised PnL
    needed_usd: Decimal  # margin that keeps every USD-M short at ``restore_distance``
    unrealized_pnl_usd: Decimal  # USD-M positions'
    nearest_distance: Decimal | None  # nearest USD-M short's liquidation, fraction of its mark
    nearest_symbol: str | None

    @property
    def to_restore_usd(self) -> Decimal:
        """Margin to add so the shorts are back at ``restore_distance``."""
        return max(self.needed_usd - self.equity_usd, ZERO)

    def must_stay_usd(self, movable_usd: Decimal) -> Decimal:
        """The part of ``movable_usd`` a withdrawal must leave: what lies under the needed
        margin, so that ``movable - must_stay = min(movable, equity - needed)``."""
        spare = max(self.equity_usd - self.needed_usd, ZERO)
        return max(movable_usd - spare, ZERO)


def account_margin(
    *,
    hedges: Sequence[HedgePosition],
    specs: Mapping[str, ContractSpec],
    balances: Sequence[MarginBalance],
    marks: Mapping[str, Decimal],
    restore_distance: Decimal,
) -> AccountMargin:
    """``marks`` by futures symbol. Cross margin: every short draws on the one equity, so the
    per-short margins are summed (exact for one short, on the safe side for several)."""
    linear = [h for h in hedges if _usdm(h, specs) and h.quantity != 0]
    equity = sum((b.usd_value for b in balances if b.venue is Venue.USDM), ZERO)
    pnl = sum((_pnl_at_mark(h, specs, marks) for h in linear), ZERO)
    needed = ZERO
    nearest: tuple[Decimal, str] | None = None
    for hedge in linear:
        spec, mark = specs[hedge.symbol], marks.get(hedge.symbol, hedge.mark_price)
        if hedge.quantity > 0 or mark <= 0:
            continue
        needed += margin_for_liquidation_distance(spec, hedge.quantity, mark, restore_distance)
        seen = hedge_distance(hedge, spec, mark)
        if seen is not None and (nearest is None or seen[0] < nearest[0]):
            nearest = (seen[0], hedge.symbol)
    return AccountMargin(
        equity_usd=equity + pnl,
        needed_usd=needed,
        unrealized_pnl_usd=pnl,
        nearest_distance=None if nearest is None else nearest[0],
        nearest_symbol=None if nearest is None else nearest[1],
    )


def _pnl_at_mark(
    hedge: HedgePosition, specs: Mapping[str, ContractSpec], marks: Mapping[str, Decimal]
) -> Decimal:
    """At ``marks``, not the PnL the venue reported: the hedger's account read can be older
    than its marks (its account cache), and in a rally that PnL hides the loss."""
    mark = marks.get(hedge.symbol, hedge.mark_price)
    return hedge_pnl_usd(specs[hedge.symbol], hedge.quantity, mark, hedge.entry_price)


def _usdm(hedge: HedgePosition, specs: Mapping[str, ContractSpec]) -> bool:
    spec = specs.get(hedge.symbol)
    return spec is not None and spec.venue is Venue.USDM and not spec.inverse


def profit_to_realise(
    *, move: MoneyMove, view: CapitalView, margin: AccountMargin, rules: CapitalRules
) -> Decimal:
    """Unrealised short profit worth realising for a withdrawal (0: none). Only when what may
    leave the account is what limits it (a small amount under a coin minimum included): under
    a cap, realising would pay two taker fees and withdraw nothing more. Only the part that
    can leave once realised: realising turns profit into wallet balance, which still has to
    leave the margin the shorts need."""
    if not (view.can_move and rules.enabled) or move.direction is not Direction.WITHDRAW:
        return ZERO
    limited = move.limited_by == "movable"
    if not (limited or move.alert_reason is AlertReason.NOTHING_WITHDRAWABLE):
        return ZERO
    room = view.movable_usd - view.margin_needed_usd
    useful = max(margin.equity_usd - margin.needed_usd - room, ZERO)
    wanted = min(move.realise_first_usd, useful)
    return wanted if wanted >= rules.min_transfer_usd and wanted > 0 else ZERO
