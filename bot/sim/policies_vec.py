"""Vectorised float versions of the risk core's hedge policies (issue 3 formulas).

Each returns the wanted short in USD per underlying, shape (n_underlyings, n_paths), >= 0.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.sim.lending_vec import LoanBook
from bot.sim.params import PolicySpec

F64 = npt.NDArray[np.float64]


class LadderState:
    """Hysteresis memory: the ratio only moves once HF has moved ``hysteresis_hf`` away from
    the HF at which it was last set, so a price wobbling around one HF does not churn."""

    def __init__(self, n_paths: int) -> None:
        self.hf_ref = np.full(n_paths, np.nan)
        self.ratio = np.zeros(n_paths)

    def update(self, spec: PolicySpec, hf: F64) -> F64:
        with np.errstate(invalid="ignore"):  # inf HF (no debt) minus inf ref is nan: no move
            move = np.isnan(self.hf_ref) | (np.abs(hf - self.hf_ref) >= spec.hysteresis_hf)
        if move.any():
            span = spec.hf_high - spec.hf_low
            w = np.clip((spec.hf_high - hf[move]) / span, 0.0, 1.0)
            self.ratio[move] = spec.r_min + w * (spec.r_max - spec.r_min)
            self.hf_ref[move] = hf[move]
        return self.ratio


def liquidation_price(loan: LoanBook, s: F64) -> F64:
    """Per underlying, the price at which HF = 1 holding the others fixed; <= 0 when that
    underlying cannot cause liquidation on its own."""
    own = loan.coll * s * loan.lt
    others = own.sum(axis=0) - own
    w = loan.coll * loan.lt
    with np.errstate(divide="ignore", invalid="ignore"):
        p = (loan.debt - others) / w
    return np.where(w > 0, p, 0.0)


def target_short_usd(
    spec: PolicySpec, loan: LoanBook, s: F64, margin_delta: F64 | float, ladder: LadderState | None
) -> F64:
    delta = loan.coll * s + margin_delta
    kind = spec.kind
    if kind == "none":
        return np.zeros_like(s)
    if kind == "ratio":
        return np.maximum(spec.r * delta, 0.0)
    if kind == "loss_fraction":
        return spec.f * (1.0 - loan.lt) * loan.coll * s
    if kind == "health_target":
        cap = np.maximum(spec.r_max * delta, 0.0)
        p_liq = liquidation_price(loan, s)
        with np.errstate(divide="ignore", invalid="ignore"):
            h = loan.debt * (1.0 - 1.0 / spec.target_hf) / (1.0 - p_liq / s)
        h = np.where(p_liq <= 0, 0.0, np.where(p_liq >= s, cap, np.minimum(h, cap)))
        return np.maximum(h, 0.0)
    if kind == "ladder":
        if ladder is None:
            raise ValueError("ladder policy needs a LadderState")
        ratio = ladder.update(spec, loan.health_factor(s))
        return np.maximum(ratio * delta, 0.0)
    raise ValueError(f"unknown policy kind {kind!r}")
