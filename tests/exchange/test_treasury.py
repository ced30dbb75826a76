"""``BinanceTreasury`` against the project's emulator over real HTTP through python-binance: the
wallet side (coin networks, what may leave futures, spot, transfers, withdrawals, deposit
address), lost answers included. No chain is linked here: a withdrawal stays at "processing"
(tests/daemon/test_move_desk.py carries moves through a chain)."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import pytest

from bot.core.model import Side, Venue
from bot.emulator.testing import EmulatorHandle, python_binance_client
from bot.exchange.binance.schemas.common import WireFormatError
from bot.exchange.binance.treasury import BinanceTreasury
from bot.exchange.errors import OrderRejected, UnknownTransferState
from bot.exchange.treasury import TransferDirection, WithdrawalStatus
from tests.exchange.conftest import FakeTime, live_adapter
from tests.exchange.specs import intent

pytestmark = pytest.mark.exchange
D = Decimal
F2S, S2F = TransferDirection.FUTURES_TO_SPOT, TransferDirection.SPOT_TO_FUTURES
TRANSFER = "/sapi/v1/asset/transfer"
WITHDRAW = "/sapi/v1/capital/withdraw/apply"
RESERVE = "0x" + "ab" * 20
DAY_SECS = 86_400


@pytest.fixture
def wallet(emulator: EmulatorHandle) -> Iterator[EmulatorHandle]:
    """The emulator with its default coins and wallet settings (this directory's ``emulator``
    resets accounts only: the wallet's settings are put back for the tests after these)."""
    emulator.control.wallet_defaults()
    yield emulator
    emulator.control.wallet_defaults()


def treasury_for(handle: EmulatorHandle, fake_time: FakeTime) -> BinanceTreasury:
    """Built as the daemon builds it: on the live adapter's transport (network "custom")."""
    adapter = live_adapter(handle, fake_time, request_timeout_secs=5.0)
    return BinanceTreasury(adapter.transport, monotonic=fake_time.clock)


@pytest.fixture
def treasury(wallet: EmulatorHandle, fake_time: FakeTime) -> BinanceTreasury:
    return treasury_for(wallet, fake_time)


def server_ms(handle: EmulatorHandle) -> int:
    return int(handle.control.snapshot()["market_time_ms"])


def account(handle: EmulatorHandle) -> dict[str, Any]:
    found: dict[str, Any] = handle.control.snapshot()["accounts"][handle.api_key]
    return found


def max_withdraw_amount(handle: EmulatorHandle, asset: str) -> Decimal:
    """``maxWithdrawAmount`` as another endpoint reports it (``/fapi/v2/balance``)."""
    rows = python_binance_client(handle).futures_account_balance()
    return D(next(r["maxWithdrawAmount"] for r in rows if r["asset"] == asset))


def usdt_wallet(handle: EmulatorHandle) -> Decimal:
    rows = python_binance_client(handle).futures_account_balance()
    return D(next(r["crossWalletBalance"] for r in rows if r["asset"] == "USDT"))


# --- reads ---------------------------------------------------------------------------------


def test_the_wallet_calls_go_to_the_custom_base_url(
    wallet: EmulatorHandle, fake_time: FakeTime
) -> None:
    adapter = live_adapter(wallet, fake_time)
    assert f"{wallet.base_url}/sapi" == adapter.transport.client.MARGIN_API_URL
    assert f"{wallet.base_url}/api" == adapter.transport.client.API_URL


def test_coin_network_reads_the_fees_and_minimums_as_configured(
    wallet: EmulatorHandle, treasury: BinanceTreasury, fake_time: FakeTime
) -> None:
    wallet.control.configure_coin(
        "USDT",
        "BSC",
        withdraw_fee="0.29",
        withdraw_min="7",
        withdraw_max="5000",
        withdraw_multiple="0.01",
        deposit_dust="0.02",
        min_confirm=5,
    )

    net = treasury.coin_network("USDT", "BSC")

    assert (net.coin, net.network) == ("USDT", "BSC")
    assert (net.withdraw_fee, net.withdraw_min, net.withdraw_max) == (D("0.29"), D(7), D(5000))
    assert (net.withdraw_multiple, net.deposit_dust, net.min_confirm) == (D("0.01"), D("0.02"), 5)
    assert net.withdraw_enabled
    assert net.deposit_enabled
    assert net.contract_address.lower() == "0x55d398326f99059ff775485246999027b3197955"
    with pytest.raises(WireFormatError, match="no ETH network for USDT"):
        treasury.coin_network("USDT", "ETH")
    with pytest.raises(WireFormatError, match="no coin DOGE"):
        treasury.coin_network("DOGE", "BSC")


def test_coin_network_is_read_again_after_ten_minutes(
    wallet: EmulatorHandle, treasury: BinanceTreasury, fake_time: FakeTime
) -> None:
    assert treasury.coin_network("USDC", "BSC").withdraw_fee == D("0.8")
    wallet.control.configure_coin("USDC", "BSC", withdraw_fee="1.5", withdraw_enable=False)

    fake_time.now += 599
    cached = treasury.coin_network("USDC", "BSC")
    fake_time.now += 2
    fresh = treasury.coin_network("USDC", "BSC")

    assert (cached.withdraw_fee, cached.withdraw_enabled) == (D("0.8"), True)
    assert (fresh.withdraw_fee, fresh.withdraw_enabled) == (D("1.5"), False)


def test_futures_movable_is_max_withdraw_amount_and_never_unrealised_profit(
    wallet: EmulatorHandle, treasury: BinanceTreasury, fake_time: FakeTime
) -> None:
    live = live_adapter(wallet, fake_time)
    assert treasury.futures_movable("USDT", Venue.USDM) == D(10_000)  # the default account
    live.place(intent("BNBUSDT", Side.SELL, "2", "short-1"))
    opened = treasury.futures_movable("USDT", Venue.USDM)
    wallet_after_fees = usdt_wallet(wallet)
    assert opened == max_withdraw_amount(wallet, "USDT") < wallet_after_fees

    wallet.control.set_mark("BNBUSDT", 500)  # the short gains 2 x 100 = 200, not realised
    in_profit = treasury.futures_movable("USDT", Venue.USDM)

    assert in_profit == max_withdraw_amount(wallet, "USDT")
    assert usdt_wallet(wallet) == wallet_after_fees  # the profit is not in the wallet yet
    assert in_profit <= wallet_after_fees  # ... and cannot leave it
    wallet.control.set_mark("BNBUSDT", 400)  # 200 more profit: only the maintenance eases
    assert treasury.futures_movable("USDT", Venue.USDM) - in_profit < D(2)

    live.place(intent("BNBUSDT", Side.BUY, "1", "reduce-1", reduce_only=True))  # realise 200
    half = treasury.futures_movable("USDT", Venue.USDM)
    assert half == max_withdraw_amount(wallet, "USDT")
    assert half > wallet_after_fees + D(190)  # the first 200, less the closing fee
    live.place(intent("BNBUSDT", Side.BUY, "1", "reduce-2", reduce_only=True))  # and 200 more
    closed = treasury.futures_movable("USDT", Venue.USDM)

    assert closed == usdt_wallet(wallet) == max_withdraw_amount(wallet, "USDT")
    assert closed > wallet_after_fees + D(390)


def test_futures_movable_on_coin_m_and_an_absent_asset(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    before = treasury.futures_movable("BNB", Venue.COINM)
    wallet.control.fund("BNB", "2.5", "coinm")

    assert treasury.futures_movable("BNB", Venue.COINM) == before + D("2.5")
    assert treasury.futures_movable("ETH", Venue.COINM) == 0
    assert treasury.futures_movable("DOGE", Venue.USDM) == 0


def test_spot_free_and_transfers_both_ways(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    since = server_ms(wallet)
    assert treasury.spot_free("USDT") == 0

    out = treasury.transfer(F2S, "USDT", D("120.5"), Venue.USDM)
    back = treasury.transfer(S2F, "USDT", D(20), Venue.USDM)

    assert treasury.spot_free("USDT") == D("100.5")
    assert treasury.futures_movable("USDT", Venue.USDM) == D("9899.5")
    (found_out,) = treasury.transfers_since(F2S, Venue.USDM, since)
    (found_back,) = treasury.transfers_since(S2F, Venue.USDM, since)
    assert (found_out.venue_id, found_out.asset, found_out.amount) == (out, "USDT", D("120.5"))
    assert (found_out.direction, found_out.venue, found_out.confirmed) == (F2S, Venue.USDM, True)
    assert (found_back.venue_id, found_back.amount, found_back.direction) == (back, D(20), S2F)
    assert since <= found_out.at_ms <= found_back.at_ms
    assert treasury.transfers_since(F2S, Venue.USDM, server_ms(wallet) + 1) == []
    assert treasury.transfers_since(F2S, Venue.COINM, since) == []


def test_a_transfer_beyond_what_may_leave_is_refused_not_unknown(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    with pytest.raises(OrderRejected, match="-5002"):
        treasury.transfer(F2S, "USDT", D(10_001), Venue.USDM)
    with pytest.raises(OrderRejected):
        treasury.transfer(S2F, "USDT", D(1), Venue.USDM)  # spot holds none
    assert account(wallet)["transfers"] == []


def test_transfers_since_on_an_empty_history(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    raw = python_binance_client(wallet).query_universal_transfer_history(type="UMFUTURE_MAIN")
    assert raw == {"total": 0}  # no "rows" at all

    week_ago = server_ms(wallet) - 7 * DAY_SECS * 1000
    assert treasury.transfers_since(F2S, Venue.USDM, week_ago) == []
    assert treasury.transfers_since(S2F, Venue.COINM, week_ago - DAY_SECS * 1000) == []


def test_deposit_address_is_the_accounts_evm_address(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    address = treasury.deposit_address("USDT", "BSC")

    assert address.startswith("0x")
    assert len(address) == 42
    assert treasury.deposit_address("USDC", "BSC") == address  # one address per account
    raw = python_binance_client(wallet).get_deposit_address(coin="USDT", network="BSC")
    assert raw["address"] == address
    with pytest.raises(OrderRejected):
        treasury.deposit_address("USDT", "ETH")


def test_deposits_since_on_an_empty_history(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    assert treasury.deposits_since("USDT", server_ms(wallet) - 30 * DAY_SECS * 1000) == []


# --- withdrawals -----------------------------------------------------------------------------


def withdraw(treasury: BinanceTreasury, client_id: str, amount: str = "25") -> str:
    return treasury.withdraw(
        client_id=client_id, coin="USDT", network="BSC", address=RESERVE, amount=D(amount)
    )


def test_withdraw_then_find_it_by_its_client_id(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    wallet.control.fund("USDT", 100, venue="spot")
    since = server_ms(wallet)

    venue_id = withdraw(treasury, "wd-1")
    found = treasury.withdrawal("wd-1", since)

    assert found is not None
    assert (found.client_id, found.venue_id, found.status) == (
        "wd-1",
        venue_id,
        WithdrawalStatus.PROCESSING,  # no chain linked: it stays there
    )
    assert (found.coin, found.network, found.address) == ("USDT", "BSC", RESERVE)
    assert (found.amount, found.fee, found.tx_id) == (D("24.2"), D("0.8"), "")  # net of the fee
    assert treasury.spot_free("USDT") == D(75)
    assert treasury.withdrawal("wd-2", since) is None


def test_a_refused_withdrawal_is_an_error_not_an_unknown_answer(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    wallet.control.fund("USDT", 100, venue="spot")

    with pytest.raises(OrderRejected) as refused:
        withdraw(treasury, "small", amount="5")  # under the 10 USDT minimum
    assert not isinstance(refused.value, UnknownTransferState)
    with pytest.raises(OrderRejected):
        withdraw(treasury, "big", amount="500")  # more than spot holds
    assert account(wallet)["withdrawals"] == []


def test_a_lost_withdraw_answer_is_unknown_and_found_by_its_client_id(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    wallet.control.fund("USDT", 100, venue="spot")
    since = server_ms(wallet)
    treasury.spot_free("USDT")  # the clock sync, before the fault
    wallet.control.inject_fault(WITHDRAW, "timeout_executed", method="POST", timeout_secs=0.1)

    with pytest.raises(UnknownTransferState) as lost:
        withdraw(treasury, "wd-lost")

    assert lost.value.client_id == "wd-lost"
    found = treasury.withdrawal("wd-lost", since)
    assert found is not None
    assert found.status is WithdrawalStatus.PROCESSING
    (held,) = account(wallet)["withdrawals"]  # sent once: not retried by the transport
    assert held["id"] == found.venue_id


def test_a_withdraw_that_never_arrived_is_unknown_and_not_found(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    wallet.control.fund("USDT", 100, venue="spot")
    since = server_ms(wallet)
    treasury.spot_free("USDT")
    wallet.control.inject_fault(WITHDRAW, "http_502", method="POST")

    with pytest.raises(UnknownTransferState):
        withdraw(treasury, "wd-502")

    assert treasury.withdrawal("wd-502", since) is None
    assert account(wallet)["withdrawals"] == []


def test_a_lost_transfer_answer_is_unknown_and_found_in_the_history(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    since = server_ms(wallet)
    treasury.spot_free("USDT")
    wallet.control.inject_fault(TRANSFER, "timeout_executed", method="POST", timeout_secs=0.1)

    with pytest.raises(UnknownTransferState):
        treasury.transfer(F2S, "USDT", D(40), Venue.USDM)

    (found,) = treasury.transfers_since(F2S, Venue.USDM, since)
    assert found.amount == D(40)
    assert len(account(wallet)["transfers"]) == 1
    assert treasury.spot_free("USDT") == D(40)


def test_reads_are_retried_through_a_5xx(
    wallet: EmulatorHandle, treasury: BinanceTreasury, fake_time: FakeTime
) -> None:
    since = server_ms(wallet)
    treasury.spot_free("USDT")
    wallet.control.inject_fault(TRANSFER, "http_500", method="GET")
    wallet.control.inject_fault("/sapi/v1/capital/withdraw/history", "http_502")

    assert treasury.transfers_since(F2S, Venue.USDM, since) == []
    assert treasury.withdrawal("none", since) is None
    assert len(fake_time.sleeps) == 2


def test_a_held_withdrawal_is_still_found_more_than_seven_days_later(
    wallet: EmulatorHandle, treasury: BinanceTreasury
) -> None:
    """Binance limits a ``withdrawOrderId`` lookup to a 7-day window: a withdrawal held for
    approval longer than that is still followed, from the move's own start."""
    wallet.control.fund("USDT", 100, venue="spot")
    wallet.control.configure_wallet(withdraw_policy="hold")
    since = server_ms(wallet) - 5 * 60_000
    withdraw(treasury, "wd-held")

    wallet.control.advance_time(8 * DAY_SECS)
    found = treasury.withdrawal("wd-held", since)

    assert found is not None
    assert found.status is WithdrawalStatus.AWAITING_APPROVAL
    wallet.control.advance_time(80 * DAY_SECS)
    assert treasury.withdrawal("wd-held", since) is not None
