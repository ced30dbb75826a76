"""Where the Telegram command listener is in its bot's update stream: the last update it took,
so a restart asks for the next one and no command is obeyed twice."""

from __future__ import annotations

from sqlalchemy import select

from bot.journal import schema, sql
from bot.journal.columns import Instant
from bot.journal.store import Store


class TelegramJournal:
    """The last Telegram update taken, per bot."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def telegram_offset(self, bot_id: str) -> int | None:
        """The last update id taken from bot ``bot_id``'s stream, None before the first."""
        table = schema.telegram_offsets
        with self._store.read() as conn:
            value = conn.execute(
                select(table.c.last_update_id).where(table.c.bot_id == bot_id)
            ).scalar_one_or_none()
        return None if value is None else int(value)

    def take_telegram_update(
        self, bot_id: str, update_id: int, *, now: Instant | None = None
    ) -> bool:
        """Record update ``update_id`` as taken; False (and nothing changes) when it, or a later
        one, was taken before: the caller must not obey it again."""
        table = schema.telegram_offsets
        with self._store.write() as conn:
            last = conn.execute(
                select(table.c.last_update_id).where(table.c.bot_id == bot_id)
            ).scalar_one_or_none()
            if last is not None and update_id <= int(last):
                return False
            values = {
                "bot_id": bot_id,
                "last_update_id": update_id,
                "updated_ms": self._store.ms(now),
            }
            sql.upsert(conn, table, values, key=("bot_id",))
        return True
