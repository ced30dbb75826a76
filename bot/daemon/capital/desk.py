"""Carries a money move through its stages, one step per call, journaling each before and
after it acts. Nothing is ever sent twice: a lost answer is settled by a lookup (a
withdrawal by its ``withdrawOrderId``, a transfer by the transfer history, a deposit by its
chain transaction) before the step may be tried again.

Withdraw (hedge profit -> reserve): futures -> spot, withdraw to the reserve wallet, follow it
to its chain ``txId``. Deposit (reserve -> margin): an ERC-20 transfer from the reserve wallet
to the account's deposit address, follow the credit, spot -> futures.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Protocol

import structlog

from bot.core.model import Venue
from bot.exchange.errors import OrderRejected, UnknownTransferState
from bot.exchange.treasury import (
    DepositStatus,
    TransferDirection,
    Treasury,
    Withdrawal,
    WithdrawalStatus,
)
from bot.journal import Journal, MoveIntent, MoveKind, MoveRecord, MoveStage

log = structlog.get_logger(__name__)

SENDING = "sending"  # journaled right before a request whose answer may be lost
LOST_ANSWER_GRACE_SECS = 60.0  # a move the venue does not list this long after sending: not made
LOOKBACK = timedelta(minutes=5)  # lookups start this long before the move's intent
HISTORY_EVERY_SECS = 6.0  # withdraw history: 10 reads a minute fill Binance's UID budget
CLAIMS_LOOKBACK = timedelta(days=7)  # moves whose transfers a lookup may not take for its own


class DepositNotSent(RuntimeError):
    """The deposit's transaction ended without being mined (reverted, dropped, refused)."""


class DepositSender(Protocol):
    """Sends the reserve token on chain (idempotent by ``key``); returns the mined hash or
    raises. The transaction manager's journal makes a repeated call wait for the first."""

    def send_token(self, *, key: str, to: str, amount: Decimal) -> str: ...


@dataclass(frozen=True, slots=True, kw_only=True)
class StepResult:
    record: MoveRecord
    changed: bool  # the stage moved on
    note: str = ""


class MoveDesk:
    def __init__(
        self,
        treasury: Treasury,
        journal: Journal,
        *,
        venue: Venue,
        sender: DepositSender | None,
        ms: Callable[[datetime], int],
        history_every_secs: float = HISTORY_EVERY_SECS,
        lost_answer_grace_secs: float = LOST_ANSWER_GRACE_SECS,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._history_every_secs = history_every_secs
        self._lost_answer_grace_secs = lost_answer_grace_secs
        self._monotonic = monotonic
        self._history_at: float | None = None
        self._treasury = treasury
        self._journal = journal
        self._venue = venue
        self._sender = sender
        self._ms = ms

    def start(self, intent: MoveIntent, now: datetime) -> StepResult:
        self._journal.record_move_intent(intent, now=now)
        record = self._journal.move(intent.move_id)
        assert record is not None
        return self.step(record, now)

    def step(self, record: MoveRecord, now: datetime) -> StepResult:
        """One step of ``record``; an unknown answer leaves it where it was, marked (the
        record handed back is the marked one: the next step looks the move up first)."""
        try:
            advanced = self._step(record, now)
        except UnknownTransferState as exc:
            log.warning("money move answer lost", move_id=record.intent.move_id, error=str(exc))
            marked = self._journal.move(record.intent.move_id) or record
            return StepResult(record=marked, changed=False, note=str(exc))
        return StepResult(record=advanced, changed=advanced.stage is not record.stage)

    def _step(self, record: MoveRecord, now: datetime) -> MoveRecord:
        withdraw = record.intent.kind is MoveKind.WITHDRAW
        steps = {
            (True, MoveStage.INTENT): self._to_spot,
            (True, MoveStage.IN_SPOT): self._withdraw,
            (True, MoveStage.REQUESTED): self._follow_withdrawal,
            (False, MoveStage.INTENT): self._send_on_chain,
            (False, MoveStage.ON_CHAIN): self._follow_deposit,
            (False, MoveStage.CREDITED): self._to_futures,
        }
        step = steps.get((withdraw, record.stage))
        return record if step is None else step(record, now)

    # --- withdraw ------------------------------------------------------------------------

    def _to_spot(self, record: MoveRecord, now: datetime) -> MoveRecord:
        i = record.intent
        return self._transfer(
            record, now, TransferDirection.FUTURES_TO_SPOT, MoveStage.IN_SPOT,
            "the transfer from futures",
            # Spot already holding the amount (an earlier attempt, or the operator) moves on.
            there=lambda: self._treasury.spot_free(i.coin) >= i.amount,
        )  # fmt: skip

    def _withdraw(self, record: MoveRecord, now: datetime) -> MoveRecord:
        i = record.intent
        if record.venue_status == SENDING:
            looked, found = self._withdrawal_lookup(record)
            if not looked:
                return record  # never resent before the history has been read
            if found is not None:
                requested = self._update(
                    record, now, MoveStage.REQUESTED, venue_id=found.venue_id,
                    venue_status=found.status.value,
                )  # fmt: skip
                # What the read says goes on at once: a finished one needs no second read.
                return self._followed(requested, now, found)
            if not self._lookup_expired(record, now):
                return record
        record = self._update(record, now, None, venue_status=SENDING)
        try:
            venue_id = self._treasury.withdraw(
                client_id=i.move_id, coin=i.coin, network=i.network, address=i.address,
                amount=i.amount,
            )  # fmt: skip
        except OrderRejected as exc:
            return self._refused(record, now, "the withdrawal", exc)
        return self._update(
            record, now, MoveStage.REQUESTED, venue_id=venue_id,
            venue_status=WithdrawalStatus.PROCESSING.value,
        )  # fmt: skip

    def _follow_withdrawal(self, record: MoveRecord, now: datetime) -> MoveRecord:
        _, found = self._withdrawal_lookup(record)
        return record if found is None else self._followed(record, now, found)

    def _followed(self, record: MoveRecord, now: datetime, found: Withdrawal) -> MoveRecord:
        """A requested withdrawal as the venue's history lists it."""
        status = found.status
        if status is WithdrawalStatus.COMPLETED and found.tx_id:
            return self._update(
                record, now, MoveStage.DONE, venue_status=status.value, tx_id=found.tx_id
            )
        if status.final and status is not WithdrawalStatus.COMPLETED:
            detail = f"the venue says {status.value}: {found.info or 'no reason given'}"
            return self._update(
                record, now, MoveStage.FAILED, venue_status=status.value, detail=detail
            )
        if status.value != record.venue_status:
            return self._update(record, now, None, venue_status=status.value)
        return record

    # --- deposit -------------------------------------------------------------------------

    def _send_on_chain(self, record: MoveRecord, now: datetime) -> MoveRecord:
        if self._sender is None:
            detail = "no reserve wallet key: a deposit cannot be sent"
            return self._update(record, now, MoveStage.FAILED, detail=detail)
        i = record.intent
        try:
            tx_hash = self._sender.send_token(key=i.move_id, to=i.address, amount=i.amount)
        except DepositNotSent as exc:  # final: the transaction manager settled it unmined
            return self._update(record, now, MoveStage.FAILED, detail=str(exc))
        return self._update(record, now, MoveStage.ON_CHAIN, tx_id=tx_hash)

    def _follow_deposit(self, record: MoveRecord, now: datetime) -> MoveRecord:
        tx = record.tx_id.lower()
        for found in self._treasury.deposits_since(record.intent.coin, self._since(record)):
            if found.tx_id.lower() != tx:
                continue
            if found.status in (DepositStatus.CREDITED, DepositStatus.CREDITED_LOCKED):
                return self._update(
                    record, now, MoveStage.CREDITED, venue_id=found.venue_id,
                    venue_status=found.status.value,
                )  # fmt: skip
            if found.status in (DepositStatus.REJECTED, DepositStatus.WRONG):
                detail = f"the venue says the deposit is {found.status.value}"
                return self._update(record, now, MoveStage.FAILED, detail=detail)
            if found.status.value != record.venue_status:
                return self._update(record, now, None, venue_status=found.status.value)
        return record

    def _to_futures(self, record: MoveRecord, now: datetime) -> MoveRecord:
        return self._transfer(
            record, now, TransferDirection.SPOT_TO_FUTURES, MoveStage.DONE,
            "the transfer to futures",
        )  # fmt: skip

    def _transfer(
        self, record: MoveRecord, now: datetime, direction: TransferDirection,
        then: MoveStage, what: str, there: Callable[[], bool] = lambda: False,
    ) -> MoveRecord:  # fmt: skip
        """A futures <-> spot transfer, sent once: a lost answer is looked up in the transfer
        history (the venue takes no client id), and sent again only after the grace."""
        i = record.intent
        if record.venue_status == SENDING:
            found = self._find_transfer(record, direction)
            if found:
                return self._update(record, now, then, venue_status="", transfer_id=found)
            if not self._lookup_expired(record, now):
                return record
        if there():
            return self._update(record, now, then, venue_status="")
        record = self._update(record, now, None, venue_status=SENDING)
        try:
            tran = self._treasury.transfer(direction, i.coin, i.amount, self._venue)
        except OrderRejected as exc:
            return self._refused(record, now, what, exc)
        return self._update(record, now, then, venue_status="", transfer_id=tran)

    # --- helpers -------------------------------------------------------------------------

    def _withdrawal_lookup(self, record: MoveRecord) -> tuple[bool, Withdrawal | None]:
        """(looked, found). Binance's withdraw history costs 18,000 of the 180,000 UID weight
        a minute: it is read at most every ``history_every_secs``, however fast the loop."""
        at = self._monotonic()
        if self._history_at is not None and at - self._history_at < self._history_every_secs:
            return False, None
        self._history_at = at
        return True, self._treasury.withdrawal(record.intent.move_id, self._since(record))

    def _find_transfer(self, record: MoveRecord, direction: TransferDirection) -> str:
        """The transfer this move sent (same asset and amount, after its intent, not one that
        another move already holds: the venue takes no client id for transfers), or ""."""
        i = record.intent
        claimed = {
            m.transfer_id
            for m in self._journal.moves_since(record.created_at - CLAIMS_LOOKBACK)
            if m.transfer_id and m.intent.move_id != i.move_id
        }
        found = self._treasury.transfers_since(direction, self._venue, self._since(record))
        for t in sorted(found, key=lambda t: t.at_ms):  # the oldest unclaimed one
            if t.asset == i.coin and t.amount == i.amount and t.venue_id not in claimed:
                return t.venue_id
        return ""

    def _refused(
        self, record: MoveRecord, now: datetime, what: str, exc: OrderRejected
    ) -> MoveRecord:
        """The venue said no to a move (nothing moved): final, never sent again."""
        detail = f"the venue refused {what}: {exc}"
        return self._update(record, now, MoveStage.FAILED, venue_status="refused", detail=detail)

    def _lookup_expired(self, record: MoveRecord, now: datetime) -> bool:
        """Sent long enough ago that a venue still not listing it did not make it."""
        return (now - record.updated_at).total_seconds() >= self._lost_answer_grace_secs

    def _since(self, record: MoveRecord) -> int:
        return self._ms(record.created_at - LOOKBACK)

    def _update(
        self, record: MoveRecord, now: datetime, stage: MoveStage | None, **fields: str
    ) -> MoveRecord:
        updated = self._journal.update_move(record.intent.move_id, stage=stage, now=now, **fields)
        if stage is not None:
            log.info(
                "money move", move_id=updated.intent.move_id, kind=updated.intent.kind.value,
                stage=stage.value, amount=str(updated.intent.amount), coin=updated.intent.coin,
            )  # fmt: skip
        return updated


__all__ = ["DepositNotSent", "DepositSender", "MoveDesk", "StepResult"]
