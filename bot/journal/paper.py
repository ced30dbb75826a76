"""The paper exchange's state in the journal: balances and positions of the simulated
account, kept between runs."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from bot.journal import jsoncodec, schema, sql
from bot.journal.columns import Instant
from bot.journal.store import Store


class PaperJournal:
    """Named paper-exchange states; Decimals round-trip exactly."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def save_paper_state(
        self, name: str, state: Mapping[str, Any], *, now: Instant | None = None
    ) -> None:
        """Replace the paper exchange's state ``name``; Decimals round-trip exactly."""
        values = {"name": name, "state": jsoncodec.dumps(state), "updated_ms": self._store.ms(now)}
        with self._store.write() as conn:
            sql.upsert(conn, schema.paper_state, values, key=("name",))

    def load_paper_state(self, name: str) -> dict[str, Any] | None:
        table = schema.paper_state
        with self._store.read() as conn:
            raw = conn.execute(
                select(table.c.state).where(table.c.name == name)
            ).scalar_one_or_none()
        return None if raw is None else jsoncodec.loads(raw)
