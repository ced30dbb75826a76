"""Money moves in the journal: the intent before anything is sent, then each stage with the
venue's ids and the chain transaction, so a restart resumes every move in flight by its id
instead of sending it again."""

from __future__ import annotations

from collections.abc import Iterator
from decimal import Decimal
from typing import Any

from sqlalchemy import Row, func, select

from bot.journal import schema, sql
from bot.journal.columns import Instant, from_ms
from bot.journal.errors import JournalUnknownRecordError
from bot.journal.records import MoveIntent, MoveKind, MoveRecord, MoveStage
from bot.journal.store import Store

FINAL_STAGES = (MoveStage.DONE.value, MoveStage.FAILED.value)


def _record(row: Row[Any]) -> MoveRecord:
    return MoveRecord(
        intent=MoveIntent(
            move_id=row.move_id,
            kind=MoveKind(row.kind),
            account=row.account,
            coin=row.coin,
            network=row.network,
            address=row.address,
            amount=row.amount,
            fee=row.fee,
            reason=row.reason,
        ),
        stage=MoveStage(row.stage),
        venue_status=row.venue_status,
        venue_id=row.venue_id,
        transfer_id=row.transfer_id,
        tx_id=row.tx_id,
        detail=row.detail,
        created_at=from_ms(row.created_ms),
        updated_at=from_ms(row.updated_ms),
    )


class MoveJournal:
    """Money moves by id: intent, stages, and the sums the daily caps count."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record_move_intent(self, intent: MoveIntent, *, now: Instant | None = None) -> bool:
        """Commit ``intent`` before anything is sent; False when it was already recorded (the
        same id must carry the same move)."""
        at = self._store.ms(now)
        values = {
            "move_id": intent.move_id,
            "kind": intent.kind.value,
            "account": intent.account,
            "coin": intent.coin,
            "network": intent.network,
            "address": intent.address,
            "amount": intent.amount,
            "fee": intent.fee,
            "reason": intent.reason,
        }
        table = schema.money_moves
        with self._store.fenced_write() as conn:
            existing = conn.execute(select(table).where(table.c.move_id == intent.move_id)).first()
            if existing is None:
                conn.execute(
                    table.insert().values(
                        **values, stage=MoveStage.INTENT.value, created_ms=at, updated_ms=at
                    )
                )
                return True
        stored = {k: v for k, v in existing._mapping.items() if k in values}
        sql.check_same(what=f"money move {intent.move_id!r}", stored=stored, wanted=values)
        return False

    def update_move(
        self,
        /,
        move_id: str,
        *,
        stage: MoveStage | None = None,
        now: Instant | None = None,
        **fields: str,
    ) -> MoveRecord:
        """Advance a move (``venue_status``, ``venue_id``, ``transfer_id``, ``tx_id``,
        ``detail``); a final move is never changed again."""
        allowed = {"venue_status", "venue_id", "transfer_id", "tx_id", "detail"}
        unknown = set(fields) - allowed
        if unknown:
            raise ValueError(f"money move fields {sorted(unknown)} do not exist")
        table = schema.money_moves
        with self._store.fenced_write() as conn:
            row = conn.execute(select(table).where(table.c.move_id == move_id)).first()
            if row is None:
                raise JournalUnknownRecordError(f"money move {move_id!r} was never recorded")
            if row.stage in FINAL_STAGES:
                return _record(row)
            values: dict[str, Any] = {**fields, "updated_ms": self._store.ms(now)}
            if stage is not None:
                values["stage"] = stage.value
            conn.execute(table.update().where(table.c.move_id == move_id).values(**values))
            updated = conn.execute(select(table).where(table.c.move_id == move_id)).one()
        return _record(updated)

    def move(self, move_id: str) -> MoveRecord | None:
        table = schema.money_moves
        with self._store.read() as conn:
            row = conn.execute(select(table).where(table.c.move_id == move_id)).first()
        return None if row is None else _record(row)

    def open_moves(self, account: str | None = None) -> list[MoveRecord]:
        """Moves not DONE nor FAILED, oldest first: a restart settles these before anything
        new is moved."""
        return list(self._moves(account=account, open_only=True))

    def latest_settled_move(self, account: str | None = None) -> MoveRecord | None:
        """The move that reached DONE or FAILED last (by its last update)."""
        table = schema.money_moves
        query = (
            select(table)
            .where(table.c.stage.in_(FINAL_STAGES))
            .order_by(table.c.updated_ms.desc())
            .limit(1)
        )
        if account is not None:
            query = query.where(table.c.account == account)
        with self._store.read() as conn:
            row = conn.execute(query).first()
        return None if row is None else _record(row)

    def moves_since(self, since: Instant, *, account: str | None = None) -> list[MoveRecord]:
        return list(self._moves(account=account, since_ms=self._store.ms(since)))

    def moved_since(self, kind: MoveKind, since: Instant, *, account: str | None = None) -> Decimal:
        """What moves of ``kind`` asked since ``since`` (failed ones excepted): the daily caps
        count a move from its intent, so a crash mid-move cannot reset them."""
        table = schema.money_moves
        query = select(func.coalesce(func.sum(table.c.amount), 0)).where(
            table.c.kind == kind.value,
            table.c.created_ms >= self._store.ms(since),
            table.c.stage != MoveStage.FAILED.value,
        )
        if account is not None:
            query = query.where(table.c.account == account)
        with self._store.read() as conn:
            total = conn.execute(query).scalar_one()
        return Decimal(str(total))

    def _moves(
        self, *, account: str | None, open_only: bool = False, since_ms: int | None = None
    ) -> Iterator[MoveRecord]:
        table = schema.money_moves
        query = select(table).order_by(table.c.created_ms, table.c.move_id)
        if account is not None:
            query = query.where(table.c.account == account)
        if open_only:
            query = query.where(table.c.stage.not_in(FINAL_STAGES))
        if since_ms is not None:
            query = query.where(table.c.created_ms >= since_ms)
        with self._store.read() as conn:
            found = conn.execute(query).all()
        return (_record(row) for row in found)


__all__ = ["MoveJournal"]
