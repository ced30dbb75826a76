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

from collections.abc import Callable, Mapping
from typing import Any, Protocol

from web3 import Web3

from bot.chain.abis import load_abi
from bot.chain.protocol import ReaderInfo
from bot.chain.venus_errors import describe_failure, failures
from bot.chain.venus_position import NATIVE_ADDRESS
from bot.core.repay import ActionKind, ProtectAction

__all__ = ["AavePoolWrites", "LendingWrites", "VenusMarketWrites", "encode", "writes_for"]

VARIABLE_RATE_MODE = 2
NO_REFERRAL = 0


class LendingWrites(Protocol):
    # Whether a mined call can still have been turned down (Venus), so that its receipt must
    # be read; Aave reverts every refusal and costs no extra request.
    rejects_without_revert: bool

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
    rejects_without_revert = False

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
        return None


class VenusMarketWrites:
    """``vtokens``: underlying token address -> its market's vToken (the reader's markets);
    vBNB's native BNB is left out: the reserve repays ERC-20 debt only."""

    rejects_without_revert = True

    def __init__(self, w3: Web3, vtokens: Mapping[str, str]) -> None:
        abi = load_abi("VToken")
        self._markets = {
            asset.lower(): w3.eth.contract(address=Web3.to_checksum_address(v), abi=abi)
            for asset, v in vtokens.items()
            if asset.lower() != NATIVE_ADDRESS.lower()
        }

    def _market(self, asset: str) -> Any:
        market = self._markets.get(asset.lower())
        if market is None:
            raise ValueError(f"{asset} has no ERC-20 Venus market in this comptroller")
        return market

    def spender(self, asset: str) -> str:
        return str(self._market(asset).address)

    def call(self, action: ProtectAction) -> tuple[str, bytes]:
        market = self._market(action.asset)
        fn = "repayBorrowBehalf" if action.kind is ActionKind.REPAY else "mintBehalf"
        wallet = Web3.to_checksum_address(action.on_behalf_of)
        return str(market.address), encode(market, fn, [wallet, action.amount_raw])

    def failure(self, receipt: Any, action: ProtectAction) -> str | None:
        here = str(self._market(action.asset).address).lower()
        found = [f for f in failures(receipt) if f[0].lower() == here]
        if not found:
            return None
        return f"the vToken turned the {action.kind} down without reverting: " + describe_failure(
            *found[0], comptroller=""
        )


# positions[].protocol -> where its repays and supplies go, from what the reader's start found.
WRITES: dict[str, Callable[[Web3, ReaderInfo], LendingWrites]] = {
    "aave-v3": lambda w3, info: AavePoolWrites(w3, info.pool),
    "venus-core": lambda w3, info: VenusMarketWrites(
        w3, {r.asset: r.a_token for r in info.reserves}
    ),
}


def writes_for(protocol: str, w3: Web3, info: ReaderInfo) -> LendingWrites:
    return WRITES[protocol](w3, info)
