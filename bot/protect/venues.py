"""Where a repay or a supply goes on each lending protocol: the data the executor needs, not a
branch in it.

- Aave v3: one Pool takes every asset: ``repay(asset, amount, 2, onBehalfOf)`` and
  ``supply(asset, amount, onBehalfOf, 0)``; the allowance goes to the Pool; a failure reverts.
- Venus core pool: each market is its own vToken: ``repayBorrowBehalf(borrower, amount)`` and
  ``mintBehalf(receiver, amount)`` on the asset's vToken, which also takes the allowance. A
  Compound-style rejection does **not** revert: the transaction is mined, returns an error
  code and emits ``Failure(error, info, detail)``; the receipt is read for it.
"""

from __future__ import annotations

from typing import Any, Protocol

from web3 import Web3

from bot.chain.abis import load_abi
from bot.core.repay import ActionKind, ProtectAction

__all__ = ["AavePoolWrites", "LendingWrites", "encode"]

VARIABLE_RATE_MODE = 2
NO_REFERRAL = 0


class LendingWrites(Protocol):
    def spender(self, asset: str) -> str:
        """The contract that pulls ``asset`` from the reserve wallet (gets the allowance)."""
        ...

    def call(self, action: ProtectAction) -> tuple[str, bytes]:
        """The contract to send ``action`` to, and its calldata."""
        ...

    def failure(self, receipt: Any, action: ProtectAction) -> str | None:
        """Why a mined ``action`` did nothing, or None when it took effect."""
        ...


def encode(contract: Any, fn: str, args: list[Any]) -> bytes:
    return bytes(Web3.to_bytes(hexstr=contract.encode_abi(fn, args=args)))


class AavePoolWrites:
    def __init__(self, w3: Web3, pool: str) -> None:
        self._pool = w3.eth.contract(address=Web3.to_checksum_address(pool), abi=load_abi("Pool"))

    def spender(self, asset: str) -> str:
        return str(self._pool.address)

    def call(self, action: ProtectAction) -> tuple[str, bytes]:
        asset, wallet = Web3.to_checksum_address(action.asset), action.on_behalf_of
        if action.kind is ActionKind.REPAY:
            args: list[Any] = [asset, action.amount_raw, VARIABLE_RATE_MODE, wallet]
        else:
            args = [asset, action.amount_raw, wallet, NO_REFERRAL]
        return str(self._pool.address), encode(self._pool, str(action.kind), args)

    def failure(self, receipt: Any, action: ProtectAction) -> str | None:
        return None  # Aave reverts on every rejection: a mined repay took effect
