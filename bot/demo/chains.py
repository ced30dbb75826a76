"""``hedgebot demo --protocol NAME``: the local chain each name starts."""

from __future__ import annotations

from contextlib import AbstractContextManager
from typing import Protocol

from bot.demo.aave_chain import aave_chain
from bot.demo.protocols import DemoChain
from bot.demo.venus_chain import venus_chain
from bot.devnet.anvil import LOOPBACK


class _StartChain(Protocol):
    def __call__(
        self, *, host: str = ..., port: int | None = ...
    ) -> AbstractContextManager[DemoChain]: ...


DEMO_CHAINS: dict[str, _StartChain] = {
    "aave": aave_chain,
    "venus": venus_chain,
}


def start_demo_chain(
    name: str, *, host: str = LOOPBACK, port: int | None = None
) -> AbstractContextManager[DemoChain]:
    """anvil with ``name``'s cached deployment, on ``host``:``port`` (a free loopback port by
    default)."""
    try:
        start = DEMO_CHAINS[name]
    except KeyError:
        raise ValueError(f"no demo for protocol {name!r}: one of {sorted(DEMO_CHAINS)}") from None
    return start(host=host, port=port)


__all__ = ["DEMO_CHAINS", "start_demo_chain"]
