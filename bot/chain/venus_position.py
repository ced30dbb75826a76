"""Pure conversions from the Venus core pool's raw integers to the risk core's value types.

Every amount is converted exactly (``bot.core.exact.from_int``), never through floats; the
conventions (what ``collateral``, ``price_usd`` and ``liquidation_threshold`` hold for a Venus
market) are those ``bot.core.venus_math`` documents and reads back.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal

from bot.chain.protocol import AccountData
from bot.core.exact import exact_int, from_int
from bot.core.model import INFINITE_HF, ZERO, AssetPosition, PositionSnapshot, SupplyShares
from bot.core.venus_math import (
    EXP,
    MAX_UINT256,
    VenusMarket,
    account_position,
    collateral_of,
    collateral_value,
    health_factor_wad,
    price_decimals,
    venus_markets,
)

# vBNB holds native BNB and has no underlying token; the snapshot names it by the placeholder
# address wallets and aggregators use for a chain's native coin.
NATIVE_ADDRESS = "0xEeeeeEeeeEeEeeEeEeEeeEEEeeeeEeeeeeeeEEeE"
NATIVE_SYMBOL = "BNB"  # not WBNB: vBNB takes and returns the coin itself
NATIVE_DECIMALS = 18
VAI_SYMBOL = "VAI"
VAI_DECIMALS = 18
WEIGHT_COLLATERAL_FACTOR = 0  # WeightFunction.USE_COLLATERAL_FACTOR
WEIGHT_LIQUIDATION_THRESHOLD = 1  # WeightFunction.USE_LIQUIDATION_THRESHOLD


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketInfo:
    """One listed market, resolved at start-up."""

    v_token: str
    v_symbol: str  # "vBNB", "vUSDT"
    symbol: str  # the underlying's: "BNB", "USDT"
    underlying: str  # token address; NATIVE_ADDRESS for vBNB
    decimals: int  # the underlying's


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketReads:
    """What one snapshot read of one market for one account."""

    v_balance: int  # getAccountSnapshot: vToken balance
    borrow: int  # getAccountSnapshot: borrowBalanceStored (not accrued)
    exchange_rate: int  # getAccountSnapshot: exchangeRateStored (not accrued)
    price: int  # ResilientOracle.getUnderlyingPrice: USD x 10**(36 - decimals)
    liquidation_threshold: int  # getEffectiveLtvFactor(account, vToken, 1), mantissa
    collateral_factor: int  # getEffectiveLtvFactor(account, vToken, 0), mantissa
    liquidation_incentive: int  # getEffectiveLiquidationIncentive: 1.1e18 = +10 %
    entered: bool  # in getAssetsIn(account)


def mantissa_fraction(mantissa: int) -> Decimal:
    return from_int(mantissa, 18)


def asset_position(market: MarketInfo, reads: MarketReads) -> AssetPosition:
    """One market as the comptroller's liquidation check sees it for this account."""
    shares = SupplyShares(shares=reads.v_balance, exchange_rate=reads.exchange_rate)
    incentive = reads.liquidation_incentive
    return AssetPosition(
        symbol=market.symbol,
        address=market.underlying,
        decimals=market.decimals,
        collateral=collateral_of(shares, market.decimals),
        debt=from_int(reads.borrow, market.decimals),
        price_usd=from_int(reads.price, price_decimals(market.decimals)),
        liquidation_threshold=mantissa_fraction(reads.liquidation_threshold),
        collateral_enabled=reads.entered,
        ltv=mantissa_fraction(reads.collateral_factor),
        # Venus stores 1.1e18 for "+10 %"; the model wants the part on top (0.1).
        liquidation_bonus=mantissa_fraction(incentive - EXP) if incentive > EXP else ZERO,
        supply_shares=shares,
    )


def vai_position(vai_token: str, repay_amount: int) -> AssetPosition:
    """VAI minted against the account: the comptroller adds ``getVAIRepayAmount`` to the
    borrows as USD x 1e18, i.e. VAI at exactly 1 USD (price mantissa 1e18 at 18 decimals)."""
    return AssetPosition(
        symbol=VAI_SYMBOL,
        address=vai_token,
        decimals=VAI_DECIMALS,
        collateral=ZERO,
        debt=from_int(repay_amount, VAI_DECIMALS),
        price_usd=Decimal(1),
        liquidation_threshold=ZERO,
        collateral_enabled=True,  # counted unconditionally, like an entered market
    )


def account_data(snapshot: PositionSnapshot) -> AccountData:
    """``getUserAccountData``'s fields for a Venus account, computed from its snapshot.

    Collateral and debt at the spot oracle price (collateral unweighted, valued as the
    comptroller values it with a weight of 1); the thresholds are the value-weighted averages
    of the effective LT and CF. ``available_borrows_usd`` uses spot prices: the comptroller's
    own borrow check uses deviation-bounded prices and can allow a little less.
    """
    markets = venus_markets(snapshot)
    position = account_position(markets)
    weighted_cf = account_position(
        replace(m, lt=exact_int(a.ltv, 18, f"asset {a.symbol!r} ltv"))
        for m, a in zip(markets, snapshot.assets, strict=True)
    )
    total = sum(collateral_value(replace(m, lt=EXP), m.price) for m in markets if _counts(m))
    wad = health_factor_wad(position)
    return AccountData(
        wallet=snapshot.wallet,
        block_number=snapshot.block_number,
        total_collateral_usd=from_int(total, 18),
        total_debt_usd=from_int(position.sum_borrow, 18),
        available_borrows_usd=from_int(
            max(weighted_cf.sum_collateral - position.sum_borrow, 0), 18
        ),
        liquidation_threshold=Decimal(position.sum_collateral) / total if total else ZERO,
        ltv=Decimal(weighted_cf.sum_collateral) / total if total else ZERO,
        health_factor=INFINITE_HF if wad == MAX_UINT256 else from_int(wad, 18),
        health_factor_wad=wad,
    )


def _counts(market: VenusMarket) -> bool:
    return market.entered and market.vtokens > 0
