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

Layout: ``Journal`` is the one facade the product uses. What it holds is split by kind, each
part a class owning its tables' SQL (``cycles``, ``orders``, ``funding``, ``alerts``,
``flags``, ``paper``, ``txs``, ``moves``, ``telegram``, ``epochs``), all working on one
``Store`` (engine, write lock, clock, and for a replica sharing the journal its fence).
``Journal.open_read_only`` opens the same facade on a database it may only read (status, the
dashboard, ``hedgebot watch``, the demo).
"""

from __future__ import annotations

import functools
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, Concatenate, ParamSpec, TypeVar

import structlog
from sqlalchemy import Engine, func, select
from sqlalchemy.exc import OperationalError

from bot.journal import schema
from bot.journal.alerts import AlertJournal
from bot.journal.columns import to_ms
from bot.journal.cycles import CycleJournal
from bot.journal.engine import SqliteSync, create_journal_engine, journal_url
from bot.journal.epochs import EpochJournal
from bot.journal.errors import JournalReplaced, JournalUnavailable
from bot.journal.flags import FlagJournal
from bot.journal.funding import FundingJournal
from bot.journal.migrations import current_version, migrate
from bot.journal.moves import MoveJournal
from bot.journal.orders import OrderJournal
from bot.journal.paper import PaperJournal
from bot.journal.read_only import read_only_engine
from bot.journal.store import Clock, Store, system_clock
from bot.journal.telegram import TelegramJournal
from bot.journal.txs import TxJournal

log = structlog.get_logger(__name__)

_P = ParamSpec("_P")
_R = TypeVar("_R")
_Part = TypeVar("_Part")


def forward(
    part: str, method: Callable[Concatenate[_Part, _P], _R]
) -> Callable[Concatenate[Any, _P], _R]:
    """A facade method calling ``method`` on the facade's attribute ``part``: the signature and
    the docstring stay the part's own, written once."""

    @functools.wraps(method)
    def call(self: Any, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        return method(getattr(self, part), *args, **kwargs)

    return call


class Journal:
    """The daemon's durable record. Build it with ``Journal.open(url)`` (read and write) or
    ``Journal.open_read_only(url)``."""

    def __init__(self, engine: Engine, *, deployment: str, clock: Clock) -> None:
        self._store = Store(engine, deployment=deployment, clock=clock)
        self.cycles = CycleJournal(self._store)
        self.orders = OrderJournal(self._store)
        self.funding = FundingJournal(self._store)
        self.alerts = AlertJournal(self._store)
        self.flags = FlagJournal(self._store)
        self.paper = PaperJournal(self._store)
        self.txs = TxJournal(self._store)
        self.moves = MoveJournal(self._store)
        self.telegram = TelegramJournal(self._store)
        self.epochs = EpochJournal(self._store)
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
        with self._store.engine.connect() as conn:
            created = conn.execute(select(func.min(v.applied_ms))).scalar_one_or_none()
        database = self._store.engine.url.database
        if self._store.engine.dialect.name != "sqlite" or not database or database == ":memory:":
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
            where = self._store.engine.url.render_as_string(hide_password=True)
            raise JournalReplaced(
                f"the journal at {where} is not the database hedgebot opened (created at "
                f"{self._identity[0]} ms, now {now[0]} ms; file {self._identity[1:]} -> "
                f"{now[1:]}): it was deleted or replaced"
            )

    def close(self) -> None:
        """Release every connection; the journal cannot be used afterwards."""
        self._store.engine.dispose()

    def __enter__(self) -> Journal:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    @classmethod
    def open_read_only(cls, url: str | Path, *, deployment: str = "default") -> Journal:
        """The journal at ``url`` opened only to read: no migration, no file created, every
        write refused by the database itself. Raises ``JournalNotCreated`` while no daemon has
        created it, ``JournalUnavailable`` when it cannot be read or is at another schema
        version than this code's."""
        engine = read_only_engine(url)
        return cls(engine, deployment=deployment, clock=system_clock)

    @property
    def engine(self) -> Engine:
        return self._store.engine

    @property
    def deployment(self) -> str:
        return self._store.deployment

    def schema_version(self) -> int:
        with self._store.engine.connect() as conn:
            return current_version(conn)

    # --- cycles ---
    start_cycle = forward("cycles", CycleJournal.start_cycle)
    finish_cycle = forward("cycles", CycleJournal.finish_cycle)
    cycle = forward("cycles", CycleJournal.cycle)
    recent_cycles = forward("cycles", CycleJournal.recent_cycles)
    latest_shares = forward("cycles", CycleJournal.latest_shares)
    last_successful_cycle = forward("cycles", CycleJournal.last_successful_cycle)
    consecutive_failed_cycles = forward("cycles", CycleJournal.consecutive_failed_cycles)
    outcome_counts = forward("cycles", CycleJournal.outcome_counts)
    latest_finished_cycle = forward("cycles", CycleJournal.latest_finished_cycle)

    # --- orders ---
    record_intent = forward("orders", OrderJournal.record_intent)
    record_outcome = forward("orders", OrderJournal.record_outcome)
    pending_intents = forward("orders", OrderJournal.pending_intents)
    fills_awaiting_fees = forward("orders", OrderJournal.fills_awaiting_fees)
    order = forward("orders", OrderJournal.order)
    orders_since = forward("orders", OrderJournal.orders_since)
    order_count_since = forward("orders", OrderJournal.order_count_since)
    order_updates_after = forward("orders", OrderJournal.order_updates_after)
    last_outcome_id = forward("orders", OrderJournal.last_outcome_id)

    # --- funding ---
    record_funding = forward("funding", FundingJournal.record_funding)
    funding_income = forward("funding", FundingJournal.funding_income)
    funding_after = forward("funding", FundingJournal.funding_after)

    # --- alerts ---
    record_alert = forward("alerts", AlertJournal.record_alert)
    alerts_since = forward("alerts", AlertJournal.alerts_since)
    record_operator_action = forward("alerts", AlertJournal.record_operator_action)
    operator_actions = forward("alerts", AlertJournal.operator_actions)
    alerts_after = forward("alerts", AlertJournal.alerts_after)
    operator_actions_after = forward("alerts", AlertJournal.operator_actions_after)

    # --- flags ---
    is_paused = forward("flags", FlagJournal.is_paused)
    pause_state = forward("flags", FlagJournal.pause_state)
    set_paused = forward("flags", FlagJournal.set_paused)
    guard_switch = forward("flags", FlagJournal.guard_switch)
    set_guard_stopped = forward("flags", FlagJournal.set_guard_stopped)

    # --- paper ---
    save_paper_state = forward("paper", PaperJournal.save_paper_state)
    load_paper_state = forward("paper", PaperJournal.load_paper_state)

    # --- txs ---
    record_tx_intent = forward("txs", TxJournal.record_tx_intent)
    record_tx_sent = forward("txs", TxJournal.record_tx_sent)
    record_tx_receipt = forward("txs", TxJournal.record_tx_receipt)
    close_tx = forward("txs", TxJournal.close_tx)
    reopen_tx = forward("txs", TxJournal.reopen_tx)
    txs_mined_from = forward("txs", TxJournal.txs_mined_from)
    tx = forward("txs", TxJournal.tx)
    pending_txs = forward("txs", TxJournal.pending_txs)
    txs_since = forward("txs", TxJournal.txs_since)
    txs_settled_since = forward("txs", TxJournal.txs_settled_since)

    # --- moves ---
    record_move_intent = forward("moves", MoveJournal.record_move_intent)
    update_move = forward("moves", MoveJournal.update_move)
    move = forward("moves", MoveJournal.move)
    open_moves = forward("moves", MoveJournal.open_moves)
    latest_settled_move = forward("moves", MoveJournal.latest_settled_move)
    moves_since = forward("moves", MoveJournal.moves_since)
    moved_since = forward("moves", MoveJournal.moved_since)

    # --- leadership epochs (bot.ha) ---
    begin_epoch = forward("epochs", EpochJournal.begin_epoch)
    fence_with = forward("epochs", EpochJournal.fence_with)
    check_leading = forward("epochs", EpochJournal.check_leading)
    latest_epoch = forward("epochs", EpochJournal.latest_epoch)
    all_epochs = forward("epochs", EpochJournal.epochs)

    # --- telegram ---
    telegram_offset = forward("telegram", TelegramJournal.telegram_offset)
    take_telegram_update = forward("telegram", TelegramJournal.take_telegram_update)


__all__ = ["Clock", "Journal", "forward", "system_clock"]
