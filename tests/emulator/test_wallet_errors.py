"""Binance's rejection codes and HTTP statuses for wallet calls (reference §1.10), SAPI weights
and their headers (§1.0), and fault injection on the SAPI paths."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from binance.client import Client
from binance.exceptions import BinanceAPIException

from bot.emulator.testing import EmulatorHandle

pytestmark = pytest.mark.exchange
RECIPIENT = "0x94df8b352de7f46f64b01d3666bf6e936e44ce60"
OTHER = "0x1111111111111111111111111111111111111111"


def _withdraw(client: Client, **overrides: str) -> dict[str, Any]:
    params = {"coin": "USDT", "network": "BSC", "address": RECIPIENT, "amount": "20"}
    result: dict[str, Any] = client.withdraw(**(params | overrides))
    return result


@pytest.mark.parametrize(
    ("overrides", "code", "message"),
    [
        ({"coin": "DOGE"}, -4018, "We don't have this asset."),
        ({"network": "TRX"}, -4019, "Current asset is not open for withdrawal."),
        ({"addressTag": "123"}, -4106, "Tag is not supported for this network."),
        ({"address": "0x94df8b352de7f46f64b01d3666bf6e936e44ce6"}, -4033, "Illegal address."),
        ({"address": "TN3W4H6rK2ce4vX9YnFQHwKENnHjoxb3m9"}, -4033, "Illegal address."),
        ({"address": RECIPIENT + "\n"}, -4033, "Illegal address."),
        (
            {"amount": "20.000000001"},
            -4021,
            "Asset withdrawal must be an USDT multiple of 0.00000001.",
        ),
        ({"amount": "9.99"}, -4022, "Not less than the minimum pick-up quantity 10."),
        ({"amount": "10000000"}, -4023, None),
        ({"amount": "100.01"}, -4026, "You have insufficient balance."),
        ({"walletType": "1"}, -4026, "You have insufficient balance."),
        ({"amount": "abc"}, -1102, None),
    ],
)
def test_withdraw_rejections(
    client: Client, overrides: dict[str, str], code: int, message: str | None
) -> None:
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="100")
    with pytest.raises(BinanceAPIException) as rejected:
        _withdraw(client, **overrides)
    assert (rejected.value.status_code, rejected.value.code) == (400, code)
    if message is not None:
        assert rejected.value.message == message
    assert client.get_withdraw_history() == []
    assert client.get_asset_balance(asset="USDT")["free"] == "100.00000000"


def test_multiple_message_uses_the_configured_step(
    emulator: EmulatorHandle, client: Client
) -> None:
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="100")
    emulator.control.configure_coin("USDT", "BSC", withdraw_multiple="0.01")
    with pytest.raises(BinanceAPIException) as rejected:
        _withdraw(client, amount="20.005")
    assert rejected.value.message == "Asset withdrawal must be an USDT multiple of 0.01."


def test_amount_must_exceed_the_fee(emulator: EmulatorHandle, client: Client) -> None:
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="100")
    emulator.control.configure_coin("USDT", "BSC", withdraw_min="0.5", withdraw_fee="0.8")
    with pytest.raises(BinanceAPIException) as rejected:
        _withdraw(client, amount="0.8")
    assert (rejected.value.status_code, rejected.value.code) == (400, -4028)
    assert rejected.value.message == "The amount of withdrawal must be greater than the Commission."
    assert _withdraw(client, amount="0.81")["id"]


def test_withdrawals_switched_off(emulator: EmulatorHandle, client: Client) -> None:
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="100")
    emulator.control.configure_coin("USDT", "BSC", withdraw_enable=False)
    with pytest.raises(BinanceAPIException) as rejected:
        _withdraw(client)
    assert (rejected.value.status_code, rejected.value.code) == (400, -4019)


def test_whitelist(emulator: EmulatorHandle, client: Client) -> None:
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="100")
    emulator.control.configure_wallet(whitelist=[RECIPIENT.upper().replace("0X", "0x")])
    with pytest.raises(BinanceAPIException) as rejected:
        _withdraw(client, address=OTHER)
    assert (rejected.value.status_code, rejected.value.code) == (400, -4035)
    assert rejected.value.message == (
        "This address is not on the whitelist. Please join and try again."
    )
    assert _withdraw(client)["id"]  # case does not matter
    emulator.control.configure_wallet(whitelist=None)
    assert _withdraw(client, address=OTHER)["id"]


def test_history_windows(client: Client) -> None:
    day = 86_400_000
    now = client.get_server_time()["serverTime"]
    with pytest.raises(BinanceAPIException) as too_long:
        client.get_withdraw_history(startTime=now - 91 * day, endTime=now)
    assert (too_long.value.status_code, too_long.value.code) == (400, -4047)
    assert too_long.value.message == "Time interval must be within 0-90 days"
    with pytest.raises(BinanceAPIException) as by_order_id:
        client.get_withdraw_history(withdrawOrderId="x", startTime=now - 8 * day, endTime=now)
    assert by_order_id.value.code == -4047
    with pytest.raises(BinanceAPIException) as deposits:
        client.get_deposit_history(startTime=now - 91 * day, endTime=now)
    assert deposits.value.code == -4047
    with pytest.raises(BinanceAPIException) as ids:
        client.get_withdraw_history(idList=",".join(f"{i:032x}" for i in range(46)))
    assert ids.value.code == -1130
    with pytest.raises(BinanceAPIException) as no_type:
        client.query_universal_transfer_history()
    assert no_type.value.code == -1102


def test_wallet_calls_are_signed(emulator: EmulatorHandle) -> None:
    base = emulator.base_url
    no_key = httpx.get(f"{base}/sapi/v1/capital/config/getall", params={"timestamp": 1})
    assert (no_key.status_code, no_key.json()["code"]) == (401, -2014)
    bad = httpx.get(
        f"{base}/sapi/v1/capital/config/getall",
        params={"timestamp": 1, "signature": "00"},
        headers={"X-MBX-APIKEY": emulator.api_key},
    )
    assert bad.status_code == 400
    assert bad.json()["code"] in (-1021, -1022)


def _headers(client: Client) -> dict[str, str]:
    return {k.lower(): v for k, v in client.response.headers.items()}


def test_sapi_weights_and_headers(client: Client) -> None:
    client.get_all_coins_info()
    assert _headers(client)["x-sapi-used-ip-weight-1m"] == "10"
    client.get_all_coins_info()
    assert _headers(client)["x-sapi-used-ip-weight-1m"] == "20"
    client.get_deposit_history()
    assert _headers(client)["x-sapi-used-ip-weight-1m"] == "1"  # its own endpoint window
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="100")
    headers = _headers(client)
    assert headers["x-sapi-used-uid-weight-1m"] == "300"
    assert "x-sapi-used-ip-weight-1m" not in headers
    client.get_account()
    assert _headers(client)["x-mbx-used-weight-1m"] == "20"  # the spot bucket
    client.futures_account()
    assert _headers(client)["x-mbx-used-weight-1m"] == "5"  # the futures bucket
    for used in range(1, 11):  # 18000 of 180000 each: ten a minute
        client.get_withdraw_history()
        assert _headers(client)["x-sapi-used-uid-weight-1m"] == str(18000 * used)
    with pytest.raises(BinanceAPIException) as limited:
        client.get_withdraw_history()
    assert (limited.value.status_code, limited.value.code) == (429, -1003)
    assert "180000" in limited.value.message
    assert int(limited.value.response.headers["Retry-After"]) >= 1
    client.withdraw(coin="USDT", address=RECIPIENT, amount="20")  # another endpoint's window


def test_faults_on_sapi_paths(emulator: EmulatorHandle, client: Client) -> None:
    client.universal_transfer(type="UMFUTURE_MAIN", asset="USDT", amount="100")
    path = "/sapi/v1/capital/withdraw/apply"
    emulator.control.inject_fault(path, "http_503_unknown")  # executed, answer lost
    with pytest.raises(BinanceAPIException) as lost:
        _withdraw(client, withdrawOrderId="settle-me")
    assert lost.value.status_code == 503
    (row,) = client.get_withdraw_history(withdrawOrderId="settle-me")  # settle by id
    assert row["status"] == 4
    emulator.control.inject_fault(path, "http_503_unknown", executed=False)
    with pytest.raises(BinanceAPIException):
        _withdraw(client, withdrawOrderId="never")
    assert client.get_withdraw_history(withdrawOrderId="never") == []
    emulator.control.inject_fault("/sapi/v1/capital/config/getall", "http_500")
    with pytest.raises(BinanceAPIException) as failed:
        client.get_all_coins_info()
    assert failed.value.status_code == 500
    emulator.control.inject_fault("/sapi/v1/capital/withdraw/history", "empty_list")
    assert client.get_withdraw_history() == []
    assert len(client.get_withdraw_history()) == 1
    emulator.control.inject_fault("/sapi/*", "http_429", retry_after=3)
    with pytest.raises(BinanceAPIException) as limited:
        client.get_deposit_history()
    assert (limited.value.status_code, limited.value.code) == (429, -1003)
    assert "12000 request weight per 1 MINUTE" in limited.value.message
    assert limited.value.response.headers["Retry-After"] == "3"
