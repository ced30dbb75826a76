"""Small SQL helpers shared by the journal's writes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.dialects import postgresql, sqlite

from bot.journal import schema
from bot.journal.errors import JournalConflictError


def check_same(
    *,
    what: str,
    stored: Mapping[str, Any],
    wanted: Mapping[str, Any],
    ignore: Sequence[str] = (),
) -> None:
    differing = [
        f"{key}: stored {stored[key]!r}, new {value!r}"
        for key, value in wanted.items()
        if key not in ignore and not _same_value(stored[key], value)
    ]
    if differing:
        raise JournalConflictError(
            f"{what} is already recorded with different values ({'; '.join(differing)})"
        )


def _same_value(stored: Any, wanted: Any) -> bool:
    if isinstance(wanted, bool) or isinstance(stored, bool):
        return bool(stored) == bool(wanted)
    return bool(stored == wanted)


def insert_operator_action(
    conn: Connection,
    *,
    action: str,
    actor: str,
    reason: str,
    position: str | None,
    created_ms: int,
) -> None:
    conn.execute(
        schema.operator_actions.insert().values(
            action=action, actor=actor, reason=reason, position=position, created_ms=created_ms
        )
    )


def upsert(conn: Connection, table: Any, values: Mapping[str, Any], *, key: Sequence[str]) -> None:
    updates = {name: value for name, value in values.items() if name not in key}
    if conn.dialect.name == "postgresql":
        pg_statement = postgresql.insert(table).values(**values)
        conn.execute(pg_statement.on_conflict_do_update(index_elements=list(key), set_=updates))
    else:
        lite_statement = sqlite.insert(table).values(**values)
        conn.execute(lite_statement.on_conflict_do_update(index_elements=list(key), set_=updates))
