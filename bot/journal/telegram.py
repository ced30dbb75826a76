"""Where the Telegram command listener is in its bot's update stream: the last update it took,
so a restart asks for the next one and no command is obeyed twice."""

from __future__ import annotations

from contextlib import AbstractContextManager

from sqlalchemy import Connection, select

from bot.journal import schema, sql
from bot.journal.columns import Instant


class TelegramJournal:
    """Mixed into ``Journal``: it provides the connection and clock helpers below."""

    def _write(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _read(self) -> AbstractContextManager[Connection]:
        raise NotImplementedError

    def _ms(self, now: Instant | None) -> int:
        raise NotImplementedError

    def telegram_offset(self, bot_id: str) -> int | None:
        """The last update id taken from bot ``bot_id``'s stream, None before the first."""
        table = schema.telegram_offsets
        with self._read() as conn:
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
        with self._write() as conn:
            last = conn.execute(
                select(table.c.last_update_id).where(table.c.bot_id == bot_id)
            ).scalar_one_or_none()
            if last is not None and update_id <= int(last):
                return False
            values = {"bot_id": bot_id, "last_update_id": update_id, "updated_ms": self._ms(now)}
            sql.upsert(conn, table, values, key=("bot_id",))
        return True
