"""Mainnet Aave v3 markets (BNB Chain, Ethereum) from ``aave_markets.json``.

The JSON is generated from the npm package ``@aave-dao/aave-address-book`` by
``python -m bot.chain.generate_abis``; nothing here is typed by hand.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

MARKETS_JSON = Path(__file__).parent / "aave_markets.json"


@dataclass(frozen=True, slots=True, kw_only=True)
class AaveMarket:
    name: str  # "bnb", "ethereum"
    chain_id: int
    addresses_provider: str
    pool: str
    oracle: str
    data_provider: str


@cache
def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(MARKETS_JSON.read_text())
    return data


def market_names() -> tuple[str, ...]:
    return tuple(k for k in _raw() if k != "source")


def aave_market(name: str) -> AaveMarket:
    raw = _raw().get(name)
    if raw is None or name == "source":
        raise KeyError(f"unknown Aave v3 market {name!r}; known: {', '.join(market_names())}")
    return AaveMarket(
        name=name,
        chain_id=int(raw["CHAIN_ID"]),
        addresses_provider=raw["POOL_ADDRESSES_PROVIDER"],
        pool=raw["POOL"],
        oracle=raw["ORACLE"],
        data_provider=raw["AAVE_PROTOCOL_DATA_PROVIDER"],
    )


def market_for_chain(chain_id: int) -> AaveMarket:
    for name in market_names():
        market = aave_market(name)
        if market.chain_id == chain_id:
            return market
    raise KeyError(f"no Aave v3 market known for chain id {chain_id}")
