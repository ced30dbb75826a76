"""Wallet (SAPI) shapes: coin networks, withdrawals, deposits, universal transfers.

Binance writes withdraw-history times as UTC strings and deposit-history times as epoch
milliseconds; statuses are small integers that mean different things per endpoint.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import TypeVar

from bot.core.model import ZERO, Venue
from bot.exchange.binance.schemas.common import Json, WireFormatError, dec, text
from bot.exchange.treasury import (
    CoinNetwork,
    Deposit,
    DepositStatus,
    InternalTransfer,
    TransferDirection,
    Withdrawal,
    WithdrawalStatus,
)

T = TypeVar("T")

WITHDRAWAL_STATUSES = {
    0: WithdrawalStatus.EMAIL_SENT,
    1: WithdrawalStatus.CANCELLED,
    2: WithdrawalStatus.AWAITING_APPROVAL,
    3: WithdrawalStatus.REJECTED,
    4: WithdrawalStatus.PROCESSING,
    5: WithdrawalStatus.FAILED,
    6: WithdrawalStatus.COMPLETED,
}
DEPOSIT_STATUSES = {
    0: DepositStatus.PENDING,
    1: DepositStatus.CREDITED,
    2: DepositStatus.REJECTED,
    6: DepositStatus.CREDITED_LOCKED,
    7: DepositStatus.WRONG,
    8: DepositStatus.WAITING_USER,
}
# universal transfer ``type`` per (direction, futures venue)
TRANSFER_TYPES = {
    (TransferDirection.FUTURES_TO_SPOT, Venue.USDM): "UMFUTURE_MAIN",
    (TransferDirection.SPOT_TO_FUTURES, Venue.USDM): "MAIN_UMFUTURE",
    (TransferDirection.FUTURES_TO_SPOT, Venue.COINM): "CMFUTURE_MAIN",
    (TransferDirection.SPOT_TO_FUTURES, Venue.COINM): "MAIN_CMFUTURE",
}


def _status(table: Mapping[int, T], raw: Json, what: str) -> T:
    code = int(dec(raw, "status"))
    if code not in table:
        raise WireFormatError(f"unknown {what} status {code}: {dict(raw)!r:.200}")
    return table[code]


def coin_network(coins: list[Json], coin: str, network: str) -> CoinNetwork:
    """The ``networkList`` entry of ``coin`` on ``network`` from ``config/getall``."""
    for row in coins:
        if text(row, "coin", "") != coin:
            continue
        for net in row.get("networkList") or ():
            if text(net, "network", "") == network:
                return CoinNetwork(
                    coin=coin,
                    network=network,
                    withdraw_enabled=bool(net.get("withdrawEnable")),
                    deposit_enabled=bool(net.get("depositEnable")),
                    withdraw_fee=dec(net, "withdrawFee", ZERO),
                    withdraw_min=dec(net, "withdrawMin", ZERO),
                    withdraw_max=dec(net, "withdrawMax", ZERO),
                    withdraw_multiple=dec(net, "withdrawIntegerMultiple", ZERO),
                    deposit_dust=dec(net, "depositDust", ZERO),
                    min_confirm=int(dec(net, "minConfirm", ZERO)),
                    contract_address=text(net, "contractAddress", ""),
                )
        raise WireFormatError(f"Binance lists no {network} network for {coin}")
    raise WireFormatError(f"Binance lists no coin {coin}")


def withdrawal(raw: Json) -> Withdrawal:
    return Withdrawal(
        client_id=text(raw, "withdrawOrderId", ""),
        venue_id=text(raw, "id"),
        coin=text(raw, "coin"),
        network=text(raw, "network", ""),
        address=text(raw, "address", ""),
        amount=dec(raw, "amount"),
        fee=dec(raw, "transactionFee", ZERO),
        status=_status(WITHDRAWAL_STATUSES, raw, "withdrawal"),
        tx_id=text(raw, "txId", ""),
        info=text(raw, "info", ""),
    )


def deposit(raw: Json) -> Deposit:
    return Deposit(
        venue_id=text(raw, "id", ""),
        coin=text(raw, "coin"),
        network=text(raw, "network", ""),
        amount=dec(raw, "amount"),
        status=_status(DEPOSIT_STATUSES, raw, "deposit"),
        tx_id=text(raw, "txId", ""),
        confirmations=text(raw, "confirmTimes", ""),
        insert_ms=int(dec(raw, "insertTime", ZERO)),
    )


def internal_transfer(raw: Json, direction: TransferDirection, venue: Venue) -> InternalTransfer:
    return InternalTransfer(
        venue_id=text(raw, "tranId"),
        direction=direction,
        venue=venue,
        asset=text(raw, "asset"),
        amount=dec(raw, "amount"),
        at_ms=int(dec(raw, "timestamp", ZERO)),
        confirmed=text(raw, "status", "") == "CONFIRMED",
    )


def max_withdraw(assets: list[Json], asset: str) -> Decimal:
    """``assets[].maxWithdrawAmount`` of ``asset`` in a futures account answer (0 if absent)."""
    for row in assets:
        if text(row, "asset", "") == asset:
            return max(dec(row, "maxWithdrawAmount", ZERO), ZERO)
    return ZERO


def spot_free(balances: list[Json], asset: str) -> Decimal:
    for row in balances:
        if text(row, "asset", "") == asset:
            return dec(row, "free", ZERO)
    return ZERO


__all__ = [
    "TRANSFER_TYPES",
    "coin_network",
    "deposit",
    "internal_transfer",
    "max_withdraw",
    "spot_free",
    "withdrawal",
]
