"""JSON that round-trips Decimals exactly (for the paper exchange's persisted state).

A Decimal is written as ``{"$decimal": "0.1"}`` and read back as ``Decimal("0.1")``. Floats are
refused: a float in money state is a bug upstream, and storing it would hide the bug.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from decimal import Decimal
from typing import Any

_TAG = "$decimal"


def _encodable(value: Any, path: str) -> Any:
    if value is None or isinstance(value, bool | int | str):
        return value
    if isinstance(value, Decimal):
        return {_TAG: str(value)}
    if isinstance(value, float):
        raise TypeError(f"state at {path} is a float ({value!r}); store money as Decimal")
    if isinstance(value, Mapping):
        out: dict[str, Any] = {}
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(f"state at {path} has a non-string key {key!r}")
            if key == _TAG:
                raise ValueError(f"state at {path} uses the reserved key {_TAG!r}")
            out[key] = _encodable(item, f"{path}.{key}")
        return out
    if isinstance(value, list | tuple):
        return [_encodable(item, f"{path}[{index}]") for index, item in enumerate(value)]
    raise TypeError(f"state at {path} has a {type(value).__name__}, which JSON cannot hold")


def _decode_object(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and _TAG in obj:
        return Decimal(obj[_TAG])
    return obj


def dumps(state: Mapping[str, Any]) -> str:
    return json.dumps(_encodable(state, "$"), sort_keys=True, separators=(",", ":"))


def loads(raw: str) -> dict[str, Any]:
    value = json.loads(raw, object_hook=_decode_object)
    if not isinstance(value, dict):
        raise ValueError(f"stored state is a {type(value).__name__}, expected an object")
    return value
