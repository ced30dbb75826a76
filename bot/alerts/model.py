"""The alert value every event constructor builds and every sink renders."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Severity(StrEnum):
    INFO = "info"
    WARNING = "warning"
    CRITICAL = "critical"  # never dropped by a sink's rate limit


class AlertKind(StrEnum):
    HF_LOW = "hf_low"
    HF_RECOVERED = "hf_recovered"
    HEDGE_CHANGED = "hedge_changed"
    ORDER_REJECTED = "order_rejected"
    LIQUIDATION_DISTANCE_LOW = "liquidation_distance_low"
    STALE_DATA = "stale_data"
    EXCHANGE_BANNED = "exchange_banned"
    DAEMON_STARTED = "daemon_started"
    DAEMON_STOPPED = "daemon_stopped"
    LEADERSHIP = "leadership"  # a replica (ha) started or stopped leading
    REPAY_EXECUTED = "repay_executed"
    REPAY_FAILED = "repay_failed"
    RESERVE_REFILL_NEEDED = "reserve_refill_needed"
    CIRCUIT_BREAKER = "circuit_breaker"
    GUARD_STOPPED = "guard_stopped"
    GUARD_STARTED = "guard_started"
    GUARD_STALLED = "guard_stalled"
    PROTECTION_OFF = "protection_off"
    POSITION_MISMATCH = "position_mismatch"
    JOURNAL_LOST = "journal_lost"
    UNMAPPED_TOKEN = "unmapped_token"  # noqa: S105 (a kind, not a secret)
    MONEY_MOVE = "money_move"  # a withdrawal or deposit started, done or failed
    MONEY_MOVE_HELD = "money_move_held"  # a transfer is needed and is not being made
    PAPER_LIQUIDATION = "paper_liquidation"  # dry-run: the venue would have liquidated
    MARGIN_CALL = "margin_call"  # the venue's MARGIN_CALL: liquidation is near


@dataclass(frozen=True, slots=True, kw_only=True)
class Alert:
    """One notification. ``dedupe_key``: alerts with the same key within the dispatcher's
    window are sent once. ``fields`` are (label, value) pairs shown as a small table."""

    kind: AlertKind
    severity: Severity
    title: str
    text: str
    dedupe_key: str
    fields: tuple[tuple[str, str], ...] = ()
    at: datetime | None = None

    def plain_text(self) -> str:
        """The alert as plain text: severity and title, the text, then one line per field."""
        lines = [f"[{self.severity.value.upper()}] {self.title}"]
        if self.text:
            lines.append(self.text)
        if self.fields:
            lines.append("")
            lines.extend(f"{label}: {value}" for label, value in self.fields)
        return "\n".join(lines)
