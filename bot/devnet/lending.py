"""What the Aave and the Venus devnets both offer, for code that drives either (the demo, the
lending contract tests): one interface, each devnet's own symbols."""

from __future__ import annotations

from decimal import Decimal
from typing import Protocol

from web3 import Web3

__all__ = ["LendingDevnet"]


class LendingDevnet(Protocol):
    w3: Web3

    @property
    def rpc_url(self) -> str: ...

    @property
    def chain_id(self) -> int: ...

    def account(self, index: int) -> str: ...

    def mine(self, blocks: int = 1) -> None: ...

    def price(self, symbol: str) -> Decimal:
        """The protocol oracle's USD price of a lending token."""
        ...

    def set_price(self, symbol: str, usd: Decimal) -> None:
        """Move the oracle's price in one mined block."""
        ...

    def fund(self, wallet: str, symbol: str, amount: Decimal) -> None: ...

    def borrow(self, wallet: str, symbol: str, amount: Decimal) -> None: ...

    def open_position(
        self, wallet: str, *, collateral: dict[str, Decimal], debt: dict[str, Decimal]
    ) -> None: ...
