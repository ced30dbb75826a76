"""The demo's Venus liquidator: ``vToken.liquidateBorrow`` from an EOA on every new block.

Venus turns a liquidation down without reverting: the call returns a Compound-style error code
and, mined, emits a ``Failure`` event in a successful transaction. So each attempt is simulated
first (``eth_call``): a nonzero code is a refusal and nothing is sent, as Aave's revert stops
the transaction at its gas estimate. A liquidation that passed the simulation is sent; only a
``LiquidateBorrow`` event without any ``Failure`` counts, the rest is a failure. Sending the
refusals would also mine a block per attempt, which the bot would see as a new block to try.

It seizes the borrower's largest collateral and repays the close factor's share of the debt,
or less when that would seize more vTokens than the borrower holds in that market (Venus
reverts ``LIQUIDATE_SEIZE_TOO_MUCH``).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

from web3 import Web3
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import BlockIdentifier

from bot.chain.venus_errors import TOKEN_ERRORS, describe_failure, error_name, failures
from bot.demo.liquidator import Attempt, Failed, Liquidation, LiquidatorBot, Refused
from bot.devnet.venus import (
    MANTISSA,
    VenusDeployment,
    at,
    comptroller_at,
    v_token_at,
)
from bot.devnet.venus_artifacts import ORACLE

ORACLE_DECIMALS = 36  # getUnderlyingPrice: USD x 10**(36 - underlying decimals)
# Repay a hair under what would seize the whole collateral: interest accrues in the block.
SEIZE_MARGIN = Decimal("0.999")


class VenusLiquidator(LiquidatorBot):
    def __init__(
        self,
        *,
        rpc_url: str,
        deployment: VenusDeployment,
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
        self._comptroller = comptroller_at(self._w3, deployment.comptroller)
        self._oracle = at(self._w3, "ResilientOracle", deployment.oracle, ORACLE)
        self._v_tokens = {
            s: v_token_at(self._w3, deployment.market(s).v_token) for s in (*collaterals, debt)
        }

    def _price(self, symbol: str, block: BlockIdentifier = "latest") -> int:
        v_token = Web3.to_checksum_address(self._deployment.market(symbol).v_token)
        fn = self._oracle.functions.getUnderlyingPrice(v_token)
        return int(fn.call(block_identifier=block))

    def _largest_collateral(self) -> tuple[str, int]:
        """The collateral worth most, and the borrower's vTokens in it."""
        held: dict[str, tuple[int, int]] = {}
        for symbol in self._collaterals:
            v = self._v_tokens[symbol].functions
            balance = int(v.balanceOf(self._borrower).call())
            # USD x 1e36 x 1e18: vTokens x exchange rate x price (decimals cancel out)
            held[symbol] = (balance * int(v.exchangeRateStored().call()) * self._price(symbol),
                            balance)  # fmt: skip
        symbol = max(held, key=lambda s: held[s][0])
        return symbol, held[symbol][1]

    def _repay_amount(self, collateral: str, balance: int) -> int:
        """The close factor's share of the stored debt, cut down so the seizure fits."""
        debt_v = self._v_tokens[self._debt]
        owed = int(debt_v.functions.borrowBalanceStored(self._borrower).call())
        close_factor = int(self._comptroller.functions.closeFactorMantissa().call())
        repay = owed * close_factor // MANTISSA
        if repay == 0 or balance == 0:
            return repay
        seize_fn = self._comptroller.get_function_by_signature(
            "liquidateCalculateSeizeTokens(address,address,address,uint256)"
        )
        v_debt = Web3.to_checksum_address(debt_v.address)
        v_coll = Web3.to_checksum_address(self._v_tokens[collateral].address)
        _err, seize = (int(x) for x in seize_fn(self._borrower, v_debt, v_coll, repay).call())
        if seize > balance:
            repay = int(Decimal(repay * balance // seize) * SEIZE_MARGIN)
        return repay

    def _try_once(self) -> Attempt:
        collateral, balance = self._largest_collateral()
        repay = self._repay_amount(collateral, balance)
        v_debt = self._v_tokens[self._debt]
        v_coll = Web3.to_checksum_address(self._v_tokens[collateral].address)
        fn = v_debt.get_function_by_signature("liquidateBorrow(address,uint256,address)")
        call = fn(self._borrower, repay, v_coll)
        tx: dict[str, Any] = {"from": self._liquidator}
        self._attempted()
        try:
            code = int(call.call(tx))
        except ContractLogicError as exc:  # a check that reverts rather than returns a code
            return Refused(f"reverts: {exc.message or exc}")
        if code != 0:
            return Refused(f"liquidateBorrow returns {error_name(code, TOKEN_ERRORS)} ({code})")
        tx["gas"] = 3_000_000  # the simulation passed; do not estimate again
        receipt = self._w3.eth.wait_for_transaction_receipt(call.transact(tx), timeout=30)
        if receipt["status"] != 1:
            return Failed(f"reverted on-chain in block {receipt['blockNumber']}")
        found = failures(receipt)
        if found:  # the state moved between the simulation and the block
            comptroller = self._deployment.comptroller
            text = "; ".join(describe_failure(*f, comptroller) for f in found)
            return Failed(f"refused when mined in block {receipt['blockNumber']}: {text}")
        return self._liquidation_from(receipt, collateral)

    def _liquidation_from(self, receipt: Any, collateral: str) -> Liquidation | Failed:
        block = int(receipt["blockNumber"])
        events = self._v_tokens[self._debt].events.LiquidateBorrow()
        logs = events.process_receipt(receipt, errors=DISCARD)
        if not logs:
            return Failed(f"no LiquidateBorrow event in block {block}")
        repaid = sum(int(log["args"]["repayAmount"]) for log in logs)
        seized_v = sum(int(log["args"]["seizeTokens"]) for log in logs)
        coll = self._v_tokens[collateral].functions
        rate = int(coll.exchangeRateStored().call(block_identifier=block))
        coll_decimals = self._deployment.market(collateral).decimals
        debt_decimals = self._deployment.market(self._debt).decimals
        seized = Decimal(seized_v * rate // MANTISSA).scaleb(-coll_decimals)
        price = Decimal(self._price(collateral, block)).scaleb(coll_decimals - ORACLE_DECIMALS)
        return Liquidation(
            block=block,
            at_secs=time.monotonic(),
            collateral=collateral,
            collateral_amount=seized,
            debt=self._debt,
            debt_covered=Decimal(repaid).scaleb(-debt_decimals),
            collateral_usd=seized * price,
            tx_hash=Web3.to_hex(receipt["transactionHash"]),
        )


__all__ = ["VenusLiquidator"]
