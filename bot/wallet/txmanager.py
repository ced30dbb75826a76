"""Send transactions like a wallet that holds money.

- One transaction in flight per sender: before a new one, every journaled pending transaction
  of this sender is settled (mined, reverted or dropped). Its nonce comes from the node's
  ``pending`` count, so a transaction that vanished leaves no gap and a restarted process reuses
  the nonce of a lost one: two transactions on one nonce can never both be mined.
- The journal gets the intent (with its nonce) before signing, each hash before it is
  broadcast, and the receipt after. ``send`` with a key already journaled returns (or waits
  for) that transaction instead of sending again; ``recover`` settles what a previous process
  left pending, found by its recorded hashes and nonce.
- Gas: the node's estimate x ``gas_margin``. Fees: EIP-1559 under the caps (``bot.wallet.fees``).
  No receipt after ``replace_after_secs``: the same transaction is re-signed with the same
  nonce and fees bumped >= 12.5 %, while the caps allow.
- A revert is reported with its reason: before sending (the estimate fails; nothing is sent,
  status FAILED) or after (the call is replayed with ``eth_call`` on the state before the
  block that included it).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import structlog
from web3 import Web3
from web3.exceptions import ContractLogicError, TransactionNotFound, Web3RPCError

from bot.journal.records import FINAL_TX_STATUSES, TxIntent, TxRecord, TxStatus
from bot.wallet.fees import FeePolicy, Fees, gas_limit, initial_fees, replacement_fees
from bot.wallet.journal import TxJournal
from bot.wallet.signer import Signer
from bot.wallet.txtypes import (
    Simulation,
    TxOutcome,
    TxRequest,
    TxSendError,
    TxTimeoutError,
    outcome_of,
    tx_fields,
)

log = structlog.get_logger(__name__)

# A sender's nonce belongs to the process, not to one manager: two positions repaid from one
# reserve wallet have a manager each, and without one lock per (chain, sender) both could take
# the same nonce (one transaction replacing the other).
_SENDER_LOCKS: dict[tuple[int, str], threading.Lock] = {}
_SENDER_LOCKS_GUARD = threading.Lock()


def sender_lock(chain_id: int, address: str) -> threading.Lock:
    with _SENDER_LOCKS_GUARD:
        return _SENDER_LOCKS.setdefault((chain_id, address.lower()), threading.Lock())


class TxManager:
    def __init__(
        self,
        w3: Web3,
        signer: Signer,
        journal: TxJournal,
        policy: FeePolicy,
        *,
        chain_id: int,
        explain_revert: Callable[[str], str] = lambda reason: reason,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self._w3 = w3
        self._signer = signer
        self._journal = journal
        self._policy = policy
        self._chain_id = chain_id
        self._explain = explain_revert
        self._monotonic = monotonic
        self._sleep = sleep
        self._expected_nonce: int | None = None
        self._sender = sender_lock(chain_id, signer.checksum)

    @property
    def address(self) -> str:
        return self._signer.address

    def simulate(self, req: TxRequest) -> Simulation:
        """Estimate and ``eth_call`` at the latest block; sends nothing."""
        block = self._w3.eth.get_block("latest")
        number = int(block["number"])
        call = self._call(req)
        try:
            self._w3.eth.call(call, block_identifier=number)
            estimate = self._w3.eth.estimate_gas(call, block_identifier=number)
        except ContractLogicError as exc:
            return Simulation(
                ok=False,
                block_number=number,
                gas_estimate=None,
                gas_limit=None,
                fees=None,
                revert_reason=self._reason(exc),
            )
        fees = self._fees(int(block.get("baseFeePerGas", 0)))
        return Simulation(
            ok=True,
            block_number=number,
            gas_estimate=estimate,
            gas_limit=gas_limit(estimate, self._policy.gas_margin),
            fees=fees,
            revert_reason=None,
        )

    def recover(self) -> list[TxOutcome]:
        """Settle every transaction of this sender a previous process left pending."""
        with self._sender:
            return [self._settle(record) for record in self._pending()]

    def send(self, req: TxRequest) -> TxOutcome:
        """One transaction in flight per sender, whichever manager of this process sends it:
        a second caller waits until the first is settled."""
        with self._sender:
            return self._send(req)

    def _send(self, req: TxRequest) -> TxOutcome:
        existing = self._journal.tx(req.key)
        if existing is not None:
            if existing.status in FINAL_TX_STATUSES:
                return outcome_of(existing)
            return self._settle(existing)
        for record in self._pending():
            self._settle(record)
        call = self._call(req)
        try:
            estimate = self._w3.eth.estimate_gas(call)
        except ContractLogicError as exc:
            reason = self._reason(exc)
            log.warning("transaction would revert; not sent", key=req.key, reason=reason)
            return TxOutcome(
                key=req.key, status=TxStatus.FAILED, tx_hash=None, revert_reason=reason
            )
        block = self._w3.eth.get_block("latest")
        fees = self._fees(int(block.get("baseFeePerGas", 0)))
        nonce = self._nonce()
        self._journal.record_tx_intent(
            TxIntent(
                tx_key=req.key,
                chain_id=self._chain_id,
                from_address=self.address,
                nonce=nonce,
                to_address=Web3.to_checksum_address(req.to),
                kind=req.kind,
                data_hash=Web3.to_hex(Web3.keccak(req.data)),
                amount=req.amount,
                asset=req.asset,
                position=req.position,
            )
        )
        tx: dict[str, Any] = {
            "type": 2,
            "chainId": self._chain_id,
            "nonce": nonce,
            "from": self.address,
            "to": Web3.to_checksum_address(req.to),
            "data": req.data,
            "value": req.value,
            "gas": gas_limit(estimate, self._policy.gas_margin),
        }
        try:
            first = self._broadcast(req.key, tx, fees)
        except Web3RPCError as exc:
            self._journal.close_tx(req.key, status=TxStatus.FAILED, reason=f"node refused: {exc}")
            raise TxSendError(f"{req.kind} {req.key}: the node refused it: {exc}") from exc
        self._expected_nonce = nonce + 1
        return self._wait(req.key, tx, fees, [first])

    # --- internals ---------------------------------------------------------------------------

    def _pending(self) -> list[TxRecord]:
        return self._journal.pending_txs(chain_id=self._chain_id, from_address=self.address)

    def _call(self, req: TxRequest) -> Any:
        return {"from": self.address, "to": req.to, "data": req.data, "value": req.value}

    def _reason(self, exc: ContractLogicError) -> str:
        raw = str(exc.message or exc)
        return self._explain(raw)

    def _fees(self, base_fee: int) -> Fees:
        tip = int(self._w3.eth.max_priority_fee)
        return initial_fees(base_fee=base_fee, suggested_tip=tip, policy=self._policy)

    def _nonce(self) -> int:
        nonce = int(self._w3.eth.get_transaction_count(self._signer.checksum, "pending"))
        if self._expected_nonce is not None and nonce < self._expected_nonce:
            # Our last transaction left the node's pool without being mined: reuse its nonce.
            log.warning("nonce went back", expected=self._expected_nonce, node=nonce)
        return nonce

    def _broadcast(self, key: str, tx: dict[str, Any], fees: Fees) -> str:
        signed = self._signer.sign_transaction(
            {
                **{k: v for k, v in tx.items() if k != "from"},
                "maxFeePerGas": fees.max_fee_per_gas,
                "maxPriorityFeePerGas": fees.max_priority_fee_per_gas,
            }
        )
        tx_hash = Web3.to_hex(signed.hash)
        # Journal first: a crash right after the broadcast must still find this hash.
        self._journal.record_tx_sent(
            key,
            tx_hash=tx_hash,
            max_fee_per_gas=Decimal(fees.max_fee_per_gas),
            max_priority_fee_per_gas=Decimal(fees.max_priority_fee_per_gas),
        )
        try:
            self._w3.eth.send_raw_transaction(signed.raw_transaction)
        except Web3RPCError as exc:
            if "already known" not in str(exc).lower():
                raise
        log.info("transaction sent", key=key, tx_hash=tx_hash, nonce=tx["nonce"])
        return tx_hash

    def _receipt(self, tx_hash: str) -> Any:
        try:
            return self._w3.eth.get_transaction_receipt(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None

    def _mined(self, hashes: list[str]) -> tuple[str, Any] | None:
        for tx_hash in reversed(hashes):
            receipt = self._receipt(tx_hash)
            if receipt is not None:
                return tx_hash, receipt
        return None

    def _wait(self, key: str, tx: dict[str, Any], fees: Fees, hashes: list[str]) -> TxOutcome:
        start = last_send = self._monotonic()
        nonce_used_at: float | None = None
        while True:
            mined = self._mined(hashes)
            if mined is not None:
                return self._finish(key, tx, mined, hashes)
            if self._w3.eth.get_transaction_count(self._signer.checksum, "latest") > tx["nonce"]:
                now = self._monotonic()
                nonce_used_at = now if nonce_used_at is None else nonce_used_at
                if now - nonce_used_at >= self._policy.drop_grace_secs:
                    return self._drop(key, hashes, f"nonce {tx['nonce']} was used by another tx")
                self._sleep(self._policy.poll_interval_secs)  # no replacement: the nonce is spent
                continue
            now = self._monotonic()
            if now - start > self._policy.receipt_timeout_secs:
                raise TxTimeoutError(
                    f"{key}: no receipt after {self._policy.receipt_timeout_secs}s "
                    f"(hashes {', '.join(hashes)}); it stays pending in the journal"
                )
            if now - last_send >= self._policy.replace_after_secs:
                last_send = now
                base_fee = int(self._w3.eth.get_block("latest").get("baseFeePerGas", 0))
                bumped = replacement_fees(previous=fees, base_fee=base_fee, policy=self._policy)
                if bumped is None:
                    log.warning("stuck transaction cannot be bumped within the fee caps", key=key)
                else:
                    try:
                        hashes.append(self._broadcast(key, tx, bumped))
                        fees = bumped
                    except Web3RPCError as exc:
                        log.warning("replacement refused", key=key, error=str(exc))
            self._sleep(self._policy.poll_interval_secs)

    def _finish(
        self, key: str, tx: dict[str, Any], mined: tuple[str, Any], hashes: list[str]
    ) -> TxOutcome:
        tx_hash, receipt = mined
        success = int(receipt["status"]) == 1
        block = int(receipt["blockNumber"])
        reason = None if success else self._revert_reason(tx, block)
        self._journal.record_tx_receipt(
            key,
            tx_hash=tx_hash,
            success=success,
            block_number=block,
            gas_used=int(receipt["gasUsed"]),
            revert_reason=reason,
            block_hash=Web3.to_hex(receipt["blockHash"]),
        )
        if not success:
            log.error("transaction reverted", key=key, tx_hash=tx_hash, reason=reason)
        return TxOutcome(
            key=key,
            status=TxStatus.MINED if success else TxStatus.REVERTED,
            tx_hash=tx_hash,
            block_number=block,
            gas_used=int(receipt["gasUsed"]),
            revert_reason=reason,
            hashes=tuple(hashes),
        )

    def _revert_reason(self, tx: dict[str, Any], block: int) -> str:
        call: Any = {k: tx[k] for k in ("from", "to", "data", "value", "gas")}
        # The state the transaction saw is closest to the end of the previous block.
        for at in (block - 1, block):
            try:
                self._w3.eth.call(call, block_identifier=at)
            except ContractLogicError as exc:
                return self._reason(exc)
        return "reverted; replaying the call does not revert (state changed within the block)"

    def _drop(self, key: str, hashes: list[str], reason: str) -> TxOutcome:
        self._journal.close_tx(key, status=TxStatus.DROPPED, reason=reason)
        log.warning("transaction dropped", key=key, reason=reason)
        return TxOutcome(
            key=key,
            status=TxStatus.DROPPED,
            tx_hash=None,
            revert_reason=reason,
            hashes=tuple(hashes),
        )

    def _settle(self, record: TxRecord) -> TxOutcome:
        key, hashes = record.intent.tx_key, list(record.tx_hashes)
        if not hashes:
            self._journal.close_tx(key, status=TxStatus.FAILED, reason="stopped before sending")
            return TxOutcome(key=key, status=TxStatus.FAILED, tx_hash=None)
        known: Any = None
        for tx_hash in reversed(hashes):
            mined = self._receipt(tx_hash)
            if mined is not None:
                return self._finish(key, self._tx_of(tx_hash), (tx_hash, mined), hashes)
            if known is None:
                known = self._lookup(tx_hash)
        if known is None:
            nonce = record.intent.nonce
            return self._drop(key, hashes, f"unknown to the node; nonce {nonce} will be reused")
        tx = tx_fields(known, self._chain_id)
        fees = Fees(
            max_fee_per_gas=int(known["maxFeePerGas"]),
            max_priority_fee_per_gas=int(known["maxPriorityFeePerGas"]),
        )
        log.info("resuming a pending transaction", key=key, nonce=tx["nonce"])
        return self._wait(key, tx, fees, hashes)

    def _lookup(self, tx_hash: str) -> Any:
        try:
            return self._w3.eth.get_transaction(tx_hash)  # type: ignore[arg-type]
        except TransactionNotFound:
            return None

    def _tx_of(self, tx_hash: str) -> dict[str, Any]:
        return tx_fields(self._w3.eth.get_transaction(tx_hash), self._chain_id)  # type: ignore[arg-type]
