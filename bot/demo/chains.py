"""``hedgebot demo --protocol NAME``: the local chain each name starts."""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractContextManager

from bot.demo.aave_chain import aave_chain
from bot.demo.protocols import DemoChain
from bot.demo.venus_chain import venus_chain

DEMO_CHAINS: dict[str, Callable[[], AbstractContextManager[DemoChain]]] = {
    "aave": aave_chain,
    "venus": venus_chain,
}


def start_demo_chain(name: str) -> AbstractContextManager[DemoChain]:
    try:
        start = DEMO_CHAINS[name]
    except KeyError:
        raise ValueError(f"no demo for protocol {name!r}: one of {sorted(DEMO_CHAINS)}") from None
    return start()


__all__ = ["DEMO_CHAINS", "start_demo_chain"]
