"""What the transaction manager needs from the journal (``bot.journal.Journal`` satisfies it).

The manager writes the intent (with its nonce) BEFORE signing, every hash BEFORE broadcasting
it, and the receipt after; after a restart, ``pending_txs`` is where it finds what may still be
in flight.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Protocol

from bot.journal.records import TxIntent, TxRecord, TxStatus


class TxJournal(Protocol):
    def record_tx_intent(self, tx: TxIntent, *, now: datetime | None = None) -> bool: ...

    def record_tx_sent(
        self,
        tx_key: str,
        *,
        tx_hash: str,
        max_fee_per_gas: Decimal | None = None,
        max_priority_fee_per_gas: Decimal | None = None,
        now: datetime | None = None,
    ) -> None: ...

    def record_tx_receipt(
        self,
        tx_key: str,
        *,
        tx_hash: str,
        success: bool,
        block_number: int,
        gas_used: int,
        revert_reason: str | None = None,
        block_hash: str | None = None,
        now: datetime | None = None,
    ) -> None: ...

    def close_tx(
        self, tx_key: str, *, status: TxStatus, reason: str, now: datetime | None = None
    ) -> None: ...

    def tx(self, tx_key: str) -> TxRecord | None: ...

    def pending_txs(
        self, *, chain_id: int | None = None, from_address: str | None = None
    ) -> list[TxRecord]: ...


if TYPE_CHECKING:
    from bot.journal import Journal

    def _journal_conforms(journal: Journal) -> TxJournal:
        return journal  # mypy fails here if the journal's API drifts from this protocol
