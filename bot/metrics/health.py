"""Is the daemon healthy? Healthy while every critical loop's latest success is younger than
``max_missed`` × its interval (and, before the first success, while the daemon itself is
younger than that). A late non-critical loop (a hedger during an exchange outage) is reported
as degraded without failing the check: the guard is what must keep running."""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionHealth:
    interval_s: float
    last_success: datetime | None
    critical: bool = True
    state: str = ""  # what the loop says of itself ("paused", "stopped by operator", ...)


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthStatus:
    healthy: bool
    reason: str
    positions: Mapping[str, Mapping[str, Any]]

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "reason": self.reason,
            "positions": dict(self.positions),
        }


def evaluate_health(
    *,
    now: datetime,
    started_at: datetime,
    positions: Mapping[str, PositionHealth],
    max_missed: int,
) -> HealthStatus:
    """Pure: the health of a daemon that started at ``started_at``, seen at ``now``."""
    problems: list[str] = []
    degraded: list[str] = []
    details: dict[str, dict[str, Any]] = {}
    for name in sorted(positions):
        position = positions[name]
        limit_s = max_missed * position.interval_s
        reference = position.last_success or started_at
        age_s = (now - reference).total_seconds()
        details[name] = {
            "last_success": None
            if position.last_success is None
            else position.last_success.isoformat(),
            "age_s": round(age_s, 3),
            "limit_s": limit_s,
            "critical": position.critical,
            "state": position.state,
        }
        if age_s > limit_s:
            late = (
                f"{name}: no successful cycle in {age_s:.1f} s since start (limit {limit_s:g} s)"
                if position.last_success is None
                else f"{name}: last successful cycle {age_s:.1f} s ago (limit {limit_s:g} s)"
            )
            (problems if position.critical else degraded).append(late)
    if problems:
        return HealthStatus(healthy=False, reason="; ".join(problems + degraded), positions=details)
    reason = "all positions cycling" if positions else "no positions registered"
    if degraded:
        reason = "degraded: " + "; ".join(degraded)
    return HealthStatus(healthy=True, reason=reason, positions=details)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class HealthTracker:
    """Thread-safe holder of each position's last success, read by the ``/healthz`` handler."""

    def __init__(
        self,
        *,
        max_missed: int = 3,
        clock: Callable[[], datetime] = _utc_now,
        started_at: datetime | None = None,
    ) -> None:
        if max_missed < 1:
            raise ValueError(f"max_missed must be >= 1, got {max_missed}")
        self._max_missed = max_missed
        self._clock = clock
        self._started_at = started_at or clock()
        self._positions: dict[str, PositionHealth] = {}
        self._lock = threading.Lock()

    def register(self, position: str, *, interval_s: float, critical: bool = True) -> None:
        """Track ``position``, which should succeed at least every ``interval_s`` seconds."""
        if interval_s <= 0:
            raise ValueError(f"interval_s of {position} must be > 0, got {interval_s}")
        with self._lock:
            previous = self._positions.get(position)
            self._positions[position] = PositionHealth(
                interval_s=interval_s,
                last_success=None if previous is None else previous.last_success,
                critical=critical,
                state="" if previous is None else previous.state,
            )

    def set_state(self, position: str, state: str) -> None:
        """What ``/healthz`` shows for the loop besides its timing (e.g. "stopped")."""
        with self._lock:
            current = self._positions[position]
            self._positions[position] = replace(current, state=state)

    def record_success(self, position: str, at: datetime) -> None:
        with self._lock:
            if position not in self._positions:
                raise KeyError(f"position {position!r} was never registered for health checks")
            current = self._positions[position]
            if current.last_success is None or at > current.last_success:
                self._positions[position] = replace(current, last_success=at)

    def status(self) -> HealthStatus:
        with self._lock:
            positions = dict(self._positions)
        return evaluate_health(
            now=self._clock(),
            started_at=self._started_at,
            positions=positions,
            max_missed=self._max_missed,
        )
