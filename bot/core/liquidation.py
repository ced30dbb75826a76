"""Liquidation geometry of a lending position: at which oracle price does HF reach 1?

Every answer starts from the closed form on the readable formula and is then moved to the true
on-chain crossing of the protocol's exact integer model (``bot.core.account_model``). Prices
move the adverse way: down for collateral, up for debt. A returned token price ``p`` (USD, at
the oracle's resolution: 1e-8 on Aave) satisfies: HF(p) >= 1, every price further on the safe
side is safe, and one oracle step the adverse way makes the position liquidatable.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Mapping
from decimal import ROUND_CEILING, ROUND_FLOOR, ROUND_HALF_EVEN, Decimal

from bot.core.account_model import AccountModel, account_model
from bot.core.health import STABLE_UNDERLYING
from bot.core.model import ZERO, PositionSnapshot, TokenMapping

# Decimal division keeps 28 digits: a product off a grid price by less than this many steps
# is that price.
GRID_NOISE = Decimal("1e-9")

__all__ = [
    "common_crash_factor",
    "distance_to_liquidation",
    "liquidation_price",
    "liquidation_price_for_underlying",
    "on_safe_side",
    "readable_crash_factor",
    "readable_liquidation_price",
    "underlying_crash_factor",
]


def readable_crash_factor(snapshot: PositionSnapshot, moving: Collection[int]) -> Decimal | None:
    """k such that multiplying the prices of the assets at indexes ``moving`` by k puts the
    readable HF at exactly 1. None when no k > 0 does it; 0 when HF < 1 at every k > 0."""
    fixed_weighted = fixed_debt = moving_weighted = moving_debt = ZERO
    for index, asset in enumerate(snapshot.assets):
        weighted = asset.collateral * asset.price_usd * asset.liquidation_threshold
        weighted = weighted if asset.collateral_enabled else ZERO
        debt = asset.debt * asset.price_usd
        if index in moving:
            moving_weighted += weighted
            moving_debt += debt
        else:
            fixed_weighted += weighted
            fixed_debt += debt
    exposure = moving_weighted - moving_debt
    if exposure == 0:
        return None
    factor = (fixed_debt - fixed_weighted) / exposure
    if factor > 0:
        return factor
    # Collateral-like: safe at every price. Debt-like: unsafe at every price.
    return None if exposure > 0 else ZERO


def _indexes_of(snapshot: PositionSnapshot, symbol: str) -> list[int]:
    indexes = [i for i, asset in enumerate(snapshot.assets) if asset.symbol == symbol]
    if not indexes:
        raise ValueError(f"token {symbol!r} is not in the snapshot of {snapshot.wallet}")
    return indexes


def readable_liquidation_price(snapshot: PositionSnapshot, token_symbol: str) -> Decimal | None:
    """Closed form on the readable formula, other prices fixed."""
    indexes = _indexes_of(snapshot, token_symbol)
    factor = readable_crash_factor(snapshot, indexes)
    return None if factor is None else factor * snapshot.assets[indexes[0]].price_usd


def liquidation_price(
    snapshot: PositionSnapshot, token_symbol: str, *, math: AccountModel | None = None
) -> Decimal | None:
    """The oracle price of ``token_symbol`` (others fixed) at which the exact HF crosses 1.

    For collateral it is the lowest price from which no further rise is liquidatable; for debt
    the highest price from which no further fall is. None when the token cannot cause
    liquidation; 0 for a debt-like token when the position is liquidatable at any price.
    """
    model = math if math is not None else account_model(snapshot)
    indexes = _indexes_of(snapshot, token_symbol)
    readable = readable_crash_factor(snapshot, indexes)
    if readable is None or readable == 0:
        return readable
    return model.price_crossing(snapshot, indexes)


def _crash_factor(
    snapshot: PositionSnapshot, moving: list[int], math: AccountModel | None
) -> Decimal | None:
    if not moving:
        return None
    symbols = {snapshot.assets[i].symbol for i in moving}
    if len(symbols) == 1:
        (symbol,) = symbols
        price = liquidation_price(snapshot, symbol, math=math)
        current = snapshot.assets[moving[0]].price_usd
        return None if price is None else price / current
    readable = readable_crash_factor(snapshot, moving)
    if readable is None or readable == 0:
        return readable
    resolved = math if math is not None else account_model(snapshot)
    return resolved.factor_crossing(snapshot, set(moving), readable)


def _moving_tokens(
    snapshot: PositionSnapshot,
    mapping: Mapping[str, TokenMapping],
    selects: Callable[[str], bool],
) -> list[int]:
    moving = []
    for index, asset in enumerate(snapshot.assets):
        token = mapping.get(asset.symbol)
        if token is None:
            raise ValueError(f"token {asset.symbol!r} has no entry in the token mapping")
        if selects(token.underlying) and (asset.collateral or asset.debt):
            moving.append(index)
    return moving


def underlying_crash_factor(
    snapshot: PositionSnapshot,
    underlying: str,
    mapping: Mapping[str, TokenMapping],
    *,
    math: AccountModel | None = None,
) -> Decimal | None:
    """k such that multiplying every token of ``underlying`` by k brings HF to 1."""
    return _crash_factor(snapshot, _moving_tokens(snapshot, mapping, underlying.__eq__), math)


def liquidation_price_for_underlying(
    snapshot: PositionSnapshot,
    underlying: str,
    mapping: Mapping[str, TokenMapping],
    *,
    underlying_price: Decimal | None = None,
    math: AccountModel | None = None,
) -> Decimal | None:
    """The ``underlying`` price at which HF reaches 1 when all its tokens move by one factor.

    ``underlying_price`` is today's price of the underlying (a mark); by default the oracle
    price of its first token in the snapshot.
    """
    moving = _moving_tokens(snapshot, mapping, underlying.__eq__)
    factor = _crash_factor(snapshot, moving, math)
    if factor is None:
        return None
    reference = underlying_price
    if reference is None:
        reference = snapshot.assets[moving[0]].price_usd
    if factor == 0:
        return ZERO
    step = (math if math is not None else account_model(snapshot)).price_step(
        snapshot.assets[moving[0]]
    )
    return on_safe_side(factor * reference, step, adverse_up=factor > 1)


def on_safe_side(price: Decimal, step: Decimal, *, adverse_up: bool) -> Decimal:
    """``price`` on the oracle's grid, rounded toward safety: a price the oracle can publish,
    never beyond the crossing (up for collateral, which liquidates below it; down for debt).

    A factor times a price carries division noise either way (3110.465141169999... for the
    crossing 3110.46514117): within ``GRID_NOISE`` of a step it is that grid price, or the
    user would read a crossing one step on the wrong side (or one step too cautious).
    """
    if step <= 0:
        return price
    grid = price / step
    nearest = grid.to_integral_value(ROUND_HALF_EVEN)
    if abs(grid - nearest) < GRID_NOISE:
        return nearest * step
    rounding = ROUND_FLOOR if adverse_up else ROUND_CEILING
    return grid.to_integral_value(rounding) * step


def common_crash_factor(
    snapshot: PositionSnapshot,
    mapping: Mapping[str, TokenMapping],
    *,
    math: AccountModel | None = None,
) -> Decimal | None:
    """k such that multiplying every non-stable price by k brings HF to 1 (0.6 = a 40 % crash).
    Above 1 when the position is net short crypto and a rally is what hurts it."""
    moving = _moving_tokens(snapshot, mapping, lambda u: u != STABLE_UNDERLYING)
    return _crash_factor(snapshot, moving, math)


def distance_to_liquidation(
    current: Decimal, liquidation: Decimal, *, adverse_up: bool = False
) -> Decimal:
    """Fraction the price must move the adverse way to reach ``liquidation`` (0.25 = 25 %).

    Adverse is down for collateral, up (``adverse_up``) for debt. Negative when the price is
    already past it.
    """
    if current <= 0:
        raise ValueError(f"current price must be > 0, got {current}")
    move = (liquidation - current) if adverse_up else (current - liquidation)
    return move / current
