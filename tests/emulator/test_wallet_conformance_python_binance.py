"""python-binance 1.0.37's wallet calls against the emulator (SAPI through ``MARGIN_API_URL``,
spot through ``API_URL``), their answers compared field for field with Binance's examples.
The on-chain half (completed withdrawals, deposits) is in test_wallet_chain.py."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from binance.client import Client

from bot.emulator.testing import EmulatorHandle, python_binance_client
from tests.emulator.shapes import assert_wallet_shape

pytestmark = pytest.mark.exchange
RECIPIENT = "0x94df8b352de7f46f64b01d3666bf6e936e44ce60"
# Only known once a withdrawal is sent / completed; a processing one leaves them out.
NOT_YET = ("txId", "completeTime")


def _fund_spot(client: Client, amount: str = "100") -> None:
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount=amount)


def test_spot_account(emulator: EmulatorHandle, client: Client) -> None:
    emulator.control.fund("USDC", "12.5", venue="spot")
    account = client.get_account()
    assert_wallet_shape(account, "spot_account", exact=False)  # the doc's example is trimmed
    assert {"takerCommission", "commissionRates", "updateTime", "brokered"} <= set(account)
    assert client.get_asset_balance(asset="USDC") == {
        "asset": "USDC",
        "free": "12.50000000",
        "locked": "0.00000000",
    }
    assert client.get_asset_balance(asset="USDT")["free"] == "0.00000000"
    assert [b["asset"] for b in client.get_account(omitZeroBalances="true")["balances"]] == ["USDC"]
    other = python_binance_client(emulator)
    assert other.get_account()["uid"] == account["uid"]  # one account, one uid
    assert client.get_server_time()["serverTime"] > 0
    assert client.ping() == {}


def test_api_key_permissions(client: Client) -> None:
    permissions = client.get_account_api_permissions()
    assert_wallet_shape(permissions, "api_restrictions")
    assert permissions["enableWithdrawals"] is True
    assert permissions["permitsUniversalTransfer"] is True


def test_universal_transfer_shapes(client: Client) -> None:
    assert_wallet_shape(
        client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="1"),
        "universal_transfer",
    )
    history = client.query_universal_transfer_history(type="UMFUTURE_MAIN")
    assert_wallet_shape(history, "universal_transfer_history")
    assert history["rows"][0]["status"] == "CONFIRMED"


def test_all_coins_info(emulator: EmulatorHandle, client: Client) -> None:
    _fund_spot(client, "30")
    coins = client.get_all_coins_info()
    assert [c["coin"] for c in coins] == ["USDC", "USDT"]
    for coin in coins:
        assert_wallet_shape({**coin, "networkList": []}, "all_coins_coin")
        for network in coin["networkList"]:
            # "denomination" is only on re-denominated tokens (1MBABYDOGE = 1e6 BABYDOGE)
            assert_wallet_shape(network, "all_coins_network", skip=("denomination",))
    usdt = coins[1]
    assert usdt["free"] == "30.00000000"
    (bsc,) = usdt["networkList"]
    assert (bsc["network"], bsc["isDefault"], bsc["withdrawEnable"]) == ("BSC", True, True)
    assert bsc["name"] == "BNB Smart Chain (BEP20)"
    emulator.control.configure_coin("USDT", "BSC", withdraw_enable=False, withdraw_fee="0.29")
    (bsc,) = client.get_all_coins_info()[1]["networkList"]
    assert (bsc["withdrawEnable"], bsc["withdrawFee"]) == (False, "0.29")
    assert bsc["withdrawDesc"]  # said only when withdrawals are off


def test_deposit_address(emulator: EmulatorHandle, client: Client) -> None:
    address = client.get_deposit_address(coin="USDT")
    assert_wallet_shape(address, "deposit_address")
    assert re.fullmatch(r"0x[0-9a-f]{40}", address["address"])
    assert address["url"].endswith(address["address"])
    assert client.get_deposit_address(coin="USDC", network="BSC")["address"] == address["address"]
    emulator.control.add_api_key("secondKey", "secondSecret")
    other = python_binance_client(emulator, api_key="secondKey", api_secret="secondSecret")
    assert other.get_deposit_address(coin="USDT")["address"] != address["address"]
    assert client.get_deposit_history() == []


def test_withdraw_without_a_chain_stays_processing(
    emulator: EmulatorHandle, client: Client
) -> None:
    _fund_spot(client)
    applied = client.withdraw(
        coin="USDT", network="BSC", address=RECIPIENT, amount="25", withdrawOrderId="wd-1"
    )
    assert_wallet_shape(applied, "withdraw")
    assert re.fullmatch(r"[0-9a-f]{32}", applied["id"])
    (row,) = client.get_withdraw_history(withdrawOrderId="wd-1")
    assert_wallet_shape([row], "withdraw_history", skip=NOT_YET)
    assert (row["id"], row["status"], row["coin"], row["network"]) == (
        applied["id"],
        4,
        "USDT",
        "BSC",
    )
    assert (row["amount"], row["transactionFee"]) == ("24.20000000", "0.8")  # 25 - fee
    assert re.fullmatch(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d", row["applyTime"])
    assert client.get_asset_balance(asset="USDT")["free"] == "75.00000000"
    assert client.get_all_coins_info()[1]["withdrawing"] == "25.00000000"
    emulator.control.advance_time(3600)  # no chain: nothing ever sends it
    assert client.get_withdraw_history(idList=applied["id"])[0]["status"] == 4


def test_same_withdraw_order_id_twice_is_two_withdrawals(client: Client) -> None:
    _fund_spot(client)
    first = client.withdraw(coin="USDT", address=RECIPIENT, amount="20", withdrawOrderId="dup")
    second = client.withdraw(coin="USDT", address=RECIPIENT, amount="20", withdrawOrderId="dup")
    assert first["id"] != second["id"]
    rows = client.get_withdraw_history(withdrawOrderId="dup")
    assert [r["id"] for r in rows] == [second["id"], first["id"]]  # newest first
    assert client.get_asset_balance(asset="USDT")["free"] == "60.00000000"


def test_withdraw_history_filters(emulator: EmulatorHandle, client: Client) -> None:
    _fund_spot(client, "200")
    ids = [
        client.withdraw(coin="USDT", address=RECIPIENT, amount=str(20 + i))["id"] for i in range(3)
    ]
    emulator.control.withdrawal_action(ids[0], "reject", info="Risk control")
    rows = client.get_withdraw_history()
    assert [r["id"] for r in rows] == ids[::-1]
    assert "withdrawOrderId" not in rows[0]  # omitted when none was given
    assert [r["id"] for r in client.get_withdraw_history(status=3)] == [ids[0]]
    assert client.get_withdraw_history(status=3)[0]["info"] == "Risk control"
    picked = client.get_withdraw_history(idList=f"{ids[0]},{ids[2]}")
    assert {r["id"] for r in picked} == {ids[0], ids[2]}
    assert client.get_withdraw_history(coin="USDC") == []
    assert len(client.get_withdraw_history(limit=2)) == 2
    assert [r["id"] for r in client.get_withdraw_history(offset=2)] == [ids[0]]
    assert client.get_asset_balance(asset="USDT")["free"] == str(
        Decimal(200 - 21 - 22).quantize(Decimal("0.00000001"))
    )


def test_withdrawal_knobs_hold_release_reject(emulator: EmulatorHandle, client: Client) -> None:
    _fund_spot(client)
    emulator.control.configure_wallet(withdraw_policy="hold")
    held = client.withdraw(coin="USDT", address=RECIPIENT, amount="30")["id"]
    assert client.get_withdraw_history(idList=held)[0]["status"] == 2
    emulator.control.configure_wallet(withdraw_policy="reject", withdraw_policy_info="KYC")
    rejected = client.withdraw(coin="USDT", address=RECIPIENT, amount="30")["id"]
    row = client.get_withdraw_history(idList=rejected)[0]
    assert (row["status"], row["info"]) == (3, "KYC")
    assert client.get_asset_balance(asset="USDT")["free"] == "70.00000000"  # refunded
    assert emulator.control.withdrawal_action(held, "release")["status"] == 4
    assert emulator.control.withdrawal_action(held, "hold")["status"] == 2
    assert emulator.control.withdrawal_action(held, "reject")["status"] == 3
    assert client.get_asset_balance(asset="USDT")["free"] == "100.00000000"
