"""Build the Venus devnet once, keep it as an anvil state dump, start later chains from it.

Like the Aave cache (``cache.py``): the dump and the deployment's addresses live in
``<tools dir>/cache/`` as ``venus-devnet-<key>.*``, the key made of the pinned Venus packages,
the anvil binary and the deployment code, so a change to any of them rebuilds the cache.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from web3 import Web3

from bot.devnet.anvil import DEFAULT_CHAIN_ID, AnvilProcess, anvil_binary
from bot.devnet.cache import _atomic_write, cache_dir
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
_SOURCES = (
    "venus.py", "venus_artifacts.py", "venus_cache.py", "venus_devnet.py", "aave.py",
    "artifacts.py", "fetch-venus-artifacts.sh",
)  # fmt: skip
_PREFIX = "venus-devnet-"


def cache_key() -> str:
    digest = hashlib.sha256()
    digest.update(venus_pins().encode())
    binary = anvil_binary()
    digest.update(f"{binary}:{binary.stat().st_size}".encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return f"{venus_package_version()}-{digest.hexdigest()[:12]}"


def cached_paths() -> tuple[Path, Path]:
    stem = f"{_PREFIX}{cache_key()}"
    return cache_dir() / f"{stem}.state", cache_dir() / f"{stem}.addresses.json"


def build_cache() -> tuple[Path, Path]:
    """Deploy on a fresh anvil, seed liquidity, and dump the state. Returns the two paths."""
    state_path, addresses_path = cached_paths()
    with AnvilProcess() as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        deployment = deploy_venus(w3, anvil.rpc_url)
        devnet = VenusDevnet(anvil=anvil, w3=w3, deployment=deployment)
        lp = devnet.account(LIQUIDITY_PROVIDER_INDEX)
        for symbol, amount in SEED_LIQUIDITY.items():
            devnet.supply(lp, symbol, amount)
        state = str(anvil.rpc("anvil_dumpState"))
    _atomic_write(state_path, state)
    _atomic_write(addresses_path, deployment.to_json())
    for old in cache_dir().glob(f"{_PREFIX}*"):  # dumps from older artifacts or code
        if old not in (state_path, addresses_path) and not old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)
    return state_path, addresses_path


def ensure_venus_cache() -> tuple[Path, Path]:
    state_path, addresses_path = cached_paths()
    if state_path.is_file() and addresses_path.is_file():
        return state_path, addresses_path
    return build_cache()


@contextmanager
def start_venus_devnet(*, chain_id: int = DEFAULT_CHAIN_ID) -> Iterator[VenusDevnet]:
    """A fresh anvil loaded with the cached Venus core pool (built on first use, seconds)."""
    state_path, addresses_path = ensure_venus_cache()
    deployment = VenusDeployment.load(addresses_path)
    with AnvilProcess(chain_id=chain_id) as anvil:
        anvil.rpc("anvil_loadState", state_path.read_text())
        anvil.rpc("anvil_mine", "0x1")  # a block at the current time after the dump's last one
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        yield VenusDevnet(anvil=anvil, w3=w3, deployment=replace(deployment, chain_id=chain_id))
