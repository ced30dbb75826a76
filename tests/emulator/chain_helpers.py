"""Helpers for the wallet's chain tests: anvil's public keys, the linked emulator, waiting on
deadlines for what the settlement thread does (never a blind sleep)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, TypeVar

from eth_account import Account
from web3 import Web3

from bot.devnet.aave import contract, transact
from bot.devnet.devnet import Devnet, to_raw
from bot.emulator.testing import EmulatorHandle

ANVIL_MNEMONIC = "test test test test test test test test test test test junk"
HOT, RECIPIENT, DEPOSITOR = 7, 8, 6  # anvil accounts 0-5 belong to the devnet and its tests
DEADLINE_SECS = 30.0  # generous for a loaded 2-core CI machine; a pass takes well under 1 s
T = TypeVar("T")


def anvil_key(index: int) -> str:
    """anvil's well-known development key ``index`` (public; devnet funds only)."""
    Account.enable_unaudited_hdwallet_features()
    account = Account.from_mnemonic(ANVIL_MNEMONIC, account_path=f"m/44'/60'/0'/0/{index}")
    return str(Web3.to_hex(account.key))


def coin(devnet: Devnet, symbol: str, **fields: Any) -> dict[str, Any]:
    token = devnet.deployment.token(symbol)
    return {
        "coin": symbol,
        "network": "BSC",
        "contract_address": token.underlying,
        "decimals": token.decimals,
        "withdraw_fee": "0.5",
        "withdraw_min": "5",
        "withdraw_max": "100000",
        "withdraw_multiple": "0.01",
        "min_confirm": 3,
        **fields,
    }


def wait_for(what: str, probe: Callable[[], T | None], deadline_secs: float = DEADLINE_SECS) -> T:
    """Poll ``probe`` until it returns something truthy; fail naming ``what`` at the deadline."""
    end = time.monotonic() + deadline_secs
    while True:
        value = probe()
        if value:
            return value
        if time.monotonic() > end:
            raise AssertionError(f"timed out after {deadline_secs}s waiting for {what}")
        time.sleep(0.02)


def settled_polls(emulator: EmulatorHandle, devnet: Devnet, polls: int = 2) -> None:
    """Wait until the settlement thread has run a whole poll (deposits, then withdrawals)
    that began after this call: each round mines a block and waits for the deposit scan to
    record it; a poll under way at the call may finish a round, so ask for two."""
    for _ in range(polls):
        devnet.mine()
        head = devnet.latest_block()[0]
        wait_for(f"the deposit scan to reach block {head}", _scanned(emulator, devnet, head))


def _scanned(emulator: EmulatorHandle, devnet: Devnet, head: int) -> Callable[[], bool]:
    """The scan's cursor is at ``head`` or later *on this chain*: after ``evm_revert`` a
    cursor saved before it can be higher and still stale (its block hash differs)."""

    def probe() -> bool:
        cursor = emulator.control.snapshot()["chain_cursor"]
        if cursor is None or int(cursor["block"]) < head:
            return False
        block = devnet.w3.eth.get_block(int(cursor["block"]))
        return bool(Web3.to_hex(block["hash"]) == cursor["block_hash"])

    return probe


def withdrawal(emulator: EmulatorHandle, withdrawal_id: str) -> dict[str, Any]:
    """The withdrawal as the emulator holds it (control snapshot: no SAPI weight spent)."""
    for account in emulator.control.snapshot()["accounts"].values():
        for row in account["withdrawals"]:
            if row["id"] == withdrawal_id:
                found: dict[str, Any] = row
                return found
    raise AssertionError(f"no withdrawal {withdrawal_id}")


def deposits(emulator: EmulatorHandle) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = emulator.control.snapshot()["accounts"][emulator.api_key][
        "deposits"
    ]
    return rows


def token_balance(devnet: Devnet, symbol: str, owner: str) -> int:
    erc20 = contract(devnet.w3, "MintableERC20", devnet.deployment.token(symbol).underlying)
    return int(erc20.functions.balanceOf(Web3.to_checksum_address(owner)).call())


def send_tokens(devnet: Devnet, symbol: str, sender: str, to: str, amount: Decimal) -> str:
    """An ERC-20 transfer from an unlocked anvil account; returns the tx hash."""
    token = devnet.deployment.token(symbol)
    erc20 = contract(devnet.w3, "MintableERC20", token.underlying)
    fn = erc20.functions.transfer(Web3.to_checksum_address(to), to_raw(amount, token.decimals))
    receipt = transact(devnet.w3, fn, sender, what=f"transfer {amount} {symbol}")
    return str(Web3.to_hex(receipt["transactionHash"]))


@dataclass(frozen=True, kw_only=True)
class Linked:
    emulator: EmulatorHandle
    devnet: Devnet
    hot: str
    recipient: str
    depositor: str
