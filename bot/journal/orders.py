"""Orders in the journal: each order's intent, committed before it is sent, and every report
the venue gave on it (fills, fees), so a restart finds what was sent but never answered."""

from __future__ import annotations

from sqlalchemy import exists, func, select
from sqlalchemy.exc import IntegrityError

from bot.core.model import OrderIntent, OrderReport, OrderStatus, Side
from bot.journal import rows, schema, sql
from bot.journal.columns import Instant, from_ms, to_ms
from bot.journal.errors import JournalConflictError, JournalUnknownRecordError
from bot.journal.records import JournaledIntent, OrderRecord, OrderUpdate
from bot.journal.store import Store

_UNSETTLED_STATUSES = (OrderStatus.NEW.value, OrderStatus.PARTIALLY_FILLED.value)


class OrderJournal:
    """Order intents and outcomes; an intent's client order id is its idempotency key."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record_intent(
        self,
        intent: OrderIntent,
        *,
        position: str,
        cycle_id: str | None,
        now: Instant | None = None,
    ) -> bool:
        """Commit ``intent`` BEFORE it is sent. Return False if the identical intent was
        already recorded; raise ``JournalConflictError`` if a different one holds its id."""
        values = {
            "client_order_id": intent.client_order_id,
            "position": position,
            "cycle_id": cycle_id,
            "symbol": intent.symbol,
            "side": Side(intent.side).value,
            "quantity": intent.quantity,
            "reduce_only": intent.reduce_only,
            "order_type": intent.order_type,
            "reason": intent.reason,
            "created_ms": self._store.ms(now),
        }
        table = schema.order_intents
        try:
            with self._store.fenced_write() as conn:
                existing = conn.execute(
                    select(table).where(table.c.client_order_id == intent.client_order_id)
                ).first()
                if existing is None:
                    conn.execute(table.insert().values(**values))
                    return True
        except IntegrityError as e:
            # Another process inserted the same id between our read and write (PostgreSQL), or
            # the cycle id does not exist.
            with self._store.read() as conn:
                existing = conn.execute(
                    select(table).where(table.c.client_order_id == intent.client_order_id)
                ).first()
            if existing is None:
                raise JournalUnknownRecordError(
                    f"cannot record intent {intent.client_order_id!r}: cycle {cycle_id!r} "
                    "was never started"
                ) from e
        sql.check_same(
            what=f"order intent {intent.client_order_id!r}",
            stored=dict(existing._mapping),
            wanted=values,
            ignore=("created_ms",),
        )
        return False

    def record_outcome(self, report: OrderReport, *, now: Instant | None = None) -> None:
        """Append the venue's report on an order AFTER it answered. Several reports per order
        are kept (NEW, then FILLED...); the latest is its current state."""
        recorded = self._store.ms(now)
        with self._store.write() as conn:
            intent = conn.execute(
                select(schema.order_intents.c.symbol).where(
                    schema.order_intents.c.client_order_id == report.client_order_id
                )
            ).first()
            if intent is None:
                raise JournalUnknownRecordError(
                    f"outcome for client order id {report.client_order_id!r} has no recorded "
                    "intent; record the intent before sending the order"
                )
            if intent.symbol != report.symbol:
                raise JournalConflictError(
                    f"outcome for {report.client_order_id!r} is for {report.symbol}, "
                    f"but its intent was for {intent.symbol}"
                )
            conn.execute(
                schema.order_outcomes.insert().values(
                    client_order_id=report.client_order_id,
                    status=OrderStatus(report.status).value,
                    exchange_order_id=report.exchange_order_id,
                    executed_quantity=report.executed_quantity,
                    average_price=report.average_price,
                    fee=report.fee,
                    fee_asset=report.fee_asset,
                    error_code=report.error_code,
                    error_message=report.error_message,
                    exchange_update_ms=report.update_time_ms,
                    recorded_ms=recorded,
                    paper=report.paper,
                    fee_known=report.fee_known,
                )
            )

    def pending_intents(self, position: str | None = None) -> list[JournaledIntent]:
        """Intents with no outcome at all, oldest first: after a restart, each may or may not
        be on the venue and must be looked up by client order id before trading again."""
        intents = schema.order_intents
        outcomes = schema.order_outcomes
        query = (
            select(intents)
            .where(
                ~exists().where(outcomes.c.client_order_id == intents.c.client_order_id),
            )
            .order_by(intents.c.created_ms, intents.c.client_order_id)
        )
        if position is not None:
            query = query.where(intents.c.position == position)
        with self._store.read() as conn:
            return [rows.journaled_intent(row) for row in conn.execute(query)]

    def fills_awaiting_fees(
        self, since: Instant, *, position: str | None = None
    ) -> list[OrderReport]:
        """Final outcomes of orders placed at or after ``since`` that filled but whose fee is not
        known yet (``record_outcome`` a copy with the fee to settle one)."""
        return [
            record.outcome
            for record in self._orders(position=position, since_ms=to_ms(since, field="since"))
            if record.outcome is not None
            and not record.outcome.fee_known
            and record.outcome.executed_quantity > 0
            and record.outcome.exchange_order_id is not None
            and record.outcome.status.value not in _UNSETTLED_STATUSES
        ]

    def order(self, client_order_id: str) -> OrderRecord | None:
        records = self._orders(client_order_id=client_order_id)
        return records[0] if records else None

    def orders_since(self, since: Instant, *, position: str | None = None) -> list[OrderRecord]:
        """Orders whose intent was recorded at or after ``since``, oldest first."""
        return self._orders(position=position, since_ms=to_ms(since, field="since"))

    def order_count_since(self, since: Instant, *, position: str | None = None) -> int:
        """How many order intents were recorded at or after ``since`` (the orders-per-hour
        breaker counts attempts, rejected ones included)."""
        c = schema.order_intents.c
        query = select(func.count()).where(c.created_ms >= to_ms(since, field="since"))
        if position is not None:
            query = query.where(c.position == position)
        with self._store.read() as conn:
            return int(conn.execute(query).scalar_one())

    def last_outcome_id(self) -> int:
        """The id of the latest report journaled (0: none). Reports are only ever appended, so
        it changes whenever any order's state does: what was computed from the orders at one
        value holds while it stays the same."""
        query = select(func.max(schema.order_outcomes.c.id))
        with self._store.read() as conn:
            return int(conn.execute(query).scalar_one() or 0)

    def order_updates_after(self, outcome_id: int) -> list[OrderUpdate]:
        """Reports journaled after ``outcome_id`` that changed their order's status or executed
        quantity, in journal order (a later report in the same state only adds the fee read
        from the trades: it is not an update)."""
        intents, outcomes = schema.order_intents, schema.order_outcomes
        earlier = outcomes.alias("earlier")
        repeats = exists().where(
            earlier.c.client_order_id == outcomes.c.client_order_id,
            earlier.c.id < outcomes.c.id,
            earlier.c.status == outcomes.c.status,
            earlier.c.executed_quantity == outcomes.c.executed_quantity,
        )
        query = (
            select(intents, outcomes)
            .join(outcomes, outcomes.c.client_order_id == intents.c.client_order_id)
            .where(outcomes.c.id > outcome_id, ~repeats)
            .order_by(outcomes.c.id)
        )
        with self._store.read() as conn:
            found = conn.execute(query).all()
        return [
            OrderUpdate(
                outcome_id=row.id,
                journaled=rows.journaled_intent(row),
                report=rows.order_report(row),
                recorded_at=from_ms(row.recorded_ms),
            )
            for row in found
        ]

    def _orders(
        self,
        *,
        position: str | None = None,
        since_ms: int | None = None,
        client_order_id: str | None = None,
    ) -> list[OrderRecord]:
        with self._store.read() as conn:
            return rows.order_records(
                conn, position=position, since_ms=since_ms, client_order_id=client_order_id
            )
