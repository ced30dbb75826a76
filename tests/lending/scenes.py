"""What the lending contract suite asks of a protocol, and its two implementations.

The suite talks about positions in neutral terms ("BTC collateral, USD debt"); a scene maps
them to the protocol's own markets, moves its oracle, reads it with hedgebot's reader, asks
the chain for its own verdict and runs the guard's executor against it:

=========  ======  ======  ======  =======================  ====================
neutral    BTC     ETH     BNB     USD (the reserve's coin)  USD2
Aave v3    WBTC    WETH    WBNB    USDC                      USDT
Venus      BTCB    ETH     BNB     USDT                      USDC
=========  ======  ======  ======  =======================  ====================

Both chains are rolled back after each test by their fixtures (``evm_revert``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, Protocol

from web3 import Web3
from web3.types import TxParams

from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.protocol import LendingProtocol
from bot.chain.rpc import RpcPool
from bot.chain.venus import VenusCoreReader
from bot.core.account_model import account_model
from bot.core.health import exact_health_factor_wad
from bot.core.liquidation import liquidation_price
from bot.core.model import PositionSnapshot
from bot.core.repay import ReserveBalance
from bot.core.venus_math import account_liquidity
from bot.devnet.aave import contract
from bot.devnet.devnet import MAX_UINT256, Devnet
from bot.devnet.lending import LendingDevnet
from bot.devnet.venus_devnet import VenusDevnet
from bot.journal import Journal
from bot.protect.aave_errors import explain_revert
from bot.protect.executor import ProtectExecutor
from bot.protect.venues import writes_for
from bot.wallet.txmanager import TxManager
from tests.protect.conftest import RESERVE, fee_policy, signer_for

WAD = 10**18
D = Decimal
AAVE_SYMBOLS = {"BTC": "WBTC", "ETH": "WETH", "BNB": "WBNB", "USD": "USDC", "USD2": "USDT"}
VENUS_SYMBOLS = {"BTC": "BTCB", "ETH": "ETH", "BNB": "BNB", "USD": "USDT", "USD2": "USDC"}
LIQUIDATION_GAS = 3_000_000  # sent with a fixed limit: a refused call is mined, not estimated


@dataclass(frozen=True, slots=True)
class Verdict:
    """The chain's own answer about an account, or hedgebot's model of it, in the chain's
    integers: Aave ``(healthFactor,)`` in WAD; Venus ``(liquidity, shortfall)`` in USD x 1e18
    (the comptroller has no health factor, only the margin on either side of it)."""

    liquidatable: bool
    exact: tuple[int, ...]


class LendingScene(Protocol):
    protocol: str  # PositionSnapshot.protocol and the ``writes_for`` key

    def symbol(self, neutral: str) -> str:
        """The protocol's symbol for a neutral asset name (its own symbols pass through)."""
        ...

    def account(self, index: int) -> str: ...

    def head(self) -> tuple[int, int]:
        """The latest block's number and timestamp."""
        ...

    def open_position(
        self, wallet: str, *, collateral: Mapping[str, Decimal], debt: Mapping[str, Decimal]
    ) -> None:
        """Supply and use as collateral, then borrow (neutral names, whole tokens)."""
        ...

    def borrow_own_kind(self, wallet: str, amount: Decimal) -> str:
        """Borrow the protocol's own kind of debt (Venus: VAI minted against the collateral;
        Aave v3.0: stable-rate USDT). Returns the snapshot symbol it appears under."""
        ...

    def set_price(self, neutral: str, usd: Decimal) -> None:
        """Set the oracle's price (one block)."""
        ...

    def price_step(self, neutral: str) -> Decimal:
        """The oracle's price resolution for that asset (USD per whole token)."""
        ...

    def hold_interest(self) -> None:
        """Stop views from drifting between blocks, so a price computed at one block holds at
        the next (Aave accrues by timestamp in every view; Venus views never accrue)."""
        ...

    def accrue_interest(self, blocks: int) -> None:
        """Let interest grow and be booked, so amounts leave their round opening values."""
        ...

    def reader(self) -> LendingProtocol:
        """A started hedgebot reader (fresh: its block guard starts from this chain state)."""
        ...

    def chain_verdict(self, wallet: str, block: int) -> Verdict: ...

    def model_verdict(self, snapshot: PositionSnapshot) -> Verdict: ...

    def fund_reserve(self, wallet: str, amount: Decimal) -> None:
        """Give the reserve wallet ``amount`` of the USD stablecoin."""
        ...

    def reserves(self, wallet: str) -> list[ReserveBalance]: ...

    def executor(self, reader: LendingProtocol, journal: Journal) -> ProtectExecutor:
        """The guard's executor, signing as the reserve wallet, writes from ``writes_for``."""
        ...

    def try_liquidate(self, liquidator: str, borrower: str, *, collateral: str, debt: str) -> bool:
        """One liquidation attempt from an EOA, mined either way; True when it took effect."""
        ...


class _OnDevnet:
    """What both scenes do the same way on their devnet, in neutral symbols."""

    devnet: LendingDevnet
    symbols: Mapping[str, str]

    def symbol(self, neutral: str) -> str:
        return self.symbols.get(neutral, neutral)  # or already the protocol's own symbol

    def account(self, index: int) -> str:
        return self.devnet.account(index)

    def head(self) -> tuple[int, int]:
        block = self.devnet.w3.eth.get_block("latest")
        return int(block["number"]), int(block["timestamp"])

    def open_position(
        self, wallet: str, *, collateral: Mapping[str, Decimal], debt: Mapping[str, Decimal]
    ) -> None:
        self.devnet.open_position(
            wallet,
            collateral={self.symbol(s): a for s, a in collateral.items()},
            debt={self.symbol(s): a for s, a in debt.items()},
        )

    def set_price(self, neutral: str, usd: Decimal) -> None:
        self.devnet.set_price(self.symbol(neutral), usd)


@dataclass
class AaveScene(_OnDevnet):
    """Aave v3 (the package's v3.0 deployment) on anvil."""

    devnet: Devnet
    protocol: str = "aave-v3"
    symbols: Mapping[str, str] = field(default_factory=lambda: AAVE_SYMBOLS)
    _funded: set[str] = field(default_factory=set)

    def borrow_own_kind(self, wallet: str, amount: Decimal) -> str:
        self.devnet.borrow_stable(wallet, "USDT", amount)
        return "USDT"

    def price_step(self, neutral: str) -> Decimal:
        return D("1e-8")  # AaveOracle: USD x 1e8 for every asset

    def hold_interest(self) -> None:
        self.devnet.freeze_time()  # the fixture unfreezes it

    def accrue_interest(self, blocks: int) -> None:
        # Aave accrues by time, not by block: a month makes the indexes move visibly.
        self.devnet.advance_time(30 * 86_400)
        self.devnet.mine(blocks)

    def reader(self) -> AaveV3Reader:
        rpc = RpcPool([self.devnet.rpc_url], self.devnet.chain_id, timeout_secs=10)
        reader = AaveV3Reader(rpc, self.devnet.deployment.addresses_provider, self.devnet.chain_id)
        reader.start()
        return reader

    def chain_verdict(self, wallet: str, block: int) -> Verdict:
        hf = self.devnet.account_data(wallet, block=block)[5]
        return Verdict(liquidatable=hf < WAD, exact=(hf,))

    def model_verdict(self, snapshot: PositionSnapshot) -> Verdict:
        hf = exact_health_factor_wad(snapshot)
        return Verdict(liquidatable=hf < WAD, exact=(hf,))

    def fund_reserve(self, wallet: str, amount: Decimal) -> None:
        self.devnet.fund(wallet, "USDC", amount)

    def reserves(self, wallet: str) -> list[ReserveBalance]:
        token = self.devnet.deployment.token("USDC")
        erc20 = contract(self.devnet.w3, "MintableERC20", token.underlying)
        raw = int(erc20.functions.balanceOf(Web3.to_checksum_address(wallet)).call())
        return [_reserve("USDC", token.underlying, token.decimals, raw)]

    def executor(self, reader: LendingProtocol, journal: Journal) -> ProtectExecutor:
        return _executor(self.devnet, reader, journal, self.protocol, explain_revert)

    def try_liquidate(self, liquidator: str, borrower: str, *, collateral: str, debt: str) -> bool:
        debt_symbol = self.symbol(debt)
        if liquidator not in self._funded:  # once: then every attempt is one block
            self.devnet.fund(liquidator, debt_symbol, D(10**9))
            self.devnet.approve_pool(liquidator, debt_symbol)
            self._funded.add(liquidator)
        pool = contract(self.devnet.w3, "Pool", self.devnet.deployment.pool)
        call = pool.functions.liquidationCall(
            self.devnet.deployment.token(self.symbol(collateral)).underlying,
            self.devnet.deployment.token(debt_symbol).underlying,
            Web3.to_checksum_address(borrower),
            MAX_UINT256,  # Aave caps it at the close factor
            False,
        )
        tx: TxParams = {"from": Web3.to_checksum_address(liquidator), "gas": LIQUIDATION_GAS}
        receipt = self.devnet.w3.eth.wait_for_transaction_receipt(call.transact(tx), timeout=30)
        return int(receipt["status"]) == 1  # Aave reverts every refusal


@dataclass
class VenusScene(_OnDevnet):
    """The Venus core pool (comptroller v10) on anvil."""

    devnet: VenusDevnet
    protocol: str = "venus-core"
    symbols: Mapping[str, str] = field(default_factory=lambda: VENUS_SYMBOLS)

    def borrow_own_kind(self, wallet: str, amount: Decimal) -> str:
        self.devnet.mint_vai(wallet, amount)
        return "VAI"

    def price_step(self, neutral: str) -> Decimal:
        decimals = self.devnet.deployment.market(self.symbol(neutral)).decimals
        return D(1).scaleb(decimals - 36)  # getUnderlyingPrice: USD x 1e(36 - decimals)

    def hold_interest(self) -> None:
        """Nothing to do: views read stored balances; only a transaction on a market (or an
        ``accrueInterest``) books interest."""

    def accrue_interest(self, blocks: int) -> None:
        self.devnet.mine(blocks)
        for market in self.devnet.deployment.markets:
            self.devnet.accrue_interest(market.symbol)
        self.devnet.accrue_vai_interest()

    def reader(self) -> VenusCoreReader:
        rpc = RpcPool([self.devnet.rpc_url], self.devnet.chain_id, timeout_secs=10)
        reader = VenusCoreReader(rpc, self.devnet.deployment.comptroller, self.devnet.chain_id)
        reader.start()
        return reader

    def chain_verdict(self, wallet: str, block: int) -> Verdict:
        fn = self.devnet.comptroller.functions.getAccountLiquidity(Web3.to_checksum_address(wallet))
        err, liquidity, shortfall = (int(x) for x in fn.call(block_identifier=block))
        assert err == 0, f"getAccountLiquidity error {err}"
        return Verdict(liquidatable=shortfall > 0, exact=(liquidity, shortfall))

    def model_verdict(self, snapshot: PositionSnapshot) -> Verdict:
        liquidity, shortfall = account_liquidity(snapshot)
        # hedgebot's HF is sumCollateral / sumBorrow: under 1 exactly when there is a shortfall
        assert (exact_health_factor_wad(snapshot) < WAD) == (shortfall > 0)
        return Verdict(liquidatable=shortfall > 0, exact=(liquidity, shortfall))

    def fund_reserve(self, wallet: str, amount: Decimal) -> None:
        self.devnet.fund(wallet, "USDT", amount)

    def reserves(self, wallet: str) -> list[ReserveBalance]:
        market = self.devnet.deployment.market("USDT")
        erc20 = self.devnet.underlying("USDT")
        raw = int(erc20.functions.balanceOf(Web3.to_checksum_address(wallet)).call())
        assert market.underlying is not None
        return [_reserve("USDT", market.underlying, market.decimals, raw)]

    def executor(self, reader: LendingProtocol, journal: Journal) -> ProtectExecutor:
        return _executor(self.devnet, reader, journal, self.protocol, None)

    def try_liquidate(self, liquidator: str, borrower: str, *, collateral: str, debt: str) -> bool:
        debt_symbol = self.symbol(debt)
        # the close factor's share of the stored debt (at least a unit, so the call is made)
        repay = max(self.devnet.max_repay(borrower, debt_symbol), 1)
        outcome = self.devnet.try_liquidate(
            liquidator, borrower, debt=debt_symbol, collateral=self.symbol(collateral),
            repay_raw=repay,
        )  # fmt: skip
        return outcome.ok  # a refusal is a mined transaction with a Failure event


def _reserve(symbol: str, address: str, decimals: int, raw: int) -> ReserveBalance:
    return ReserveBalance(
        symbol=symbol, address=address, decimals=decimals, balance=D(raw).scaleb(-decimals)
    )


def _executor(
    devnet: Devnet | VenusDevnet,
    reader: LendingProtocol,
    journal: Journal,
    protocol: str,
    explain: Any,
) -> ProtectExecutor:
    w3 = Web3(Web3.HTTPProvider(devnet.rpc_url))
    kw: dict[str, Any] = {} if explain is None else {"explain_revert": explain}
    txm = TxManager(
        w3, signer_for(devnet, RESERVE), journal, fee_policy(), chain_id=devnet.chain_id, **kw
    )
    return ProtectExecutor(w3, txm, writes=writes_for(protocol, w3, reader.info))


# --- helpers the suites share ---------------------------------------------------------------


def read(scene: LendingScene, reader: LendingProtocol, wallet: str) -> PositionSnapshot:
    """A snapshot in exactly one RPC request, whose values give the chain's own verdict at
    the snapshot's block, to the unit."""
    head, now = scene.head()  # the staleness guard compares the block's time with ``now``
    before = reader.rpc.request_count
    snap = reader.snapshot(wallet, now=now)
    assert reader.rpc.request_count - before == 1
    assert snap.block_number == head  # nothing is mined between: the head block, only it
    assert snap.stale_reason is None
    assert snap.protocol == scene.protocol
    assert scene.model_verdict(snap) == scene.chain_verdict(wallet, snap.block_number)
    return snap


def holdings(snap: PositionSnapshot) -> dict[str, tuple[Decimal, Decimal]]:
    return {a.symbol: (a.collateral, a.debt) for a in snap.assets if a.collateral or a.debt}


def assert_crossing(
    lending: LendingScene, reader: LendingProtocol, wallet: str, neutral: str, *, debt: bool
) -> Decimal:
    """Safe on the chain at the predicted price, liquidatable one oracle step the adverse way
    (down for collateral, up for debt); the price is restored afterwards."""
    snap = read(lending, reader, wallet)
    symbol = lending.symbol(neutral)
    asset = next(a for a in snap.assets if a.symbol == symbol)
    step = lending.price_step(neutral)
    assert account_model(snap).price_step(asset) == step
    predicted = liquidation_price(snap, symbol)
    assert predicted is not None
    assert predicted > 0
    lending.set_price(neutral, predicted)
    assert not _verdict(lending, reader, wallet).liquidatable, f"{symbol} at {predicted}"
    beyond = predicted + step if debt else predicted - step
    lending.set_price(neutral, beyond)
    assert _verdict(lending, reader, wallet).liquidatable, f"{symbol} at {beyond}"
    lending.set_price(neutral, asset.price_usd)
    return predicted


def _verdict(lending: LendingScene, reader: LendingProtocol, wallet: str) -> Verdict:
    snap = read(lending, reader, wallet)  # hedgebot agrees with the chain at this block too
    return lending.chain_verdict(wallet, snap.block_number)
