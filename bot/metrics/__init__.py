"""Prometheus metrics and the ``/metrics`` + ``/healthz`` HTTP endpoint."""

from __future__ import annotations

from bot.metrics.health import HealthStatus, HealthTracker, PositionHealth, evaluate_health
from bot.metrics.registry import HedgebotMetrics
from bot.metrics.server import MetricsServer

__all__ = [
    "HealthStatus",
    "HealthTracker",
    "HedgebotMetrics",
    "MetricsServer",
    "PositionHealth",
    "evaluate_health",
]
