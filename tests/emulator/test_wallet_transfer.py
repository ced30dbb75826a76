"""What can leave the futures wallets (maxWithdrawAmount, reference §1.8) and the universal
transfer between spot and USD-M / COIN-M that enforces it."""

from __future__ import annotations

from decimal import Decimal

import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

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


def _spot(client: Client, asset: str) -> Decimal:
    balance = client.get_asset_balance(asset=asset)
    return Decimal(balance["free"]) if balance else Decimal(0)


def _usdm(client: Client, asset: str) -> Decimal:
    row = next(b for b in client.futures_account_balance() if b["asset"] == asset)
    return Decimal(row["balance"])


def test_transfers_move_money_both_ways(emulator: EmulatorHandle, client: Client) -> None:
    out = client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="250.5")
    assert set(out) == {"tranId"}
    assert isinstance(out["tranId"], int)
    assert _spot(client, "USDT") == Decimal("250.5")
    assert _usdm(client, "USDT") == Decimal("9749.5")
    back = client.make_universal_transfer(type="MAIN_UMFUTURE", asset="USDT", amount="50")
    assert back["tranId"] > out["tranId"]
    assert _spot(client, "USDT") == Decimal("200.5")
    assert _usdm(client, "USDT") == Decimal("9799.5")
    client.universal_transfer(type="CMFUTURE_MAIN", asset="BNB", amount="2")
    client.universal_transfer(type="MAIN_CMFUTURE", asset="BNB", amount="0.5")
    bnb = next(b for b in client.futures_coin_account_balance() if b["asset"] == "BNB")
    assert Decimal(bnb["balance"]) == Decimal("8.5")
    assert _spot(client, "BNB") == Decimal("1.5")
    incomes = client.futures_income_history(incomeType="TRANSFER")
    assert [Decimal(i["income"]) for i in incomes] == [Decimal("-250.5"), Decimal(50)]


def test_usdc_is_margin_in_multi_assets_mode_and_leaves_like_usdt(
    emulator: EmulatorHandle, client: Client
) -> None:
    """USDC, capital.coin's default: 1:1 collateral beside USDT, and it moves to spot."""
    client.futures_change_multi_assets_mode(multiAssetsMargin="true")
    emulator.control.fund("USDC", "5000", venue="usdm")
    account = client.futures_account()
    assert Decimal(account["totalMarginBalance"]) == Decimal(15_000)
    usdc = next(a for a in account["assets"] if a["asset"] == "USDC")
    assert Decimal(usdc["walletBalance"]) == Decimal(5_000)
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDC", amount="1200")
    assert _spot(client, "USDC") == Decimal(1_200)
    assert _usdm(client, "USDC") == Decimal(3_800)


def test_transfer_history_pages_newest_first(client: Client) -> None:
    for amount in ("1", "2", "3"):
        client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount=amount)
    history = client.query_universal_transfer_history(type="UMFUTURE_MAIN", size=2)
    assert history["total"] == 3
    assert [r["amount"] for r in history["rows"]] == ["3", "2"]
    second = client.query_universal_transfer_history(type="UMFUTURE_MAIN", size=2, current=2)
    assert [r["amount"] for r in second["rows"]] == ["1"]
    assert client.query_universal_transfer_history(type="MAIN_UMFUTURE") == {"total": 0}


def test_profit_stays_in_futures(emulator: EmulatorHandle, client: Client) -> None:
    _short_btc(client)
    emulator.control.set_mark("BTCUSDT", "50000")
    cap = Decimal(client.futures_account()["maxWithdrawAmount"])
    assert cap == WALLET_AFTER_FEE - 2  # +100 unrealised does not count
    with pytest.raises(BinanceAPIException) as too_much:
        client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount=str(cap + 1))
    assert (too_much.value.status_code, too_much.value.code) == (400, -5002)
    assert too_much.value.message == "You have insufficient balance."
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount=str(cap))
    assert Decimal(client.futures_account()["maxWithdrawAmount"]) == 0
    assert _spot(client, "USDT") == cap
    position = client.futures_position_information(symbol="BTCUSDT")[0]
    assert Decimal(position["unRealizedProfit"]) == 100  # still open, still in profit


@pytest.mark.parametrize(
    ("params", "code"),
    [
        ({"type": "MAIN_UMFUTURE", "asset": "USDT", "amount": "1"}, -5002),  # spot is empty
        ({"type": "UMFUTURE_MAIN", "asset": "USDT", "amount": "10000.01"}, -5002),
        ({"type": "CMFUTURE_MAIN", "asset": "BNB", "amount": "10.1"}, -5002),
        ({"type": "MARGIN_MAIN", "asset": "USDT", "amount": "1"}, -1130),
        ({"type": "UMFUTURE_MAIN", "asset": "DOGE", "amount": "1"}, -1130),
        ({"type": "UMFUTURE_MAIN", "asset": "USDT", "amount": "0"}, -1130),
        ({"type": "UMFUTURE_MAIN", "asset": "USDT"}, -1102),
        ({"asset": "USDT", "amount": "1"}, -1102),
    ],
)
def test_transfer_rejections(client: Client, params: dict[str, str], code: int) -> None:
    with pytest.raises(BinanceAPIException) as rejected:
        client.universal_transfer(**params)
    assert (rejected.value.status_code, rejected.value.code) == (400, code)
    assert _usdm(client, "USDT") == 10000
