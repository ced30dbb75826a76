"""Compiled Aave v3 artifacts from the npm package ``@aave/core-v3`` (hardhat format)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from bot.devnet.anvil import DevnetError, tools_dir

AAVE_PACKAGE = Path("node_modules/@aave/core-v3")
VIEM_CONTRACTS_JS = Path("node_modules/viem/_cjs/constants/contracts.js")


@dataclass(frozen=True, slots=True, kw_only=True)
class Artifact:
    name: str
    abi: list[dict[str, Any]]
    bytecode: str  # creation code, hex with 0x, library placeholders unresolved
    # library name -> byte offsets of its 20-byte placeholders in the creation code
    link_references: dict[str, tuple[int, ...]]

    def linked_bytecode(self, libraries: dict[str, str]) -> str:
        # placeholders ("__$<hash>$__") are 40 hex chars at the given byte offsets
        code = self.bytecode.removeprefix("0x")
        for lib, offsets in self.link_references.items():
            if lib not in libraries:
                raise DevnetError(f"{self.name} needs library {lib}, not deployed yet")
            addr = libraries[lib].removeprefix("0x").lower()
            for start in offsets:
                code = code[: 2 * start] + addr + code[2 * start + 40 :]
        bytes.fromhex(code)  # every placeholder resolved, or this raises
        return "0x" + code


def aave_package_dir() -> Path:
    path = tools_dir() / AAVE_PACKAGE
    if not (path / "artifacts").is_dir():
        raise DevnetError(
            f"Aave v3 artifacts not found under {path}/artifacts: run `make install` "
            "(npm package @aave/core-v3) or set HEDGEBOT_TOOLS_DIR"
        )
    return path


def aave_package_version() -> str:
    meta = json.loads((aave_package_dir() / "package.json").read_text())
    return str(meta["version"])


@cache
def _artifact_index() -> dict[str, Path]:
    index: dict[str, Path] = {}
    root = aave_package_dir() / "artifacts" / "contracts"
    for path in root.rglob("*.json"):
        if path.name.endswith(".dbg.json"):
            continue
        # first hit wins; contract names are unique in this package except interfaces we skip
        index.setdefault(path.stem, path)
    return index


@cache
def load_artifact(name: str) -> Artifact:
    path = _artifact_index().get(name)
    if path is None:
        raise DevnetError(f"no artifact named {name} under {aave_package_dir()}/artifacts")
    raw = json.loads(path.read_text())
    refs: dict[str, tuple[int, ...]] = {}
    for libs in raw.get("linkReferences", {}).values():
        for lib, spots in libs.items():
            refs[lib] = tuple(int(s["start"]) for s in spots)
    return Artifact(name=name, abi=raw["abi"], bytecode=raw["bytecode"], link_references=refs)


@cache
def multicall3_creation_code() -> str:
    """Multicall3's creation code, as shipped by the npm package ``viem``
    (``constants/contracts.js: multicall3Bytecode``; installed with the Aave address book)."""
    path = tools_dir() / VIEM_CONTRACTS_JS
    if not path.is_file():
        raise DevnetError(f"Multicall3 bytecode source not found: {path} (npm package viem)")
    for line in path.read_text().splitlines():
        if line.startswith("exports.multicall3Bytecode = '0x"):
            return line.split("'")[1]
    raise DevnetError(f"multicall3Bytecode not found in {path}")
