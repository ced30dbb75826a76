"""Vectorised float versions of the risk core's hedge policies (issue 3 formulas).

Each returns the wanted short in USD per underlying, shape (n_underlyings, n_paths), equal to
``bot.core.policy.evaluate`` on the same position (``tests/sim/test_policy_parity.py``). The
domain is the Monte Carlo's: long collateral against a dollar debt, token = underlying (beta
1), so every underlying's delta is >= 0.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.sim.lending_vec import LoanBook
from bot.sim.params import PolicySpec

F64 = npt.NDArray[np.float64]


class LadderState:
    """The ratio each path's ladder applied last step (``bot.core.policy.LadderState`` per path).

    The core's rule, over paths: ``ratio = max(curve(hf), min(last, curve(hf - hysteresis)))``.
    The ratio rises with the curve at once and only comes down once HF has recovered by
    ``hysteresis_hf`` beyond where it went up, so a price wobbling around one HF does not churn.
    The core keeps one state per underlying; every underlying sees the account's one HF and the
    same policy, so their states are equal and one per path is enough.
    """

    def __init__(self, n_paths: int) -> None:
        # 0 stands for the core's "no state yet": the curve never goes below r_min >= 0, so
        # max(curve(hf), min(0, ...)) is the curve, as the core's first cycle.
        self.ratio = np.zeros(n_paths)

    def update(self, spec: PolicySpec, hf: F64) -> F64:
        span = spec.hf_high - spec.hf_low
        at = hf - spec.hf_low
        at /= span  # where HF sits on the ladder: <= 0 at hf_low, >= 1 at hf_high (inf: no debt)
        held = at - spec.hysteresis_hf / span  # the same at hf - hysteresis
        curve = _ladder_curve_in_place(spec, at)
        np.minimum(_ladder_curve_in_place(spec, held), self.ratio, out=held)
        np.maximum(curve, held, out=self.ratio)
        return self.ratio


def _ladder_curve_in_place(spec: PolicySpec, at: F64) -> F64:
    """``bot.core.policy.ladder_ratio`` from the position on the ladder, overwriting ``at``
    (in place: it runs every step on every path)."""
    np.maximum(at, 0.0, out=at)
    np.minimum(at, 1.0, out=at)
    at *= spec.r_min - spec.r_max
    at += spec.r_max
    return at


def _health_target(spec: PolicySpec, loan: LoanBook, s: F64, delta: F64) -> F64:
    """The short whose gain at the liquidation price repays enough debt to lift HF to
    ``target_hf``, capped at ``r_max`` of the delta (the core's ``_health_target``).

    The core's ``repay / (1 - p_liq / s)``, with ``p_liq`` the underlying's price at HF = 1
    (others fixed), is ``repay * own / excess``: ``own`` the underlying's LT-weighted
    collateral, ``excess`` the whole weighted collateral above the debt. Written so, one
    division serves every case as the core: excess >= own (no debt, or the others alone cover
    it: the underlying cannot cause liquidation) is 0; excess < 0 (HF < 1) divides by 0 and
    gives the cap, also for an underlying holding no collateral (0/0, which fmin skips), and so
    does excess = 0 (the price is at the liquidation price).
    """
    own = loan.coll * s * loan.lt
    total = own[0] if own.shape[0] == 1 else own.sum(axis=0)  # no reduction for one asset
    excess = total - loan.debt
    repay = loan.debt * (1.0 - 1.0 / spec.target_hf)
    with np.errstate(divide="ignore", invalid="ignore"):
        wanted = repay * own / np.maximum(excess, 0.0)
    return np.where(excess >= own, 0.0, np.fmin(wanted, spec.r_max * delta))


def target_short_usd(
    spec: PolicySpec, loan: LoanBook, s: F64, margin_delta: F64 | float, ladder: LadderState | None
) -> F64:
    """``bot.core.policy.evaluate``'s target per underlying and path. ``margin_delta``: the
    coin margin counted as exposure (0 when ``count_margin_delta`` is off), as the core's
    ``Exposure.margin_delta_usd``."""
    delta = loan.coll * s
    if not isinstance(margin_delta, float) or margin_delta != 0.0:  # linear: 0.0, every step
        delta += margin_delta
    kind = spec.kind
    if kind == "none":
        return np.zeros_like(s)
    if kind == "loss_fraction":
        # The core's sum(beta (1 - LT) collateral value): beta is 1 here, as every token of
        # the Monte Carlo is its underlying; the margin is not collateral, so not in it.
        # Every factor is >= 0, so no clamp below.
        return spec.f * (1.0 - loan.lt) * loan.coll * s
    if kind == "ratio":
        short = delta
        short *= spec.r
    elif kind == "health_target":
        short = _health_target(spec, loan, s, delta)
    elif kind == "ladder":
        if ladder is None:
            raise ValueError("ladder policy needs a LadderState")
        short = delta
        short *= ladder.update(spec, loan.health_factor(s))
    else:
        raise ValueError(f"unknown policy kind {kind!r}")
    # These follow delta's sign. The core returns a long (negative) target on net-short
    # exposure; the book only holds shorts. With long collateral and coin margin, delta >= 0
    # and this never binds.
    return np.maximum(short, 0.0, out=short)
