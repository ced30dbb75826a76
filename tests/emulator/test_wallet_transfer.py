"""What can leave the futures wallets (maxWithdrawAmount, reference §1.8) and the universal
transfer between spot and USD-M / COIN-M that enforces it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.client import Client

from bot.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.exchange
# BTCUSDT: 0.010 short filled at 60000 with a 0.05 % taker fee: 0.30 USDT.
WALLET_AFTER_FEE = Decimal("9999.7")


def _short_btc(client: Client) -> None:
    client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET", quantity="0.010")


def _caps(client: Client) -> tuple[Decimal, Decimal, Decimal, Decimal]:
    v2 = client.futures_account()
    v3 = client.futures_account(version=3)
    balance = next(b for b in client.futures_account_balance() if b["asset"] == "USDT")
    usdt_v2 = next(a for a in v2["assets"] if a["asset"] == "USDT")
    assert v3["maxWithdrawAmount"] == v2["maxWithdrawAmount"]
    return (
        Decimal(v2["maxWithdrawAmount"]),
        Decimal(usdt_v2["maxWithdrawAmount"]),
        Decimal(balance["maxWithdrawAmount"]),
        Decimal(v2["availableBalance"]),
    )


def test_unrealised_profit_does_not_leave(emulator: EmulatorHandle, client: Client) -> None:
    _short_btc(client)
    emulator.control.set_mark("BTCUSDT", "50000")  # +100 USDT unrealised
    total, asset, balance, available = _caps(client)
    # available = wallet + 100 - IM 25; the cap is the wallet less maintenance (500 * 0.4 %)
    assert available == WALLET_AFTER_FEE + 100 - 25
    assert total == asset == balance == WALLET_AFTER_FEE - 2


def test_unrealised_loss_reduces_what_can_leave(emulator: EmulatorHandle, client: Client) -> None:
    _short_btc(client)
    emulator.control.set_mark("BTCUSDT", "70000")  # -100 USDT unrealised, IM 700 / 20
    total, asset, balance, available = _caps(client)
    assert total == asset == balance == available == WALLET_AFTER_FEE - 100 - 35


def test_coinm_cap_keeps_maintenance_and_profit(emulator: EmulatorHandle, client: Client) -> None:
    client.futures_coin_create_order(
        symbol="BNBUSD_PERP", side="SELL", type="MARKET", quantity="10"
    )
    emulator.control.set_mark("BNBUSD_PERP", "500")  # a short in profit
    account = next(a for a in client.futures_coin_account()["assets"] if a["asset"] == "BNB")
    balance = next(b for b in client.futures_coin_account_balance() if b["asset"] == "BNB")
    wallet = Decimal(account["walletBalance"])
    maint = Decimal(account["maintMargin"])
    assert Decimal(account["unrealizedProfit"]) > 0
    cap = Decimal(account["maxWithdrawAmount"])
    assert cap == pytest.approx(wallet - maint, abs=Decimal("1e-8"))
    assert balance["withdrawAvailable"] == account["maxWithdrawAmount"]
