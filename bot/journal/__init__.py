"""The journal database: cycles, order intents and outcomes, funding, alerts, operator actions,
the pause flag, paper-exchange state and on-chain transactions (SQLite or PostgreSQL)."""

from __future__ import annotations

from bot.journal.columns import Instant, from_ms, to_ms
from bot.journal.errors import (
    JournalConflictError,
    JournalError,
    JournalReplaced,
    JournalSchemaError,
    JournalUnavailable,
    JournalUnknownRecordError,
)
from bot.journal.journal import Clock, Journal, system_clock
from bot.journal.migrations import LATEST_VERSION, MIGRATIONS
from bot.journal.records import (
    FINAL_TX_STATUSES,
    PENDING_TX_STATUSES,
    AlertRecord,
    CycleOutcome,
    CycleRecord,
    CycleSummary,
    FundingRecord,
    GuardSwitch,
    HedgeLine,
    JournaledIntent,
    OperatorAction,
    OrderRecord,
    PauseState,
    ShareLine,
    TxIntent,
    TxRecord,
    TxStatus,
)

__all__ = [
    "FINAL_TX_STATUSES",
    "LATEST_VERSION",
    "MIGRATIONS",
    "PENDING_TX_STATUSES",
    "AlertRecord",
    "Clock",
    "CycleOutcome",
    "CycleRecord",
    "CycleSummary",
    "FundingRecord",
    "GuardSwitch",
    "HedgeLine",
    "Instant",
    "Journal",
    "JournalConflictError",
    "JournalError",
    "JournalReplaced",
    "JournalSchemaError",
    "JournalUnavailable",
    "JournalUnknownRecordError",
    "JournaledIntent",
    "OperatorAction",
    "OrderRecord",
    "PauseState",
    "ShareLine",
    "TxIntent",
    "TxRecord",
    "TxStatus",
    "from_ms",
    "system_clock",
    "to_ms",
]
