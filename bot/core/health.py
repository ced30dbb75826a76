"""Health factor of a lending position: the readable ratio, the chain's exact integer value,
and the shadow value at exchange mark prices."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from decimal import ROUND_HALF_EVEN, Decimal

from bot.core.aave_math import MAX_UINT256, AaveMath
from bot.core.account_model import AccountModel, account_model
from bot.core.model import INFINITE_HF, ZERO, PositionSnapshot, TokenMapping

__all__ = [
    "STABLE_UNDERLYING",
    "AaveMath",
    "decision_health_factor",
    "exact_health_factor",
    "exact_health_factor_wad",
    "readable_health_factor",
    "shadow_snapshot",
    "unmapped_tokens",
    "wad_to_health_factor",
    "with_unmapped_tokens",
]

STABLE_UNDERLYING = "USD"


def readable_health_factor(snapshot: PositionSnapshot) -> Decimal:
    """``sum(collateral * price * LT) / sum(debt * price)`` over collateral-enabled assets;
    ``Infinity`` with no debt."""
    weighted = sum(
        (
            a.collateral * a.price_usd * a.liquidation_threshold
            for a in snapshot.assets
            if a.collateral_enabled
        ),
        ZERO,
    )
    debt = sum((a.debt * a.price_usd for a in snapshot.assets), ZERO)
    if debt == 0:
        return INFINITE_HF
    return weighted / debt


def exact_health_factor_wad(snapshot: PositionSnapshot, *, math: AccountModel | None = None) -> int:
    """The health factor the protocol computes for this snapshot, x 1e18 (``2**256 - 1`` with
    no debt): Aave's ``getUserAccountData(user).healthFactor``, Venus's collateral / borrows on
    the liquidation-threshold path. ``math`` defaults to the snapshot's protocol's model.
    Raises ``ValueError`` naming the asset when an amount, price or threshold is not the exact
    decimal form of the chain's integer."""
    chosen = math if math is not None else account_model(snapshot)
    return chosen.health_factor_wad(snapshot)


def wad_to_health_factor(wad: int) -> Decimal:
    return INFINITE_HF if wad == MAX_UINT256 else Decimal(wad).scaleb(-18)


def exact_health_factor(snapshot: PositionSnapshot, *, math: AccountModel | None = None) -> Decimal:
    """The exact on-chain health factor as a Decimal (``Infinity`` with no debt)."""
    return wad_to_health_factor(exact_health_factor_wad(snapshot, math=math))


def unmapped_tokens(
    snapshot: PositionSnapshot, mapping: Mapping[str, TokenMapping]
) -> tuple[str, ...]:
    """Tokens the position holds that ``mapping`` does not name (listed by Aave, or donated)."""
    return tuple(sorted({a.symbol for a in snapshot.assets if a.symbol not in mapping}))


def with_unmapped_tokens(
    snapshot: PositionSnapshot, mapping: Mapping[str, TokenMapping]
) -> dict[str, TokenMapping]:
    """``mapping`` plus an entry for every token it misses: such a token keeps its oracle price
    and is never hedged (underlying ``USD``, beta 0). Anyone can supply a token on a
    borrower's behalf; it must change nothing but the HF the chain computes."""
    complete = dict(mapping)
    for symbol in unmapped_tokens(snapshot, mapping):
        complete[symbol] = TokenMapping(token=symbol, underlying=STABLE_UNDERLYING, beta=ZERO)
    return complete


def shadow_snapshot(
    snapshot: PositionSnapshot,
    mark_prices: Mapping[str, Decimal],
    mapping: Mapping[str, TokenMapping],
) -> PositionSnapshot:
    """The same position repriced at exchange marks, as the oracle will see it once it catches up.

    A token takes the mark of its underlying (``mark_prices["BTC"]`` for WBTC). A token that
    trades at a ratio to its underlying (wstETH) must be given its own mark under its symbol,
    which wins over the underlying's. Stablecoins (underlying ``"USD"``) keep their oracle
    price. Prices are rounded to the oracle's step (Aave 1e-8 USD) so the exact model applies.
    """
    model = account_model(snapshot)
    assets = []
    for asset in snapshot.assets:
        token = mapping.get(asset.symbol)
        if token is None:
            raise ValueError(f"token {asset.symbol!r} has no entry in the token mapping")
        if token.underlying == STABLE_UNDERLYING:
            assets.append(asset)
            continue
        mark = mark_prices.get(asset.symbol, mark_prices.get(token.underlying))
        if mark is None:
            raise ValueError(
                f"no mark price for underlying {token.underlying!r} (token {asset.symbol!r})"
            )
        if mark <= 0:
            raise ValueError(f"mark price for {token.underlying!r} must be > 0, got {mark}")
        price = mark.quantize(model.price_step(asset), rounding=ROUND_HALF_EVEN)
        assets.append(replace(asset, price_usd=price))
    return replace(snapshot, assets=tuple(assets), reported_health_factor_wad=None)


def decision_health_factor(oracle_hf: Decimal, shadow_hf: Decimal) -> Decimal:
    """Policies act on the worse of the two: the exchange usually sees a crash first."""
    return min(oracle_hf, shadow_hf)
