"""Drive the local Venus core pool: fund wallets, open positions, move prices, mine, liquidate.

Every state-changing helper goes through ``venus.send``: a nonzero Compound-style error code
(returned, or in a ``Failure`` event of a successful transaction) raises ``VenusFailure``
naming the step, so a test never builds on a supply or borrow that silently did nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from web3 import Web3
from web3.contract import Contract
from web3.exceptions import ContractLogicError
from web3.logs import DISCARD
from web3.types import TxReceipt

from bot.chain.venus_errors import COMPTROLLER_ERRORS, describe_failure, error_name, failures
from bot.devnet.anvil import AnvilChain, DevnetError
from bot.devnet.venus import (
    MANTISSA,
    VenusDeployment,
    VenusFailure,
    VenusMarket,
    at,
    comptroller_at,
    mantissa,
    send,
    set_direct_price,
    v_token_at,
)
from bot.devnet.venus_artifacts import ORACLE

MAX_UINT256 = 2**256 - 1
# anvil's default accounts: 0 deploys and administers, 1 provides the markets' liquidity,
# 2.. are free for borrowers and liquidators.
LIQUIDITY_PROVIDER_INDEX = 1


@dataclass(frozen=True, slots=True, kw_only=True)
class LiquidationOutcome:
    """What one ``liquidateBorrow`` transaction did. A rejection is usually a *mined,
    successful* transaction: ``return_code`` and ``failures`` say so, not ``status``."""

    status: int  # receipt status: 0 only if it reverted (vBNB debt, seizing too much)
    return_code: int  # liquidateBorrow's uint result simulated at the same state; -1: reverted
    failures: tuple[str, ...]  # the revert reason and decoded Failure events; () on success
    repay_amount: int  # underlying units repaid (0 if rejected)
    seize_tokens: int  # collateral vTokens moved to the liquidator (0 if rejected)
    block: int

    @property
    def ok(self) -> bool:
        return self.status == 1 and self.return_code == 0 and not self.failures


@dataclass(slots=True)
class VenusDevnet(AnvilChain):
    """A running anvil with the Venus deployment loaded (Venus accrues per block: mining is
    how interest grows; keep tests to hundreds of blocks). Not thread-safe."""

    deployment: VenusDeployment

    def block_number(self) -> int:
        return int(self.w3.eth.block_number)

    # --- contracts --------------------------------------------------------------------------
    @property
    def comptroller(self) -> Contract:
        return comptroller_at(self.w3, self.deployment.comptroller)

    def v_token(self, symbol: str) -> Contract:
        return v_token_at(self.w3, self.deployment.market(symbol).v_token)

    def underlying(self, symbol: str) -> Contract:
        market = self.deployment.market(symbol)
        if market.underlying is None:
            raise DevnetError(f"{market.v_symbol} is the native market: it has no ERC-20")
        return at(self.w3, "MockToken", market.underlying)

    def raw(self, symbol: str, amount: Decimal) -> int:
        return mantissa(amount, self.deployment.market(symbol).decimals)

    def _send(self, fn: Any, sender: str, what: str, *, value: int = 0) -> TxReceipt:
        return send(self.w3, fn, sender, what=what, comptroller=self.deployment.comptroller,
                    value=value)  # fmt: skip

    # --- prices -----------------------------------------------------------------------------
    def set_price(self, symbol: str, usd: Decimal) -> None:
        """Set the USD price the ResilientOracle (and so the comptroller) reports; one block."""
        market = self.deployment.market(symbol)
        set_direct_price(self.w3, self.deployment.chainlink_oracle, market.oracle_asset, usd,
                         self.deployment.deployer)  # fmt: skip

    def set_prices(self, prices: dict[str, Decimal]) -> None:
        for symbol, usd in prices.items():
            self.set_price(symbol, usd)

    def price(self, symbol: str) -> Decimal:
        """USD per whole token, from ``oracle.getUnderlyingPrice`` (scaled 1e(36 − decimals))."""
        market = self.deployment.market(symbol)
        oracle = at(self.w3, "ResilientOracle", self.deployment.oracle, ORACLE)
        raw = oracle.functions.getUnderlyingPrice(Web3.to_checksum_address(market.v_token))
        return Decimal(int(raw.call())).scaleb(market.decimals - 36)

    # --- tokens and positions ---------------------------------------------------------------
    def fund(self, wallet: str, symbol: str, amount: Decimal) -> None:
        """Mint the MockToken to ``wallet`` (its faucet mints to the caller); for BNB, top the
        wallet's native balance up to at least ``amount`` plus gas money."""
        market = self.deployment.market(symbol)
        raw = self.raw(symbol, amount)
        if market.native:
            need = raw + 10 * MANTISSA
            if self.w3.eth.get_balance(Web3.to_checksum_address(wallet)) < need:
                self.anvil.rpc("anvil_setBalance", wallet, hex(need))
            return
        fn = self.underlying(symbol).functions.faucet(raw)
        self._send(fn, wallet, f"MockToken({symbol}).faucet({amount}) for {wallet}")

    def approve_market(self, wallet: str, symbol: str) -> None:
        """Let the market's vToken pull ``wallet``'s underlying (repays, liquidations)."""
        self._approve(wallet, self.deployment.market(symbol))

    def _approve(self, wallet: str, market: VenusMarket) -> None:
        if market.native:
            return
        spender = Web3.to_checksum_address(market.v_token)
        fn = self.underlying(market.symbol).functions.approve(spender, MAX_UINT256)
        self._send(fn, wallet, f"approve {market.v_symbol} to pull {market.symbol}")

    def supply(self, wallet: str, symbol: str, amount: Decimal, *, mint: bool = True) -> None:
        """``mint`` vTokens for ``amount`` of underlying (does not enter the market)."""
        market = self.deployment.market(symbol)
        raw = self.raw(symbol, amount)
        if mint:
            self.fund(wallet, symbol, amount)
        self._approve(wallet, market)
        v_token = self.v_token(symbol)
        what = f"{market.v_symbol}.mint({amount}) by {wallet}"
        if market.native:
            self._send(v_token.get_function_by_signature("mint()")(), wallet, what, value=raw)
        else:
            self._send(v_token.get_function_by_signature("mint(uint256)")(raw), wallet, what)

    def enter_markets(self, wallet: str, symbols: list[str]) -> None:
        """Use these supplies as collateral (``enterMarkets`` returns one code per market)."""
        v_tokens = [Web3.to_checksum_address(self.deployment.market(s).v_token) for s in symbols]
        fn = self.comptroller.functions.enterMarkets(v_tokens)
        self._send(fn, wallet, f"enterMarkets({symbols}) by {wallet}")

    def borrow(self, wallet: str, symbol: str, amount: Decimal) -> None:
        """Borrow; a borrow the comptroller refuses is named here first, because the vToken
        reverts every refusal (and a stale market, and missing cash) as just "math error"."""
        raw = self.raw(symbol, amount)
        what = f"v{symbol}.borrow({amount}) by {wallet}"
        v_token = Web3.to_checksum_address(self.deployment.market(symbol).v_token)
        owner = Web3.to_checksum_address(wallet)
        check = self.comptroller.functions.getHypotheticalAccountLiquidity(owner, v_token, 0, raw)
        err, _, shortfall = (int(x) for x in check.call())
        if err != 0:
            raise VenusFailure(what, f"comptroller says {error_name(err, COMPTROLLER_ERRORS)}",
                               code=err)  # fmt: skip
        if shortfall > 0:
            short = Decimal(shortfall).scaleb(-18)
            code = COMPTROLLER_ERRORS.index("INSUFFICIENT_LIQUIDITY")
            message = f"INSUFFICIENT_LIQUIDITY: ${short} short at the collateral factors"
            raise VenusFailure(what, message, code=code)
        self._send(self.v_token(symbol).functions.borrow(raw), wallet, what)

    def repay(self, wallet: str, symbol: str, amount: Decimal) -> None:
        market = self.deployment.market(symbol)
        raw = self.raw(symbol, amount)
        v_token = self.v_token(symbol)
        what = f"{market.v_symbol}.repayBorrow({amount}) by {wallet}"
        if market.native:
            fn = v_token.get_function_by_signature("repayBorrow()")()
            self._send(fn, wallet, what, value=raw)
            return
        self.fund(wallet, symbol, amount)
        self._approve(wallet, market)
        self._send(v_token.get_function_by_signature("repayBorrow(uint256)")(raw), wallet, what)

    def open_position(
        self, wallet: str, *, collateral: dict[str, Decimal], debt: dict[str, Decimal]
    ) -> None:
        """Mint and supply each collateral, enter those markets, then borrow each debt."""
        for symbol, amount in collateral.items():
            self.supply(wallet, symbol, amount)
        self.enter_markets(wallet, list(collateral))
        for symbol, amount in debt.items():
            self.borrow(wallet, symbol, amount)

    def accrue_interest(self, symbol: str) -> None:
        fn = self.v_token(symbol).functions.accrueInterest()
        self._send(fn, self.deployment.deployer, f"v{symbol}.accrueInterest()")

    # --- VAI ------------------------------------------------------------------------------
    @property
    def vai_controller(self) -> Contract:
        return at(self.w3, "VAIController", self.deployment.vai_controller)

    def mint_vai(self, wallet: str, amount: Decimal) -> None:
        """Mint VAI against the wallet's entered collateral (a debt the lens counts)."""
        fn = self.vai_controller.functions.mintVAI(mantissa(amount))
        self._send(fn, wallet, f"VAIController.mintVAI({amount}) by {wallet}")

    def vai_debt(self, wallet: str) -> int:
        """VAI owed with interest up to the controller's last accrual (18 decimals)."""
        owner = Web3.to_checksum_address(wallet)
        return int(self.vai_controller.functions.getVAIRepayAmount(owner).call())

    def accrue_vai_interest(self) -> None:
        fn = self.vai_controller.functions.accrueVAIInterest()
        self._send(fn, self.deployment.deployer, "VAIController.accrueVAIInterest()")

    # --- reads ------------------------------------------------------------------------------
    def account_liquidity(self, wallet: str) -> tuple[int, int, int]:
        """``getAccountLiquidity`` (error, liquidity, shortfall), USD × 1e18, at the
        liquidation threshold: shortfall > 0 means liquidatable."""
        fn = self.comptroller.functions.getAccountLiquidity(Web3.to_checksum_address(wallet))
        err, liquidity, shortfall = fn.call()
        return int(err), int(liquidity), int(shortfall)

    def borrow_balance(self, wallet: str, symbol: str, *, current: bool = False) -> int:
        """Underlying units owed; ``current`` accrues to this block first (via eth_call)."""
        v_token = self.v_token(symbol).functions
        owner = Web3.to_checksum_address(wallet)
        fn = v_token.borrowBalanceCurrent(owner) if current else v_token.borrowBalanceStored(owner)
        return int(fn.call())

    def v_token_balance(self, wallet: str, symbol: str) -> int:
        return int(
            self.v_token(symbol).functions.balanceOf(Web3.to_checksum_address(wallet)).call()
        )

    def max_repay(self, borrower: str, symbol: str) -> int:
        """The close factor's share of the stored debt: safe, since a liquidation accrues the
        debt (upwards) before it checks the close factor."""
        close_factor = int(self.comptroller.functions.closeFactorMantissa().call())
        return self.borrow_balance(borrower, symbol) * close_factor // MANTISSA

    # --- liquidation ------------------------------------------------------------------------
    def try_liquidate(
        self, liquidator: str, borrower: str, *, debt: str, collateral: str, repay_raw: int
    ) -> LiquidationOutcome:
        """Send ``liquidateBorrow`` from an EOA and report what happened without raising."""
        market = self.deployment.market(debt)
        v_collateral = Web3.to_checksum_address(self.deployment.market(collateral).v_token)
        target = Web3.to_checksum_address(borrower)
        v_token = self.v_token(debt)
        tx: dict[str, Any] = {"from": Web3.to_checksum_address(liquidator)}
        if market.native:
            fn = v_token.get_function_by_signature("liquidateBorrow(address,address)")
            call = fn(target, v_collateral)
            tx["value"] = repay_raw
        else:
            self.fund(liquidator, debt, Decimal(repay_raw).scaleb(-market.decimals))
            self._approve(liquidator, market)
            fn = v_token.get_function_by_signature("liquidateBorrow(address,uint256,address)")
            call = fn(target, repay_raw, v_collateral)
        return self._send_liquidation(v_token, call, tx)

    def _send_liquidation(
        self, v_token: Contract, call: Any, tx: dict[str, Any]
    ) -> LiquidationOutcome:
        reverted: tuple[str, ...] = ()
        try:
            simulated = call.call(tx)
            code = 0 if simulated is None or simulated == [] else int(simulated)
        except ContractLogicError as e:  # e.g. seizing more than the collateral, vBNB debt
            code, reverted = -1, (f"reverts: {e.message or e}",)
        tx["gas"] = 3_000_000  # a reverting call cannot be estimated; send it anyway
        receipt = self.w3.eth.wait_for_transaction_receipt(call.transact(tx), timeout=30)
        found = tuple(describe_failure(*f, self.deployment.comptroller) for f in failures(receipt))
        found = reverted + found
        events = v_token.events.LiquidateBorrow().process_receipt(receipt, errors=DISCARD)
        repay = sum(int(e["args"]["repayAmount"]) for e in events)
        seized = sum(int(e["args"]["seizeTokens"]) for e in events)
        return LiquidationOutcome(status=int(receipt["status"]), return_code=code, failures=found,
                                  repay_amount=repay, seize_tokens=seized,
                                  block=int(receipt["blockNumber"]))  # fmt: skip

    def liquidate(
        self, liquidator: str, borrower: str, *, debt: str, collateral: str,
        repay_raw: int | None = None,
    ) -> LiquidationOutcome:  # fmt: skip
        """Liquidate (by default the close factor's maximum); raise ``VenusFailure`` with the
        error code when Venus refuses."""
        amount = self.max_repay(borrower, debt) if repay_raw is None else repay_raw
        outcome = self.try_liquidate(liquidator, borrower, debt=debt, collateral=collateral,
                                     repay_raw=amount)  # fmt: skip
        if not outcome.ok:
            detail = "; ".join(outcome.failures) or f"status {outcome.status}"
            raise VenusFailure(f"liquidateBorrow({borrower}, {debt} -> {collateral})",
                               f"code {outcome.return_code}: {detail}",
                               code=outcome.return_code)  # fmt: skip
        return outcome
