"""Drive the local Aave market: fund wallets, open positions, move prices and time, liquidate."""

from __future__ import annotations

from dataclasses import dataclass, replace
from decimal import Decimal
from typing import Any

from web3 import Web3
from web3.exceptions import ContractLogicError

from bot.devnet.aave import (
    BASE_CURRENCY_UNIT,
    AaveDeployment,
    ReserveSpec,
    contract,
    list_reserve,
    transact,
)
from bot.devnet.anvil import AnvilChain, DevnetError

MAX_UINT256 = 2**256 - 1
# anvil's default accounts: 0 deploys and administers, 1 provides the pool's liquidity,
# 2.. are free for borrowers and liquidators, 19 is the treasury.
LIQUIDITY_PROVIDER_INDEX = 1


class LiquidationReverted(DevnetError):
    """``Pool.liquidationCall`` reverted; ``reason`` holds Aave's error code (e.g. "45")."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"liquidationCall reverted: {reason}")
        self.reason = reason


def to_raw(amount: Decimal, decimals: int) -> int:
    """Whole tokens -> integer units, refusing amounts finer than the token can hold."""
    raw = amount.scaleb(decimals)
    if raw != raw.to_integral_value():
        raise ValueError(f"{amount} has more than {decimals} decimals")
    return int(raw)


@dataclass(slots=True)
class Devnet(AnvilChain):
    """A running anvil with the Aave deployment loaded. Not thread-safe."""

    deployment: AaveDeployment

    # --- time and blocks -------------------------------------------------------------------
    def advance_time(self, secs: int) -> None:
        """Move chain time forward and mine one block at the new time (interest accrues)."""
        self.anvil.rpc("evm_increaseTime", hex(secs))
        self.mine()

    def set_next_block_timestamp(self, ts: int) -> None:
        self.anvil.rpc("evm_setNextBlockTimestamp", hex(ts))

    def freeze_time(self) -> None:
        """Every following block keeps the latest block's timestamp: no interest accrues, so
        a prediction made at one block holds exactly at the next ones."""
        self.anvil.rpc("anvil_setBlockTimestampInterval", 0)

    def unfreeze_time(self) -> None:
        self.anvil.rpc("anvil_removeBlockTimestampInterval")

    def latest_block(self) -> tuple[int, int]:
        block = self.w3.eth.get_block("latest")
        return int(block["number"]), int(block["timestamp"])

    # --- prices ----------------------------------------------------------------------------
    def set_price(self, symbol: str, usd: Decimal) -> None:
        """Write the MockAggregator's answer (storage slot 0; it has no setter) and mine."""
        self.set_prices({symbol: usd})

    def set_prices(self, prices: dict[str, Decimal]) -> None:
        """Move several oracle prices in one mined block."""
        for symbol, usd in prices.items():
            answer = to_raw(usd, 8)
            if answer <= 0:
                raise ValueError(f"price for {symbol} must be positive, got {usd}")
            slot_value = "0x" + answer.to_bytes(32, "big").hex()
            feed = self.deployment.token(symbol).aggregator
            self.anvil.rpc("anvil_setStorageAt", feed, "0x0", slot_value)
        self.mine()

    def price(self, symbol: str) -> Decimal:
        oracle = contract(self.w3, "AaveOracle", self.deployment.oracle)
        raw = oracle.functions.getAssetPrice(self.deployment.token(symbol).underlying).call()
        price: Decimal = Decimal(int(raw)) / BASE_CURRENCY_UNIT
        return price

    # --- tokens and positions --------------------------------------------------------------
    def fund(self, wallet: str, symbol: str, amount: Decimal) -> None:
        tok = self.deployment.token(symbol)
        erc20 = contract(self.w3, "MintableERC20", tok.underlying)
        raw = to_raw(amount, tok.decimals)
        transact(self.w3, erc20.functions.mint(Web3.to_checksum_address(wallet), raw), wallet)

    def approve_pool(self, wallet: str, symbol: str) -> None:
        erc20 = contract(self.w3, "MintableERC20", self.deployment.token(symbol).underlying)
        pool = Web3.to_checksum_address(self.deployment.pool)
        transact(self.w3, erc20.functions.approve(pool, MAX_UINT256), wallet)

    def supply(self, wallet: str, symbol: str, amount: Decimal, *, mint: bool = True) -> None:
        tok = self.deployment.token(symbol)
        if mint:
            self.fund(wallet, symbol, amount)
        self.approve_pool(wallet, symbol)
        raw = to_raw(amount, tok.decimals)
        fn = self._pool.functions.supply(tok.underlying, raw, Web3.to_checksum_address(wallet), 0)
        transact(self.w3, fn, wallet, what=f"supply {amount} {symbol}")

    def list_reserve(self, spec: ReserveSpec) -> None:
        """List ``spec`` on the running market (after the bot started, as governance may)."""
        token = list_reserve(self.w3, self.deployment, spec)
        tokens = (*self.deployment.tokens, token)
        self.deployment = replace(self.deployment, tokens=tokens)

    def supply_on_behalf(self, donor: str, wallet: str, symbol: str, raw: int) -> None:
        """``donor`` supplies ``raw`` units of ``symbol`` for ``wallet`` (Aave lets anyone)."""
        tok = self.deployment.token(symbol)
        erc20 = contract(self.w3, "MintableERC20", tok.underlying)
        transact(self.w3, erc20.functions.mint(Web3.to_checksum_address(donor), raw), donor)
        self.approve_pool(donor, symbol)
        fn = self._pool.functions.supply(tok.underlying, raw, Web3.to_checksum_address(wallet), 0)
        transact(self.w3, fn, donor, what=f"supply {raw} raw {symbol} for {wallet}")

    def allowance(self, owner: str, symbol: str) -> int:
        """Raw units of ``symbol`` the Pool may pull from ``owner``."""
        erc20 = contract(self.w3, "MintableERC20", self.deployment.token(symbol).underlying)
        pool = Web3.to_checksum_address(self.deployment.pool)
        return int(erc20.functions.allowance(Web3.to_checksum_address(owner), pool).call())

    def borrow(self, wallet: str, symbol: str, amount: Decimal) -> None:
        tok = self.deployment.token(symbol)
        raw = to_raw(amount, tok.decimals)
        fn = self._pool.functions.borrow(
            tok.underlying, raw, 2, 0, Web3.to_checksum_address(wallet)
        )  # 2 = variable rate
        transact(self.w3, fn, wallet, what=f"borrow {amount} {symbol}")

    def borrow_stable(self, wallet: str, symbol: str, amount: Decimal) -> None:
        tok = self.deployment.token(symbol)
        fn = self._pool.functions.borrow(
            tok.underlying, to_raw(amount, tok.decimals), 1, 0, Web3.to_checksum_address(wallet)
        )
        transact(self.w3, fn, wallet, what=f"stable borrow {amount} {symbol}")

    def set_emode(self, wallet: str, category: int) -> None:
        transact(self.w3, self._pool.functions.setUserEMode(category), wallet, what="setUserEMode")

    def open_position(
        self,
        wallet: str,
        *,
        collateral: dict[str, Decimal],
        debt: dict[str, Decimal],
        emode: int = 0,
    ) -> None:
        """Mint and supply each collateral, enter eMode if asked, then borrow each debt."""
        for symbol, amount in collateral.items():
            self.supply(wallet, symbol, amount)
        if emode:
            self.set_emode(wallet, emode)
        for symbol, amount in debt.items():
            self.borrow(wallet, symbol, amount)

    def account_data(self, wallet: str, block: int | str = "latest") -> tuple[int, ...]:
        """``Pool.getUserAccountData`` as raw integers (healthFactor is the last one)."""
        fn = self._pool.functions.getUserAccountData(Web3.to_checksum_address(wallet))
        return tuple(int(x) for x in fn.call(block_identifier=block))

    def liquidate(
        self,
        liquidator: str,
        borrower: str,
        *,
        collateral: str,
        debt: str,
        debt_to_cover: Decimal | None = None,
        receive_a_token: bool = False,
    ) -> Any:
        """``Pool.liquidationCall`` from ``liquidator`` (funded with the debt token here).
        Raises ``LiquidationReverted`` with Aave's error code when the pool refuses."""
        debt_tok = self.deployment.token(debt)
        if debt_to_cover is None:
            raw_cover = MAX_UINT256  # Aave caps it at the close factor
            self.fund(liquidator, debt, Decimal(10**9))
        else:
            raw_cover = to_raw(debt_to_cover, debt_tok.decimals)
            self.fund(liquidator, debt, debt_to_cover)
        self.approve_pool(liquidator, debt)
        fn = self._pool.functions.liquidationCall(
            self.deployment.token(collateral).underlying,
            debt_tok.underlying,
            Web3.to_checksum_address(borrower),
            raw_cover,
            receive_a_token,
        )
        try:
            return transact(self.w3, fn, liquidator, what="liquidationCall")
        except ContractLogicError as e:
            raise LiquidationReverted(str(e.message or e)) from e

    @property
    def _pool(self) -> Any:
        return contract(self.w3, "Pool", self.deployment.pool)
