"""Futures math as a user sees it over HTTP: PnL, funding, Multi-Assets margin, liquidation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException
from hypothesis import given
from hypothesis import strategies as st

from bot.emulator import margin
from bot.emulator.markets import SPECS
from bot.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.exchange
D = Decimal


def _usdt(client: Client) -> Decimal:
    row = next(a for a in client.futures_account()["assets"] if a["asset"] == "USDT")
    return D(row["walletBalance"])


def test_usdm_linear_pnl(client: Client, emulator: EmulatorHandle) -> None:
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.100")
    emulator.control.set_mark("BTCUSDT", "57000")
    position = client.futures_position_information(symbol="BTCUSDT")[0]
    assert D(position["unRealizedProfit"]) == D("300")  # -0.1 × (57000 − 60000)
    assert D(position["notional"]) == D("-5700")
    client.futures_create_order(
        symbol="BTCUSDT", side="BUY", type="MARKET", quantity="0.100", reduceOnly="true"
    )
    assert _usdt(client) == D("10000") - D("3") + D("300") - D("2.85")
    income = client.futures_income_history(symbol="BTCUSDT")
    assert [(r["incomeType"], r["income"]) for r in income] == [
        ("COMMISSION", "-3.00000000"),
        ("REALIZED_PNL", "300.00000000"),
        ("COMMISSION", "-2.85000000"),
    ]
    trades = client.futures_account_trades(symbol="BTCUSDT")
    assert trades[-1]["realizedPnl"] == "300.00000000"
    assert trades[-1]["buyer"] is True


def test_coinm_inverse_pnl_in_coin(client: Client, emulator: EmulatorHandle) -> None:
    emulator.control.fund("BTC", "1", venue="coinm")
    client.futures_coin_create_order(
        symbol="BTCUSD_PERP", side="SELL", type="MARKET", quantity="30"
    )
    emulator.control.set_mark("BTCUSD_PERP", "50000")
    position = next(
        p for p in client.futures_coin_position_information() if p["symbol"] == "BTCUSD_PERP"
    )
    # short: 30 × 100 × (1/50000 − 1/60000) = +0.01 BTC
    assert D(position["unRealizedProfit"]) == D("0.01")
    assert D(position["notionalValue"]) == D("-0.06")
    client.futures_coin_create_order(symbol="BTCUSD_PERP", side="BUY", type="MARKET", quantity="30")
    btc = next(b for b in client.futures_coin_account_balance() if b["asset"] == "BTC")
    open_fee = D(3000) / D(60000) * D("0.0005")
    close_fee = D(3000) / D(50000) * D("0.0005")
    assert D(btc["balance"]) == (D(1) - open_fee + D("0.01") - close_fee).quantize(D("1e-8"))


def test_funding_payments_both_venues(client: Client, emulator: EmulatorHandle) -> None:
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.100")
    client.futures_coin_create_order(
        symbol="BNBUSD_PERP", side="SELL", type="MARKET", quantity="10"
    )
    emulator.control.set_funding_rate("BTCUSDT", "0.0001")
    emulator.control.set_funding_rate("BNBUSD_PERP", "-0.0003")
    assert emulator.control.advance_time(8 * 3600)["fundings_settled"] == 1
    usdm = client.futures_income_history(incomeType="FUNDING_FEE")
    assert [r["income"] for r in usdm] == ["0.60000000"]  # short receives 0.1×60000×0.0001
    coinm = client.futures_coin_income_history(incomeType="FUNDING_FEE")
    # negative rate: the short pays 10 × 10 / 600 × 0.0003 BNB
    assert D(coinm[0]["income"]) == -(D(100) / D(600) * D("0.0003")).quantize(D("1e-8"))
    assert coinm[0]["asset"] == "BNB"
    mark = client.futures_mark_price(symbol="BTCUSDT")
    assert mark["nextFundingTime"] % (8 * 3600 * 1000) == 0


def test_multi_assets_counts_bnb_after_haircut(client: Client, emulator: EmulatorHandle) -> None:
    emulator.control.fund("USDT", "-10000")
    emulator.control.fund("BNB", "10")
    with pytest.raises(BinanceAPIException) as caught:
        client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.010")
    assert caught.value.code == -2019, "single-asset mode: BNB is not margin"
    client.futures_change_multi_assets_mode(True)
    account = client.futures_account()
    assert D(account["totalWalletBalance"]) == D("5700")  # 10 BNB × 600 × (1 − 0.05)
    bnb = next(a for a in account["assets"] if a["asset"] == "BNB")
    assert D(bnb["availableBalance"]) == D("9.5")  # 5700 USD in BNB units
    index = client._request_futures_api("get", "assetIndex", data={"symbol": "BNBUSD"})
    assert index["bidRate"] == "570.00000000"
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.010")
    after = client.futures_account()
    # fee (0.3 USDT) is a USDT liability; margin is BNB collateral
    assert D(after["totalWalletBalance"]) == D("5700") - D("0.3") * D("1.05") / D("1.05")
    assert D(after["availableBalance"]) == D("5700") - D("0.3") - D("30")


def test_isolated_short_liquidation_price_and_liquidation(
    client: Client, emulator: EmulatorHandle
) -> None:
    client.futures_change_margin_type(symbol="BTCUSDT", marginType="ISOLATED")
    client.futures_change_leverage(symbol="BTCUSDT", leverage=10)
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.100")
    position = client.futures_position_information(symbol="BTCUSDT")[0]
    assert D(position["isolatedWallet"]) == D("600")
    # LP = (WB + cum + |q|·EP) / (|q|·MMR + |q|) = (600 + 6000) / 0.1004
    expected = D(6600) / D("0.1004")
    assert D(position["liquidationPrice"]) == expected.quantize(D("1e-8"), rounding="ROUND_HALF_UP")
    emulator.control.set_mark("BTCUSDT", str((expected - D("0.5")).quantize(D("0.1"))))
    assert client.futures_position_information(symbol="BTCUSDT") != [], "below LP: still open"
    emulator.control.set_mark("BTCUSDT", str((expected + D("0.5")).quantize(D("0.1"))))
    assert client.futures_position_information(symbol="BTCUSDT") == [], "margin ratio hit 100 %"
    types = [r["incomeType"] for r in client.futures_income_history(symbol="BTCUSDT")]
    assert "INSURANCE_CLEAR" in types
    liquidation = client.futures_get_all_orders(symbol="BTCUSDT")[-1]
    assert liquidation["clientOrderId"].startswith("autoclose-")
    assert _usdt(client) > D("10000") - D("3") - D("600") - 1, "loss capped by isolated margin"


def test_cross_liquidation_at_margin_ratio_100(client: Client, emulator: EmulatorHandle) -> None:
    emulator.control.fund("USDT", "-9700")  # 300 USDT left
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.050")
    lp = D(client.futures_position_information(symbol="BTCUSDT")[0]["liquidationPrice"])
    # (298.5 wallet after fee + 0.05 × 60000) / (0.05 × 1.004)
    assert lp == (D("3298.5") / D("0.0502")).quantize(D("1e-8"))
    emulator.control.set_mark("BTCUSDT", str((lp - 1).quantize(D("0.1"))))
    account = client.futures_account()
    assert D(account["totalMaintMargin"]) < D(account["totalMarginBalance"])
    emulator.control.set_mark("BTCUSDT", str((lp + 1).quantize(D("0.1"))))
    assert client.futures_position_information() == []


@given(
    qty=st.integers(min_value=1, max_value=10_000).map(lambda n: D(n) / 1000),
    entry=st.integers(min_value=1_000, max_value=200_000).map(D),
    exit_=st.integers(min_value=1_000, max_value=200_000).map(D),
    short=st.booleans(),
)
def test_round_trip_realizes_the_textbook_pnl(
    qty: Decimal, entry: Decimal, exit_: Decimal, short: bool
) -> None:
    signed = -qty if short else qty
    for symbol in ("BTCUSDT", "BTCUSD_PERP"):
        spec = SPECS[symbol]
        opened = margin.apply_fill(spec, amt=D(0), entry=D(0), delta=signed, price=entry)
        closed = margin.apply_fill(
            spec, amt=opened.amt, entry=opened.entry, delta=-signed, price=exit_
        )
        assert closed.amt == 0
        if spec.contract_size is None:
            assert closed.realized == signed * (exit_ - entry)
        else:
            expected = signed * spec.contract_size * (1 / entry - 1 / exit_)
            assert abs(closed.realized - expected) < D("1e-20")
