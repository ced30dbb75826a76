"""A lending position as the views show it: oracle and shadow HF (and the chain's own),
collateral, debt, each coin's liquidation price and the common-crash distance. Pure."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.core import (
    exact_health_factor,
    liquidation_price_for_underlying,
    shadow_snapshot,
)
from bot.core.model import PositionSnapshot, TokenMapping
from bot.core.totals import position_totals


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainView:
    block: int
    oracle_usd: dict[str, Decimal]  # underlying -> oracle price of its token
    collateral: dict[str, Decimal]  # token -> whole units supplied
    debt: dict[str, Decimal]  # token -> whole units owed
    collateral_usd: Decimal
    debt_usd: Decimal
    oracle_hf: Decimal
    shadow_hf: Decimal
    chain_hf: Decimal | None  # the protocol's own (Aave's getUserAccountData; None on Venus)
    liquidation_usd: dict[str, Decimal | None]  # underlying -> its price at which HF = 1
    # (the others unchanged); None: no price of that coin alone liquidates the position
    crash_to_liquidation: Decimal | None  # further fall of every coin together that gives HF 1

    @property
    def equity_usd(self) -> Decimal:
        return self.collateral_usd - self.debt_usd


def chain_view(
    snapshot: PositionSnapshot,
    *,
    marks: Mapping[str, Decimal],  # underlying -> exchange mark
    mapping: Mapping[str, TokenMapping],
) -> ChainView:
    oracle: dict[str, Decimal] = {}
    collateral: dict[str, Decimal] = {}
    debt: dict[str, Decimal] = {}
    for a in snapshot.assets:
        token = mapping.get(a.symbol)
        if token is not None and token.underlying != "USD":
            oracle[token.underlying] = a.price_usd
        if a.collateral > 0:
            collateral[a.symbol] = a.collateral
        if a.debt > 0:
            debt[a.symbol] = a.debt
    known_marks = {u: m for u, m in marks.items() if u in oracle}
    shadow = shadow_snapshot(snapshot, known_marks, mapping) if known_marks else snapshot
    held = {mapping[s].underlying for s in collateral if s in mapping}
    liquidation = {
        u: liquidation_price_for_underlying(snapshot, u, mapping) for u in sorted(held - {"USD"})
    }
    totals = position_totals(snapshot, mapping)
    return ChainView(
        block=snapshot.block_number,
        oracle_usd=oracle,
        collateral=collateral,
        debt=debt,
        collateral_usd=totals.collateral_usd,
        debt_usd=totals.debt_usd,
        oracle_hf=exact_health_factor(snapshot),
        shadow_hf=exact_health_factor(shadow),
        chain_hf=totals.chain_hf,
        liquidation_usd=liquidation,
        crash_to_liquidation=totals.crash_to_liquidation,
    )


__all__ = ["ChainView", "chain_view"]
