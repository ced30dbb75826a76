"""Venus core pool (comptroller v10) account arithmetic, bit for bit.

``ComptrollerLens._calculateAccountPosition`` on the liquidation-threshold path (what
``getAccountLiquidity`` and ``liquidateBorrowAllowed`` use), for each market the account entered
(``getAssetsIn``) that holds vTokens or debt::

    tokensToDenom = ((LT * exchangeRate) / 1e18 * price) / 1e18      # Exp x Exp, truncated twice
    sumCollateral += tokensToDenom * vTokenBalance / 1e18           # mul_ScalarTruncateAddUInt
    sumBorrow     += price * borrowBalanceStored / 1e18              # mul_ScalarTruncateAddUInt
    sumBorrow     += vaiController.getVAIRepayAmount(account)        # after the loop

with the spot oracle price (``getUnderlyingPrice``: USD x 1e(36 - underlying decimals)) and the
account's effective LT (``getEffectiveLtvFactor(account, vToken, 1)``, its e-mode pool's value
when it has one). ``liquidity = sumCollateral - sumBorrow`` when positive, else ``shortfall``; an
account is liquidatable exactly when ``shortfall > 0``. The health factor hedgebot reports is
``sumCollateral / sumBorrow`` floored to 18 decimals, so ``HF >= 1`` exactly when there is no
shortfall.

How a snapshot carries Venus's integers (``bot.chain.venus`` builds it so):
- ``price_usd`` = price / 10**(36 - decimals), so one oracle step is 1e-(36 - decimals) USD;
- ``liquidation_threshold`` = the LT mantissa / 1e18; ``debt`` = borrowBalanceStored;
- ``supply_shares`` = the vToken balance and exchangeRateStored; ``collateral`` is their product
  floored to the underlying's units (what ``balanceOfUnderlying`` reports); a snapshot without
  shares (built by hand) is valued as shares at an exchange rate of exactly 1;
- ``collateral_enabled`` = the market is entered: a market not entered counts on neither side;
- VAI debt is an asset of its own (price 1 USD, 18 decimals, LT 0), which adds exactly
  ``getVAIRepayAmount`` to the borrow side.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass, replace
from decimal import Decimal
from fractions import Fraction

from bot.core.crossing import FACTOR_UNIT, LinearBounds, factor_crossing, price_crossing
from bot.core.exact import exact_int, from_int
from bot.core.model import ZERO, AssetPosition, PositionSnapshot, SupplyShares

EXP = 10**18  # ExponentialNoError.expScale
MAX_UINT256 = 2**256 - 1
ORACLE_DECIMALS = 36  # getUnderlyingPrice(vToken) is USD x 10**(36 - underlying decimals)


def price_decimals(decimals: int) -> int:
    """Decimals of an oracle price for a token with ``decimals`` (18 for BNB, 28 for 8)."""
    if not 0 <= decimals <= ORACLE_DECIMALS:
        raise ValueError(f"token decimals must be within 0..36 for the Venus oracle: {decimals}")
    return ORACLE_DECIMALS - decimals


def underlying_of(shares: SupplyShares) -> int:
    """Underlying raw units behind ``shares``: ``mul_ScalarTruncate(exchangeRate, tokens)``."""
    return shares.exchange_rate * shares.shares // EXP


def collateral_of(shares: SupplyShares, decimals: int) -> Decimal:
    """``underlying_of`` in whole tokens, exactly."""
    return from_int(underlying_of(shares), decimals)


@dataclass(frozen=True, slots=True)
class VenusMarket:
    """One market of the account as the comptroller's view sees it: integers only."""

    symbol: str
    entered: bool  # in getAssetsIn: counts at all
    vtokens: int
    exchange_rate: int  # mantissa
    borrow: int  # underlying raw units
    price: int  # oracle mantissa, USD x 10**(36 - decimals)
    lt: int  # effective liquidation threshold mantissa


def to_market(asset: AssetPosition) -> VenusMarket:
    where = f"asset {asset.symbol!r}"
    shares = asset.supply_shares
    if shares is None:
        shares = SupplyShares(
            shares=exact_int(asset.collateral, asset.decimals, f"{where} collateral"),
            exchange_rate=EXP,
        )
    market = VenusMarket(
        symbol=asset.symbol,
        entered=asset.collateral_enabled,
        vtokens=shares.shares,
        exchange_rate=shares.exchange_rate,
        borrow=exact_int(asset.debt, asset.decimals, f"{where} debt"),
        price=exact_int(asset.price_usd, price_decimals(asset.decimals), f"{where} price_usd"),
        lt=exact_int(asset.liquidation_threshold, 18, f"{where} liquidation_threshold"),
    )
    if min(market.vtokens, market.exchange_rate, market.borrow, market.price, market.lt) < 0:
        raise ValueError(f"{where}: amounts, price and liquidation_threshold must be >= 0")
    return market


def venus_markets(snapshot: PositionSnapshot) -> tuple[VenusMarket, ...]:
    return tuple(to_market(asset) for asset in snapshot.assets)


def weighted_rate(market: VenusMarket) -> int:
    """``mul_(weightedFactor, exchangeRate)``: the price-independent first truncation."""
    return market.lt * market.exchange_rate // EXP


def collateral_value(market: VenusMarket, price: int) -> int:
    """The market's addition to ``sumCollateral`` at oracle mantissa ``price`` (USD x 1e18)."""
    tokens_to_denom = weighted_rate(market) * price // EXP
    return tokens_to_denom * market.vtokens // EXP


def borrow_value(market: VenusMarket, price: int) -> int:
    """The market's addition to ``sumBorrowPlusEffects`` at ``price`` (USD x 1e18)."""
    return price * market.borrow // EXP


@dataclass(frozen=True, slots=True)
class AccountPosition:
    """The two accumulators of ``_calculateAccountPosition`` (USD x 1e18)."""

    sum_collateral: int
    sum_borrow: int

    @property
    def liquidity(self) -> int:
        return max(self.sum_collateral - self.sum_borrow, 0)

    @property
    def shortfall(self) -> int:
        return max(self.sum_borrow - self.sum_collateral, 0)


def account_position(markets: Iterable[VenusMarket]) -> AccountPosition:
    collateral = borrow = 0
    for market in markets:
        # Markets not entered are not iterated; entered ones with nothing in them are skipped.
        if not market.entered or (market.vtokens == 0 and market.borrow == 0):
            continue
        collateral += collateral_value(market, market.price)
        borrow += borrow_value(market, market.price)
    return AccountPosition(sum_collateral=collateral, sum_borrow=borrow)


def account_liquidity(snapshot: PositionSnapshot) -> tuple[int, int]:
    """``(liquidity, shortfall)`` as ``Comptroller.getAccountLiquidity`` returns them (USD x
    1e18, at most one non-zero) for the values in ``snapshot``."""
    position = account_position(venus_markets(snapshot))
    return position.liquidity, position.shortfall


def health_factor_wad(position: AccountPosition) -> int:
    if position.sum_borrow == 0:
        return MAX_UINT256
    return position.sum_collateral * EXP // position.sum_borrow


@dataclass(frozen=True, slots=True)
class VenusMath:
    """The ``bot.core.account_model.AccountModel`` of the Venus core pool."""

    def health_factor_wad(self, snapshot: PositionSnapshot) -> int:
        """``sumCollateral * 1e18 // sumBorrow`` (``2**256 - 1`` with no debt)."""
        return health_factor_wad(account_position(venus_markets(snapshot)))

    def price_step(self, asset: AssetPosition) -> Decimal:
        """One oracle unit: 10**-(36 - decimals) USD per whole token."""
        return Decimal(1).scaleb(-price_decimals(asset.decimals))

    def with_supply(self, asset: AssetPosition, raw: int) -> AssetPosition:
        """``asset`` after minting with ``raw`` underlying units at the stored exchange rate
        (``mintTokens = amount * 1e18 / exchangeRate``, truncated). Minting does not enter the
        market: a market not entered stays out of the account's liquidity."""
        shares = to_market(asset)
        minted = raw * EXP // shares.exchange_rate
        after = SupplyShares(shares=shares.vtokens + minted, exchange_rate=shares.exchange_rate)
        return replace(asset, collateral=collateral_of(after, asset.decimals), supply_shares=after)

    def price_crossing(self, snapshot: PositionSnapshot, indexes: Sequence[int]) -> Decimal | None:
        """The oracle price of the assets at ``indexes`` where the shortfall turns positive."""
        markets = venus_markets(snapshot)
        moving = set(indexes)
        targets = tuple(m for i, m in enumerate(markets) if i in moving and m.entered)
        if not targets:
            return None
        others = account_position(m for i, m in enumerate(markets) if i not in moving)
        crossing = _price_crossing(others.sum_collateral - others.sum_borrow, targets)
        if crossing is None:
            return None
        if crossing == 0:
            return ZERO
        return Decimal(crossing).scaleb(-price_decimals(snapshot.assets[indexes[0]].decimals))

    def factor_crossing(
        self, snapshot: PositionSnapshot, moving: Collection[int], readable: Decimal
    ) -> Decimal | None:
        """The factor on the prices at ``moving`` (each price floored to its oracle unit)
        where the shortfall turns positive."""
        markets = venus_markets(snapshot)

        def safe(factor: int) -> bool:
            scaled = (
                m if i not in moving else replace(m, price=m.price * factor // FACTOR_UNIT)
                for i, m in enumerate(markets)
            )
            position = account_position(scaled)
            return position.sum_collateral >= position.sum_borrow

        return factor_crossing(snapshot, moving, readable, safe)


def _price_crossing(margin0: int, targets: tuple[VenusMarket, ...]) -> int | None:
    """The lowest safe raw price of ``targets`` (one token) given the margin of the others."""

    def safe(price: int) -> bool:
        margin = margin0
        for t in targets:
            if t.vtokens or t.borrow:
                margin += collateral_value(t, price) - borrow_value(t, price)
        return margin >= 0

    # margin(p) lies in (m0 + k*p - collateral slack, m0 + k*p + debt slack]: each floored
    # product loses less than one unit, the vToken product less than vTokens/1e18 + 1.
    k = sum(
        (Fraction(weighted_rate(t) * t.vtokens, EXP * EXP) - Fraction(t.borrow, EXP))
        for t in targets
    )
    debt_slack = sum(1 for t in targets if t.borrow)
    coll_slack = sum((Fraction(t.vtokens, EXP) + 1 for t in targets if t.vtokens), Fraction(0))
    bounds = LinearBounds(
        k_unsafe=Fraction(k),
        r_unsafe=Fraction(-margin0 - debt_slack - 1),
        k_safe=Fraction(k),
        r_safe=coll_slack - margin0,
    )
    return price_crossing(bounds, safe, lambda _price: 0, segment_monotone=True)


VENUS_CORE = VenusMath()
