"""Pure conversions from Aave v3's raw integers to the risk core's value types.

Bit layouts: ``ReserveConfiguration.sol`` and ``UserConfiguration.sol`` (Aave v3 core). Every
amount is converted exactly (``Decimal(raw).scaleb(-decimals)``), never through floats.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.chain.protocol import AccountData
from bot.core.model import INFINITE_HF, AssetPosition

MAX_UINT256 = 2**256 - 1
BPS = Decimal(10_000)
# POOL_REVISION from which Aave is v3.2+: eMode by collateral bitmap, no stable debt.
LIQUID_EMODE_REVISION = 5


@dataclass(frozen=True, slots=True, kw_only=True)
class ReserveConfig:
    ltv_bps: int
    liquidation_threshold_bps: int
    liquidation_bonus_bps: int  # includes 100 % (10500 = +5 %)
    decimals: int
    emode_category: int  # meaningful before v3.2 only

    @staticmethod
    def from_bitmap(data: int) -> ReserveConfig:
        return ReserveConfig(
            ltv_bps=data & 0xFFFF,
            liquidation_threshold_bps=(data >> 16) & 0xFFFF,
            liquidation_bonus_bps=(data >> 32) & 0xFFFF,
            decimals=(data >> 48) & 0xFF,
            emode_category=(data >> 168) & 0xFF,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EModeCategory:
    category_id: int
    ltv_bps: int
    liquidation_threshold_bps: int
    liquidation_bonus_bps: int
    price_source: str | None = None  # v3.0/3.1 only: one price for every asset of the category
    collateral_bitmap: int | None = None  # v3.2+: which reserve ids the category covers

    def covers(self, *, reserve_id: int, reserve_category: int) -> bool:
        if self.collateral_bitmap is not None:
            return bool((self.collateral_bitmap >> reserve_id) & 1)
        return reserve_category == self.category_id


def is_borrowing(user_config: int, reserve_id: int) -> bool:
    return bool((user_config >> (2 * reserve_id)) & 1)


def is_using_as_collateral(user_config: int, reserve_id: int) -> bool:
    return bool((user_config >> (2 * reserve_id + 1)) & 1)


def tokens(raw: int, decimals: int) -> Decimal:
    # built from the string form: exact for any uint256, whatever the decimal context precision
    return Decimal(f"{raw}e-{decimals}")


def base_to_usd(raw: int, base_currency_unit: int) -> Decimal:
    places = len(str(base_currency_unit)) - 1
    if base_currency_unit == 10**places:
        return tokens(raw, places)
    return Decimal(raw) / Decimal(base_currency_unit)


def asset_position(
    *,
    symbol: str,
    asset: str,
    reserve_id: int,
    config: ReserveConfig,
    user_config: int,
    a_balance: int,
    variable_debt: int,
    stable_debt: int,
    oracle_price: int,
    base_currency_unit: int,
    emode: EModeCategory | None,
    emode_price: int | None,
) -> AssetPosition:
    """One reserve as Aave's ``GenericLogic`` sees it for this user: eMode LT/LTV/bonus (and, in
    v3.0/3.1, the eMode price) when the user's category covers the reserve."""
    in_emode = emode is not None and emode.covers(
        reserve_id=reserve_id, reserve_category=config.emode_category
    )
    ltv, lt, bonus = config.ltv_bps, config.liquidation_threshold_bps, config.liquidation_bonus_bps
    price = oracle_price
    if emode is not None and in_emode:
        ltv, lt, bonus = emode.ltv_bps, emode.liquidation_threshold_bps, emode.liquidation_bonus_bps
        if emode_price:
            price = emode_price
    return AssetPosition(
        symbol=symbol,
        address=asset,
        decimals=config.decimals,
        collateral=tokens(a_balance, config.decimals),
        debt=tokens(variable_debt, config.decimals) + tokens(stable_debt, config.decimals),
        price_usd=base_to_usd(price, base_currency_unit),
        liquidation_threshold=Decimal(lt) / BPS,
        collateral_enabled=is_using_as_collateral(user_config, reserve_id),
        ltv=Decimal(ltv) / BPS,
        # Aave stores 10500 for "+5 %"; the model wants the part on top (0.05). 0 = not collateral.
        liquidation_bonus=(Decimal(bonus) - BPS) / BPS if bonus else Decimal(0),
    )


def touches(user_config: int, reserve_id: int, a_balance: int, debt: int) -> bool:
    return bool(
        a_balance or debt or is_borrowing(user_config, reserve_id)
        or is_using_as_collateral(user_config, reserve_id)
    )  # fmt: skip


def account_data(
    wallet: str, block_number: int, raw: tuple[int, ...], base_currency_unit: int
) -> AccountData:
    collateral, debt, available, lt_bps, ltv_bps, hf = (int(x) for x in raw)
    return AccountData(
        wallet=wallet,
        block_number=block_number,
        total_collateral_usd=base_to_usd(collateral, base_currency_unit),
        total_debt_usd=base_to_usd(debt, base_currency_unit),
        available_borrows_usd=base_to_usd(available, base_currency_unit),
        liquidation_threshold=Decimal(lt_bps) / BPS,
        ltv=Decimal(ltv_bps) / BPS,
        health_factor=INFINITE_HF if hf == MAX_UINT256 else tokens(hf, 18),
        health_factor_wad=hf,
    )
