"""Leadership epochs and fencing, for replicas sharing one journal (``bot.ha``).

A replica that wins leadership records the next epoch (``begin_epoch``). From then on the journal
refuses every *fenced* write (the intents written before an order, a transaction or a money move,
see ``Store.fenced_write``) of an older epoch: a leader that lost its lock but has not noticed
yet cannot journal, so cannot send, anything.

The check sits inside the write's own transaction and is serialised against ``begin_epoch``:
on PostgreSQL a fenced write holds ``ha_epochs`` in SHARE mode, which a new epoch's insert (SHARE
ROW EXCLUSIVE) waits for and blocks; on SQLite every write transaction is ``BEGIN IMMEDIATE``
already. So a new leader that has recorded its epoch sees every intent an older leader committed,
and no older leader's intent commits after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from sqlalchemy import Connection, func, select, text

from bot.journal import schema
from bot.journal.columns import Instant, from_ms
from bot.journal.errors import FencedOut
from bot.journal.store import Store


class EpochHolder(Protocol):
    """What decides whether this process may act: the leadership of ``bot.ha``."""

    def acting_epoch(self) -> int:
        """The epoch this replica acts under; raises ``FencedOut`` when it may not act now."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class EpochRecord:
    epoch: int
    replica_id: str
    reason: str
    started_at: datetime


def _latest(conn: Connection, deployment: str) -> int:
    c = schema.ha_epochs.c
    found = conn.execute(select(func.max(c.epoch)).where(c.deployment == deployment)).scalar_one()
    return int(found or 0)


def check_epoch(conn: Connection, *, deployment: str, epoch: int) -> None:
    """Raise ``FencedOut`` unless ``epoch`` is still the newest; inside the write's transaction."""
    if conn.dialect.name == "postgresql":
        conn.execute(text("LOCK TABLE ha_epochs IN SHARE MODE"))
    latest = _latest(conn, deployment)
    if latest != epoch:
        raise FencedOut(
            f"epoch {epoch} is fenced out: the journal's newest leadership epoch is {latest}; "
            "this replica no longer leads and must not act"
        )


class EpochFence:
    """The journal's fence for a replica: its leadership says the epoch, the database says
    whether it is still the newest."""

    def __init__(self, holder: EpochHolder, *, deployment: str) -> None:
        self._holder = holder
        self._deployment = deployment

    def before(self) -> int:
        return self._holder.acting_epoch()

    def inside(self, conn: Connection, epoch: int) -> None:
        check_epoch(conn, deployment=self._deployment, epoch=epoch)


class EpochJournal:
    """The epochs of one deployment: one row per leadership won."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def begin_epoch(self, *, replica_id: str, reason: str, now: Instant | None = None) -> int:
        """Record the next epoch for ``replica_id`` and return it; every fenced write of an
        older epoch is refused from the moment this commits."""
        at = self._store.ms(now)
        with self._store.write() as conn:
            if conn.dialect.name == "postgresql":
                # Waits for fenced writes in flight; holds new ones until this commits.
                conn.execute(text("LOCK TABLE ha_epochs IN SHARE ROW EXCLUSIVE MODE"))
            epoch = _latest(conn, self._store.deployment) + 1
            conn.execute(
                schema.ha_epochs.insert().values(
                    deployment=self._store.deployment,
                    epoch=epoch,
                    replica_id=replica_id,
                    reason=reason,
                    started_ms=at,
                )
            )
        return epoch

    def fence_with(self, holder: EpochHolder) -> None:
        """From now on every fenced write asks ``holder`` for its epoch and checks it."""
        self._store.fence = EpochFence(holder, deployment=self._store.deployment)

    def check_leading(self) -> None:
        """Raise ``FencedOut`` unless this process may act now (its lease holds); a no-op
        without a fence. For the moment right before a send: the lease may have ended since
        the intent's fenced write, and a request stamped after it could outlive the takeover
        delay (bot.core.ha.request_window_ms)."""
        fence = self._store.fence
        if fence is not None:
            fence.before()

    def latest_epoch(self) -> EpochRecord | None:
        """The newest epoch: who leads (or led last) and why; None before any replica led."""
        found = self._epochs(newest_only=True)
        return found[0] if found else None

    def epochs(self) -> list[EpochRecord]:
        """Every epoch of the deployment, oldest first."""
        return self._epochs(newest_only=False)

    def _epochs(self, *, newest_only: bool) -> list[EpochRecord]:
        t = schema.ha_epochs
        query = select(t).where(t.c.deployment == self._store.deployment)
        if newest_only:
            query = query.order_by(t.c.epoch.desc()).limit(1)
        else:
            query = query.order_by(t.c.epoch)
        with self._store.read() as conn:
            rows = conn.execute(query).all()
        return [
            EpochRecord(
                epoch=int(row.epoch),
                replica_id=row.replica_id,
                reason=row.reason,
                started_at=from_ms(row.started_ms),
            )
            for row in rows
        ]


__all__ = ["EpochFence", "EpochHolder", "EpochJournal", "EpochRecord", "check_epoch"]
