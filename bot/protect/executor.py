"""Carry out a ``ProtectAction`` on-chain: approve (only when the allowance is short: the
amount, or the standing allowance when one is configured), then the protocol's repay or supply
(``bot.protect.venues``: Aave's Pool, a Venus vToken), from the reserve wallet the transaction
manager signs for. Dry-run simulates the same calls with ``eth_call`` and sends nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import structlog
from web3 import Web3

from bot.chain.abis import load_abi
from bot.core.repay import ProtectAction
from bot.journal.records import TxStatus
from bot.protect.venues import LendingWrites, encode
from bot.wallet.txmanager import TxManager
from bot.wallet.txtypes import Simulation, TxOutcome, TxRequest

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExecutionReport:
    action: ProtectAction
    dry_run: bool
    ok: bool  # live: the repay/supply was mined; dry-run: every simulated call succeeded
    message: str  # for the operator: what was (or would be) sent and what happened
    approve: TxOutcome | None = None
    outcome: TxOutcome | None = None  # the repay / supply
    simulations: tuple[tuple[str, Simulation], ...] = ()  # dry-run: (call, result)


class ProtectExecutor:
    def __init__(
        self,
        w3: Web3,
        txm: TxManager,
        *,
        writes: LendingWrites,
        standing_allowance: Mapping[str, Decimal] | None = None,
    ) -> None:
        """``standing_allowance`` (token address -> whole tokens): approve this much at once
        so that a repay in a crash is one transaction, not an approve and a repay a block
        apart. Bounded by the operator's daily cap, which is all the guard may spend anyway."""
        self._w3 = w3
        self._txm = txm
        self._writes = writes
        self._standing = {k.lower(): v for k, v in (standing_allowance or {}).items()}
        self._standing_raw: dict[str, int] = {}

    @property
    def sender(self) -> str:
        return self._txm.address

    def prepare_allowances(self) -> list[TxOutcome]:
        """Raise each reserve token's allowance to its standing amount where it is under half
        of it (one approve per token at start, not one per repay)."""
        owner = Web3.to_checksum_address(self._txm.address)
        out = []
        for asset in self._standing:
            standing = self._standing_for(asset)
            token = self._token(asset)
            spender = self._writes.spender(asset)
            if int(token.functions.allowance(owner, spender).call()) * 2 >= standing:
                continue
            request = TxRequest(
                key=f"allow:{asset}:{standing}:{self._w3.eth.block_number}",
                kind="approve",
                to=token.address,
                data=encode(token, "approve", [spender, standing]),
                asset=asset,
            )
            out.append(self._txm.send(request))
        return out

    def recover(self) -> list[TxOutcome]:
        """At start-up, before any decision: settle what a previous process left in flight
        (its receipts are journaled; a lost one frees its nonce for the next action)."""
        return self._txm.recover()

    def _standing_for(self, asset: str) -> int:
        if asset not in self._standing:
            return 0
        if asset not in self._standing_raw:
            decimals = int(self._token(asset).functions.decimals().call())
            self._standing_raw[asset] = int(self._standing[asset].scaleb(decimals))
        return self._standing_raw[asset]

    def _token(self, address: str) -> Any:
        return self._w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=load_abi("ERC20")
        )

    def requests(self, action: ProtectAction) -> tuple[TxRequest | None, TxRequest]:
        """The approve (None when the allowance already covers the amount) and the action."""
        token = self._token(action.asset)
        owner = Web3.to_checksum_address(self._txm.address)
        spender = self._writes.spender(action.asset)
        allowance = int(token.functions.allowance(owner, spender).call())
        approve = None
        if allowance < action.amount_raw:
            wanted = max(action.amount_raw, self._standing_for(action.asset.lower()))
            approve = TxRequest(
                key=f"approve:{action.key}",
                kind="approve",
                to=token.address,
                data=encode(token, "approve", [spender, wanted]),
                amount=action.amount,
                asset=action.asset,
                position=action.on_behalf_of,
            )
        to, data = self._writes.call(action)
        main = TxRequest(
            key=action.key,
            kind=str(action.kind),
            to=to,
            data=data,
            amount=action.amount,
            asset=action.asset,
            position=action.on_behalf_of,
        )
        return approve, main

    def execute(self, action: ProtectAction, *, dry_run: bool = False) -> ExecutionReport:
        what = f"{action.kind} {action.amount} {action.symbol} for {action.on_behalf_of}"
        owner = Web3.to_checksum_address(self._txm.address)
        balance = int(self._token(action.asset).functions.balanceOf(owner).call())
        if balance < action.amount_raw:
            return ExecutionReport(
                action=action,
                dry_run=dry_run,
                ok=False,
                message=f"cannot {what}: the reserve wallet {owner} holds only "
                f"{balance} raw units of {action.symbol} (< {action.amount_raw})",
            )
        approve, main = self.requests(action)
        if dry_run:
            return self._dry_run(action, what, approve, main)
        approved: TxOutcome | None = None
        if approve is not None:
            approved = self._txm.send(approve)
            if not approved.ok:
                return ExecutionReport(
                    action=action,
                    dry_run=False,
                    ok=False,
                    approve=approved,
                    message=f"approve for {what} {approved.status}: {approved.revert_reason}",
                )
        outcome = self._txm.send(main)
        rejected = self._rejected(outcome, action)
        if outcome.ok and rejected is None:
            message = f"{what}: mined in block {outcome.block_number} ({outcome.tx_hash})"
            log.info("protect action mined", key=action.key, tx_hash=outcome.tx_hash)
        else:
            reason = rejected or outcome.revert_reason or "no reason"
            message = f"{what} {outcome.status}: {reason}"
            log.error("protect action failed", key=action.key, status=outcome.status, reason=reason)
        return ExecutionReport(
            action=action,
            dry_run=False,
            ok=outcome.status is TxStatus.MINED and rejected is None,
            approve=approved,
            outcome=outcome,
            message=message,
        )

    def _rejected(self, outcome: TxOutcome, action: ProtectAction) -> str | None:
        """A mined transaction the protocol turned down without reverting (Venus)."""
        if not (outcome.ok and self._writes.rejects_without_revert and outcome.tx_hash):
            return None
        receipt = self._w3.eth.get_transaction_receipt(outcome.tx_hash)  # type: ignore[arg-type]
        return self._writes.failure(receipt, action)

    def _dry_run(
        self, action: ProtectAction, what: str, approve: TxRequest | None, main: TxRequest
    ) -> ExecutionReport:
        sims: list[tuple[str, Simulation]] = []
        lines = [f"dry-run, nothing sent: {what}"]
        if approve is not None:
            sim = self._txm.simulate(approve)
            sims.append(("approve", sim))
            lines.append(f"approve {action.amount_raw} raw to {approve.to}: {_describe(sim)}")
        sim = self._txm.simulate(main)
        sims.append((str(action.kind), sim))
        note = (
            " (expected: the approve is not mined in a dry-run)" if approve and not sim.ok else ""
        )
        lines.append(f"{action.kind}: {_describe(sim)}{note}")
        ok = all(s.ok for _, s in sims)
        return ExecutionReport(
            action=action, dry_run=True, ok=ok, simulations=tuple(sims), message="; ".join(lines)
        )


def _describe(sim: Simulation) -> str:
    if not sim.ok:
        return f"would revert at block {sim.block_number}: {sim.revert_reason}"
    fees = sim.fees
    fee = (
        f", max fee {fees.max_fee_per_gas} wei, tip {fees.max_priority_fee_per_gas} wei"
        if fees
        else ""
    )
    return f"ok at block {sim.block_number}, gas {sim.gas_estimate} (limit {sim.gas_limit}){fee}"
