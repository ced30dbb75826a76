"""The Venus devnet, built once and kept as an anvil state dump (``bot.devnet.dump``), keyed
by the pinned Venus packages (``venus-packages.txt``); later chains start from it."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from web3 import Web3

from bot.devnet.anvil import DEFAULT_CHAIN_ID, LOOPBACK, AnvilProcess
from bot.devnet.dump import DumpRecipe, build_dump, cached_or_built, dump_paths, start_from_dump
from bot.devnet.venus import VenusDeployment, deploy_venus
from bot.devnet.venus_artifacts import venus_package_version, venus_pins
from bot.devnet.venus_devnet import LIQUIDITY_PROVIDER_INDEX, VenusDevnet

# What the liquidity provider supplies into each market so borrowers can borrow.
SEED_LIQUIDITY: dict[str, Decimal] = {
    "BNB": Decimal(100_000),
    "BTCB": Decimal(1_000),
    "ETH": Decimal(20_000),
    "USDT": Decimal(100_000_000),
    "USDC": Decimal(100_000_000),
    "XRP": Decimal(10_000_000),
    "DOGE": Decimal(50_000_000),
    "FDUSD": Decimal(100_000_000),
}


def _deploy(anvil: AnvilProcess, w3: Web3) -> VenusDevnet:
    return VenusDevnet(anvil=anvil, w3=w3, deployment=deploy_venus(w3, anvil.rpc_url))


def _reopen(anvil: AnvilProcess, w3: Web3, addresses: Path, chain_id: int) -> VenusDevnet:
    deployment = replace(VenusDeployment.load(addresses), chain_id=chain_id)
    return VenusDevnet(anvil=anvil, w3=w3, deployment=deployment)


VENUS_DUMP = DumpRecipe(
    prefix="venus-devnet-",
    label=venus_package_version,
    pins=venus_pins,
    sources=(
        "venus.py", "venus_artifacts.py", "venus_cache.py", "venus_devnet.py", "aave.py",
        "artifacts.py", "fetch-venus-artifacts.sh", "dump.py", "anvil.py",
    ),
    deploy=_deploy,
    reopen=_reopen,
    seed=SEED_LIQUIDITY,
    liquidity_provider=LIQUIDITY_PROVIDER_INDEX,
)  # fmt: skip


def cached_paths() -> tuple[Path, Path]:
    return dump_paths(VENUS_DUMP)


def build_cache() -> tuple[Path, Path]:
    return build_dump(VENUS_DUMP)


def ensure_venus_cache() -> tuple[Path, Path]:
    return cached_or_built(VENUS_DUMP, build_cache)


@contextmanager
def start_venus_devnet(
    *, chain_id: int = DEFAULT_CHAIN_ID, host: str = LOOPBACK, port: int | None = None
) -> Iterator[VenusDevnet]:
    """A fresh anvil loaded with the cached Venus core pool (built on first use, seconds)."""
    with start_from_dump(
        VENUS_DUMP, ensure_venus_cache(), chain_id=chain_id, host=host, port=port
    ) as devnet:
        yield devnet
