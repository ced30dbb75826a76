"""Funding in the journal: each funding payment the futures account received or paid, once
per ``(symbol, transaction id)``."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import Row, select

from bot.journal import schema, sql
from bot.journal.columns import Instant, from_ms, to_ms
from bot.journal.records import FundingRecord
from bot.journal.store import Store


def _funding(row: Row[Any]) -> FundingRecord:
    return FundingRecord(
        symbol=row.symbol,
        asset=row.asset,
        amount=row.amount,
        income_at=from_ms(row.income_ms),
        transaction_id=row.transaction_id,
        position=row.position,
    )


class FundingJournal:
    """Funding payments, idempotent by symbol and the venue's transaction id."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record_funding(
        self,
        *,
        symbol: str,
        asset: str,
        amount: Decimal,
        income_at: Instant,
        transaction_id: str,
        position: str | None = None,
        now: Instant | None = None,
    ) -> bool:
        """Record one funding payment; False if ``(symbol, transaction_id)`` is already in."""
        values = {
            "position": position,
            "symbol": symbol,
            "asset": asset,
            "amount": amount,
            "income_ms": to_ms(income_at, field="income_at"),
            "transaction_id": transaction_id,
            "recorded_ms": self._store.ms(now),
        }
        table = schema.funding_income
        with self._store.write() as conn:
            existing = conn.execute(
                select(table).where(
                    table.c.symbol == symbol, table.c.transaction_id == transaction_id
                )
            ).first()
            if existing is None:
                conn.execute(table.insert().values(**values))
                return True
        sql.check_same(
            what=f"funding {symbol} transaction {transaction_id!r}",
            stored=dict(existing._mapping),
            wanted=values,
            ignore=("recorded_ms", "id"),
        )
        return False

    def funding_income(
        self, *, since: Instant, until: Instant | None = None, position: str | None = None
    ) -> list[FundingRecord]:
        c = schema.funding_income.c
        query = (
            select(schema.funding_income)
            .where(c.income_ms >= to_ms(since, field="since"))
            .order_by(c.income_ms, c.id)
        )
        if until is not None:
            query = query.where(c.income_ms < to_ms(until, field="until"))
        if position is not None:
            query = query.where(c.position == position)
        with self._store.read() as conn:
            return [_funding(row) for row in conn.execute(query)]

    def funding_after(self, row_id: int) -> list[tuple[int, FundingRecord]]:
        """Funding payments journaled after the one with id ``row_id``, each with its id."""
        c = schema.funding_income.c
        query = select(schema.funding_income).where(c.id > row_id).order_by(c.id)
        with self._store.read() as conn:
            return [(row.id, _funding(row)) for row in conn.execute(query)]
