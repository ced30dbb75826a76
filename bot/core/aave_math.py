"""Aave v3's own integer arithmetic for the health factor, bit for bit.

``GenericLogic.calculateUserAccountData`` values every reserve in base-currency units (USD x 1e8)
with integer division, so its health factor differs from the textbook ratio in the last digits,
and near HF 1 those digits decide whether a position is liquidatable. This module converts a
snapshot back to the raw integers the chain holds and redoes the contract's arithmetic.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction

from bot.core.crossing import FACTOR_UNIT, LinearBounds, factor_crossing, price_crossing
from bot.core.exact import exact_int
from bot.core.model import ZERO, AssetPosition, PositionSnapshot

WAD = 10**18
MAX_UINT256 = 2**256 - 1
PRICE_DECIMALS = 8  # AaveOracle.BASE_CURRENCY_UNIT = 1e8 on the USD markets
PRICE_UNIT = 10**PRICE_DECIMALS
PRICE_STEP = Decimal(1).scaleb(-PRICE_DECIMALS)  # one oracle unit, USD per whole token
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

    # The ``bot.core.account_model.AccountModel`` interface: Aave's account arithmetic as data.
    def health_factor_wad(self, snapshot: PositionSnapshot) -> int:
        """What ``Pool.getUserAccountData(user).healthFactor`` returns for ``snapshot``."""
        return account_health_factor_wad(raw_reserves(snapshot), self)

    def price_step(self, asset: AssetPosition) -> Decimal:
        """AaveOracle prices are USD with 8 decimals, whatever the token."""
        return PRICE_STEP

    def with_supply(self, asset: AssetPosition, raw: int) -> AssetPosition:
        """``asset`` after supplying ``raw`` units. A first supply of an asset with a non-zero
        LTV turns it on as collateral, as the Pool does (``validateUseAsCollateral``)."""
        enabled = asset.collateral_enabled or (asset.collateral == 0 and asset.ltv > 0)
        added = Decimal(raw).scaleb(-asset.decimals)
        return replace(asset, collateral=asset.collateral + added, collateral_enabled=enabled)

    def price_crossing(self, snapshot: PositionSnapshot, indexes: Sequence[int]) -> Decimal | None:
        """The oracle price (USD) of the assets at ``indexes`` where HF crosses 1."""
        reserves = raw_reserves(snapshot)
        targets = tuple(reserves[i] for i in indexes)
        others = account_sums((r for i, r in enumerate(reserves) if i not in indexes), self)
        crossing = exact_price_crossing(
            (others.total_collateral, others.lt_weighted_collateral, others.total_debt),
            targets,
            self,
        )
        if crossing is None:
            return None
        if crossing == 0:
            return ZERO
        return Decimal(crossing).scaleb(-PRICE_DECIMALS)

    def factor_crossing(
        self, snapshot: PositionSnapshot, moving: Collection[int], readable: Decimal
    ) -> Decimal | None:
        """The crash factor of the assets at ``moving`` where HF crosses 1."""
        return exact_factor_crossing(snapshot, moving, readable, self)


@dataclass(frozen=True, slots=True)
class RawReserve:
    """One reserve as the chain stores it: integers only."""

    symbol: str
    collateral_raw: int  # 0 when the reserve does not count as collateral
    debt_raw: int
    price_raw: int  # base units (USD x 1e8) per whole token
    unit: int  # 10**decimals
    lt_bps: int


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


def exact_price_crossing(
    others: tuple[int, int, int], targets: tuple[RawReserve, ...], math: AaveMath
) -> int | None:
    """The crossing as a raw oracle price (USD x 1e8); 0 = unsafe at every positive price."""
    c0, n0, d0 = others
    # ``collateral_base`` and ``debt_base`` inlined on plain tuples: the search below calls
    # ``sums`` a few dozen times per crossing, on every cycle.
    rows = tuple((t.collateral_raw, t.unit, t.lt_bps, t.debt_raw) for t in targets)
    debt_rounds_up = math is AaveMath.V3_5

    def sums(price: int) -> tuple[int, int, int]:
        value = weighted = debt = 0
        for collateral_raw, unit, lt_bps, debt_raw in rows:
            v = collateral_raw * price // unit
            value += v
            weighted += v * lt_bps
            if debt_raw:
                product = debt_raw * price
                debt += -(-product // unit) if debt_rounds_up else product // unit
        return c0 + value, n0 + weighted, d0 + debt

    def safe(price: int) -> bool:
        return health_factor_wad(*sums(price), math) >= WAD

    def segment(price: int) -> int:
        # Only v3.0 floors the average LT, which makes HF dip where that average steps down.
        if math is AaveMath.V3_0:
            total, weighted, _ = sums(price)
            return average_lt_bps(total, weighted)
        return 0

    # Linear bounds with every rounding slack on the pessimistic side: prices satisfying
    # k_unsafe*p <= r_unsafe are surely liquidatable, k_safe*p >= r_safe surely safe.
    debt_per_price = sum((Fraction(t.debt_raw, t.unit) for t in targets), Fraction(0))
    debt_slack = sum(1 for t in targets if t.debt_raw)
    coll_slack = sum(t.lt_bps - 1 for t in targets if t.collateral_raw)
    k_unsafe = (
        sum((Fraction(t.collateral_raw * t.lt_bps, t.unit) for t in targets), Fraction(0))
        - BPS * debt_per_price
    )
    r_unsafe = BPS * (d0 - debt_slack) - 5 * HALF_BPS - n0
    k_safe = (
        sum((Fraction(t.collateral_raw * (t.lt_bps - 1), t.unit) for t in targets), Fraction(0))
        - BPS * debt_per_price
    )
    r_safe = BPS * (d0 + debt_slack) + HALF_BPS + coll_slack - (n0 - c0)
    bounds = LinearBounds(k_unsafe, Fraction(r_unsafe), k_safe, Fraction(r_safe))
    # Where the unrounded HF is 1: only where the search starts (a few units off the answer).
    # One moving reserve: its collateral value only grows with the price, so the floored
    # average LT moves one way only (towards the reserve's own LT).
    guess = _floor_div(BPS * d0 - n0, k_unsafe) if k_unsafe else None
    return price_crossing(bounds, safe, segment, segment_monotone=len(rows) == 1, guess=guess)


def _floor_div(numerator: int, denominator: Fraction) -> int:
    return numerator * denominator.denominator // denominator.numerator


def exact_factor_crossing(
    snapshot: PositionSnapshot, moving: Collection[int], readable: Decimal, math: AaveMath
) -> Decimal | None:
    """Exact-model crash factor for several tokens moving together (bisection at 1e-15)."""
    reserves = raw_reserves(snapshot)

    def safe(factor: int) -> bool:
        scaled = (
            r if i not in moving else _with_price(r, r.price_raw * factor // FACTOR_UNIT)
            for i, r in enumerate(reserves)
        )
        s = account_sums(scaled, math)
        return (
            health_factor_wad(s.total_collateral, s.lt_weighted_collateral, s.total_debt, math)
            >= WAD
        )

    return factor_crossing(snapshot, moving, readable, safe)


def _with_price(reserve: RawReserve, price: int) -> RawReserve:
    return RawReserve(
        symbol=reserve.symbol,
        collateral_raw=reserve.collateral_raw,
        debt_raw=reserve.debt_raw,
        price_raw=price,
        unit=reserve.unit,
        lt_bps=reserve.lt_bps,
    )
