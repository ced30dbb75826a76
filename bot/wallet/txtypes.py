"""Values the transaction manager takes and returns."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.journal.records import TxRecord, TxStatus
from bot.wallet.fees import Fees


@dataclass(frozen=True, slots=True, kw_only=True)
class TxRequest:
    key: str  # deterministic idempotency key, e.g. "repay:<wallet>:<asset>:<raw>:<block>"
    kind: str  # "approve", "repay", "supply", ...
    to: str
    data: bytes
    value: int = 0
    amount: Decimal | None = None  # for the journal: whole tokens
    asset: str | None = None
    position: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class TxOutcome:
    key: str
    status: TxStatus  # MINED, REVERTED, DROPPED or FAILED
    tx_hash: str | None  # the mined hash
    block_number: int | None = None
    gas_used: int | None = None
    revert_reason: str | None = None
    hashes: tuple[str, ...] = ()  # every hash broadcast for it (replacements after the first)

    @property
    def ok(self) -> bool:
        return self.status is TxStatus.MINED


@dataclass(frozen=True, slots=True, kw_only=True)
class Simulation:
    ok: bool
    block_number: int
    gas_estimate: int | None
    gas_limit: int | None
    fees: Fees | None
    revert_reason: str | None


class TxTimeoutError(RuntimeError):
    """No receipt within ``receipt_timeout_secs``; the transaction stays pending in the journal."""


class TxSendError(RuntimeError):
    """The node refused the first broadcast (the transaction is closed as FAILED)."""


def tx_fields(tx: Any, chain_id: int) -> dict[str, Any]:
    return {
        "type": 2,
        "chainId": chain_id,
        "nonce": int(tx["nonce"]),
        "from": tx["from"],
        "to": tx["to"],
        "data": bytes(tx["input"]),
        "value": int(tx["value"]),
        "gas": int(tx["gas"]),
    }


def outcome_of(record: TxRecord) -> TxOutcome:
    return TxOutcome(
        key=record.intent.tx_key,
        status=record.status,
        tx_hash=record.mined_tx_hash,
        block_number=record.receipt_block,
        gas_used=record.gas_used,
        revert_reason=record.revert_reason,
        hashes=record.tx_hashes,
    )
