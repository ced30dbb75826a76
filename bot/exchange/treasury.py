"""The exchange account's wallet side: what can leave the futures wallet, moves between futures
and spot, withdrawals to the reserve wallet and deposits from it.

One small interface next to ``Exchange``; Binance's wire shapes stay in
``bot.exchange.binance.treasury``. A venue with no wallet API (Binance's testnet, whose
python-binance client would send wallet calls to the real ``api.binance.com``) gets
``NoWalletTreasury``: it reads nothing and moves nothing, and says why.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Protocol

from bot.core.model import Venue
from bot.exchange.errors import ExchangeError


class WalletUnavailable(ExchangeError):
    """The venue has no wallet API here (testnet, paper): money cannot move through it."""


class TransferDirection(StrEnum):
    FUTURES_TO_SPOT = "futures_to_spot"
    SPOT_TO_FUTURES = "spot_to_futures"


class WithdrawalStatus(StrEnum):
    """Binance's withdraw history statuses, by what they mean for the bot."""

    EMAIL_SENT = "email_sent"  # 0
    CANCELLED = "cancelled"  # 1 (older docs): final, nothing left the exchange
    AWAITING_APPROVAL = "awaiting_approval"  # 2: may stay there; alerted, never repeated
    REJECTED = "rejected"  # 3: final
    PROCESSING = "processing"  # 4
    FAILED = "failed"  # 5 (older docs): final
    COMPLETED = "completed"  # 6: on chain, ``tx_id`` set

    @property
    def final(self) -> bool:
        return self in (
            WithdrawalStatus.CANCELLED,
            WithdrawalStatus.REJECTED,
            WithdrawalStatus.FAILED,
            WithdrawalStatus.COMPLETED,
        )


class DepositStatus(StrEnum):
    PENDING = "pending"  # 0
    CREDITED = "credited"  # 1
    REJECTED = "rejected"  # 2
    CREDITED_LOCKED = "credited_locked"  # 6: credited, cannot be withdrawn yet
    WRONG = "wrong"  # 7
    WAITING_USER = "waiting_user"  # 8


@dataclass(frozen=True, slots=True, kw_only=True)
class CoinNetwork:
    """A coin on one network, as the venue allows moving it (``config/getall``)."""

    coin: str
    network: str
    withdraw_enabled: bool
    deposit_enabled: bool
    withdraw_fee: Decimal  # in the coin, deducted from the amount withdrawn
    withdraw_min: Decimal
    withdraw_max: Decimal
    withdraw_multiple: Decimal
    deposit_dust: Decimal
    min_confirm: int
    contract_address: str  # "" when the venue does not say


@dataclass(frozen=True, slots=True, kw_only=True)
class Withdrawal:
    client_id: str  # ``withdrawOrderId``: deterministic, journaled before the request
    venue_id: str
    coin: str
    network: str
    address: str
    amount: Decimal
    fee: Decimal
    status: WithdrawalStatus
    tx_id: str  # the chain transaction, once COMPLETED
    info: str  # the venue's reason when it failed


@dataclass(frozen=True, slots=True, kw_only=True)
class Deposit:
    venue_id: str
    coin: str
    network: str
    amount: Decimal
    status: DepositStatus
    tx_id: str
    confirmations: str  # "3/12", as the venue writes it
    insert_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class InternalTransfer:
    venue_id: str
    direction: TransferDirection
    venue: Venue
    asset: str
    amount: Decimal
    at_ms: int
    confirmed: bool


class Treasury(Protocol):
    """Money in and out of the exchange account. Every call that moves money is made once;
    a lost answer raises ``UnknownTransferState`` and is settled by a lookup, never resent."""

    @property
    def can_move(self) -> bool:
        """False where the venue has no wallet API (the policy then only alerts)."""
        ...

    def why_not(self) -> str:
        """Why money cannot move here ("" when it can)."""
        ...

    def coin_network(self, coin: str, network: str) -> CoinNetwork: ...

    def futures_movable(self, asset: str, venue: Venue) -> Decimal:
        """What may leave the futures wallet now (``maxWithdrawAmount``): never unrealised
        profit."""
        ...

    def spot_free(self, asset: str) -> Decimal: ...

    def transfer(
        self, direction: TransferDirection, asset: str, amount: Decimal, venue: Venue
    ) -> str:
        """Move between the futures and spot wallets; the venue's transfer id."""
        ...

    def transfers_since(
        self, direction: TransferDirection, venue: Venue, since_ms: int
    ) -> list[InternalTransfer]:
        """Transfers of that direction since ``since_ms`` (a lost answer is settled by these:
        the venue takes no client id for them)."""
        ...

    def withdraw(
        self, *, client_id: str, coin: str, network: str, address: str, amount: Decimal
    ) -> str:
        """Ask for a withdrawal to ``address``; the venue's id."""
        ...

    def withdrawal(self, client_id: str, since_ms: int) -> Withdrawal | None:
        """The withdrawal asked with ``client_id`` (None: the venue has none)."""
        ...

    def deposit_address(self, coin: str, network: str) -> str: ...

    def deposits_since(self, coin: str, since_ms: int) -> list[Deposit]: ...


class NoWalletTreasury:
    """A venue where money cannot move (Binance's testnet has no wallet API; the paper
    exchange holds no money): every read or move raises ``WalletUnavailable`` with the
    reason, so the daemon alerts the amounts it would have moved instead."""

    def __init__(self, reason: str) -> None:
        self._reason = reason

    @property
    def can_move(self) -> bool:
        return False

    def why_not(self) -> str:
        return self._reason

    def coin_network(self, coin: str, network: str) -> CoinNetwork:
        raise WalletUnavailable(self._reason)

    def futures_movable(self, asset: str, venue: Venue) -> Decimal:
        raise WalletUnavailable(self._reason)

    def spot_free(self, asset: str) -> Decimal:
        raise WalletUnavailable(self._reason)

    def transfer(
        self, direction: TransferDirection, asset: str, amount: Decimal, venue: Venue
    ) -> str:
        raise WalletUnavailable(self._reason)

    def transfers_since(
        self, direction: TransferDirection, venue: Venue, since_ms: int
    ) -> list[InternalTransfer]:
        raise WalletUnavailable(self._reason)

    def withdraw(
        self, *, client_id: str, coin: str, network: str, address: str, amount: Decimal
    ) -> str:
        raise WalletUnavailable(self._reason)

    def withdrawal(self, client_id: str, since_ms: int) -> Withdrawal | None:
        raise WalletUnavailable(self._reason)

    def deposit_address(self, coin: str, network: str) -> str:
        raise WalletUnavailable(self._reason)

    def deposits_since(self, coin: str, since_ms: int) -> list[Deposit]:
        raise WalletUnavailable(self._reason)


__all__ = [
    "CoinNetwork",
    "Deposit",
    "DepositStatus",
    "InternalTransfer",
    "NoWalletTreasury",
    "TransferDirection",
    "Treasury",
    "WalletUnavailable",
    "Withdrawal",
    "WithdrawalStatus",
]
