"""Liquidation bots on the demo chain: each tries to liquidate the borrower on every new block.

``LiquidatorBot`` is the loop and the tally, in a thread with its own web3 connection; a
protocol's bot says how one attempt goes (``Liquidator``: Aave's ``Pool.liquidationCall``;
``bot.demo.venus_liquidator``: a Venus ``liquidateBorrow``). It is funded once with the debt
token (and has approved the protocol) before it starts. An attempt the protocol refuses (the
position is not liquidatable) is ``Refused``; a mined liquidation is a ``Liquidation``, with
what it took read from the protocol's event; anything else is ``Failed``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Self

from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD

from bot.devnet.aave import AaveDeployment, contract

MAX_UINT256 = 2**256 - 1


@dataclass(frozen=True, slots=True, kw_only=True)
class Liquidation:
    block: int
    at_secs: float  # monotonic seconds, the runner turns them into scenario time
    collateral: str  # symbol seized
    collateral_amount: Decimal  # whole tokens
    debt: str
    debt_covered: Decimal  # whole tokens
    collateral_usd: Decimal  # what was seized, at the oracle price of that block
    tx_hash: str


@dataclass(slots=True)
class LiquidatorStats:
    blocks_seen: int = 0
    attempts: int = 0
    reverted: int = 0  # the protocol refused (HF not below 1): the protection held
    errors: int = 0  # anything else (RPC hiccup, a revert after a passing estimate)
    last_revert_reason: str = ""
    liquidations: list[Liquidation] = field(default_factory=list)

    @property
    def succeeded(self) -> int:
        return len(self.liquidations)


@dataclass(frozen=True, slots=True)
class Refused:
    """The protocol turned the liquidation down: the position was not liquidatable."""

    reason: str


@dataclass(frozen=True, slots=True)
class Failed:
    """Anything else: an RPC hiccup, a refusal after a passing simulation, a revert."""

    reason: str


Attempt = Liquidation | Refused | Failed


class LiquidatorBot:
    """``with bot:`` polls blocks in a thread and makes one attempt per new block until the
    block ends: ``liquidator`` tries to repay ``borrower``'s ``debt`` and seize one of its
    ``collaterals``. Subclasses implement ``_try_once``."""

    def __init__(
        self,
        *,
        rpc_url: str,
        liquidator: str,
        borrower: str,
        collaterals: tuple[str, ...],
        debt: str,
        poll_secs: float = 0.02,
        on_liquidation: Callable[[Liquidation], None] | None = None,
    ) -> None:
        self._w3 = Web3(Web3.HTTPProvider(rpc_url, request_kwargs={"timeout": 10}))
        self._liquidator = Web3.to_checksum_address(liquidator)
        self._borrower = Web3.to_checksum_address(borrower)
        self._collaterals = collaterals
        self._debt = debt
        self._poll_secs = poll_secs
        self._on_liquidation = on_liquidation
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()
        self._stats = LiquidatorStats()

    def stats(self) -> LiquidatorStats:
        with self._lock:
            return LiquidatorStats(
                blocks_seen=self._stats.blocks_seen,
                attempts=self._stats.attempts,
                reverted=self._stats.reverted,
                errors=self._stats.errors,
                last_revert_reason=self._stats.last_revert_reason,
                liquidations=list(self._stats.liquidations),
            )

    def start(self) -> Self:
        self._thread = threading.Thread(target=self._loop, name="demo-liquidator", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=15)
            self._thread = None

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _loop(self) -> None:
        last_block = -1
        while not self._stop.is_set():
            try:
                block = int(self._w3.eth.block_number)
            except Exception:  # the chain is going away at shutdown, or a hiccup: look again
                self._stop.wait(self._poll_secs * 10)
                continue
            if block != last_block:
                last_block = block
                with self._lock:
                    self._stats.blocks_seen += 1
                self._attempt()
            self._stop.wait(self._poll_secs)

    def _attempted(self) -> None:
        """A subclass calls this when it sends (or simulates) the liquidation itself."""
        with self._lock:
            self._stats.attempts += 1

    def _try_once(self) -> Attempt:
        raise NotImplementedError

    def _attempt(self) -> None:
        try:
            outcome = self._try_once()
        except Exception as exc:
            outcome = Failed(f"{type(exc).__name__}: {exc}")
        if isinstance(outcome, Failed) and self._stop.is_set():
            return  # the stack is going away under the call
        with self._lock:
            if isinstance(outcome, Refused):
                self._stats.reverted += 1
                self._stats.last_revert_reason = outcome.reason
            elif isinstance(outcome, Failed):
                self._stats.errors += 1
                self._stats.last_revert_reason = outcome.reason
            else:
                self._stats.liquidations.append(outcome)
        if isinstance(outcome, Liquidation) and self._on_liquidation is not None:
            self._on_liquidation(outcome)


class Liquidator(LiquidatorBot):
    """Aave v3: ``liquidationCall`` on the borrower's largest collateral, as much debt as the
    close factor allows. A revert (error 45: health factor not below 1) is a refusal."""

    def __init__(
        self,
        *,
        rpc_url: str,
        deployment: AaveDeployment,
        liquidator: str,
        borrower: str,
        collaterals: tuple[str, ...],
        debt: str,
        poll_secs: float = 0.02,
        on_liquidation: Callable[[Liquidation], None] | None = None,
    ) -> None:
        super().__init__(
            rpc_url=rpc_url, liquidator=liquidator, borrower=borrower, collaterals=collaterals,
            debt=debt, poll_secs=poll_secs, on_liquidation=on_liquidation,
        )  # fmt: skip
        self._deployment = deployment
        self._pool = contract(self._w3, "Pool", deployment.pool)
        self._oracle = contract(self._w3, "AaveOracle", deployment.oracle)
        self._a_tokens = {
            s: contract(self._w3, "AToken", deployment.token(s).a_token) for s in collaterals
        }

    def _largest_collateral(self) -> str:
        def value(symbol: str) -> int:
            tok = self._deployment.token(symbol)
            units = int(self._a_tokens[symbol].functions.balanceOf(self._borrower).call())
            price = int(self._oracle.functions.getAssetPrice(tok.underlying).call())
            return units * price * int(10 ** (18 - tok.decimals))

        return max(self._collaterals, key=value)

    def _try_once(self) -> Attempt:
        collateral = self._largest_collateral()
        fn = self._pool.functions.liquidationCall(
            self._deployment.token(collateral).underlying,
            self._deployment.token(self._debt).underlying,
            self._borrower,
            MAX_UINT256,  # Aave caps it at the close factor
            False,
        )
        self._attempted()
        try:
            tx_hash = fn.transact({"from": self._liquidator})
        except ContractLogicError as exc:  # the gas estimate ran into the Pool's refusal
            return Refused(str(exc.message or exc))
        receipt = self._w3.eth.wait_for_transaction_receipt(tx_hash, timeout=30)
        if receipt["status"] != 1:
            return Failed(f"reverted on-chain in block {receipt['blockNumber']}")
        return self._liquidation_from(receipt, collateral)

    def _liquidation_from(self, receipt: Any, collateral: str) -> Liquidation:
        coll_tok = self._deployment.token(collateral)
        debt_tok = self._deployment.token(self._debt)
        seized = covered = Decimal(0)
        for log in self._pool.events.LiquidationCall().process_receipt(receipt, errors=DISCARD):
            args = log["args"]
            seized += Decimal(int(args["liquidatedCollateralAmount"])).scaleb(-coll_tok.decimals)
            covered += Decimal(int(args["debtToCover"])).scaleb(-debt_tok.decimals)
        block_number = int(receipt["blockNumber"])
        price = int(
            self._oracle.functions.getAssetPrice(coll_tok.underlying).call(
                block_identifier=block_number
            )
        )
        return Liquidation(
            block=block_number,
            at_secs=time.monotonic(),
            collateral=collateral,
            collateral_amount=seized,
            debt=self._debt,
            debt_covered=covered,
            collateral_usd=seized * Decimal(price) / 10**8,
            tx_hash=Web3.to_hex(receipt["transactionHash"]),
        )


__all__ = [
    "Attempt",
    "Failed",
    "Liquidation",
    "Liquidator",
    "LiquidatorBot",
    "LiquidatorStats",
    "Refused",
]
