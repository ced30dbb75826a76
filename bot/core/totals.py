"""A position's totals as a user reads them: what is supplied and owed at oracle prices, the
HF the chain itself reports beside hedgebot's, and how far every coin can fall together."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.core.health import wad_to_health_factor
from bot.core.liquidation import common_crash_factor
from bot.core.model import ONE, ZERO, PositionSnapshot, TokenMapping


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionTotals:
    collateral_usd: Decimal  # collateral that counts (enabled), at oracle prices
    debt_usd: Decimal
    # The chain's own HF (Aave's getUserAccountData); None where the protocol reports none
    # (Venus reports liquidity and shortfall, which the reader checks against the model).
    chain_hf: Decimal | None
    # k: every non-stable price x k gives HF 1 (0.6: a 40 % common crash); None: none does.
    common_crash_factor: Decimal | None

    @property
    def equity_usd(self) -> Decimal:
        return self.collateral_usd - self.debt_usd

    @property
    def crash_to_liquidation(self) -> Decimal | None:
        """The further fall of every coin together that brings HF to 1 (None when a rally,
        not a fall, is what hurts, or nothing does)."""
        k = self.common_crash_factor
        return None if k is None or k >= ONE else ONE - k


def position_totals(
    snapshot: PositionSnapshot, mapping: Mapping[str, TokenMapping]
) -> PositionTotals:
    collateral = sum(
        (a.collateral * a.price_usd for a in snapshot.assets if a.collateral_enabled), ZERO
    )
    debt = sum((a.debt * a.price_usd for a in snapshot.assets), ZERO)
    wad = snapshot.reported_health_factor_wad
    mapped = all(a.symbol in mapping for a in snapshot.assets if a.collateral or a.debt)
    return PositionTotals(
        collateral_usd=collateral,
        debt_usd=debt,
        chain_hf=None if wad is None else wad_to_health_factor(wad),
        common_crash_factor=common_crash_factor(snapshot, mapping) if mapped else None,
    )
