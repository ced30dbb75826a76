"""USD delta per hedge underlying: the lending position, the exchange margin, the hedges."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal

from bot.core.futures import hedge_delta_usd
from bot.core.health import STABLE_UNDERLYING
from bot.core.model import (
    ZERO,
    ContractSpec,
    Exposure,
    HedgePosition,
    MarginBalance,
    PositionSnapshot,
    TokenMapping,
)

__all__ = [
    "STABLE_ASSETS",
    "defi_deltas",
    "exposures",
    "hedge_deltas",
    "margin_deltas",
    "mark_for",
    "underlying_of_asset",
]

# Margin assets that are dollars: they are never exposure.
STABLE_ASSETS = frozenset({"USD", "USDT", "USDC", "FDUSD", "BUSD", "DAI", "TUSD", "USDE"})


def mark_for(marks: Mapping[str, Decimal], spec: ContractSpec) -> Decimal:
    """A contract's mark: ``marks`` keyed by futures symbol, else by underlying."""
    mark = marks.get(spec.symbol, marks.get(spec.underlying))
    if mark is None:
        raise ValueError(f"no mark price for {spec.symbol} (nor its underlying {spec.underlying})")
    if mark <= 0:
        raise ValueError(f"mark price for {spec.symbol} must be > 0, got {mark}")
    return mark


def underlying_of_asset(asset: str, mapping: Mapping[str, TokenMapping]) -> str | None:
    """The underlying a wallet asset (``"BNB"``) tracks; None for dollars."""
    token = mapping.get(asset)
    underlying = token.underlying if token is not None else asset
    if underlying == STABLE_UNDERLYING or asset in STABLE_ASSETS:
        return None
    return underlying


def _underlying_mark(
    underlying: str, marks: Mapping[str, Decimal], specs: Mapping[str, ContractSpec]
) -> Decimal:
    if underlying in marks:
        return marks[underlying]
    for symbol in sorted(specs):
        if specs[symbol].underlying == underlying and symbol in marks:
            return marks[symbol]
    raise ValueError(f"no mark price for margin asset {underlying!r}")


def defi_deltas(
    snapshot: PositionSnapshot, mapping: Mapping[str, TokenMapping]
) -> dict[str, Decimal]:
    """The lending position's beta-weighted USD delta per underlying (collateral counted
    whether or not it is enabled as collateral: the wallet owns it either way)."""
    defi: dict[str, Decimal] = {}
    for asset in snapshot.assets:
        token = mapping.get(asset.symbol)
        if token is None:
            raise ValueError(f"token {asset.symbol!r} has no entry in the token mapping")
        if token.underlying == STABLE_UNDERLYING:
            continue
        delta = token.beta * (asset.collateral - asset.debt) * asset.price_usd
        defi[token.underlying] = defi.get(token.underlying, ZERO) + delta
    return defi


def margin_deltas(
    margin_balances: Sequence[MarginBalance],
    mapping: Mapping[str, TokenMapping],
    specs: Mapping[str, ContractSpec],
    marks: Mapping[str, Decimal],
) -> dict[str, Decimal]:
    """Non-stable futures wallet balances (BNB) at the mark, before any haircut."""
    margin: dict[str, Decimal] = {}
    for balance in margin_balances:
        underlying = underlying_of_asset(balance.asset, mapping)
        if underlying is None or balance.wallet_balance == 0:
            continue
        value = balance.wallet_balance * _underlying_mark(underlying, marks, specs)
        margin[underlying] = margin.get(underlying, ZERO) + value
    return margin


def hedge_deltas(
    hedges: Sequence[HedgePosition],
    specs: Mapping[str, ContractSpec],
    marks: Mapping[str, Decimal],
) -> dict[str, Decimal]:
    """``hedge_delta_usd`` per underlying at the contract's mark (``marks`` by symbol, else
    underlying, else the position's own mark); negative when short."""
    hedge: dict[str, Decimal] = {}
    for position in hedges:
        if position.quantity == 0:
            continue
        spec = specs.get(position.symbol)
        if spec is None:
            raise ValueError(f"hedge on {position.symbol} has no contract spec")
        mark = marks.get(position.symbol, marks.get(spec.underlying, position.mark_price))
        delta = hedge_delta_usd(spec, position.quantity, mark, position.entry_price)
        hedge[spec.underlying] = hedge.get(spec.underlying, ZERO) + delta
    return hedge


def exposures(
    snapshot: PositionSnapshot,
    mapping: Mapping[str, TokenMapping],
    hedges: Sequence[HedgePosition],
    specs: Mapping[str, ContractSpec],
    marks: Mapping[str, Decimal],
    margin_balances: Sequence[MarginBalance] = (),
    count_margin_as_exposure: bool = True,
) -> dict[str, Exposure]:
    """USD delta per underlying (``"BTC"``...), stablecoins left out: the lending position
    (``defi_deltas``), the exchange margin (``margin_deltas``) and the hedges
    (``hedge_deltas``)."""
    defi = defi_deltas(snapshot, mapping)
    margin = (
        margin_deltas(margin_balances, mapping, specs, marks) if count_margin_as_exposure else {}
    )
    hedge = hedge_deltas(hedges, specs, marks)
    return {
        underlying: Exposure(
            underlying=underlying,
            defi_delta_usd=defi.get(underlying, ZERO),
            margin_delta_usd=margin.get(underlying, ZERO),
            hedge_delta_usd=hedge.get(underlying, ZERO),
        )
        for underlying in sorted(defi.keys() | margin.keys() | hedge.keys())
    }
