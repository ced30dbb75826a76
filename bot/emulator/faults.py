"""Deterministic, path-scoped fault injection: the next N matching requests misbehave."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

FAULT_KINDS = (
    "http_500",
    "http_502",
    "http_503_unknown",
    "timeout_executed",
    "http_429",
    "http_418",
    "clock_skew_1021",
    "partial_fill",
    "empty_list",  # a 200 with [] where a list was due (positions, balances)
)
MAX_TIMEOUT_SECS = 30.0


@dataclass
class Fault:
    path: str
    kind: str
    remaining: int
    params: dict[str, Any] = field(default_factory=dict)
    method: str | None = None

    def matches(self, method: str, path: str) -> bool:
        if self.method is not None and self.method.upper() != method:
            return False
        if self.path.endswith("*"):
            return path.startswith(self.path[:-1])
        return path == self.path

    def describe(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "kind": self.kind,
            "remaining": self.remaining,
            "params": self.params,
            "method": self.method,
        }


class FaultBook:
    def __init__(self) -> None:
        self.faults: list[Fault] = []
        self.fired: list[dict[str, Any]] = []

    def add(
        self, path: str, kind: str, count: int, params: dict[str, Any], method: str | None
    ) -> Fault:
        if kind not in FAULT_KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {FAULT_KINDS}")
        if count < 1:
            raise ValueError(f"fault count must be >= 1, got {count}")
        if not path.startswith("/"):
            raise ValueError(f"fault path must start with '/', got {path!r}")
        fault = Fault(path=path, kind=kind, remaining=count, params=params, method=method)
        self.faults.append(fault)
        return fault

    def take(self, method: str, path: str) -> Fault | None:
        """Consume one use of the first fault matching this request, if any."""
        if not self.faults:
            return None
        for fault in self.faults:
            if fault.matches(method, path):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self.faults.remove(fault)
                self.fired.append({"method": method, "path": path, "kind": fault.kind})
                return fault
        return None

    def clear(self) -> None:
        self.faults.clear()

    def describe(self) -> list[dict[str, Any]]:
        return [f.describe() for f in self.faults]
