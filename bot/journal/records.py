"""Values the journal takes and returns (frozen, keyword-only, Decimal money, aware UTC times)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from enum import StrEnum

from bot.core.model import OrderIntent, OrderReport


class CycleOutcome(StrEnum):
    OK = "ok"  # the cycle ran to the end (whether or not it traded)
    FAILED = "failed"  # an error stopped it; counts towards the consecutive-failure breaker
    SKIPPED = "skipped"  # deliberately not traded (paused, stale data); not a failure
    ABANDONED = "abandoned"  # stopped by shutdown before the end


class TxStatus(StrEnum):
    INTENT = "intent"  # written before signing/sending
    SENT = "sent"  # at least one hash broadcast (replacements add hashes)
    MINED = "mined"  # receipt with status 1
    REVERTED = "reverted"  # receipt with status 0
    DROPPED = "dropped"  # the nonce was consumed by another transaction, or it was given up
    FAILED = "failed"  # never broadcast (signing/building failed)


PENDING_TX_STATUSES = (TxStatus.INTENT, TxStatus.SENT)
FINAL_TX_STATUSES = (TxStatus.MINED, TxStatus.REVERTED, TxStatus.DROPPED, TxStatus.FAILED)


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgeLine:
    """One underlying's wanted and current short hedge in a cycle, in USD notional."""

    underlying: str
    target_short_usd: Decimal
    current_short_usd: Decimal
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class ShareLine:
    """One position's part of the account's hedge on one underlying in a cycle (USD notional):
    its own target and its share of the short held."""

    position: str
    underlying: str
    target_short_usd: Decimal
    current_short_usd: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleSummary:
    """What a cycle saw and decided, kept for the audit trail."""

    block_number: int | None = None
    oracle_hf: Decimal | None = None
    shadow_hf: Decimal | None = None
    hedges: tuple[HedgeLine, ...] = ()  # the account's, per underlying
    reasons: tuple[str, ...] = ()
    shares: tuple[ShareLine, ...] = ()  # each position's part of ``hedges``


@dataclass(frozen=True, slots=True, kw_only=True)
class CycleRecord:
    cycle_id: str
    position: str
    started_at: datetime
    finished_at: datetime | None  # None: still running, or the process died during it
    outcome: CycleOutcome | None
    summary: CycleSummary
    error: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class JournaledIntent:
    intent: OrderIntent
    position: str
    cycle_id: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRecord:
    """An intent and the latest outcome recorded for it (None: no outcome yet)."""

    journaled: JournaledIntent
    outcome: OrderReport | None
    outcome_recorded_at: datetime | None


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderUpdate:
    """One report that changed an order's state, with the journal's id for it (increasing, so
    a reader can ask for the updates after the last one it saw)."""

    outcome_id: int
    journaled: JournaledIntent
    report: OrderReport
    recorded_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class FundingRecord:
    symbol: str
    asset: str
    amount: Decimal  # signed: positive = received
    income_at: datetime
    transaction_id: str
    position: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertRecord:
    kind: str
    severity: str
    title: str
    text: str
    dedupe_key: str
    sinks: tuple[str, ...]
    created_at: datetime
    outcome: str = "sent"  # sent, failed, suppressed, dropped, deduplicated, unsent


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorAction:
    action: str  # "pause", "resume", "flatten", ...
    actor: str  # who: a user name, "cli", "daemon" (circuit breaker)
    reason: str
    position: str | None
    created_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class PauseState:
    paused: bool
    reason: str
    actor: str
    changed_at: datetime | None  # None: never changed (not paused)


@dataclass(frozen=True, slots=True, kw_only=True)
class GuardSwitch:
    """Whether the operator has a position's liquidation guard stopped (``hedgebot guard``)."""

    stopped: bool
    reason: str
    actor: str
    changed_at: datetime | None  # None: never changed (running)


@dataclass(frozen=True, slots=True, kw_only=True)
class TxIntent:
    """An on-chain transaction about to be signed and sent; ``tx_key`` is deterministic."""

    tx_key: str
    chain_id: int
    from_address: str
    nonce: int
    to_address: str
    kind: str
    data_hash: str
    amount: Decimal | None = None
    asset: str | None = None
    position: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TxRecord:
    intent: TxIntent
    status: TxStatus
    tx_hashes: tuple[str, ...]  # in send order; later ones replace earlier ones (same nonce)
    mined_tx_hash: str | None
    receipt_block: int | None
    gas_used: int | None
    revert_reason: str | None
    created_at: datetime
    updated_at: datetime
    receipt_block_hash: str | None = None  # None before schema version 7


class MoveKind(StrEnum):
    WITHDRAW = "withdraw"  # exchange -> reserve wallet (hedge profit refills the reserve)
    DEPOSIT = "deposit"  # reserve wallet -> exchange margin (the short nears liquidation)


class MoveStage(StrEnum):
    """Where a money move is. Withdraw: INTENT -> IN_SPOT -> REQUESTED -> DONE; deposit:
    INTENT -> ON_CHAIN -> CREDITED -> DONE. FAILED and DONE are final."""

    INTENT = "intent"  # journaled, nothing sent yet
    IN_SPOT = "in_spot"  # moved from futures to spot, ready to withdraw
    REQUESTED = "requested"  # withdrawal asked; followed by its client id
    ON_CHAIN = "on_chain"  # deposit sent from the reserve wallet to the deposit address
    CREDITED = "credited"  # deposit credited to spot, to move to futures
    DONE = "done"
    FAILED = "failed"

    @property
    def final(self) -> bool:
        return self in (MoveStage.DONE, MoveStage.FAILED)

    @property
    def waits_on_venue(self) -> bool:
        """Sent, and followed in the venue's history, which lists nothing new at once: a
        withdrawal processes, a deposit counts confirmations."""
        return self in (MoveStage.REQUESTED, MoveStage.ON_CHAIN)


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveIntent:
    """A money move, journaled before anything is sent; ``move_id`` is deterministic and is
    the withdrawal's ``withdrawOrderId`` or the deposit transaction's key."""

    move_id: str
    kind: MoveKind
    account: str
    coin: str  # on the exchange
    network: str
    address: str  # the reserve wallet (withdraw) or the deposit address (deposit)
    amount: Decimal  # asked; a withdrawal's fee is taken from it
    fee: Decimal
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class MoveRecord:
    intent: MoveIntent
    stage: MoveStage
    venue_status: str  # the venue's own word for it ("processing", "credited" ...)
    venue_id: str
    transfer_id: str  # futures <-> spot transfer
    tx_id: str  # the chain transaction
    detail: str
    created_at: datetime
    updated_at: datetime
