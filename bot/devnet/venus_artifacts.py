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

# Venus's Compound-style error enums (contracts/Utils/ErrorReporter.sol), to name the codes
# that `Failure` events and uint return values carry.
COMPTROLLER_ERRORS = (
    "NO_ERROR", "UNAUTHORIZED", "COMPTROLLER_MISMATCH", "INSUFFICIENT_SHORTFALL",
    "INSUFFICIENT_LIQUIDITY", "INVALID_CLOSE_FACTOR", "INVALID_COLLATERAL_FACTOR",
    "INVALID_LIQUIDATION_INCENTIVE", "MARKET_NOT_ENTERED", "MARKET_NOT_LISTED",
    "MARKET_ALREADY_LISTED", "MATH_ERROR", "NONZERO_BORROW_BALANCE", "PRICE_ERROR", "REJECTION",
    "SNAPSHOT_ERROR", "TOO_MANY_ASSETS", "TOO_MUCH_REPAY", "INSUFFICIENT_BALANCE_FOR_VAI",
    "MARKET_NOT_COLLATERAL", "INVALID_LIQUIDATION_THRESHOLD",
)  # fmt: skip
TOKEN_ERRORS = (
    "NO_ERROR", "UNAUTHORIZED", "BAD_INPUT", "COMPTROLLER_REJECTION",
    "COMPTROLLER_CALCULATION_ERROR", "INTEREST_RATE_MODEL_ERROR", "INVALID_ACCOUNT_PAIR",
    "INVALID_CLOSE_AMOUNT_REQUESTED", "INVALID_COLLATERAL_FACTOR", "MATH_ERROR",
    "MARKET_NOT_FRESH", "MARKET_NOT_LISTED", "TOKEN_INSUFFICIENT_ALLOWANCE",
    "TOKEN_INSUFFICIENT_BALANCE", "TOKEN_INSUFFICIENT_CASH", "TOKEN_TRANSFER_IN_FAILED",
    "TOKEN_TRANSFER_OUT_FAILED", "TOKEN_PRICE_ERROR",
)  # fmt: skip


def error_name(code: int, names: tuple[str, ...]) -> str:
    return names[code] if 0 <= code < len(names) else f"error {code}"


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
