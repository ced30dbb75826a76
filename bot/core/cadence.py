"""How soon the next cycle runs: a pure function of what the last cycle saw."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Cadence:
    interval_secs: float
    fast_interval_secs: float
    alert_hf: Decimal
    fast_below_liq_distance: Decimal


def next_interval_secs(
    cadence: Cadence,
    *,
    health_factors: Iterable[Decimal | None],
    liquidation_distances: Iterable[Decimal | None],
) -> float:
    """``fast_interval`` while any HF (oracle or shadow) is under ``alert_hf`` or any
    underlying is closer to its liquidation price than ``fast_below_liq_distance``."""
    if any(hf is not None and hf < cadence.alert_hf for hf in health_factors):
        return cadence.fast_interval_secs
    if any(d is not None and d < cadence.fast_below_liq_distance for d in liquidation_distances):
        return cadence.fast_interval_secs
    return cadence.interval_secs
