"""Aave v3's own integer arithmetic for the health factor, bit for bit.

``GenericLogic.calculateUserAccountData`` values every reserve in base-currency units (USD x 1e8)
with integer division, so its health factor differs from the textbook ratio in the last digits,
and near HF 1 those digits decide whether a position is liquidatable. This module converts a
snapshot back to the raw integers the chain holds and redoes the contract's arithmetic.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.core.model import AssetPosition, PositionSnapshot

WAD = 10**18
MAX_UINT256 = 2**256 - 1
PRICE_DECIMALS = 8  # AaveOracle.BASE_CURRENCY_UNIT = 1e8 on the USD markets
PRICE_UNIT = 10**PRICE_DECIMALS
BPS = 10_000
HALF_BPS = 5_000


class AaveMath(StrEnum):
    """Which ``GenericLogic`` the pool runs.

    V3_0: ``@aave/core-v3`` 1.19.x (v3.0.x): collateral and debt floored, the average liquidation
    threshold floored to whole bps, ``percentMul`` then ``wadDiv``, both half-up.
    V3_5: ``aave-v3-origin`` v3.5+: debt rounded up (``mulDivCeil``) and
    ``HF = wadDiv(sum(value_i * LT_i), debt) / 1e4`` with no averaged threshold.
    """

    V3_0 = "v3.0"
    V3_5 = "v3.5"

    @classmethod
    def for_revision(cls, pool_revision: int | None) -> AaveMath:
        """``Pool.POOL_REVISION()`` 9 is v3.5.0, where the HF rounding changed."""
        return cls.V3_5 if pool_revision is not None and pool_revision >= 9 else cls.V3_0


@dataclass(frozen=True, slots=True)
class RawReserve:
    """One reserve as the chain stores it: integers only."""

    symbol: str
    collateral_raw: int  # 0 when the reserve does not count as collateral
    debt_raw: int
    price_raw: int  # base units (USD x 1e8) per whole token
    unit: int  # 10**decimals
    lt_bps: int


def exact_int(value: Decimal, scale: int, what: str) -> int:
    """``value * 10**scale`` as an int, refusing (not rounding) anything that is not whole.

    Works on the digit tuple so the result never depends on the thread's decimal context.
    """
    if not value.is_finite():
        raise ValueError(f"{what} must be finite, got {value}")
    sign, digits, exponent = value.as_tuple()
    assert isinstance(exponent, int)
    number = int("".join(map(str, digits))) if digits else 0
    shift = exponent + scale
    if shift >= 0:
        number *= 10**shift
    else:
        number, remainder = divmod(number, 10**-shift)
        if remainder:
            raise ValueError(
                f"{what} = {value} is not a whole number of 1e-{scale} units; "
                "snapshots must carry the chain's exact integers"
            )
    return int(-number if sign else number)


def to_raw(asset: AssetPosition) -> RawReserve:
    where = f"asset {asset.symbol!r}"
    collateral = exact_int(asset.collateral, asset.decimals, f"{where} collateral")
    debt = exact_int(asset.debt, asset.decimals, f"{where} debt")
    price = exact_int(asset.price_usd, PRICE_DECIMALS, f"{where} price_usd")
    lt_bps = exact_int(asset.liquidation_threshold, 4, f"{where} liquidation_threshold")
    if min(collateral, debt, price, lt_bps) < 0:
        raise ValueError(f"{where}: amounts, price and liquidation_threshold must be >= 0")
    # GenericLogic skips collateral whose reserve LT is 0 and reserves the user disabled.
    counts = asset.collateral_enabled and lt_bps != 0
    return RawReserve(
        symbol=asset.symbol,
        collateral_raw=collateral if counts else 0,
        debt_raw=debt,
        price_raw=price,
        unit=10**asset.decimals,
        lt_bps=lt_bps,
    )


def raw_reserves(snapshot: PositionSnapshot) -> tuple[RawReserve, ...]:
    return tuple(to_raw(asset) for asset in snapshot.assets)


def collateral_base(reserve: RawReserve, price_raw: int) -> int:
    return reserve.collateral_raw * price_raw // reserve.unit


def debt_base(reserve: RawReserve, price_raw: int, math: AaveMath) -> int:
    product = reserve.debt_raw * price_raw
    if math is AaveMath.V3_5:
        return -(-product // reserve.unit)  # MathUtils.mulDivCeil
    return product // reserve.unit


@dataclass(frozen=True, slots=True)
class AccountSums:
    """The three accumulators of ``calculateUserAccountData`` (base units; LT sum in base x bps)."""

    total_collateral: int
    lt_weighted_collateral: int
    total_debt: int


def account_sums(reserves: Iterable[RawReserve], math: AaveMath) -> AccountSums:
    collateral = weighted = debt = 0
    for reserve in reserves:
        value = collateral_base(reserve, reserve.price_raw)
        collateral += value
        weighted += value * reserve.lt_bps
        if reserve.debt_raw:
            debt += debt_base(reserve, reserve.price_raw, math)
    return AccountSums(
        total_collateral=collateral, lt_weighted_collateral=weighted, total_debt=debt
    )


def average_lt_bps(total_collateral: int, lt_weighted_collateral: int) -> int:
    return lt_weighted_collateral // total_collateral if total_collateral else 0


def health_factor_wad(
    total_collateral: int, lt_weighted_collateral: int, total_debt: int, math: AaveMath
) -> int:
    """The contract's final step, from the accumulators to the WAD health factor."""
    if total_debt == 0:
        return MAX_UINT256
    if math is AaveMath.V3_5:
        return (lt_weighted_collateral * WAD + total_debt // 2) // total_debt // BPS
    average = average_lt_bps(total_collateral, lt_weighted_collateral)
    liquidation_value = (total_collateral * average + HALF_BPS) // BPS  # percentMul, half up
    return (liquidation_value * WAD + total_debt // 2) // total_debt  # wadDiv, half up


def account_health_factor_wad(reserves: Iterable[RawReserve], math: AaveMath) -> int:
    sums = account_sums(reserves, math)
    return health_factor_wad(
        sums.total_collateral, sums.lt_weighted_collateral, sums.total_debt, math
    )
