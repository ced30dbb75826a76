"""Stream faults set through the control plane: every open socket of a scope obeys them.

- ``stream_stall``: sockets stay open but send nothing for N seconds (market pushes due in the
  stall are skipped; user events wait and arrive after it, as after a network stall);
- ``stream_duplicate``: each of the next N frames is sent twice;
- ``stream_reorder``: the next N pairs of consecutive user events go out swapped.
``stream_drop`` and ``listen_key_expire`` act at once and live in the hub.
"""

from __future__ import annotations

import threading
import time
from typing import Any, Literal

Kind = Literal["user", "market"]
SCOPES: dict[str, tuple[Kind, ...]] = {
    "all": ("user", "market"),
    "user": ("user",),
    "market": ("market",),
}
STREAM_FAULT_KINDS = (
    "stream_drop",
    "stream_stall",
    "stream_duplicate",
    "stream_reorder",
    "listen_key_expire",
)


def kinds_of(scope: str) -> tuple[Kind, ...]:
    try:
        return SCOPES[scope]
    except KeyError:
        raise ValueError(
            f"stream fault scope must be one of {sorted(SCOPES)}, got {scope!r}"
        ) from None


class StreamFaults:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._stall_until: dict[Kind, float] = {}
        self._duplicates: dict[Kind, int] = {}
        self._reorders = 0

    def stall(self, scope: str, seconds: float) -> None:
        if not 0 < seconds <= 3600:
            raise ValueError(f"stream_stall seconds must be in (0, 3600], got {seconds}")
        until = time.monotonic() + seconds
        with self._lock:
            for kind in kinds_of(scope):
                self._stall_until[kind] = until

    def stalled_for(self, kind: Kind) -> float:
        with self._lock:
            return max(0.0, self._stall_until.get(kind, 0.0) - time.monotonic())

    def duplicate(self, scope: str, count: int) -> None:
        if count < 1:
            raise ValueError(f"stream_duplicate count must be >= 1, got {count}")
        with self._lock:
            for kind in kinds_of(scope):
                self._duplicates[kind] = count

    def take_duplicate(self, kind: Kind) -> bool:
        with self._lock:
            left = self._duplicates.get(kind, 0)
            if left > 0:
                self._duplicates[kind] = left - 1
            return left > 0

    def reorder(self, count: int) -> None:
        if count < 1:
            raise ValueError(f"stream_reorder count must be >= 1, got {count}")
        with self._lock:
            self._reorders = count

    def take_reorder(self) -> bool:
        with self._lock:
            if self._reorders > 0:
                self._reorders -= 1
                return True
            return False

    def clear(self) -> None:
        with self._lock:
            self._stall_until.clear()
            self._duplicates.clear()
            self._reorders = 0

    def describe(self) -> dict[str, Any]:
        with self._lock:
            return {
                "stalled_for": {
                    k: max(0.0, v - time.monotonic()) for k, v in self._stall_until.items()
                },
                "duplicates": dict(self._duplicates),
                "reorders": self._reorders,
            }
