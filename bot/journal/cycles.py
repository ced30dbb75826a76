"""Cycles in the journal: each guard or hedger cycle's start, how it ended, what it saw
(health factors, reasons) and decided (the account's hedge lines and each position's share)."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import func, select

from bot.journal import rows, schema
from bot.journal.columns import Instant, from_ms
from bot.journal.errors import JournalConflictError, JournalUnknownRecordError
from bot.journal.records import CycleOutcome, CycleRecord, CycleSummary, ShareLine
from bot.journal.store import Store


class CycleJournal:
    """A position's cycles: started, finished, and read back for status and the breakers."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def start_cycle(self, *, position: str, cycle_id: str, now: Instant | None = None) -> None:
        """Record that cycle ``cycle_id`` of ``position`` started. The id must be new."""
        started = self._store.ms(now)
        with self._store.write() as conn:
            existing = conn.execute(
                select(schema.cycles.c.position).where(schema.cycles.c.cycle_id == cycle_id)
            ).first()
            if existing is not None:
                raise JournalConflictError(
                    f"cycle {cycle_id!r} was already started (position {existing.position!r})"
                )
            conn.execute(
                schema.cycles.insert().values(
                    cycle_id=cycle_id, position=position, started_ms=started
                )
            )

    def finish_cycle(
        self,
        *,
        cycle_id: str,
        outcome: CycleOutcome,
        summary: CycleSummary | None = None,
        error: str | None = None,
        now: Instant | None = None,
    ) -> None:
        """Record how cycle ``cycle_id`` ended, with what it saw and decided."""
        finished = self._store.ms(now)
        summary = summary or CycleSummary()
        with self._store.write() as conn:
            row = conn.execute(
                select(schema.cycles.c.finished_ms).where(schema.cycles.c.cycle_id == cycle_id)
            ).first()
            if row is None:
                raise JournalUnknownRecordError(f"cycle {cycle_id!r} was never started")
            if row.finished_ms is not None:
                raise JournalConflictError(f"cycle {cycle_id!r} is already finished")
            conn.execute(
                schema.cycles.update()
                .where(schema.cycles.c.cycle_id == cycle_id)
                .values(
                    finished_ms=finished,
                    outcome=CycleOutcome(outcome).value,
                    block_number=summary.block_number,
                    oracle_hf=summary.oracle_hf,
                    shadow_hf=summary.shadow_hf,
                    reasons=json.dumps(list(summary.reasons)),
                    error=error,
                )
            )
            if summary.hedges:
                conn.execute(
                    schema.cycle_hedges.insert(),
                    [
                        {
                            "cycle_id": cycle_id,
                            "underlying": line.underlying,
                            "target_short_usd": line.target_short_usd,
                            "current_short_usd": line.current_short_usd,
                            "reason": line.reason,
                        }
                        for line in summary.hedges
                    ],
                )
            if summary.shares:
                conn.execute(
                    schema.cycle_shares.insert(),
                    [
                        {
                            "cycle_id": cycle_id,
                            "position": line.position,
                            "underlying": line.underlying,
                            "target_short_usd": line.target_short_usd,
                            "current_short_usd": line.current_short_usd,
                        }
                        for line in summary.shares
                    ],
                )

    def cycle(self, cycle_id: str) -> CycleRecord | None:
        with self._store.read() as conn:
            row = conn.execute(
                select(schema.cycles).where(schema.cycles.c.cycle_id == cycle_id)
            ).first()
            return None if row is None else rows.cycle_record(conn, row)

    def recent_cycles(self, position: str, *, limit: int = 20) -> list[CycleRecord]:
        """The latest ``limit`` cycles of ``position``, newest first."""
        with self._store.read() as conn:
            found = conn.execute(
                select(schema.cycles)
                .where(schema.cycles.c.position == position)
                .order_by(schema.cycles.c.started_ms.desc(), schema.cycles.c.cycle_id.desc())
                .limit(limit)
            ).all()
            return [rows.cycle_record(conn, row) for row in found]

    def latest_shares(self, position: str) -> list[ShareLine]:
        """``position``'s part of the account's hedge in the newest cycle that journaled one."""
        shares, cycles = schema.cycle_shares, schema.cycles
        with self._store.read() as conn:
            newest = conn.execute(
                select(shares.c.cycle_id)
                .join(cycles, cycles.c.cycle_id == shares.c.cycle_id)
                .where(shares.c.position == position)
                .order_by(cycles.c.started_ms.desc(), cycles.c.cycle_id.desc())
                .limit(1)
            ).scalar_one_or_none()
            if newest is None:
                return []
            found = conn.execute(
                select(shares)
                .where(shares.c.cycle_id == newest, shares.c.position == position)
                .order_by(shares.c.underlying)
            ).all()
        return [
            ShareLine(
                position=r.position,
                underlying=r.underlying,
                target_short_usd=r.target_short_usd,
                current_short_usd=r.current_short_usd,
            )
            for r in found
        ]

    def last_successful_cycle(self, position: str | None = None) -> datetime | None:
        """When the latest ``ok`` cycle (of ``position``, or of any position) finished."""
        query = select(func.max(schema.cycles.c.finished_ms)).where(
            schema.cycles.c.outcome == CycleOutcome.OK.value
        )
        if position is not None:
            query = query.where(schema.cycles.c.position == position)
        with self._store.read() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return None if value is None else from_ms(int(value))

    def consecutive_failed_cycles(self, position: str) -> int:
        """How many finished cycles of ``position`` failed since the last one that did not.

        Any other finished outcome (ok, skipped, abandoned) ends the run; cycles that never
        finished (running, or cut short by a crash) are not counted either way.
        """
        c = schema.cycles.c
        with self._store.read() as conn:
            last_good = conn.execute(
                select(func.max(c.started_ms)).where(
                    c.position == position,
                    c.finished_ms.is_not(None),
                    c.outcome != CycleOutcome.FAILED.value,
                )
            ).scalar_one_or_none()
            query = select(func.count()).where(
                c.position == position, c.outcome == CycleOutcome.FAILED.value
            )
            if last_good is not None:
                query = query.where(c.started_ms > last_good)
            return int(conn.execute(query).scalar_one())

    def outcome_counts(self) -> dict[CycleOutcome, int]:
        """How many finished cycles (of every position) ended in each outcome."""
        c = schema.cycles.c
        query = select(c.outcome, func.count()).where(c.outcome.is_not(None)).group_by(c.outcome)
        with self._store.read() as conn:
            return {CycleOutcome(outcome): int(n) for outcome, n in conn.execute(query)}

    def latest_finished_cycle(self, outcome: CycleOutcome) -> CycleRecord | None:
        """The cycle (of any position) that finished last with ``outcome``."""
        c = schema.cycles.c
        query = (
            select(schema.cycles)
            .where(c.outcome == CycleOutcome(outcome).value)
            .order_by(c.finished_ms.desc(), c.cycle_id.desc())
            .limit(1)
        )
        with self._store.read() as conn:
            row = conn.execute(query).first()
            return None if row is None else rows.cycle_record(conn, row)
