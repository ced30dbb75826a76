"""Build a protocol's devnet once, keep it as an anvil state dump, start later chains from it.

The dump (``anvil_dumpState``, hex of gzipped JSON) and the deployment's addresses (JSON) live in
``<tools dir>/cache/`` as ``<prefix><key>.*``, the key made of the pinned packages, the anvil
binary and the deployment code, so a change to any of them rebuilds the cache. Each protocol
(``cache.py`` for Aave, ``venus_cache.py``) says how by a ``DumpRecipe``.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Generic, Protocol, TypeVar

from web3 import Web3

from bot.devnet.anvil import LOOPBACK, AnvilProcess, anvil_binary, tools_dir

__all__ = [
    "DumpRecipe",
    "build_dump",
    "cache_dir",
    "cached_or_built",
    "dump_paths",
    "start_from_dump",
]


class _Addresses(Protocol):
    def to_json(self) -> str: ...


class SeedableDevnet(Protocol):
    @property
    def deployment(self) -> _Addresses: ...

    def account(self, index: int) -> str: ...

    def supply(self, wallet: str, symbol: str, amount: Decimal) -> None: ...


D = TypeVar("D", bound=SeedableDevnet)


@dataclass(frozen=True, slots=True, kw_only=True)
class DumpRecipe(Generic[D]):
    """How one protocol's devnet is deployed, seeded, keyed and reopened from its dump."""

    prefix: str  # of the cache files: no prefix may start another's (old dumps are deleted)
    label: Callable[[], str]  # the pinned package version, first in the key
    pins: Callable[[], str]  # what pins the artifacts (versions, tarball hashes), hashed
    sources: tuple[str, ...]  # this package's files that shape the deployment, hashed
    deploy: Callable[[AnvilProcess, Web3], D]
    reopen: Callable[[AnvilProcess, Web3, Path, int], D]  # the addresses file, the chain id
    seed: Mapping[str, Decimal]  # what the liquidity provider supplies to each market
    liquidity_provider: int  # its anvil account


def cache_dir() -> Path:
    env = os.environ.get("HEDGEBOT_DEVNET_CACHE")
    return Path(env) if env else tools_dir() / "cache"


def _key(recipe: DumpRecipe[D]) -> str:
    digest = hashlib.sha256()
    digest.update(recipe.pins().encode())
    binary = anvil_binary()
    digest.update(f"{binary}:{binary.stat().st_size}".encode())
    here = Path(__file__).parent
    for name in recipe.sources:
        digest.update((here / name).read_bytes())
    return f"{recipe.label()}-{digest.hexdigest()[:12]}"


def dump_paths(recipe: DumpRecipe[D]) -> tuple[Path, Path]:
    stem = f"{recipe.prefix}{_key(recipe)}"
    return cache_dir() / f"{stem}.state", cache_dir() / f"{stem}.addresses.json"


def atomic_write_text(path: Path, text: str) -> None:
    """``text`` to ``path``, readable by its owner only (mkstemp's 0600): readers see the whole
    file or none (parallel writers are fine); a failed write leaves no temporary behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            fh.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def build_dump(recipe: DumpRecipe[D]) -> tuple[Path, Path]:
    """Deploy on a fresh anvil, seed liquidity, and dump the state. Returns the two paths."""
    state_path, addresses_path = dump_paths(recipe)
    with AnvilProcess() as anvil:
        devnet = recipe.deploy(anvil, Web3(Web3.HTTPProvider(anvil.rpc_url)))
        lp = devnet.account(recipe.liquidity_provider)
        for symbol, amount in recipe.seed.items():
            devnet.supply(lp, symbol, amount)
        state = str(anvil.rpc("anvil_dumpState"))
    atomic_write_text(state_path, state)
    atomic_write_text(addresses_path, devnet.deployment.to_json())
    for old in cache_dir().glob(f"{recipe.prefix}*"):  # dumps from older artifacts or code
        if old not in (state_path, addresses_path) and not old.name.endswith(".tmp"):
            old.unlink(missing_ok=True)
    return state_path, addresses_path


def cached_or_built(
    recipe: DumpRecipe[D], build: Callable[[], tuple[Path, Path]]
) -> tuple[Path, Path]:
    state_path, addresses_path = dump_paths(recipe)
    if state_path.is_file() and addresses_path.is_file():
        return state_path, addresses_path
    return build()


@contextmanager
def start_from_dump(
    recipe: DumpRecipe[D],
    paths: tuple[Path, Path],
    *,
    chain_id: int,
    host: str = LOOPBACK,
    port: int | None = None,
) -> Iterator[D]:
    """A fresh anvil loaded with the dump at ``paths``, listening on ``host``:``port`` (a free
    loopback port by default)."""
    state_path, addresses_path = paths
    with AnvilProcess(chain_id=chain_id, host=host, port=port) as anvil:
        anvil.rpc("anvil_loadState", state_path.read_text())
        anvil.rpc("anvil_mine", "0x1")  # a block at the current time after the dump's last one
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        yield recipe.reopen(anvil, w3, addresses_path, chain_id)
