"""On-chain transactions in the journal: each transaction's intent, committed before it is
signed, every hash it was broadcast under, and its receipt (or why it never got one)."""

from __future__ import annotations

from decimal import Decimal

import structlog
from sqlalchemy import ColumnElement, Connection, and_, func, select

from bot.journal import rows, schema, sql
from bot.journal.columns import Instant, to_ms
from bot.journal.errors import JournalConflictError, JournalUnknownRecordError
from bot.journal.records import FINAL_TX_STATUSES, PENDING_TX_STATUSES, TxIntent, TxRecord, TxStatus
from bot.journal.store import Store

log = structlog.get_logger(__name__)


class TxJournal:
    """Chain transactions by key: intent, sends, receipt; reopened after a reorg."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record_tx_intent(self, tx: TxIntent, *, now: Instant | None = None) -> bool:
        """Commit ``tx`` BEFORE signing and sending it. Same idempotency rule as orders."""
        at = self._store.ms(now)
        values = {
            "tx_key": tx.tx_key,
            "position": tx.position,
            "chain_id": tx.chain_id,
            "from_address": tx.from_address,
            "nonce": tx.nonce,
            "to_address": tx.to_address,
            "kind": tx.kind,
            "data_hash": tx.data_hash,
            "amount": tx.amount,
            "asset": tx.asset,
        }
        table = schema.chain_txs
        with self._store.fenced_write() as conn:
            existing = conn.execute(select(table).where(table.c.tx_key == tx.tx_key)).first()
            if existing is None:
                conn.execute(
                    table.insert().values(
                        **values,
                        status=TxStatus.INTENT.value,
                        created_ms=at,
                        updated_ms=at,
                    )
                )
                return True
        sql.check_same(
            what=f"transaction {tx.tx_key!r}", stored=dict(existing._mapping), wanted=values
        )
        return False

    def record_tx_sent(
        self,
        tx_key: str,
        *,
        tx_hash: str,
        max_fee_per_gas: Decimal | None = None,
        max_priority_fee_per_gas: Decimal | None = None,
        now: Instant | None = None,
    ) -> None:
        """Record a broadcast hash of ``tx_key``; a replacement (same nonce, higher fee) is
        another call with its new hash. Recording the same hash twice is a no-op."""
        at = self._store.ms(now)
        with self._store.fenced_write() as conn:
            status = self._tx_status(conn, tx_key)
            known = conn.execute(
                select(schema.chain_tx_sends.c.tx_key).where(
                    schema.chain_tx_sends.c.tx_hash == tx_hash
                )
            ).first()
            if known is not None:
                if known.tx_key != tx_key:
                    raise JournalConflictError(
                        f"hash {tx_hash} is already recorded for transaction {known.tx_key!r}"
                    )
                return
            conn.execute(
                schema.chain_tx_sends.insert().values(
                    tx_hash=tx_hash,
                    tx_key=tx_key,
                    max_fee_per_gas=max_fee_per_gas,
                    max_priority_fee_per_gas=max_priority_fee_per_gas,
                    sent_ms=at,
                )
            )
            if status in PENDING_TX_STATUSES:
                conn.execute(
                    schema.chain_txs.update()
                    .where(schema.chain_txs.c.tx_key == tx_key)
                    .values(status=TxStatus.SENT.value, updated_ms=at)
                )

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
        now: Instant | None = None,
    ) -> None:
        """Record the receipt of whichever of ``tx_key``'s hashes was mined."""
        at = self._store.ms(now)
        with self._store.write() as conn:
            self._tx_status(conn, tx_key)
            known = conn.execute(
                select(schema.chain_tx_sends.c.tx_key).where(
                    schema.chain_tx_sends.c.tx_hash == tx_hash
                )
            ).first()
            if known is None or known.tx_key != tx_key:
                raise JournalUnknownRecordError(
                    f"receipt hash {tx_hash} was never recorded as sent for {tx_key!r}"
                )
            conn.execute(
                schema.chain_txs.update()
                .where(schema.chain_txs.c.tx_key == tx_key)
                .values(
                    status=(TxStatus.MINED if success else TxStatus.REVERTED).value,
                    mined_tx_hash=tx_hash,
                    receipt_block=block_number,
                    receipt_block_hash=block_hash,
                    gas_used=gas_used,
                    revert_reason=revert_reason,
                    updated_ms=at,
                )
            )

    def close_tx(
        self,
        tx_key: str,
        *,
        status: TxStatus,
        reason: str,
        now: Instant | None = None,
    ) -> None:
        """End a transaction that will never get a receipt: ``FAILED`` (never broadcast) or
        ``DROPPED`` (its nonce was used by another transaction, or it was given up)."""
        if status not in (TxStatus.FAILED, TxStatus.DROPPED):
            raise ValueError(f"close_tx status must be failed or dropped, got {status!r}")
        with self._store.write() as conn:
            self._tx_status(conn, tx_key)
            conn.execute(
                schema.chain_txs.update()
                .where(schema.chain_txs.c.tx_key == tx_key)
                .values(status=status.value, revert_reason=reason, updated_ms=self._store.ms(now))
            )

    def reopen_tx(self, tx_key: str, *, reason: str, now: Instant | None = None) -> None:
        """A mined (or reverted) transaction whose block a reorg replaced: pending again, its
        receipt forgotten, so the transaction manager settles it anew by its hashes."""
        with self._store.write() as conn:
            self._tx_status(conn, tx_key)
            conn.execute(
                schema.chain_txs.update()
                .where(schema.chain_txs.c.tx_key == tx_key)
                .values(
                    status=TxStatus.SENT.value,
                    mined_tx_hash=None,
                    receipt_block=None,
                    receipt_block_hash=None,
                    gas_used=None,
                    revert_reason=reason,
                    updated_ms=self._store.ms(now),
                )
            )
        log.warning("transaction reopened after a reorg", tx_key=tx_key, reason=reason)

    def txs_mined_from(self, block: int) -> list[TxRecord]:
        """Mined or reverted transactions whose receipt is at or above ``block``."""
        c = schema.chain_txs.c
        final = [TxStatus.MINED.value, TxStatus.REVERTED.value]
        with self._store.read() as conn:
            return rows.tx_records(conn, and_(c.status.in_(final), c.receipt_block >= block))

    def tx(self, tx_key: str) -> TxRecord | None:
        with self._store.read() as conn:
            records = rows.tx_records(conn, schema.chain_txs.c.tx_key == tx_key)
        return records[0] if records else None

    def pending_txs(
        self, *, chain_id: int | None = None, from_address: str | None = None
    ) -> list[TxRecord]:
        """Transactions still waiting (intent or sent), ordered by chain, sender and nonce."""
        c = schema.chain_txs.c
        conditions: list[ColumnElement[bool]] = [
            c.status.in_([s.value for s in PENDING_TX_STATUSES])
        ]
        if chain_id is not None:
            conditions.append(c.chain_id == chain_id)
        if from_address is not None:
            conditions.append(func.lower(c.from_address) == from_address.lower())
        with self._store.read() as conn:
            return rows.tx_records(conn, and_(*conditions))

    def txs_since(self, since: Instant, *, status: TxStatus | None = None) -> list[TxRecord]:
        """Transactions whose intent was recorded at or after ``since`` (e.g. today's repays,
        for the daily cap), optionally only those with ``status``."""
        c = schema.chain_txs.c
        conditions: list[ColumnElement[bool]] = [c.created_ms >= to_ms(since, field="since")]
        if status is not None:
            conditions.append(c.status == status.value)
        with self._store.read() as conn:
            return rows.tx_records(conn, and_(*conditions))

    def txs_settled_since(self, since: Instant) -> list[TxRecord]:
        """Transactions that reached a final status (mined, reverted, failed, dropped) and were
        last updated at or after ``since``, by that update (then key)."""
        c = schema.chain_txs.c
        final = [s.value for s in FINAL_TX_STATUSES]
        condition = and_(c.status.in_(final), c.updated_ms >= to_ms(since, field="since"))
        with self._store.read() as conn:
            records = rows.tx_records(conn, condition)
        return sorted(records, key=lambda r: (r.updated_at, r.intent.tx_key))

    @staticmethod
    def _tx_status(conn: Connection, tx_key: str) -> TxStatus:
        status = conn.execute(
            select(schema.chain_txs.c.status).where(schema.chain_txs.c.tx_key == tx_key)
        ).scalar_one_or_none()
        if status is None:
            raise JournalUnknownRecordError(f"transaction {tx_key!r} has no recorded intent")
        return TxStatus(status)
