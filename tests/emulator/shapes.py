"""Compare emulator JSON with Binance's official examples: same keys, same JSON types."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EXAMPLES_DIR = Path("/work/shared/reference/binance-examples")
WALLET_EXAMPLES = Path(__file__).parent / "resources" / "binance_wallet_examples.json"
_CACHE: dict[str, Any] = {}


def example(ref: str) -> Any:
    """``"usdm:new_order"`` → the example response body."""
    file, key = ref.split(":")
    if file not in _CACHE:
        path = EXAMPLES_DIR / f"{file}.json"
        assert path.exists(), f"official examples missing at {path}"
        _CACHE[file] = json.loads(path.read_text())
    return _CACHE[file][key]["response"]


def _kind(value: Any) -> str:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    if value is None:
        return "null"
    return type(value).__name__


def assert_shape(ours: Any, ref: str, *, skip: tuple[str, ...] = ()) -> None:
    _compare(ours, example(ref), ref, skip)


def wallet_example(key: str) -> Any:
    if "wallet" not in _CACHE:
        _CACHE["wallet"] = json.loads(WALLET_EXAMPLES.read_text())
    return _CACHE["wallet"][key]


def assert_wallet_shape(
    ours: Any, key: str, *, skip: tuple[str, ...] = (), exact: bool = True
) -> None:
    """Like ``assert_shape`` against the wallet examples; ``exact``: no key beyond the
    example's either (field for field)."""
    _compare(ours, wallet_example(key), f"wallet:{key}", skip, exact=exact)


def _compare(
    ours: Any, theirs: Any, where: str, skip: tuple[str, ...], *, exact: bool = False
) -> None:
    if theirs == "None":  # docs artefact for a nullable string
        return
    if isinstance(theirs, dict):
        assert isinstance(ours, dict), f"{where}: expected object, got {ours!r}"
        missing = [k for k in theirs if k not in ours and k not in skip]
        assert not missing, f"{where}: keys missing {missing}"
        extra = [k for k in ours if k not in theirs and k not in skip]
        assert not (exact and extra), f"{where}: keys the example does not have {extra}"
        for key, value in theirs.items():
            if key not in skip:
                _compare(ours[key], value, f"{where}.{key}", skip, exact=exact)
        return
    if isinstance(theirs, list):
        assert isinstance(ours, list), f"{where}: expected array, got {ours!r}"
        if theirs and theirs != [""]:
            assert ours, f"{where}: expected a non-empty array to compare"
            for item in ours:
                _compare(item, theirs[0], f"{where}[]", skip, exact=exact)
        return
    assert _kind(ours) == _kind(theirs), (
        f"{where}: JSON type {_kind(ours)} ({ours!r}) differs from example {_kind(theirs)} "
        f"({theirs!r})"
    )
