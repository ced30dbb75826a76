"""Follow the journal the daemon writes (SQLite, read-only): new orders, repay transactions,
money moves between the exchange and the reserve, and the latest cycle's health factors and
hedge targets.

Read-only connections never take the write lock, so the daemon is not slowed; WAL gives each
query a consistent view. Decimal columns are stored as their canonical text.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path

from bot.journal.columns import from_ms
from bot.journal.records import MoveIntent, MoveKind, MoveRecord, MoveStage

FINAL_TX = ("mined", "reverted", "dropped", "failed")


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


def _dec(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


class JournalTail:
    """Remembers what it has already reported; each ``new_*`` call returns only news."""

    def __init__(self, path: Path) -> None:
        self._path = path
        self._conn: sqlite3.Connection | None = None
        self._last_outcome = 0
        self._tx_seen: set[tuple[str, str]] = set()
        self._move_stages: dict[str, MoveStage] = {}
        self._last_note_ids: dict[str, int] = {}

    def _connect(self) -> sqlite3.Connection | None:
        if self._conn is None:
            if not self._path.exists():
                return None
            uri = f"file:{self._path}?mode=ro"
            self._conn = sqlite3.connect(uri, uri=True, timeout=5, check_same_thread=False)
        return self._conn

    def close(self) -> None:
        if self._conn is not None:
            self._conn.close()
            self._conn = None

    def _query(self, sql: str, params: tuple[object, ...] = ()) -> list[tuple[object, ...]]:
        conn = self._connect()
        if conn is None:
            return []
        try:
            return list(conn.execute(sql, params).fetchall())
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return []  # the daemon has not migrated the schema yet
            raise

    def cycle_counts(self) -> CycleCounts:
        rows = self._query("SELECT outcome, COUNT(*) FROM cycles GROUP BY outcome")
        by = {str(o): int(str(n)) for o, n in rows}
        return CycleCounts(
            ok=by.get("ok", 0), skipped=by.get("skipped", 0), failed=by.get("failed", 0)
        )

    def latest_cycle(self) -> CycleView | None:
        rows = self._query(
            "SELECT cycle_id, finished_ms, oracle_hf, shadow_hf, reasons FROM cycles "
            "WHERE outcome = 'ok' ORDER BY finished_ms DESC LIMIT 1"
        )
        if not rows:
            return None
        cycle_id, finished_ms, oracle_hf, shadow_hf, reasons = rows[0]
        hedges = self._query(
            "SELECT underlying, target_short_usd, current_short_usd FROM cycle_hedges "
            "WHERE cycle_id = ?",
            (cycle_id,),
        )
        return CycleView(
            cycle_id=str(cycle_id),
            finished_ms=int(str(finished_ms)),
            oracle_hf=_dec(oracle_hf),
            shadow_hf=_dec(shadow_hf),
            targets_usd={str(u): Decimal(str(t)) for u, t, _ in hedges},
            reasons=str(reasons or ""),
            current_usd={str(u): Decimal(str(c)) for u, _, c in hedges},
        )

    def new_orders(self) -> list[OrderEvent]:
        rows = self._query(
            "SELECT o.id, i.client_order_id, i.symbol, i.side, i.quantity, i.reduce_only, "
            "o.status, o.executed_quantity, o.average_price, o.fee, o.fee_asset, "
            "o.error_message, o.recorded_ms, i.reason "
            "FROM order_outcomes o JOIN order_intents i ON i.client_order_id = o.client_order_id "
            "WHERE o.id > ? "
            # a later row with the same state only adds the fee read from the trades
            "AND NOT EXISTS (SELECT 1 FROM order_outcomes p WHERE p.client_order_id = "
            "o.client_order_id AND p.id < o.id AND p.status = o.status "
            "AND p.executed_quantity = o.executed_quantity) "
            "ORDER BY o.id",
            (self._last_outcome,),
        )
        out = []
        for r in rows:
            out.append(
                OrderEvent(
                    outcome_id=int(str(r[0])),
                    client_order_id=str(r[1]),
                    symbol=str(r[2]),
                    side=str(r[3]),
                    quantity=Decimal(str(r[4])),
                    reduce_only=bool(r[5]),
                    status=str(r[6]),
                    executed_quantity=Decimal(str(r[7])),
                    average_price=Decimal(str(r[8])),
                    fee=Decimal(str(r[9])),
                    fee_asset=str(r[10]),
                    error=str(r[11] or ""),
                    recorded_ms=int(str(r[12])),
                    reason=str(r[13] or ""),
                )
            )
            self._last_outcome = max(self._last_outcome, out[-1].outcome_id)
        return out

    def new_txs(self) -> list[TxEvent]:
        """Transactions that reached a final status since the last call."""
        rows = self._query(
            "SELECT tx_key, kind, amount, asset, status, mined_tx_hash, receipt_block, "
            "revert_reason, updated_ms FROM chain_txs ORDER BY updated_ms, tx_key"
        )
        out = []
        for r in rows:
            key, status = str(r[0]), str(r[4])
            if status not in FINAL_TX or (key, status) in self._tx_seen:
                continue
            self._tx_seen.add((key, status))
            out.append(
                TxEvent(
                    tx_key=key,
                    kind=str(r[1]),
                    amount=_dec(r[2]),
                    asset=None if r[3] is None else str(r[3]),
                    status=status,
                    tx_hash=None if r[5] is None else str(r[5]),
                    block=None if r[6] is None else int(str(r[6])),
                    revert_reason=None if r[7] is None else str(r[7]),
                    updated_ms=int(str(r[8])),
                )
            )
        return out

    def moves(self) -> list[MoveRecord]:
        """Every money move (withdrawals and deposits), oldest first, as it stands now."""
        rows = self._query(
            "SELECT move_id, kind, account, coin, network, address, amount, fee, reason, stage, "
            "venue_status, venue_id, transfer_id, tx_id, detail, created_ms, updated_ms "
            "FROM money_moves ORDER BY created_ms, move_id"
        )
        return [
            MoveRecord(
                intent=MoveIntent(
                    move_id=str(r[0]),
                    kind=MoveKind(str(r[1])),
                    account=str(r[2]),
                    coin=str(r[3]),
                    network=str(r[4]),
                    address=str(r[5]),
                    amount=Decimal(str(r[6])),
                    fee=Decimal(str(r[7])),
                    reason=str(r[8]),
                ),
                stage=MoveStage(str(r[9])),
                venue_status=str(r[10] or ""),
                venue_id=str(r[11] or ""),
                transfer_id=str(r[12] or ""),
                tx_id=str(r[13] or ""),
                detail=str(r[14] or ""),
                created_at=from_ms(int(str(r[15]))),
                updated_at=from_ms(int(str(r[16]))),
            )
            for r in rows
        ]

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
        notes = [
            *self._news(
                "alert",
                "SELECT id, created_ms, severity, title, outcome FROM alerts",
                lambda r: f"{r[2]} {r[3]} ({r[4]})",
            ),
            *self._news(
                "funding",
                "SELECT id, income_ms, symbol, amount, asset FROM funding_income",
                lambda r: f"{r[2]} funding {Decimal(str(r[3])):+,.4f} {r[4]}",
            ),
            *self._news(
                "operator",
                "SELECT id, created_ms, action, actor, reason, position FROM operator_actions",
                lambda r: f"{r[2]}" + (f" {r[5]}" if r[5] else "") + f" by {r[3]}: {r[4]}",
            ),
        ]
        return sorted(notes, key=lambda n: n.at_ms)

    def _news(
        self, kind: str, select: str, words: Callable[[tuple[object, ...]], str]
    ) -> list[NoteEvent]:
        last = self._last_note_ids.get(kind, 0)
        rows = self._query(f"{select} WHERE id > ? ORDER BY id", (last,))
        if rows:
            self._last_note_ids[kind] = max(int(str(r[0])) for r in rows)
        return [NoteEvent(kind=kind, at_ms=int(str(r[1])), text=words(r)) for r in rows]

    def open_moves(self) -> int:
        """Moves not done nor failed yet."""
        return sum(1 for m in self.moves() if not m.stage.final)


__all__ = ["CycleCounts", "CycleView", "JournalTail", "NoteEvent", "OrderEvent", "TxEvent"]
