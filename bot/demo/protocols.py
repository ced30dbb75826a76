"""What the demo needs from a lending protocol's local chain, as one small interface.

The runner, the observer, the chart and the summary are the same for every protocol; a
``DemoChain`` carries the differences as data (which tokens, which words) and as the few
operations that differ (open the position, move an oracle price, arm a liquidator, point the
daemon at the deployment). ``bot.demo.chains`` picks one implementation by name, once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from web3 import Web3

from bot.demo.liquidator import LiquidatorBot
from bot.devnet.lending import LendingDevnet


@dataclass(frozen=True, slots=True, kw_only=True)
class ChainWords:
    """How the live view, the chart and the summary name the protocol's parts."""

    protocol: str  # "Aave v3"
    oracle: str  # "Aave oracle"
    liquidation_call: str  # "liquidationCall"
    refused: str  # what a refused liquidation did: "reverted"
    refused_why: str  # and what that means: "HF not below 1"


AAVE_WORDS = ChainWords(
    protocol="Aave v3",
    oracle="Aave oracle",
    liquidation_call="liquidationCall",
    refused="reverted",
    refused_why="HF not below 1",
)


class DemoChain(Protocol):
    """anvil with one lending protocol deployed, seen through what the demo does with it."""

    @property
    def words(self) -> ChainWords: ...

    @property
    def file_tag(self) -> str:
        """In the output files' names: ``demo-<file_tag>protected.png``."""
        ...

    @property
    def collateral(self) -> Mapping[str, Decimal]:
        """Lending token -> units the borrower supplies."""
        ...

    @property
    def oracle_tokens(self) -> Mapping[str, str]:
        """Underlying -> the lending token the oracle prices it by."""
        ...

    @property
    def rpc_url(self) -> str: ...

    @property
    def chain_id(self) -> int: ...

    @property
    def w3(self) -> Web3: ...

    def account(self, index: int) -> str: ...

    def price(self, symbol: str) -> Decimal:
        """The oracle's USD price of a lending token."""
        ...

    def set_price(self, symbol: str, usd: Decimal) -> None: ...

    def fund(self, wallet: str, symbol: str, amount: Decimal) -> None:
        """Mint ``amount`` of an ERC-20 lending token to ``wallet``."""
        ...

    def token(self, symbol: str) -> tuple[str, int]:
        """The ERC-20 address and decimals of a lending token."""
        ...

    def token_symbols(self) -> dict[str, str]:
        """Lowercase token address -> symbol, for the journal's transactions."""
        ...

    def supply_collateral(self, wallet: str) -> None:
        """Supply ``collateral`` from ``wallet`` (minted first) and use it as collateral."""
        ...

    def weighted_collateral_usd(self, wallet: str) -> Decimal:
        """Collateral x liquidation threshold, USD, as the protocol counts it."""
        ...

    def borrow(self, wallet: str, symbol: str, amount: Decimal) -> None: ...

    def arm_liquidator(self, liquidator: str, symbol: str, amount: Decimal) -> None:
        """Fund the liquidator with the debt token and approve what pulls it."""
        ...

    def liquidator(self, *, liquidator: str, borrower: str, debt: str) -> LiquidatorBot:
        """The protocol's liquidation bot (not started)."""
        ...

    def position_overrides(self) -> dict[str, str]:
        """``HEDGEBOT__`` overrides pointing ``config/demo.yaml``'s position (and its token
        mapping, when the file's is another protocol's) at this deployment."""
        ...


class OnDevnet:
    """The ``DemoChain`` operations every devnet answers the same way, passed to ``dn``."""

    __slots__ = ()
    dn: LendingDevnet

    @property
    def rpc_url(self) -> str:
        return self.dn.rpc_url

    @property
    def chain_id(self) -> int:
        return self.dn.chain_id

    @property
    def w3(self) -> Web3:
        return self.dn.w3

    def account(self, index: int) -> str:
        return self.dn.account(index)

    def price(self, symbol: str) -> Decimal:
        return self.dn.price(symbol)

    def set_price(self, symbol: str, usd: Decimal) -> None:
        self.dn.set_price(symbol, usd)

    def fund(self, wallet: str, symbol: str, amount: Decimal) -> None:
        self.dn.fund(wallet, symbol, amount)

    def borrow(self, wallet: str, symbol: str, amount: Decimal) -> None:
        self.dn.borrow(wallet, symbol, amount)


__all__ = ["AAVE_WORDS", "ChainWords", "DemoChain", "OnDevnet"]
