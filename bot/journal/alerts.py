"""Alerts and operator actions in the journal: every alert raised (with what became of it at
its sinks) and every action an operator or the daemon took (pause, flatten, guard stop ...)."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Row, select

from bot.journal import schema, sql
from bot.journal.columns import Instant, from_ms, to_ms
from bot.journal.records import AlertRecord, OperatorAction
from bot.journal.store import Store


def _alert(row: Row[Any]) -> AlertRecord:
    return AlertRecord(
        kind=row.kind,
        severity=row.severity,
        title=row.title,
        text=row.text,
        dedupe_key=row.dedupe_key,
        sinks=tuple(json.loads(row.sinks)),
        created_at=from_ms(row.created_ms),
        outcome=row.outcome,
    )


def _operator_action(row: Row[Any]) -> OperatorAction:
    return OperatorAction(
        action=row.action,
        actor=row.actor,
        reason=row.reason,
        position=row.position,
        created_at=from_ms(row.created_ms),
    )


class AlertJournal:
    """Alerts and operator actions, append-only."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def record_alert(
        self,
        *,
        kind: str,
        severity: str,
        title: str,
        text: str,
        dedupe_key: str,
        sinks: Sequence[str] = (),
        outcome: str = "sent",
        now: Instant | None = None,
    ) -> None:
        with self._store.write() as conn:
            conn.execute(
                schema.alerts.insert().values(
                    kind=kind,
                    severity=severity,
                    title=title,
                    text=text,
                    dedupe_key=dedupe_key,
                    sinks=json.dumps(list(sinks)),
                    created_ms=self._store.ms(now),
                    outcome=outcome,
                )
            )

    def alerts_since(self, since: Instant) -> list[AlertRecord]:
        c = schema.alerts.c
        query = (
            select(schema.alerts)
            .where(c.created_ms >= to_ms(since, field="since"))
            .order_by(c.created_ms, c.id)
        )
        with self._store.read() as conn:
            return [_alert(row) for row in conn.execute(query)]

    def record_operator_action(
        self,
        action: str,
        *,
        actor: str,
        reason: str,
        position: str | None = None,
        now: Instant | None = None,
    ) -> None:
        with self._store.write() as conn:
            sql.insert_operator_action(
                conn,
                action=action,
                actor=actor,
                reason=reason,
                position=position,
                created_ms=self._store.ms(now),
            )

    def operator_actions(self, *, limit: int = 50) -> list[OperatorAction]:
        """The latest ``limit`` operator actions, newest first."""
        c = schema.operator_actions.c
        query = (
            select(schema.operator_actions).order_by(c.created_ms.desc(), c.id.desc()).limit(limit)
        )
        with self._store.read() as conn:
            return [_operator_action(row) for row in conn.execute(query)]

    def alerts_after(self, row_id: int) -> list[tuple[int, AlertRecord]]:
        """Alerts journaled after the one with id ``row_id``, each with its id."""
        c = schema.alerts.c
        query = select(schema.alerts).where(c.id > row_id).order_by(c.id)
        with self._store.read() as conn:
            return [(row.id, _alert(row)) for row in conn.execute(query)]

    def operator_actions_after(self, row_id: int) -> list[tuple[int, OperatorAction]]:
        """Operator actions journaled after the one with id ``row_id``, each with its id."""
        c = schema.operator_actions.c
        query = select(schema.operator_actions).where(c.id > row_id).order_by(c.id)
        with self._store.read() as conn:
            return [(row.id, _operator_action(row)) for row in conn.execute(query)]
