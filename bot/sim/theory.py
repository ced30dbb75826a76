"""Closed forms the simulator is validated against."""

from __future__ import annotations

import math

from bot.sim.params import HOURS_PER_YEAR

BGK_BETA = 0.5826  # -zeta(1/2) / sqrt(2 pi), Broadie-Glasserman-Kou (1997)


def _phi(x: float) -> float:
    return 0.5 * math.erfc(-x / math.sqrt(2.0))


def gbm_down_hit_probability(
    *, s0: float, barrier: float, mu: float, sigma: float, t_years: float
) -> float:
    """P(min_{t<=T} S_t <= barrier) for continuously monitored GBM dS = mu S dt + sigma S dW."""
    if barrier >= s0:
        return 1.0
    if sigma <= 0 or t_years <= 0:
        return 0.0
    b = math.log(barrier / s0)
    nu = mu - 0.5 * sigma**2
    st = sigma * math.sqrt(t_years)
    return _phi((b - nu * t_years) / st) + math.exp(2.0 * nu * b / sigma**2) * _phi(
        (b + nu * t_years) / st
    )


def discrete_down_hit_probability(
    *, s0: float, barrier: float, mu: float, sigma: float, horizon_hours: float, dt_hours: float
) -> float:
    """The same for monitoring every ``dt_hours``, by the BGK continuity correction: a discretely
    watched down barrier behaves like a continuous one shifted down by exp(-beta sigma sqrt(dt))."""
    dt = dt_hours / HOURS_PER_YEAR
    shifted = barrier * math.exp(-BGK_BETA * sigma * math.sqrt(dt))
    return gbm_down_hit_probability(
        s0=s0, barrier=shifted, mu=mu, sigma=sigma, t_years=horizon_hours / HOURS_PER_YEAR
    )
