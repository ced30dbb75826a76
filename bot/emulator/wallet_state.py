"""Persistent wallet records: universal transfers, withdrawals, deposits, the deposit scan's
place on the linked chain. Times are market-clock milliseconds like every emulator record."""

from __future__ import annotations

from decimal import Decimal

from pydantic import BaseModel

# Withdrawal statuses (reference §1.4): the current docs list 0, 2, 3, 4 and 6.
EMAIL_SENT, AWAITING_APPROVAL, REJECTED, PROCESSING, COMPLETED = 0, 2, 3, 4, 6
# Deposit statuses (§1.6).
DEPOSIT_PENDING, DEPOSIT_SUCCESS, DEPOSIT_CREDITED_LOCKED = 0, 1, 6


class Transfer(BaseModel):
    tran_id: int
    asset: str
    amount: Decimal
    type: str
    status: str = "CONFIRMED"
    timestamp: int


class Withdrawal(BaseModel):
    """One ``withdraw/apply``. ``amount`` is what the spot wallet paid; the recipient gets
    ``amount - fee``. ``raw_tx`` is the signed transfer (public once broadcast), kept so a
    restarted emulator rebroadcasts the same transaction instead of paying twice."""

    id: str
    withdraw_order_id: str | None = None
    coin: str
    network: str
    address: str
    amount: Decimal
    fee: Decimal
    status: int
    apply_time: int
    due_ms: int = 0  # market time at which a processing withdrawal is sent
    complete_time: int = 0
    tx_id: str = ""
    raw_tx: str = ""
    nonce: int | None = None
    info: str = ""
    confirm_no: int = 0
    wallet_type: int = 0

    @property
    def net(self) -> Decimal:
        return self.amount - self.fee

    @property
    def broadcast(self) -> bool:
        return bool(self.tx_id)


class Deposit(BaseModel):
    """An ERC-20 ``Transfer`` log to an account's deposit address, credited at ``minConfirm``."""

    id: str
    coin: str
    network: str
    address: str
    amount: Decimal
    tx_id: str
    log_index: int
    block_number: int
    block_hash: str
    status: int = DEPOSIT_PENDING
    confirmations: int = 0
    min_confirm: int
    unlock_confirm: int = 0
    credited: bool = False
    insert_time: int
    complete_time: int = 0


class ChainCursor(BaseModel):
    """The last block the deposit scan read, with its hash: a mismatch means the chain went
    back (a reorg, ``evm_revert``, another chain on the same URL)."""

    chain_id: int
    block: int
    block_hash: str
