"""Multicall3 ``aggregate3``: many view calls in one ``eth_call``, so they all see one state."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_abi.abi import decode, encode
from eth_utils.abi import (
    function_abi_to_4byte_selector,
    get_abi_input_types,
    get_abi_output_types,
)
from eth_utils.address import to_checksum_address

from bot.chain.abis import load_abi

MULTICALL3_ADDRESS = to_checksum_address("0xcA11bde05977b3631167028862bE2a173976CA11")


@dataclass(frozen=True, slots=True)
class Fn:
    """One function of an ABI, with its selector and types resolved once."""

    name: str
    selector: bytes
    input_types: tuple[str, ...]
    output_types: tuple[str, ...]

    def encode(self, args: Sequence[Any]) -> bytes:
        return self.selector + encode(list(self.input_types), list(args))

    def decode(self, data: bytes) -> tuple[Any, ...]:
        return tuple(decode(list(self.output_types), data))


@cache
def fn(abi_name: str, name: str) -> Fn:
    entries = [e for e in load_abi(abi_name) if e.get("type") == "function" and e["name"] == name]
    if len(entries) != 1:
        raise KeyError(f"ABI {abi_name} has {len(entries)} functions named {name}")
    entry: Any = entries[0]
    return Fn(
        name=name,
        selector=function_abi_to_4byte_selector(entry),
        input_types=tuple(get_abi_input_types(entry)),
        output_types=tuple(get_abi_output_types(entry)),
    )


@dataclass(frozen=True, slots=True)
class Call:
    target: str
    fn: Fn
    args: tuple[Any, ...] = ()


def encode_aggregate3(calls: Sequence[Call]) -> bytes:
    """Calldata for ``Multicall3.aggregate3`` with allowFailure on every call: one revert
    (a paused reserve, an odd token) must not blind the whole snapshot."""
    agg = fn("Multicall3", "aggregate3")
    return agg.encode([[(c.target, True, c.fn.encode(c.args)) for c in calls]])


def decode_aggregate3(calls: Sequence[Call], data: bytes) -> list[tuple[Any, ...] | None]:
    """Decoded outputs per call, ``None`` where the call failed or returned nothing."""
    (results,) = fn("Multicall3", "aggregate3").decode(data)
    if len(results) != len(calls):
        raise ValueError(f"aggregate3 returned {len(results)} results for {len(calls)} calls")
    out: list[tuple[Any, ...] | None] = []
    for call, (ok, ret) in zip(calls, results, strict=True):
        out.append(call.fn.decode(ret) if ok and ret else None)
    return out
