"""Wire translators against Binance's official example responses (tests/exchange/resources)."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

from bot.core.model import MarginType, OrderStatus, Side, Venue
from bot.exchange.binance.schemas import (
    Balance,
    Income,
    OrderResponse,
    PositionRisk,
    PremiumIndex,
    SymbolConfig,
    SymbolInfo,
    Trade,
    WireFormatError,
    rows,
)

EXAMPLES: dict[str, Any] = json.loads(
    (Path(__file__).parent / "resources" / "binance_examples.json").read_text()
)
USDM, COINM = EXAMPLES["usdm"], EXAMPLES["coinm"]

LIVE_BTCUSDT = {  # binance-futures.md §3.1, live capture
    "symbol": "BTCUSDT",
    "status": "TRADING",
    "baseAsset": "BTC",
    "quoteAsset": "USDT",
    "marginAsset": "USDT",
    "filters": [
        {
            "filterType": "PRICE_FILTER",
            "minPrice": "556.80",
            "maxPrice": "4529764",
            "tickSize": "0.10",
        },
        {"filterType": "LOT_SIZE", "minQty": "0.001", "stepSize": "0.001", "maxQty": "1000"},
        {"stepSize": "0.001", "filterType": "MARKET_LOT_SIZE", "minQty": "0.001", "maxQty": "120"},
        {"limit": 200, "filterType": "MAX_NUM_ORDERS"},
        {"filterType": "MIN_NOTIONAL", "notional": "50"},
    ],
}


def test_live_usdm_symbol_becomes_a_linear_spec_with_market_lot_limits() -> None:
    spec = SymbolInfo.from_json(LIVE_BTCUSDT).to_contract_spec(Venue.USDM)

    assert spec.inverse is False
    assert spec.contract_size == 1
    assert (spec.step_size, spec.min_qty, spec.max_qty) == (
        Decimal("0.001"),
        Decimal("0.001"),
        Decimal("120"),  # MARKET_LOT_SIZE caps market orders below LOT_SIZE's 1000
    )
    assert spec.tick_size == Decimal("0.10")
    assert spec.min_notional == Decimal("50")
    assert spec.underlying == "BTC"
    assert spec.margin_asset == "USDT"


def test_docs_example_with_merged_filters_still_parses() -> None:
    raw = USDM["exchange_information"]["symbols"][0]

    spec = SymbolInfo.from_json(raw).to_contract_spec(Venue.USDM)

    assert spec.symbol == "BLZUSDT"
    assert spec.step_size == Decimal("1")


def test_coinm_symbol_is_inverse_with_its_contract_size() -> None:
    raw = COINM["exchange_information"]["symbols"][0]

    spec = SymbolInfo.from_json(raw).to_contract_spec(Venue.COINM)

    assert spec.inverse is True
    assert spec.contract_size == Decimal(100)
    assert spec.margin_asset == "BTC"
    assert spec.min_notional == 0


def test_symbol_without_lot_filter_is_refused_by_name() -> None:
    raw = dict(LIVE_BTCUSDT, filters=[{"filterType": "PRICE_FILTER", "tickSize": "0.1"}])

    with pytest.raises(WireFormatError, match="BTCUSDT"):
        SymbolInfo.from_json(raw).to_contract_spec(Venue.USDM)


@pytest.mark.parametrize(
    ("raw", "mark"),
    [
        (USDM["mark_price"], Decimal("11793.63104562")),
        (COINM["index_price_and_mark_price"], Decimal("11029.69574559")),  # an array on COIN-M
    ],
)
def test_premium_index_gives_mark_and_next_funding_rate(raw: Any, mark: Decimal) -> None:
    index = PremiumIndex.from_json(rows(raw)[0])

    assert index.mark_price == mark
    assert index.last_funding_rate > 0
    assert index.next_funding_time_ms > 0


def test_usdm_v3_position_needs_symbol_config_for_leverage() -> None:
    risk = PositionRisk.from_json(USDM["position_information_v3"][0])
    config = SymbolConfig.from_json(USDM["symbol_configuration"][0])

    with pytest.raises(WireFormatError, match="symbolConfig"):
        risk.to_hedge_position()
    position = risk.to_hedge_position(config)

    assert position.quantity == Decimal("30")
    assert position.unrealized_pnl == Decimal("0.76427700")
    assert position.leverage == 21
    assert position.margin_type is MarginType.CROSS
    assert position.liquidation_price is None  # "0" means none


def test_coinm_position_carries_leverage_and_lowercase_margin_type() -> None:
    position = PositionRisk.from_json(COINM["position_information"][0]).to_hedge_position()

    assert position.leverage == 125
    assert position.margin_type is MarginType.CROSS


def test_balances_of_both_venues() -> None:
    usdm = Balance.from_json(USDM["futures_account_balance_v3"][0])
    coinm = Balance.from_json(COINM["futures_account_balance"][0])

    assert usdm.to_margin_balance(Venue.USDM, Decimal(1)).wallet_balance == Decimal(
        "122607.35137903"
    )
    btc = coinm.to_margin_balance(Venue.COINM, Decimal(50000))
    assert btc.asset == "BTC"
    assert btc.usd_value == Decimal("0.00250000") * 50000


@pytest.mark.parametrize(
    "raw",
    [
        USDM["new_order"],
        USDM["query_order"],
        USDM["cancel_order"],
        COINM["new_order"],
        COINM["query_order"],
    ],
)
def test_order_objects_translate_to_reports(raw: Any) -> None:
    report = OrderResponse.from_json(raw).to_order_report()

    assert report.exchange_order_id == raw["orderId"]
    assert report.client_order_id == raw["clientOrderId"]
    assert report.status is OrderStatus(raw["status"])
    assert report.side is Side(raw["side"])
    assert report.quantity == Decimal(raw["origQty"])


def test_trades_and_income_rows() -> None:
    trade = Trade.from_json(USDM["account_trade_list"][0])
    income = Income.from_json(COINM["get_income_history"][0])

    assert trade.commission == Decimal("0.07819010")
    assert trade.commission_asset == "USDT"
    assert income.income_type
    assert isinstance(income.income, Decimal)


def test_bad_number_names_the_field() -> None:
    with pytest.raises(WireFormatError, match="positionAmt"):
        PositionRisk.from_json({"symbol": "X", "positionAmt": "abc"})
