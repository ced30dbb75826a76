"""Compiled Venus artifacts (hardhat format) unpacked by ``fetch-venus-artifacts.sh``.

``<tools dir>/venus/<package>/artifacts/`` for the npm packages pinned in
``venus-packages.txt``: ``venus-protocol`` (core pool), ``governance-contracts``
(AccessControlManager) and ``oracle`` (ResilientOracle, ChainlinkOracle, BoundValidator).
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from web3 import Web3

from bot.devnet.anvil import DevnetError, tools_dir
from bot.devnet.artifacts import Artifact

VENUS_DIR = Path("venus")
CORE = "venus-protocol"
GOVERNANCE = "governance-contracts"
ORACLE = "oracle"
PACKAGES = (CORE, GOVERNANCE, ORACLE)


def venus_dir() -> Path:
    path = tools_dir() / VENUS_DIR
    if not (path / ".installed").is_file():
        raise DevnetError(
            f"Venus artifacts not found under {path}: run `make install` "
            "(bot/devnet/fetch-venus-artifacts.sh) or set HEDGEBOT_TOOLS_DIR"
        )
    return path


def venus_pins() -> str:
    """The pin file the artifacts were fetched with (package versions and tarball hashes)."""
    return (venus_dir() / "venus-packages.txt").read_text()


def venus_package_version(package: str = CORE) -> str:
    meta = json.loads((venus_dir() / package / "package.json").read_text())
    return str(meta["version"])


@cache
def _artifact_index(package: str) -> dict[str, tuple[Path, ...]]:
    index: dict[str, list[Path]] = {}
    for path in sorted((venus_dir() / package / "artifacts").rglob("*.json")):
        index.setdefault(path.stem, []).append(path)
    return {name: tuple(paths) for name, paths in index.items()}


@cache
def load_venus_artifact(name: str, package: str = CORE) -> Artifact:
    """The artifact ``name`` from ``package``; a name compiled from two sources is an error
    rather than a silent pick."""
    paths = _artifact_index(package).get(name, ())
    if not paths:
        raise DevnetError(f"no artifact named {name} in {venus_dir() / package}/artifacts")
    if len(paths) > 1:
        raise DevnetError(f"artifact name {name} is ambiguous in {package}: {list(paths)}")
    raw = json.loads(paths[0].read_text())
    if raw.get("linkReferences"):
        raise DevnetError(f"{name} needs linked libraries; the Venus devnet links none")
    return Artifact(name=name, abi=raw["abi"], bytecode=raw["bytecode"], link_references={})


def merged_abi(*artifacts: Artifact) -> list[dict[str, Any]]:
    """One ABI from several (the comptroller answers for its Diamond and every facet), each
    function and event once."""
    seen: set[str] = set()
    out: list[dict[str, Any]] = []
    for art in artifacts:
        for entry in art.abi:
            if entry["type"] not in ("function", "event", "error"):
                continue
            key = f"{entry['type']} {signature(entry)}"
            if key not in seen:
                seen.add(key)
                out.append(entry)
    return out


def signature(entry: dict[str, Any]) -> str:
    """``name(type,...)`` as Solidity hashes it for selectors and event topics."""
    return f"{entry.get('name')}({','.join(_canonical_type(i) for i in entry.get('inputs', []))})"


def selector(entry: dict[str, Any]) -> bytes:
    return bytes(Web3.keccak(text=signature(entry))[:4])


def _canonical_type(param: dict[str, Any]) -> str:
    kind = str(param["type"])
    if kind.startswith("tuple"):
        inner = ",".join(_canonical_type(c) for c in param["components"])
        return f"({inner}){kind.removeprefix('tuple')}"
    return kind
