"""The deployment's switches in the journal: the pause flag (stops the hedger) and each
position's guard switch (stops its liquidation guard); each change is journaled as an operator
action in the same transaction."""

from __future__ import annotations

import structlog
from sqlalchemy import select

from bot.journal import schema, sql
from bot.journal.columns import Instant, from_ms
from bot.journal.records import GuardSwitch, PauseState
from bot.journal.store import Store

log = structlog.get_logger(__name__)


class FlagJournal:
    """This deployment's pause flag and guard switches."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def is_paused(self) -> bool:
        return self.pause_state().paused

    def pause_state(self) -> PauseState:
        table = schema.deployment_flags
        with self._store.read() as conn:
            row = conn.execute(
                select(table).where(table.c.deployment == self._store.deployment)
            ).first()
        if row is None:
            return PauseState(paused=False, reason="", actor="", changed_at=None)
        return PauseState(
            paused=bool(row.paused),
            reason=row.reason,
            actor=row.actor,
            changed_at=from_ms(row.updated_ms),
        )

    def set_paused(
        self,
        paused: bool,
        *,
        reason: str,
        actor: str = "daemon",
        now: Instant | None = None,
    ) -> None:
        """Set this deployment's pause flag and log the change as an operator action, in one
        transaction. The daemon reads the flag at the start of every cycle."""
        at = self._store.ms(now)
        values = {
            "deployment": self._store.deployment,
            "paused": paused,
            "reason": reason,
            "actor": actor,
            "updated_ms": at,
        }
        with self._store.write() as conn:
            sql.upsert(conn, schema.deployment_flags, values, key=("deployment",))
            sql.insert_operator_action(
                conn,
                action="pause" if paused else "resume",
                actor=actor,
                reason=reason,
                position=None,
                created_ms=at,
            )
        log.info("pause flag set", deployment=self._store.deployment, paused=paused, actor=actor)

    # --- the guard's switch (pause stops the hedger only; this one stops the guard) ----------

    def guard_switch(self, position: str) -> GuardSwitch:
        table = schema.guard_flags
        query = select(table).where(
            table.c.deployment == self._store.deployment, table.c.position == position
        )
        with self._store.read() as conn:
            row = conn.execute(query).first()
        if row is None:
            return GuardSwitch(stopped=False, reason="", actor="", changed_at=None)
        return GuardSwitch(
            stopped=bool(row.stopped),
            reason=row.reason,
            actor=row.actor,
            changed_at=from_ms(row.updated_ms),
        )

    def set_guard_stopped(
        self,
        position: str,
        stopped: bool,
        *,
        reason: str,
        actor: str = "operator",
        now: Instant | None = None,
    ) -> None:
        """Stop or restart ``position``'s liquidation guard, journaled as an operator action in
        the same transaction. The guard reads the switch on every tick."""
        at = self._store.ms(now)
        values = {
            "deployment": self._store.deployment,
            "position": position,
            "stopped": stopped,
            "reason": reason,
            "actor": actor,
            "updated_ms": at,
        }
        with self._store.write() as conn:
            sql.upsert(conn, schema.guard_flags, values, key=("deployment", "position"))
            sql.insert_operator_action(
                conn,
                action="guard-stop" if stopped else "guard-start",
                actor=actor,
                reason=reason,
                position=position,
                created_ms=at,
            )
        log.warning("guard switch set", position=position, stopped=stopped, actor=actor)
