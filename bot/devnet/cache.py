"""The Aave devnet, built once and kept as an anvil state dump (``bot.devnet.dump``); later
chains start from it in a fraction of a second."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from web3 import Web3

from bot.devnet.aave import AaveDeployment, deploy_aave
from bot.devnet.anvil import DEFAULT_CHAIN_ID, LOOPBACK, AnvilProcess
from bot.devnet.artifacts import aave_package_version
from bot.devnet.devnet import LIQUIDITY_PROVIDER_INDEX, Devnet
from bot.devnet.dump import DumpRecipe, build_dump, cached_or_built, start_from_dump

# What the liquidity provider supplies into each reserve so borrowers can borrow.
SEED_LIQUIDITY: dict[str, Decimal] = {
    "WBTC": Decimal(1_000),
    "WETH": Decimal(20_000),
    "WBNB": Decimal(100_000),
    "USDC": Decimal(100_000_000),
    "USDT": Decimal(100_000_000),
}


def _deploy(anvil: AnvilProcess, w3: Web3) -> Devnet:
    return Devnet(anvil=anvil, w3=w3, deployment=deploy_aave(w3, anvil.rpc_url))


def _reopen(anvil: AnvilProcess, w3: Web3, addresses: Path, chain_id: int) -> Devnet:
    deployment = replace(AaveDeployment.load(addresses), chain_id=chain_id)
    return Devnet(anvil=anvil, w3=w3, deployment=deployment)


AAVE_DUMP = DumpRecipe(
    prefix="devnet-",
    label=lambda: f"aave-core-v3-{aave_package_version()}",
    pins=aave_package_version,
    sources=("aave.py", "artifacts.py", "cache.py", "devnet.py", "dump.py", "anvil.py"),
    deploy=_deploy,
    reopen=_reopen,
    seed=SEED_LIQUIDITY,
    liquidity_provider=LIQUIDITY_PROVIDER_INDEX,
)


def build_cache() -> tuple[Path, Path]:
    return build_dump(AAVE_DUMP)


def ensure_cache() -> tuple[Path, Path]:
    return cached_or_built(AAVE_DUMP, build_cache)


@contextmanager
def start_devnet(
    *, chain_id: int = DEFAULT_CHAIN_ID, host: str = LOOPBACK, port: int | None = None
) -> Iterator[Devnet]:
    """A fresh anvil loaded with the cached Aave deployment (built on first use, ~seconds)."""
    with start_from_dump(
        AAVE_DUMP, ensure_cache(), chain_id=chain_id, host=host, port=port
    ) as devnet:
        yield devnet
