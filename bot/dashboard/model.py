"""The dashboard page's JSON model, built from values the daemon already has: each position's
``StatusReport`` (what ``hedgebot status --json`` prints, for the same moment), the journal's
cycles, orders and chain transactions (the history), and the hedger's latest view of the
futures positions. Values in, values out: no I/O, no clock."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from bot.core.model import HedgePosition
from bot.daemon.status_report import LeadershipView, StatusReport
from bot.journal import CycleRecord, OrderRecord, TxRecord

LAST_ORDERS = 10  # the page lists this many orders and repays, newest first
LAST_TXS = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardLines:
    """The guard's levels, drawn across the HF chart (None: no protect section)."""

    trigger_hf: Decimal | None
    target_hf: Decimal | None


def hf_state(hf: Decimal | None, lines: GuardLines) -> str:
    """The colour the page gives an HF: "danger" under the trigger, "warn" under the target,
    "ok" above it (and "ok" without an HF: no debt)."""
    if hf is None:
        return "ok"
    if lines.trigger_hf is not None and hf < lines.trigger_hf:
        return "danger"
    if lines.target_hf is not None and hf < lines.target_hf:
        return "warn"
    return "ok"


def dashboard_model(
    *,
    at: datetime,
    reports: Sequence[StatusReport],
    lines: GuardLines,
    cycles: Sequence[CycleRecord],
    orders: Sequence[OrderRecord],
    txs: Sequence[TxRecord],
    hedges: Sequence[HedgePosition],
    leadership: LeadershipView | None = None,
) -> dict[str, Any]:
    """The page's model: one card per position, then the account's history and records."""
    first = reports[0].as_json() if reports else {}
    return {
        "at": at.isoformat(),
        "account": first.get("account", {}).get("name", ""),
        "exchange": first.get("exchange", ""),
        "guard_lines": {
            "trigger_hf": _num(lines.trigger_hf),
            "target_hf": _num(lines.target_hf),
        },
        "positions": [_position(r, lines) for r in reports],
        "hf_history": _history(cycles),
        "hedge_liquidation": [_hedge_liquidation(h) for h in hedges if h.quantity != 0],
        "orders": [_order(o) for o in reversed(orders[-LAST_ORDERS:])],
        "repays": [_tx(t) for t in reversed(txs[-LAST_TXS:])],
        "money_moves": first.get("money_moves", []),
        "alerts_24h": first.get("alerts_24h", []),
        "funding_24h": first.get("funding_24h", []),
        "operator_actions": first.get("operator_actions", []),
        "margin_for_hedge": first.get("margin_for_hedge"),
        "leadership": None if leadership is None else leadership.as_json(),
    }


def _position(report: StatusReport, lines: GuardLines) -> dict[str, Any]:
    shown = report.as_json()
    a = report.assessment
    shown["hf_state"] = hf_state(a.oracle_hf if a.oracle_hf.is_finite() else None, lines)
    return shown


def _history(cycles: Sequence[CycleRecord]) -> list[dict[str, Any]]:
    """Oldest first, cycles that read an HF only (a failed cycle has none)."""
    return [
        {
            "t": int(c.started_at.timestamp() * 1000),
            "block": c.summary.block_number,
            "oracle_hf": _num(c.summary.oracle_hf),
            "shadow_hf": _num(c.summary.shadow_hf),
        }
        for c in sorted(cycles, key=lambda c: c.started_at)
        if c.summary.oracle_hf is not None or c.summary.shadow_hf is not None
    ]


def _hedge_liquidation(h: HedgePosition) -> dict[str, Any]:
    """A short is liquidated when the mark rises to its liquidation price."""
    distance = None
    if h.liquidation_price is not None and h.liquidation_price > 0 and h.mark_price > 0:
        distance = (h.liquidation_price - h.mark_price) / h.mark_price
        if h.quantity > 0:
            distance = -distance
    return {
        "symbol": h.symbol,
        "quantity": str(h.quantity),
        "mark": str(h.mark_price),
        "liquidation_price": _num(h.liquidation_price),
        "distance": None if distance is None else str(round(distance, 6)),
        "unrealized_pnl": str(h.unrealized_pnl),
    }


def _order(record: OrderRecord) -> dict[str, Any]:
    i, o = record.journaled.intent, record.outcome
    return {
        "at": record.journaled.created_at.isoformat(),
        "symbol": i.symbol,
        "side": i.side.value,
        "quantity": str(i.quantity),
        "reason": i.reason,
        "status": "pending" if o is None else o.status.value,
        "executed_quantity": None if o is None else str(o.executed_quantity),
        "average_price": None if o is None else str(o.average_price),
        "paper": False if o is None else o.paper,
    }


def _tx(record: TxRecord) -> dict[str, Any]:
    i = record.intent
    return {
        "at": record.created_at.isoformat(),
        "kind": i.kind,
        "position": i.position,
        "amount": _num(i.amount),
        "asset": i.asset,
        "status": record.status.value,
        "tx_hash": record.mined_tx_hash or (record.tx_hashes[-1] if record.tx_hashes else None),
        "revert_reason": record.revert_reason,
    }


def _num(value: Decimal | None) -> str | None:
    return None if value is None else str(value)
