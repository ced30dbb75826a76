"""The wallet settled on the devnet's anvil: withdrawals become ERC-20 transfers from the hot
wallet after the delay; transfers to a deposit address are credited after minConfirm blocks."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from binance.client import Client
from web3 import Web3

from bot.devnet.devnet import Devnet
from bot.emulator.testing import (
    ControlError,
    EmulatorHandle,
    python_binance_client,
    running_emulator,
)
from tests.emulator.chain_helpers import (
    DEPOSITOR,
    HOT,
    RECIPIENT,
    Linked,
    anvil_key,
    coin,
    deposits,
    send_tokens,
    settled_polls,
    token_balance,
    wait_for,
    withdrawal,
)
from tests.emulator.shapes import assert_wallet_shape
from tests.emulator.test_wallet_conformance_ccxt import ccxt_wallet

pytestmark = [pytest.mark.exchange, pytest.mark.chain]
USDC_UNIT = 10**6  # the devnet's USDC has 6 decimals


@pytest.fixture
def linked(devnet: Devnet, emulator: EmulatorHandle) -> Iterator[Linked]:
    hot = devnet.account(HOT)
    devnet.fund(hot, "USDC", Decimal(10_000))
    emulator.control.link_chain(
        devnet.rpc_url,
        anvil_key(HOT),
        [coin(devnet, "USDC"), coin(devnet, "USDT")],
        withdraw_delay_secs=1,
    )
    emulator.control.fund("USDC", "1000", venue="spot")
    yield Linked(
        emulator=emulator,
        devnet=devnet,
        hot=hot,
        recipient=devnet.account(RECIPIENT),
        depositor=devnet.account(DEPOSITOR),
    )
    emulator.control.unlink_chain()  # before the devnet rolls back under it


def _completed(linked: Linked, withdrawal_id: str) -> dict[str, object]:
    return wait_for(
        f"withdrawal {withdrawal_id} to complete",
        lambda: (w := withdrawal(linked.emulator, withdrawal_id))["status"] == 6 and w,
    )


def test_withdrawal_becomes_an_erc20_transfer(linked: Linked, client: Client) -> None:
    before = token_balance(linked.devnet, "USDC", linked.recipient)
    applied = client.withdraw(
        coin="USDC", network="BSC", address=linked.recipient, amount="25", withdrawOrderId="w-1"
    )
    _completed(linked, applied["id"])
    (row,) = client.get_withdraw_history(withdrawOrderId="w-1")
    assert_wallet_shape([row], "withdraw_history")  # txId and completeTime now present
    assert (row["status"], row["amount"], row["transactionFee"]) == (6, "24.50000000", "0.5")
    assert row["confirmNo"] >= 1
    receipt = linked.devnet.w3.eth.get_transaction_receipt(row["txId"])
    assert receipt["status"] == 1
    tx = linked.devnet.w3.eth.get_transaction(row["txId"])
    assert tx["from"] == Web3.to_checksum_address(linked.hot)
    assert token_balance(linked.devnet, "USDC", linked.recipient) - before == 245 * USDC_UNIT // 10
    assert client.get_asset_balance(asset="USDC")["free"] == "975.00000000"
    assert client.get_all_coins_info()[0]["withdrawing"] == "0.00000000"


def test_delay_runs_on_the_market_clock(linked: Linked, client: Client) -> None:
    linked.emulator.control.configure_wallet(withdraw_delay_secs=3600)
    applied = client.withdraw(coin="USDC", address=linked.recipient, amount="10")
    nonce = linked.devnet.w3.eth.get_transaction_count(Web3.to_checksum_address(linked.hot))
    settled_polls(linked.emulator, linked.devnet)
    assert withdrawal(linked.emulator, applied["id"])["status"] == 4
    assert linked.devnet.w3.eth.get_transaction_count(Web3.to_checksum_address(linked.hot)) == (
        nonce
    )
    linked.emulator.control.advance_time(3600)
    row = _completed(linked, applied["id"])
    assert row["tx_id"]


def test_held_and_rejected_withdrawals_never_reach_the_chain(
    linked: Linked, client: Client
) -> None:
    control = linked.emulator.control
    control.configure_wallet(withdraw_policy="hold")
    held = client.withdraw(coin="USDC", address=linked.recipient, amount="10")["id"]
    control.configure_wallet(withdraw_policy="process", withdraw_delay_secs=3600)
    waiting = client.withdraw(coin="USDC", address=linked.recipient, amount="20")["id"]
    control.withdrawal_action(waiting, "reject", info="Suspicious address")
    settled_polls(linked.emulator, linked.devnet)
    assert withdrawal(linked.emulator, held)["status"] == 2
    rejected = withdrawal(linked.emulator, waiting)
    assert (rejected["status"], rejected["tx_id"]) == (3, "")
    assert client.get_asset_balance(asset="USDC")["free"] == "990.00000000"
    control.configure_wallet(withdraw_delay_secs=0)
    control.withdrawal_action(held, "release")
    assert _completed(linked, held)["tx_id"]
    with pytest.raises(ControlError, match="cannot be rejected"):
        control.withdrawal_action(held, "reject")


def test_an_unfunded_hot_wallet_leaves_the_withdrawal_processing(
    linked: Linked, client: Client
) -> None:
    linked.emulator.control.fund("USDT", "100", venue="spot")
    before = token_balance(linked.devnet, "USDT", linked.recipient)
    applied = client.withdraw(coin="USDT", address=linked.recipient, amount="30")
    waiting = wait_for(
        "the hot wallet's failure to be reported",
        lambda: (w := withdrawal(linked.emulator, applied["id"]))["info"] and w,
    )
    assert waiting["status"] == 4
    assert "hot wallet cannot pay" in waiting["info"]
    linked.devnet.fund(linked.hot, "USDT", Decimal(1000))
    linked.emulator.control.advance_time(1)  # the retry waits one delay
    assert _completed(linked, applied["id"])["info"] == ""
    received = token_balance(linked.devnet, "USDT", linked.recipient) - before
    assert received == 295 * USDC_UNIT // 10


def test_deposit_credited_after_min_confirm(linked: Linked, client: Client) -> None:
    address = client.get_deposit_address(coin="USDC", network="BSC")["address"]
    linked.devnet.fund(linked.depositor, "USDC", Decimal(100))
    tx_hash = send_tokens(linked.devnet, "USDC", linked.depositor, address, Decimal("42.5"))
    wait_for("the deposit to be seen", lambda: deposits(linked.emulator))
    (pending,) = client.get_deposit_history()
    assert (pending["status"], pending["confirmTimes"], pending["txId"]) == (0, "1/3", tx_hash)
    assert "completeTime" not in pending
    assert client.get_asset_balance(asset="USDC")["free"] == "1000.00000000"
    linked.devnet.mine()
    wait_for("2 confirmations", lambda: deposits(linked.emulator)[0]["confirmations"] == 2)
    assert client.get_deposit_history()[0]["status"] == 0
    linked.devnet.mine()
    wait_for("the credit", lambda: deposits(linked.emulator)[0]["status"] == 1)
    history = client.get_deposit_history(coin="USDC", txId=tx_hash)
    assert_wallet_shape(history, "deposit_history")
    assert (history[0]["amount"], history[0]["confirmTimes"]) == ("42.5", "3/3")
    assert client.get_asset_balance(asset="USDC")["free"] == "1042.50000000"
    linked.devnet.mine(3)
    settled_polls(linked.emulator, linked.devnet)
    assert client.get_asset_balance(asset="USDC")["free"] == "1042.50000000"  # credited once


def test_deposits_that_do_not_count(linked: Linked, client: Client) -> None:
    address = client.get_deposit_address(coin="USDC")["address"]
    linked.devnet.fund(linked.depositor, "USDC", Decimal(100))
    linked.devnet.fund(linked.depositor, "WBTC", Decimal(1))
    send_tokens(linked.devnet, "USDC", linked.depositor, address, Decimal("0.001"))  # < dust
    send_tokens(linked.devnet, "WBTC", linked.depositor, address, Decimal("0.1"))  # not linked
    send_tokens(linked.devnet, "USDC", linked.depositor, linked.recipient, Decimal(5))
    settled_polls(linked.emulator, linked.devnet)
    assert client.get_deposit_history() == []


def test_a_deposit_that_leaves_the_chain_is_dropped(linked: Linked, client: Client) -> None:
    address = client.get_deposit_address(coin="USDC")["address"]
    linked.devnet.fund(linked.depositor, "USDC", Decimal(100))
    before = linked.devnet.take_state()
    send_tokens(linked.devnet, "USDC", linked.depositor, address, Decimal(7))
    wait_for("the deposit to be seen", lambda: deposits(linked.emulator))
    linked.devnet.revert_state(before)
    settled_polls(linked.emulator, linked.devnet)
    assert deposits(linked.emulator) == []
    send_tokens(linked.devnet, "USDC", linked.depositor, address, Decimal(7))
    linked.devnet.mine(3)
    wait_for(
        "the new deposit's credit", lambda: (d := deposits(linked.emulator)) and d[0]["status"] == 1
    )
    assert client.get_asset_balance(asset="USDC")["free"] == "1007.00000000"


def test_ccxt_sees_settled_moves(linked: Linked) -> None:
    binance = ccxt_wallet(linked.emulator)
    address = binance.fetch_deposit_address("USDC", {"network": "BEP20"})["address"]
    linked.devnet.fund(linked.depositor, "USDC", Decimal(100))
    send_tokens(linked.devnet, "USDC", linked.depositor, address, Decimal(15))
    linked.devnet.mine(2)
    wait_for("the credit", lambda: (d := deposits(linked.emulator)) and d[0]["status"] == 1)
    (deposit,) = binance.fetch_deposits("USDC")
    assert (deposit["status"], deposit["amount"], deposit["network"]) == ("ok", 15.0, "BEP20")
    sent = binance.withdraw("USDC", 12, linked.recipient, {"network": "BEP20"})
    _completed(linked, sent["id"])
    (row,) = binance.fetch_withdrawals("USDC")
    assert (row["status"], row["amount"]) == ("ok", 11.5)
    assert row["txid"].startswith("0x")
    assert binance.fetch_balance()["USDC"]["free"] == 1003.0


def test_the_hot_wallet_key_stays_secret(
    linked: Linked, client: Client, caplog: pytest.LogCaptureFixture
) -> None:
    key = anvil_key(HOT)
    caplog.set_level(logging.DEBUG)
    applied = client.withdraw(coin="USDC", address=linked.recipient, amount="10")
    _completed(linked, applied["id"])
    snapshot = json.dumps(linked.emulator.control.snapshot())
    assert key not in snapshot
    assert key.removeprefix("0x") not in snapshot
    assert linked.emulator.control.snapshot()["chain"]["hot_wallet_key"] == "***"
    assert key.removeprefix("0x") not in caplog.text
    with pytest.raises(ControlError) as bad:
        linked.emulator.control.link_chain(
            linked.devnet.rpc_url, key[:-2], [coin(linked.devnet, "USDC")]
        )
    assert "not a valid private key" in str(bad.value)
    assert key[2:-2] not in str(bad.value)


def test_link_refuses_what_it_cannot_settle(devnet: Devnet, emulator: EmulatorHandle) -> None:
    key = anvil_key(HOT)
    control = emulator.control
    with pytest.raises(ControlError, match="cannot reach the chain RPC"):
        control.link_chain("http://127.0.0.1:9", key, [coin(devnet, "USDC")])
    with pytest.raises(ControlError, match="has 6 decimals, not 18"):
        control.link_chain(devnet.rpc_url, key, [coin(devnet, "USDC", decimals=18)])
    no_code = coin(devnet, "USDC", contract_address="0x" + "12" * 20)
    with pytest.raises(ControlError, match="no contract"):
        control.link_chain(devnet.rpc_url, key, [no_code])
    with pytest.raises(ControlError, match="finer than the token's 6 decimals"):
        control.link_chain(devnet.rpc_url, key, [coin(devnet, "USDC", withdraw_fee="0.0000001")])
    assert control.snapshot()["chain"] is None


def test_state_file_keeps_the_wallet_and_resumes_the_scan(devnet: Devnet, tmp_path: Path) -> None:
    state = tmp_path / "emulator.json"
    key, hot = anvil_key(HOT), devnet.account(HOT)
    devnet.fund(hot, "USDC", Decimal(1000))
    devnet.fund(devnet.account(DEPOSITOR), "USDC", Decimal(100))
    with running_emulator(state_file=state) as emu:
        emu.control.link_chain(devnet.rpc_url, key, [coin(devnet, "USDC")], withdraw_delay_secs=0)
        client = python_binance_client(emu)
        client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="10")
        emu.control.fund("USDC", "50", venue="spot")
        done = client.withdraw(coin="USDC", address=devnet.account(RECIPIENT), amount="20")["id"]
        wait_for("the withdrawal", lambda: withdrawal(emu, done)["status"] == 6)
        address = client.get_deposit_address(coin="USDC")["address"]
    # Made while the emulator is down: found when it comes back on the same chain.
    send_tokens(devnet, "USDC", devnet.account(DEPOSITOR), address, Decimal(9))
    devnet.mine(2)
    with running_emulator(state_file=state) as emu:
        client = python_binance_client(emu)
        assert client.get_withdraw_history()[0]["status"] == 6
        assert client.query_universal_transfer_history(type="UMFUTURE_MAIN")["total"] == 1
        emu.control.link_chain(devnet.rpc_url, key, [coin(devnet, "USDC")])
        wait_for(
            "the deposit made while down", lambda: (d := deposits(emu)) and d[0]["status"] == 1
        )
        assert client.get_asset_balance(asset="USDC")["free"] == "39.00000000"
        assert client.get_asset_balance(asset="USDT")["free"] == "10.00000000"
    assert key.removeprefix("0x") not in state.read_text()
