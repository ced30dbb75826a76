"""Which python-binance method serves each operation on each venue.

USD-M and COIN-M differ in method names and in a few shapes; the adapter looks the name up here
instead of branching on the venue at every call site.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.core.model import Venue


@dataclass(frozen=True, slots=True, kw_only=True)
class VenueMethods:
    time: str
    exchange_info: str
    mark_price: str
    funding_history: str
    positions: str
    # USD-M v3 positionRisk carries no leverage/marginType: read them from symbolConfig.
    # None: the venue's positionRisk rows carry them.
    symbol_config: str | None
    balances: str
    create_order: str
    get_order: str
    cancel_order: str
    account_trades: str
    income: str
    change_leverage: str
    change_margin_type: str
    get_position_mode: str
    change_position_mode: str
    # Multi-Assets Mode exists on USD-M only.
    get_multi_assets_mode: str | None
    change_multi_assets_mode: str | None


VENUE_METHODS: dict[Venue, VenueMethods] = {
    Venue.USDM: VenueMethods(
        time="futures_time",
        exchange_info="futures_exchange_info",
        mark_price="futures_mark_price",
        funding_history="futures_funding_rate",
        positions="futures_position_information",
        symbol_config="futures_symbol_config",
        balances="futures_account_balance",
        create_order="futures_create_order",
        get_order="futures_get_order",
        cancel_order="futures_cancel_order",
        account_trades="futures_account_trades",
        income="futures_income_history",
        change_leverage="futures_change_leverage",
        change_margin_type="futures_change_margin_type",
        get_position_mode="futures_get_position_mode",
        change_position_mode="futures_change_position_mode",
        get_multi_assets_mode="futures_get_multi_assets_mode",
        change_multi_assets_mode="futures_change_multi_assets_mode",
    ),
    Venue.COINM: VenueMethods(
        time="futures_coin_time",
        exchange_info="futures_coin_exchange_info",
        mark_price="futures_coin_mark_price",
        funding_history="futures_coin_funding_rate",
        positions="futures_coin_position_information",
        symbol_config=None,
        balances="futures_coin_account_balance",
        create_order="futures_coin_create_order",
        get_order="futures_coin_get_order",
        cancel_order="futures_coin_cancel_order",
        account_trades="futures_coin_account_trades",
        income="futures_coin_income_history",
        change_leverage="futures_coin_change_leverage",
        change_margin_type="futures_coin_change_margin_type",
        get_position_mode="futures_coin_get_position_mode",
        change_position_mode="futures_coin_change_position_mode",
        get_multi_assets_mode=None,
        change_multi_assets_mode=None,
    ),
}
