"""Follow the journal the daemon writes (SQLite or PostgreSQL, read-only): new orders, repay
transactions, money moves between the exchange and the reserve, alerts, funding and operator
actions, and the latest cycle's health factors and hedge targets.

Every read goes through the journal's own read-only reader (``Journal.open_read_only``): it
never takes the write lock, so the daemon is not slowed, and the tail holds no copy of the
schema's SQL.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import TypeVar

from bot.journal import (
    AlertRecord,
    CycleOutcome,
    FundingRecord,
    Journal,
    JournalUnavailable,
    MoveRecord,
    MoveStage,
    OperatorAction,
    OrderUpdate,
    TxRecord,
)
from bot.journal.columns import from_ms, to_ms

_Note = TypeVar("_Note", AlertRecord, FundingRecord, OperatorAction)


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderEvent:
    outcome_id: int
    client_order_id: str
    symbol: str
    side: str
    quantity: Decimal
    reduce_only: bool
    status: str
    executed_quantity: Decimal
    average_price: Decimal
    fee: Decimal
    fee_asset: str
    error: str
    recorded_ms: int
    reason: str = ""  # why the daemon sent it (the intent's reason)


@dataclass(frozen=True, slots=True, kw_only=True)
class TxEvent:
    tx_key: str
    kind: str  # "repay", "approve", "supply"
    amount: Decimal | None
    asset: str | None  # token address
    status: str
    tx_hash: str | None
    block: int | None
    revert_reason: str | None
    updated_ms: int


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleView:
    cycle_id: str
    finished_ms: int
    oracle_hf: Decimal | None
    shadow_hf: Decimal | None
    targets_usd: dict[str, Decimal]  # underlying -> wanted short USD
    reasons: str
    current_usd: dict[str, Decimal] = field(default_factory=dict)  # underlying -> short held


@dataclass(frozen=True, slots=True, kw_only=True)
class NoteEvent:
    """An alert, a funding payment or an operator action, as one line."""

    kind: str  # "alert", "funding", "operator"
    at_ms: int
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleCounts:
    ok: int = 0
    skipped: int = 0
    failed: int = 0


class JournalTail:
    """Remembers what it has already reported; each ``new_*`` call returns only news.

    ``location`` is the journal's path or URL (SQLite or PostgreSQL). Until a daemon has
    created the journal at this hedgebot's schema version every read is empty and
    ``unavailable`` says why; the next call tries again."""

    def __init__(self, location: str | Path) -> None:
        self._location = location
        self._journal: Journal | None = None
        self.unavailable = ""
        self._last_outcome = 0
        self._tx_seen: set[tuple[str, str]] = set()
        self._tx_since_ms = 0
        self._move_stages: dict[str, MoveStage] = {}
        self._last_note_ids: dict[str, int] = {}

    def _reader(self) -> Journal | None:
        if self._journal is None:
            try:
                self._journal = Journal.open_read_only(self._location)
            except JournalUnavailable as exc:
                # Not created yet, or the daemon is still migrating it.
                self.unavailable = str(exc)
                return None
            self.unavailable = ""
        return self._journal

    def close(self) -> None:
        if self._journal is not None:
            self._journal.close()
            self._journal = None

    def cycle_counts(self) -> CycleCounts:
        journal = self._reader()
        by = {} if journal is None else journal.outcome_counts()
        return CycleCounts(
            ok=by.get(CycleOutcome.OK, 0),
            skipped=by.get(CycleOutcome.SKIPPED, 0),
            failed=by.get(CycleOutcome.FAILED, 0),
        )

    def latest_cycle(self) -> CycleView | None:
        journal = self._reader()
        cycle = None if journal is None else journal.latest_finished_cycle(CycleOutcome.OK)
        if cycle is None or cycle.finished_at is None:
            return None
        summary = cycle.summary
        return CycleView(
            cycle_id=cycle.cycle_id,
            finished_ms=to_ms(cycle.finished_at),
            oracle_hf=summary.oracle_hf,
            shadow_hf=summary.shadow_hf,
            targets_usd={h.underlying: h.target_short_usd for h in summary.hedges},
            reasons=json.dumps(list(summary.reasons)),  # as journaled: a JSON list
            current_usd={h.underlying: h.current_short_usd for h in summary.hedges},
        )

    def new_orders(self) -> list[OrderEvent]:
        journal = self._reader()
        updates = [] if journal is None else journal.order_updates_after(self._last_outcome)
        if updates:
            self._last_outcome = updates[-1].outcome_id
        return [_order_event(update) for update in updates]

    def new_txs(self) -> list[TxEvent]:
        """Transactions that reached a final status since the last call."""
        journal = self._reader()
        if journal is None:
            return []
        out = []
        for record in journal.txs_settled_since(from_ms(self._tx_since_ms)):
            key, status = record.intent.tx_key, record.status.value
            # The cursor stays inclusive (two updates may share a millisecond): seen is kept.
            self._tx_since_ms = max(self._tx_since_ms, to_ms(record.updated_at))
            if (key, status) in self._tx_seen:
                continue
            self._tx_seen.add((key, status))
            out.append(_tx_event(record))
        return out

    def moves(self) -> list[MoveRecord]:
        """Every money move (withdrawals and deposits), oldest first, as it stands now."""
        journal = self._reader()
        return [] if journal is None else journal.moves_since(from_ms(0))

    def new_moves(self) -> list[tuple[MoveRecord, bool]]:
        """Money moves that appeared or reached another stage since the last call, each with
        whether it is new (a move can be decided and requested between two looks)."""
        out = []
        for record in self.moves():
            before = self._move_stages.get(record.intent.move_id)
            if before is record.stage:
                continue
            self._move_stages[record.intent.move_id] = record.stage
            out.append((record, before is None))
        return out

    def new_notes(self) -> list[NoteEvent]:
        """Alerts (with what became of each), funding payments and operator actions journaled
        since the last call, oldest first."""
        journal = self._reader()
        if journal is None:
            return []
        alerts = self._after("alert", journal.alerts_after)
        funding = self._after("funding", journal.funding_after)
        actions = self._after("operator", journal.operator_actions_after)
        notes = [
            *map(_alert_note, alerts),
            *map(_funding_note, funding),
            *map(_action_note, actions),
        ]
        return sorted(notes, key=lambda n: n.at_ms)

    def _after(self, kind: str, read: Callable[[int], list[tuple[int, _Note]]]) -> list[_Note]:
        found = read(self._last_note_ids.get(kind, 0))
        if found:
            self._last_note_ids[kind] = found[-1][0]
        return [record for _, record in found]

    def open_moves(self) -> int:
        """Moves not done nor failed yet."""
        return sum(1 for m in self.moves() if not m.stage.final)


def _order_event(update: OrderUpdate) -> OrderEvent:
    intent, report = update.journaled.intent, update.report
    return OrderEvent(
        outcome_id=update.outcome_id,
        client_order_id=intent.client_order_id,
        symbol=intent.symbol,
        side=intent.side.value,
        quantity=intent.quantity,
        reduce_only=intent.reduce_only,
        status=report.status.value,
        executed_quantity=report.executed_quantity,
        average_price=report.average_price,
        fee=report.fee,
        fee_asset=report.fee_asset,
        error=report.error_message or "",
        recorded_ms=to_ms(update.recorded_at),
        reason=intent.reason,
    )


def _tx_event(record: TxRecord) -> TxEvent:
    return TxEvent(
        tx_key=record.intent.tx_key,
        kind=record.intent.kind,
        amount=record.intent.amount,
        asset=record.intent.asset,
        status=record.status.value,
        tx_hash=record.mined_tx_hash,
        block=record.receipt_block,
        revert_reason=record.revert_reason,
        updated_ms=to_ms(record.updated_at),
    )


def _alert_note(alert: AlertRecord) -> NoteEvent:
    text = f"{alert.severity} {alert.title} ({alert.outcome})"
    return NoteEvent(kind="alert", at_ms=to_ms(alert.created_at), text=text)


def _funding_note(funding: FundingRecord) -> NoteEvent:
    text = f"{funding.symbol} funding {funding.amount:+,.4f} {funding.asset}"
    return NoteEvent(kind="funding", at_ms=to_ms(funding.income_at), text=text)


def _action_note(action: OperatorAction) -> NoteEvent:
    where = f" {action.position}" if action.position else ""
    text = f"{action.action}{where} by {action.actor}: {action.reason}"
    return NoteEvent(kind="operator", at_ms=to_ms(action.created_at), text=text)


__all__ = ["CycleCounts", "CycleView", "JournalTail", "NoteEvent", "OrderEvent", "TxEvent"]
