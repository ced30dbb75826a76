"""Wallet endpoints (reference Part 1): the spot account, universal transfer, withdrawals,
deposits and coin configuration, as python-binance 1.0.37 and ccxt call them.

Weights (§1.1–§1.6): transfer 300 UID (900 before the SDK's 2026-08 change), withdraw 900 UID,
withdraw history 18000 UID; the rest IP weights. Without a linked chain every endpoint answers,
and a withdrawal stays at status 4 (processing) until a chain is linked or the control plane
rejects it.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from bot.emulator import errors, wallet, wallet_views
from bot.emulator.decimals import parse_decimal
from bot.emulator.routing import Call, route
from bot.emulator.wallet_state import Withdrawal

Json = dict[str, Any]
Row = TypeVar("Row")
DAY_MS = 86_400_000
MAX_ID_LIST = 45


@route("GET", "/api/v3/time")
def spot_time(call: Call) -> Json:
    return {"serverTime": call.ex.server_ms()}


@route("GET", "/api/v3/account", signed=True, weight=20)
def spot_account(call: Call) -> Json:
    return wallet_views.spot_account(call.account, omit_zero=call.params.flag("omitZeroBalances"))


@route("GET", "/sapi/v1/account/apiRestrictions", signed=True)
def api_restrictions(call: Call) -> Json:
    return wallet_views.api_restrictions()


@route("POST", "/sapi/v1/asset/transfer", signed=True, weight=300, uid=True)
def universal_transfer(call: Call) -> Json:
    kind = call.params.req("type")
    asset = call.params.req("asset")
    amount = call.params.req_decimal("amount")
    transfer = wallet.universal_transfer(call.ex.state, call.account, kind, asset, amount, call.now)
    return {"tranId": transfer.tran_id}


@route("GET", "/sapi/v1/asset/transfer", signed=True)
def transfer_history(call: Call) -> Json:
    """Newest first; the last 7 days unless a window is given; ``rows`` is absent when there
    are none [INFER: an empty page reads ``{"total": 0}``]."""
    kind = call.params.req("type")
    if kind not in wallet.TRANSFER_TYPES:
        raise errors.invalid_value("type")
    start, end = _window(call, default_days=7, max_days=None)
    size = _bounded(call, "size", 10, 100)
    current = _bounded(call, "current", 1, 1_000_000)
    rows = [t for t in call.account.transfers if t.type == kind and start <= t.timestamp <= end]
    rows.sort(key=lambda t: (t.timestamp, t.tran_id), reverse=True)
    page = rows[(current - 1) * size : current * size]
    body: Json = {"total": len(rows)}
    if page:
        body["rows"] = [wallet_views.transfer_row(t) for t in page]
    return body


@route("POST", "/sapi/v1/capital/withdraw/apply", signed=True, weight=900, uid=True)
def withdraw_apply(call: Call) -> Json:
    """Debit spot and start a withdrawal; answers ``{"id": <32 hex>}``.

    The same ``withdrawOrderId`` twice makes two withdrawals: like Binance, the emulator does
    not deduplicate it. A client that timed out must look the id up in
    ``withdraw/history?withdrawOrderId=`` before it retries, or it may pay twice.
    """
    params = call.params
    amount = parse_decimal(params.req("amount"))
    if amount is None:
        raise errors.mandatory("amount")
    request = wallet.WithdrawRequest(
        coin=params.req("coin"),
        network=params.get("network"),
        address=params.req("address"),
        amount=amount,
        withdraw_order_id=params.get("withdrawOrderId"),
        address_tag=params.get("addressTag") or "",
        wallet_type=params.integer("walletType", 0) or 0,
    )
    withdrawal = wallet.apply_withdrawal(
        call.ex.state, call.ex.wallet, call.account, request, call.now
    )
    return {"id": withdrawal.id}


@route("GET", "/sapi/v1/capital/withdraw/history", signed=True, weight=18000, uid=True)
def withdraw_history(call: Call) -> list[Json]:
    """Newest first. With ``withdrawOrderId`` the window is the last 7 days and may not be
    longer; otherwise 90 days (``-4047``)."""
    params = call.params
    order_id = params.get("withdrawOrderId")
    days = 7 if order_id is not None else 90
    start, end = _window(call, default_days=days, max_days=days)
    ids = _id_list(params.get("idList"))
    coin, status = params.get("coin"), params.integer("status")

    def wanted(w: Withdrawal) -> bool:
        return (
            start <= w.apply_time <= end
            and (order_id is None or w.withdraw_order_id == order_id)
            and (ids is None or w.id in ids)
            and (coin is None or w.coin == coin)
            and (status is None or w.status == status)
        )

    rows = [w for w in call.account.withdrawals if wanted(w)]
    rows.sort(key=lambda w: w.apply_time, reverse=True)
    return [wallet_views.withdrawal_row(w) for w in _page(call, rows)]


@route("GET", "/sapi/v1/capital/config/getall", signed=True, weight=10)
def all_coins(call: Call) -> list[Json]:
    config = call.ex.wallet
    return [
        wallet_views.coin_row(call.account, coin, config.networks_of(coin))
        for coin in config.coin_names()
    ]


@route("GET", "/sapi/v1/capital/deposit/address", signed=True, weight=10)
def deposit_address(call: Call) -> Json:
    coin = call.params.req("coin")
    networks = call.ex.wallet.networks_of(coin)
    if not networks:
        raise errors.WITHDRAW_ASSET_NOT_EXIST
    wanted = call.params.get("network")
    if wanted is None:
        net = next((n for n in networks if n.is_default), networks[0])
    else:
        found = next((n for n in networks if n.network == wanted), None)
        if found is None:
            raise errors.invalid_value("network")
        net = found
    return wallet_views.address_row(call.account, net)


@route("GET", "/sapi/v1/capital/deposit/hisrec", signed=True)
def deposit_history(call: Call) -> list[Json]:
    params = call.params
    start, end = _window(call, default_days=90, max_days=90)
    coin, status, tx_id = params.get("coin"), params.integer("status"), params.get("txId")
    rows = [
        d
        for d in call.account.deposits
        if start <= d.insert_time <= end
        and (coin is None or d.coin == coin)
        and (status is None or d.status == status)
        and (tx_id is None or d.tx_id == tx_id)
    ]
    rows.sort(key=lambda d: d.insert_time, reverse=True)
    return [wallet_views.deposit_row(d) for d in _page(call, rows)]


# --- parameter rules -------------------------------------------------------------------------
def _window(call: Call, *, default_days: int, max_days: int | None) -> tuple[int, int]:
    """``startTime``/``endTime`` with Binance's defaults; longer than ``max_days`` is
    ``-4047`` (the transfer history documents no such error: ``None``)."""
    start, end = call.params.integer("startTime"), call.params.integer("endTime")
    end = call.now if end is None else end
    start = end - default_days * DAY_MS if start is None else start
    if max_days is not None and (end < start or end - start > max_days * DAY_MS):
        raise errors.date_interval(max_days)
    return start, end


def _bounded(call: Call, name: str, default: int, maximum: int) -> int:
    value = call.params.integer(name, default)
    assert value is not None
    if not 1 <= value <= maximum:
        raise errors.invalid_value(name)
    return value


def _id_list(raw: str | None) -> set[str] | None:
    if raw is None:
        return None
    ids = {part.strip() for part in raw.split(",") if part.strip()}
    if len(ids) > MAX_ID_LIST:
        raise errors.invalid_value("idList")
    return ids


def _page(call: Call, rows: Sequence[Row]) -> Sequence[Row]:
    offset = call.params.integer("offset", 0) or 0
    if offset < 0:
        raise errors.invalid_value("offset")
    limit = call.params.limit(1000, 1000)
    return rows[offset : offset + limit]
