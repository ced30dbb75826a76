"""One ``aggregate3`` ``eth_call`` through the RPC pool: every reader's only way to the chain."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from web3 import Web3
from web3.types import BlockIdentifier

from bot.chain.multicall import MULTICALL3_ADDRESS, Call, decode_aggregate3, encode_aggregate3
from bot.chain.rpc import ChainError, RpcPool


def aggregate(
    rpc: RpcPool,
    calls: Sequence[Call],
    block: BlockIdentifier = "latest",
    what: str = "aggregate3",
    data: bytes | None = None,
) -> list[tuple[Any, ...] | None]:
    """Decoded outputs per call (None where a call failed), all from one state at ``block``;
    ``data`` is the calls' encoding when the caller cached it."""
    data = encode_aggregate3(calls) if data is None else data

    def run(w3: Web3) -> bytes:
        return bytes(w3.eth.call({"to": MULTICALL3_ADDRESS, "data": Web3.to_hex(data)}, block))

    raw = rpc.call(what, run)
    if not raw:
        raise ChainError(
            f"Multicall3 at {MULTICALL3_ADDRESS} returned nothing on chain {rpc.chain_id}: "
            "is it deployed there?"
        )
    return decode_aggregate3(calls, raw)


def need(value: tuple[Any, ...] | None, what: str) -> tuple[Any, ...]:
    """``value``, or a ChainError naming the read that failed."""
    if value is None:
        raise ChainError(f"on-chain read failed: {what}")
    return value
