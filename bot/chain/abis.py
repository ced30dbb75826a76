"""ABIs copied from the npm packages by ``bot.chain.generate_abis`` (each file names its source)."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

ABI_DIR = Path(__file__).parent / "abi"


@cache
def load_abi(name: str) -> list[dict[str, Any]]:
    path = ABI_DIR / f"{name}.json"
    if not path.is_file():
        raise FileNotFoundError(
            f"ABI {name} missing: {path} (run python -m bot.chain.generate_abis)"
        )
    abi: list[dict[str, Any]] = json.loads(path.read_text())["abi"]
    return abi
