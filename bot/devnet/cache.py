"""Build the Aave devnet once, keep it as an anvil state dump, start later chains from it.

The dump (``anvil_dumpState``, hex of gzipped JSON) and the deployment's addresses (JSON) live in
``<tools dir>/cache/`` under a key made of the artifacts' version, the anvil binary and this
package's deployment code, so a change to any of them rebuilds the cache.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from pathlib import Path

from web3 import Web3

from bot.devnet.aave import AaveDeployment, deploy_aave
from bot.devnet.anvil import DEFAULT_CHAIN_ID, AnvilProcess, anvil_binary, tools_dir
from bot.devnet.artifacts import aave_package_version
from bot.devnet.devnet import LIQUIDITY_PROVIDER_INDEX, Devnet

# What the liquidity provider supplies into each reserve so borrowers can borrow.
SEED_LIQUIDITY: dict[str, Decimal] = {
    "WBTC": Decimal(1_000),
    "WETH": Decimal(20_000),
    "WBNB": Decimal(100_000),
    "USDC": Decimal(100_000_000),
    "USDT": Decimal(100_000_000),
}
_SOURCES = ("aave.py", "artifacts.py", "cache.py", "devnet.py")


def cache_dir() -> Path:
    env = os.environ.get("HEDGEBOT_DEVNET_CACHE")
    return Path(env) if env else tools_dir() / "cache"


def cache_key() -> str:
    digest = hashlib.sha256()
    digest.update(aave_package_version().encode())
    binary = anvil_binary()
    digest.update(f"{binary}:{binary.stat().st_size}".encode())
    here = Path(__file__).parent
    for name in _SOURCES:
        digest.update((here / name).read_bytes())
    return f"aave-core-v3-{aave_package_version()}-{digest.hexdigest()[:12]}"


def cached_paths() -> tuple[Path, Path]:
    key = cache_key()
    return cache_dir() / f"devnet-{key}.state", cache_dir() / f"devnet-{key}.addresses.json"


def _atomic_write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    os.replace(tmp, path)  # readers see the whole file or none (parallel builders are fine)


def build_cache() -> tuple[Path, Path]:
    """Deploy on a fresh anvil, seed liquidity, and dump the state. Returns the two paths."""
    state_path, addresses_path = cached_paths()
    with AnvilProcess() as anvil:
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        deployment = deploy_aave(w3, anvil.rpc_url)
        devnet = Devnet(anvil=anvil, w3=w3, deployment=deployment)
        lp = devnet.account(LIQUIDITY_PROVIDER_INDEX)
        for symbol, amount in SEED_LIQUIDITY.items():
            devnet.supply(lp, symbol, amount)
        state = str(anvil.rpc("anvil_dumpState"))
    _atomic_write(state_path, state)
    _atomic_write(addresses_path, deployment.to_json())
    for old in cache_dir().glob("devnet-*"):  # dumps from older artifacts or code
        if old not in (state_path, addresses_path) and not old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)
    return state_path, addresses_path


def ensure_cache() -> tuple[Path, Path]:
    state_path, addresses_path = cached_paths()
    if state_path.is_file() and addresses_path.is_file():
        return state_path, addresses_path
    return build_cache()


@contextmanager
def start_devnet(*, chain_id: int = DEFAULT_CHAIN_ID) -> Iterator[Devnet]:
    """A fresh anvil loaded with the cached Aave deployment (built on first use, ~seconds)."""
    state_path, addresses_path = ensure_cache()
    deployment = AaveDeployment.load(addresses_path)
    with AnvilProcess(chain_id=chain_id) as anvil:
        anvil.rpc("anvil_loadState", state_path.read_text())
        anvil.rpc("anvil_mine", "0x1")  # a block at the current time after the dump's last one
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        yield Devnet(anvil=anvil, w3=w3, deployment=replace(deployment, chain_id=chain_id))
