"""The journal: what the daemon did, in a real database, written before and after each action.

One ``Journal`` per process. It is safe to call from several threads (each call is its own
short transaction, serialised in-process by a lock) and from several processes at once (the
daemon plus a ``hedgebot pause`` CLI): SQLite runs in WAL mode with ``BEGIN IMMEDIATE`` and a
busy timeout, PostgreSQL uses its own row locking.

Write-ahead rule: ``record_intent`` commits before the order is sent; ``record_outcome`` after
the venue answers. After a crash, ``pending_intents()`` lists what was (maybe) sent but never
answered, for the daemon to look up by client order id before placing anything new.

Idempotency: writing the same order intent (or transaction intent, or funding row) twice is a
no-op that returns ``False``; writing a *different* record under an existing client order id /
tx key raises ``JournalConflictError`` naming the id and the differing fields. A retry after a
crash can therefore simply re-record, and an id collision can never silently merge two orders.

Times: every write takes ``now`` (an aware datetime or epoch milliseconds); when it is omitted
the injected ``clock`` supplies it. The journal never reads the system clock otherwise.
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import ColumnElement, Connection, Engine, and_, exists, func, select
from sqlalchemy.exc import IntegrityError, OperationalError, StatementError

from bot.core.model import OrderIntent, OrderReport, OrderStatus, Side
from bot.journal import jsoncodec, rows, schema, sql
from bot.journal.columns import Instant, from_ms, to_ms
from bot.journal.engine import (
    READ_ONLY_OPTION,
    SqliteSync,
    create_journal_engine,
    journal_url,
)
from bot.journal.errors import (
    JournalConflictError,
    JournalReplaced,
    JournalUnavailable,
    JournalUnknownRecordError,
)
from bot.journal.migrations import current_version, migrate
from bot.journal.moves import MoveJournal
from bot.journal.records import (
    PENDING_TX_STATUSES,
    AlertRecord,
    CycleOutcome,
    CycleRecord,
    CycleSummary,
    FundingRecord,
    GuardSwitch,
    JournaledIntent,
    OperatorAction,
    OrderRecord,
    PauseState,
    ShareLine,
    TxIntent,
    TxRecord,
    TxStatus,
)
from bot.journal.telegram import TelegramJournal

log = structlog.get_logger(__name__)

Clock = Callable[[], datetime]

_UNSETTLED_STATUSES = (OrderStatus.NEW.value, OrderStatus.PARTIALLY_FILLED.value)


def system_clock() -> datetime:
    return datetime.now(UTC)


class Journal(MoveJournal, TelegramJournal):
    """The daemon's durable record. Build it with ``Journal.open(url)``."""

    def __init__(self, engine: Engine, *, deployment: str, clock: Clock) -> None:
        self._engine = engine
        self._deployment = deployment
        self._clock = clock
        self._lock = threading.RLock()
        self._identity = self._read_identity()

    # --- lifecycle ---------------------------------------------------------------------------

    @classmethod
    def open(
        cls,
        url: str | Path,
        *,
        deployment: str = "default",
        clock: Clock = system_clock,
        migrate_to: int | None = None,
        busy_timeout_ms: int = 10_000,
        sqlite_synchronous: SqliteSync = "FULL",
    ) -> Journal:
        """Connect to ``url`` (a SQLite path, ``sqlite://`` for memory, or ``postgresql://``),
        create or upgrade the schema, and return the journal of ``deployment``.

        ``migrate_to`` stops the upgrade at an older version, for tests of the upgrade path
        (methods that touch later tables or columns then fail).
        ``sqlite_synchronous``: see ``engine.create_journal_engine`` (FULL survives power cuts).
        """
        engine = create_journal_engine(
            journal_url(url),
            busy_timeout_ms=busy_timeout_ms,
            sqlite_synchronous=sqlite_synchronous,
        )
        try:
            version = migrate(engine, now_ms=to_ms(clock()), target=migrate_to)
        except OperationalError as exc:
            engine.dispose()
            where = engine.url.render_as_string(hide_password=True)
            raise JournalUnavailable(
                f"cannot open the journal at {where}: {str(exc.orig).strip()}"
            ) from None
        except Exception:
            engine.dispose()
            raise
        log.debug(
            "journal opened",
            backend=engine.dialect.name,
            schema_version=version,
            deployment=deployment,
        )
        return cls(engine, deployment=deployment, clock=clock)

    def _read_identity(self) -> tuple[int, int, int]:
        """(creation time of the schema, device, inode): the first from the database itself,
        the others from the SQLite file (0 for PostgreSQL or memory)."""
        v = schema.schema_version.c
        with self._engine.connect() as conn:
            created = conn.execute(select(func.min(v.applied_ms))).scalar_one_or_none()
        database = self._engine.url.database
        if self._engine.dialect.name != "sqlite" or not database or database == ":memory:":
            return int(created or 0), 0, 0
        try:
            stat = os.stat(database)
        except FileNotFoundError:
            raise JournalReplaced(f"the journal file {database} was deleted") from None
        return int(created or 0), stat.st_dev, stat.st_ino

    def check_identity(self) -> None:
        """Raise ``JournalReplaced`` unless the database is still the one opened. Cheap: one
        stat and one indexed read; the hedger asks before every cycle."""
        now = self._read_identity()
        if now != self._identity:
            where = self._engine.url.render_as_string(hide_password=True)
            raise JournalReplaced(
                f"the journal at {where} is not the database hedgebot opened (created at "
                f"{self._identity[0]} ms, now {now[0]} ms; file {self._identity[1:]} -> "
                f"{now[1:]}): it was deleted or replaced"
            )

    def close(self) -> None:
        """Release every connection; the journal cannot be used afterwards."""
        self._engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @property
    def engine(self) -> Engine:
        return self._engine

    @property
    def deployment(self) -> str:
        return self._deployment

    def schema_version(self) -> int:
        with self._engine.connect() as conn:
            return current_version(conn)

    @contextmanager
    def _write(self) -> Iterator[Connection]:
        try:
            with self._lock, self._engine.begin() as conn:
                yield conn
        except StatementError as e:
            # A refused value (a float for money) surfaces as itself, not as a driver error.
            if isinstance(e.orig, TypeError | ValueError):
                raise type(e.orig)(str(e.orig)) from e
            raise

    @contextmanager
    def _read(self) -> Iterator[Connection]:
        # A deferred transaction on SQLite: readers (status commands) never queue for the
        # write lock, and WAL gives them a consistent snapshot.
        with (
            self._lock,
            self._engine.connect().execution_options(**{READ_ONLY_OPTION: True}) as conn,
            conn.begin(),
        ):
            yield conn

    def _ms(self, now: Instant | None) -> int:
        return to_ms(self._clock() if now is None else now)

    # --- cycles ------------------------------------------------------------------------------

    def start_cycle(self, *, position: str, cycle_id: str, now: Instant | None = None) -> None:
        """Record that cycle ``cycle_id`` of ``position`` started. The id must be new."""
        started = self._ms(now)
        with self._write() as conn:
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
        finished = self._ms(now)
        summary = summary or CycleSummary()
        with self._write() as conn:
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
        with self._read() as conn:
            row = conn.execute(
                select(schema.cycles).where(schema.cycles.c.cycle_id == cycle_id)
            ).first()
            return None if row is None else rows.cycle_record(conn, row)

    def recent_cycles(self, position: str, *, limit: int = 20) -> list[CycleRecord]:
        """The latest ``limit`` cycles of ``position``, newest first."""
        with self._read() as conn:
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
        with self._read() as conn:
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
        with self._read() as conn:
            value = conn.execute(query).scalar_one_or_none()
        return None if value is None else from_ms(int(value))

    def consecutive_failed_cycles(self, position: str) -> int:
        """How many finished cycles of ``position`` failed since the last one that did not.

        Any other finished outcome (ok, skipped, abandoned) ends the run; cycles that never
        finished (running, or cut short by a crash) are not counted either way.
        """
        c = schema.cycles.c
        with self._read() as conn:
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

    # --- orders ------------------------------------------------------------------------------

    def record_intent(
        self,
        intent: OrderIntent,
        *,
        position: str,
        cycle_id: str | None,
        now: Instant | None = None,
    ) -> bool:
        """Commit ``intent`` BEFORE it is sent. Return False if the identical intent was
        already recorded; raise ``JournalConflictError`` if a different one holds its id."""
        values = {
            "client_order_id": intent.client_order_id,
            "position": position,
            "cycle_id": cycle_id,
            "symbol": intent.symbol,
            "side": Side(intent.side).value,
            "quantity": intent.quantity,
            "reduce_only": intent.reduce_only,
            "order_type": intent.order_type,
            "reason": intent.reason,
            "created_ms": self._ms(now),
        }
        table = schema.order_intents
        try:
            with self._write() as conn:
                existing = conn.execute(
                    select(table).where(table.c.client_order_id == intent.client_order_id)
                ).first()
                if existing is None:
                    conn.execute(table.insert().values(**values))
                    return True
        except IntegrityError as e:
            # Another process inserted the same id between our read and write (PostgreSQL), or
            # the cycle id does not exist.
            with self._read() as conn:
                existing = conn.execute(
                    select(table).where(table.c.client_order_id == intent.client_order_id)
                ).first()
            if existing is None:
                raise JournalUnknownRecordError(
                    f"cannot record intent {intent.client_order_id!r}: cycle {cycle_id!r} "
                    "was never started"
                ) from e
        sql.check_same(
            what=f"order intent {intent.client_order_id!r}",
            stored=dict(existing._mapping),
            wanted=values,
            ignore=("created_ms",),
        )
        return False

    def record_outcome(self, report: OrderReport, *, now: Instant | None = None) -> None:
        """Append the venue's report on an order AFTER it answered. Several reports per order
        are kept (NEW, then FILLED...); the latest is its current state."""
        recorded = self._ms(now)
        with self._write() as conn:
            intent = conn.execute(
                select(schema.order_intents.c.symbol).where(
                    schema.order_intents.c.client_order_id == report.client_order_id
                )
            ).first()
            if intent is None:
                raise JournalUnknownRecordError(
                    f"outcome for client order id {report.client_order_id!r} has no recorded "
                    "intent; record the intent before sending the order"
                )
            if intent.symbol != report.symbol:
                raise JournalConflictError(
                    f"outcome for {report.client_order_id!r} is for {report.symbol}, "
                    f"but its intent was for {intent.symbol}"
                )
            conn.execute(
                schema.order_outcomes.insert().values(
                    client_order_id=report.client_order_id,
                    status=OrderStatus(report.status).value,
                    exchange_order_id=report.exchange_order_id,
                    executed_quantity=report.executed_quantity,
                    average_price=report.average_price,
                    fee=report.fee,
                    fee_asset=report.fee_asset,
                    error_code=report.error_code,
                    error_message=report.error_message,
                    exchange_update_ms=report.update_time_ms,
                    recorded_ms=recorded,
                    paper=report.paper,
                    fee_known=report.fee_known,
                )
            )

    def pending_intents(self, position: str | None = None) -> list[JournaledIntent]:
        """Intents with no outcome at all, oldest first: after a restart, each may or may not
        be on the venue and must be looked up by client order id before trading again."""
        intents = schema.order_intents
        outcomes = schema.order_outcomes
        query = (
            select(intents)
            .where(
                ~exists().where(outcomes.c.client_order_id == intents.c.client_order_id),
            )
            .order_by(intents.c.created_ms, intents.c.client_order_id)
        )
        if position is not None:
            query = query.where(intents.c.position == position)
        with self._read() as conn:
            return [rows.journaled_intent(row) for row in conn.execute(query)]

    def fills_awaiting_fees(
        self, since: Instant, *, position: str | None = None
    ) -> list[OrderReport]:
        """Final outcomes of orders placed at or after ``since`` that filled but whose fee is not
        known yet (``record_outcome`` a copy with the fee to settle one)."""
        return [
            record.outcome
            for record in self._orders(position=position, since_ms=to_ms(since, field="since"))
            if record.outcome is not None
            and not record.outcome.fee_known
            and record.outcome.executed_quantity > 0
            and record.outcome.exchange_order_id is not None
            and record.outcome.status.value not in _UNSETTLED_STATUSES
        ]

    def order(self, client_order_id: str) -> OrderRecord | None:
        records = self._orders(client_order_id=client_order_id)
        return records[0] if records else None

    def orders_since(self, since: Instant, *, position: str | None = None) -> list[OrderRecord]:
        """Orders whose intent was recorded at or after ``since``, oldest first."""
        return self._orders(position=position, since_ms=to_ms(since, field="since"))

    def order_count_since(self, since: Instant, *, position: str | None = None) -> int:
        """How many order intents were recorded at or after ``since`` (the orders-per-hour
        breaker counts attempts, rejected ones included)."""
        c = schema.order_intents.c
        query = select(func.count()).where(c.created_ms >= to_ms(since, field="since"))
        if position is not None:
            query = query.where(c.position == position)
        with self._read() as conn:
            return int(conn.execute(query).scalar_one())

    def _orders(
        self,
        *,
        position: str | None = None,
        since_ms: int | None = None,
        client_order_id: str | None = None,
    ) -> list[OrderRecord]:
        with self._read() as conn:
            return rows.order_records(
                conn, position=position, since_ms=since_ms, client_order_id=client_order_id
            )

    # --- funding, alerts, operator actions ---------------------------------------------------

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
            "recorded_ms": self._ms(now),
        }
        table = schema.funding_income
        with self._write() as conn:
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
        with self._read() as conn:
            return [
                FundingRecord(
                    symbol=row.symbol,
                    asset=row.asset,
                    amount=row.amount,
                    income_at=from_ms(row.income_ms),
                    transaction_id=row.transaction_id,
                    position=row.position,
                )
                for row in conn.execute(query)
            ]

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
        with self._write() as conn:
            conn.execute(
                schema.alerts.insert().values(
                    kind=kind,
                    severity=severity,
                    title=title,
                    text=text,
                    dedupe_key=dedupe_key,
                    sinks=json.dumps(list(sinks)),
                    created_ms=self._ms(now),
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
        with self._read() as conn:
            return [
                AlertRecord(
                    kind=row.kind,
                    severity=row.severity,
                    title=row.title,
                    text=row.text,
                    dedupe_key=row.dedupe_key,
                    sinks=tuple(json.loads(row.sinks)),
                    created_at=from_ms(row.created_ms),
                    outcome=row.outcome,
                )
                for row in conn.execute(query)
            ]

    def record_operator_action(
        self,
        action: str,
        *,
        actor: str,
        reason: str,
        position: str | None = None,
        now: Instant | None = None,
    ) -> None:
        with self._write() as conn:
            sql.insert_operator_action(
                conn,
                action=action,
                actor=actor,
                reason=reason,
                position=position,
                created_ms=self._ms(now),
            )

    def operator_actions(self, *, limit: int = 50) -> list[OperatorAction]:
        """The latest ``limit`` operator actions, newest first."""
        c = schema.operator_actions.c
        query = (
            select(schema.operator_actions).order_by(c.created_ms.desc(), c.id.desc()).limit(limit)
        )
        with self._read() as conn:
            return [
                OperatorAction(
                    action=row.action,
                    actor=row.actor,
                    reason=row.reason,
                    position=row.position,
                    created_at=from_ms(row.created_ms),
                )
                for row in conn.execute(query)
            ]

    # --- pause flag --------------------------------------------------------------------------

    def is_paused(self) -> bool:
        return self.pause_state().paused

    def pause_state(self) -> PauseState:
        table = schema.deployment_flags
        with self._read() as conn:
            row = conn.execute(select(table).where(table.c.deployment == self._deployment)).first()
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
        at = self._ms(now)
        values = {
            "deployment": self._deployment,
            "paused": paused,
            "reason": reason,
            "actor": actor,
            "updated_ms": at,
        }
        with self._write() as conn:
            sql.upsert(conn, schema.deployment_flags, values, key=("deployment",))
            sql.insert_operator_action(
                conn,
                action="pause" if paused else "resume",
                actor=actor,
                reason=reason,
                position=None,
                created_ms=at,
            )
        log.info("pause flag set", deployment=self._deployment, paused=paused, actor=actor)

    # --- the guard's switch (pause stops the hedger only; this one stops the guard) ----------

    def guard_switch(self, position: str) -> GuardSwitch:
        table = schema.guard_flags
        query = select(table).where(
            table.c.deployment == self._deployment, table.c.position == position
        )
        with self._read() as conn:
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
        at = self._ms(now)
        values = {
            "deployment": self._deployment,
            "position": position,
            "stopped": stopped,
            "reason": reason,
            "actor": actor,
            "updated_ms": at,
        }
        with self._write() as conn:
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

    # --- paper exchange state ----------------------------------------------------------------

    def save_paper_state(
        self, name: str, state: Mapping[str, Any], *, now: Instant | None = None
    ) -> None:
        """Replace the paper exchange's state ``name``; Decimals round-trip exactly."""
        values = {"name": name, "state": jsoncodec.dumps(state), "updated_ms": self._ms(now)}
        with self._write() as conn:
            sql.upsert(conn, schema.paper_state, values, key=("name",))

    def load_paper_state(self, name: str) -> dict[str, Any] | None:
        table = schema.paper_state
        with self._read() as conn:
            raw = conn.execute(
                select(table.c.state).where(table.c.name == name)
            ).scalar_one_or_none()
        return None if raw is None else jsoncodec.loads(raw)

    # --- on-chain transactions ---------------------------------------------------------------

    def record_tx_intent(self, tx: TxIntent, *, now: Instant | None = None) -> bool:
        """Commit ``tx`` BEFORE signing and sending it. Same idempotency rule as orders."""
        at = self._ms(now)
        values = {
            "tx_key": tx.tx_key,
            "position": tx.position,
            "chain_id": tx.chain_id,
            "from_address": tx.from_address,
            "nonce": tx.nonce,
            "to_address": tx.to_address,
            "kind": tx.kind,
            "data_hash": tx.data_hash,
            "amount": tx.amount,
            "asset": tx.asset,
        }
        table = schema.chain_txs
        with self._write() as conn:
            existing = conn.execute(select(table).where(table.c.tx_key == tx.tx_key)).first()
            if existing is None:
                conn.execute(
                    table.insert().values(
                        **values,
                        status=TxStatus.INTENT.value,
                        created_ms=at,
                        updated_ms=at,
                    )
                )
                return True
        sql.check_same(
            what=f"transaction {tx.tx_key!r}", stored=dict(existing._mapping), wanted=values
        )
        return False

    def record_tx_sent(
        self,
        tx_key: str,
        *,
        tx_hash: str,
        max_fee_per_gas: Decimal | None = None,
        max_priority_fee_per_gas: Decimal | None = None,
        now: Instant | None = None,
    ) -> None:
        """Record a broadcast hash of ``tx_key``; a replacement (same nonce, higher fee) is
        another call with its new hash. Recording the same hash twice is a no-op."""
        at = self._ms(now)
        with self._write() as conn:
            status = self._tx_status(conn, tx_key)
            known = conn.execute(
                select(schema.chain_tx_sends.c.tx_key).where(
                    schema.chain_tx_sends.c.tx_hash == tx_hash
                )
            ).first()
            if known is not None:
                if known.tx_key != tx_key:
                    raise JournalConflictError(
                        f"hash {tx_hash} is already recorded for transaction {known.tx_key!r}"
                    )
                return
            conn.execute(
                schema.chain_tx_sends.insert().values(
                    tx_hash=tx_hash,
                    tx_key=tx_key,
                    max_fee_per_gas=max_fee_per_gas,
                    max_priority_fee_per_gas=max_priority_fee_per_gas,
                    sent_ms=at,
                )
            )
            if status in PENDING_TX_STATUSES:
                conn.execute(
                    schema.chain_txs.update()
                    .where(schema.chain_txs.c.tx_key == tx_key)
                    .values(status=TxStatus.SENT.value, updated_ms=at)
                )

    def record_tx_receipt(
        self,
        tx_key: str,
        *,
        tx_hash: str,
        success: bool,
        block_number: int,
        gas_used: int,
        revert_reason: str | None = None,
        block_hash: str | None = None,
        now: Instant | None = None,
    ) -> None:
        """Record the receipt of whichever of ``tx_key``'s hashes was mined."""
        at = self._ms(now)
        with self._write() as conn:
            self._tx_status(conn, tx_key)
            known = conn.execute(
                select(schema.chain_tx_sends.c.tx_key).where(
                    schema.chain_tx_sends.c.tx_hash == tx_hash
                )
            ).first()
            if known is None or known.tx_key != tx_key:
                raise JournalUnknownRecordError(
                    f"receipt hash {tx_hash} was never recorded as sent for {tx_key!r}"
                )
            conn.execute(
                schema.chain_txs.update()
                .where(schema.chain_txs.c.tx_key == tx_key)
                .values(
                    status=(TxStatus.MINED if success else TxStatus.REVERTED).value,
                    mined_tx_hash=tx_hash,
                    receipt_block=block_number,
                    receipt_block_hash=block_hash,
                    gas_used=gas_used,
                    revert_reason=revert_reason,
                    updated_ms=at,
                )
            )

    def close_tx(
        self,
        tx_key: str,
        *,
        status: TxStatus,
        reason: str,
        now: Instant | None = None,
    ) -> None:
        """End a transaction that will never get a receipt: ``FAILED`` (never broadcast) or
        ``DROPPED`` (its nonce was used by another transaction, or it was given up)."""
        if status not in (TxStatus.FAILED, TxStatus.DROPPED):
            raise ValueError(f"close_tx status must be failed or dropped, got {status!r}")
        with self._write() as conn:
            self._tx_status(conn, tx_key)
            conn.execute(
                schema.chain_txs.update()
                .where(schema.chain_txs.c.tx_key == tx_key)
                .values(status=status.value, revert_reason=reason, updated_ms=self._ms(now))
            )

    def reopen_tx(self, tx_key: str, *, reason: str, now: Instant | None = None) -> None:
        """A mined (or reverted) transaction whose block a reorg replaced: pending again, its
        receipt forgotten, so the transaction manager settles it anew by its hashes."""
        with self._write() as conn:
            self._tx_status(conn, tx_key)
            conn.execute(
                schema.chain_txs.update()
                .where(schema.chain_txs.c.tx_key == tx_key)
                .values(
                    status=TxStatus.SENT.value,
                    mined_tx_hash=None,
                    receipt_block=None,
                    receipt_block_hash=None,
                    gas_used=None,
                    revert_reason=reason,
                    updated_ms=self._ms(now),
                )
            )
        log.warning("transaction reopened after a reorg", tx_key=tx_key, reason=reason)

    def txs_mined_from(self, block: int) -> list[TxRecord]:
        """Mined or reverted transactions whose receipt is at or above ``block``."""
        c = schema.chain_txs.c
        final = [TxStatus.MINED.value, TxStatus.REVERTED.value]
        with self._read() as conn:
            return rows.tx_records(conn, and_(c.status.in_(final), c.receipt_block >= block))

    def tx(self, tx_key: str) -> TxRecord | None:
        with self._read() as conn:
            records = rows.tx_records(conn, schema.chain_txs.c.tx_key == tx_key)
        return records[0] if records else None

    def pending_txs(
        self, *, chain_id: int | None = None, from_address: str | None = None
    ) -> list[TxRecord]:
        """Transactions still waiting (intent or sent), ordered by chain, sender and nonce."""
        c = schema.chain_txs.c
        conditions: list[ColumnElement[bool]] = [
            c.status.in_([s.value for s in PENDING_TX_STATUSES])
        ]
        if chain_id is not None:
            conditions.append(c.chain_id == chain_id)
        if from_address is not None:
            conditions.append(func.lower(c.from_address) == from_address.lower())
        with self._read() as conn:
            return rows.tx_records(conn, and_(*conditions))

    def txs_since(self, since: Instant, *, status: TxStatus | None = None) -> list[TxRecord]:
        """Transactions whose intent was recorded at or after ``since`` (e.g. today's repays,
        for the daily cap), optionally only those with ``status``."""
        c = schema.chain_txs.c
        conditions: list[ColumnElement[bool]] = [c.created_ms >= to_ms(since, field="since")]
        if status is not None:
            conditions.append(c.status == status.value)
        with self._read() as conn:
            return rows.tx_records(conn, and_(*conditions))

    @staticmethod
    def _tx_status(conn: Connection, tx_key: str) -> TxStatus:
        status = conn.execute(
            select(schema.chain_txs.c.status).where(schema.chain_txs.c.tx_key == tx_key)
        ).scalar_one_or_none()
        if status is None:
            raise JournalUnknownRecordError(f"transaction {tx_key!r} has no recorded intent")
        return TxStatus(status)
