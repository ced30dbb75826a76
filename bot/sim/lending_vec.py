"""Vectorised lending position (float) for the Monte Carlo: HF, interest, liquidation.

Liquidation model, stated: Aave v3.3+ close factor (50 % of the debt only while HF > 0.95 and
both the seized collateral reserve and the debt are worth at least $2,000, otherwise 100 %);
the liquidator seizes the largest collateral reserve, debt * (1 + bonus) of it, capped at the
balance; when a 50 % liquidation would leave less than $1,000 of debt or of that collateral
(v3.3 reverts on such dust), the liquidator covers the largest amount that leaves $1,000; a
liquidation that leaves
no collateral burns the remaining debt (bad debt). Liquidators act again within the step while
HF < 1. The exact Decimal model for backtests is ``bot.sim.lending``.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.sim.params import LoanModel

F64 = npt.NDArray[np.float64]
CLOSE_FACTOR_HF = 0.95
MIN_FULL_CLOSE_USD = 2000.0
MIN_LEFTOVER_USD = 1000.0


class LoanBook:
    def __init__(self, loan: LoanModel, n_paths: int) -> None:
        self.coll = np.repeat(
            np.asarray(loan.collateral_units, dtype=np.float64)[:, None], n_paths, 1
        )
        self.lt = np.asarray(loan.liquidation_threshold, dtype=np.float64)[:, None]
        self.bonus = np.asarray(loan.liquidation_bonus, dtype=np.float64)
        self.debt = np.full(n_paths, float(loan.debt_usd))
        self.liq_loss_usd = np.zeros(n_paths)  # collateral value seized minus debt covered
        self.liq_count = np.zeros(n_paths, dtype=np.int64)
        self.bad_debt_usd = np.zeros(n_paths)

    def weighted_collateral(self, s: F64) -> F64:
        if self.coll.shape[0] == 1:  # skip a reduction per step in the common one-asset case
            return self.coll[0] * s[0] * self.lt[0, 0]  # type: ignore[no-any-return]
        return (self.coll * s * self.lt).sum(axis=0)  # type: ignore[no-any-return]

    def health_factor(self, s: F64) -> F64:
        wc = self.weighted_collateral(s)
        with np.errstate(divide="ignore", invalid="ignore"):
            return np.where(self.debt > 0, wc / self.debt, np.inf)

    def accrue(self, growth: float) -> None:
        if growth != 1.0:
            self.debt *= growth

    def repay(self, amount: F64) -> None:
        self.debt -= np.minimum(amount, self.debt)

    def repay_needed(self, s: F64, target_hf: float) -> F64:
        """Debt repayment that lifts HF to ``target_hf`` (0 where it already is)."""
        return np.maximum(self.debt - self.weighted_collateral(s) / target_hf, 0.0)

    def liquidate(self, s: F64, rounds: int = 4) -> npt.NDArray[np.bool_]:
        """Liquidate every path with HF < 1 at prices ``s``; return the paths hit."""
        hit_any = np.zeros(self.debt.shape, dtype=bool)
        wc = self.weighted_collateral(s)
        under = wc < self.debt  # HF < 1 without dividing; no debt is never under
        if not under.any():
            return hit_any
        cols = np.flatnonzero(under)
        hf = wc[cols] / self.debt[cols]  # HF of the paths in cols
        for _ in range(rounds):
            if not len(cols):
                break
            hit_any[cols] = True
            self._liquidate_cols(cols, s[:, cols], hf)
            # Only the paths just liquidated can still be under 1: recheck those alone.
            sub = s[:, cols]
            wc = (self.coll[:, cols] * sub * self.lt).sum(axis=0)
            debt = self.debt[cols]
            left = (debt > 0) & (wc < debt)
            cols = cols[left]
            hf = wc[left] / debt[left]
        return hit_any

    def _liquidate_cols(self, cols: npt.NDArray[np.intp], s: F64, hf: F64) -> None:
        coll = self.coll[:, cols]
        value = coll * s
        pick = np.argmax(value, axis=0)
        ar = np.arange(len(cols))
        cval = value[pick, ar]
        debt = self.debt[cols]
        bonus = self.bonus[pick]
        half = (hf > CLOSE_FACTOR_HF) & (cval >= MIN_FULL_CLOSE_USD) & (debt >= MIN_FULL_CLOSE_USD)
        cover = np.where(half, 0.5 * debt, debt)
        seize = np.minimum(cover * (1.0 + bonus), cval)
        cover = seize / (1.0 + bonus)
        dust = (
            half
            & ((debt - cover < MIN_LEFTOVER_USD) | (cval - seize < MIN_LEFTOVER_USD))
            & (seize < cval)
        )
        # v3.3 reverts on such dust; the liquidator takes the largest call that does not.
        limit = np.minimum(
            cover, np.minimum((cval - MIN_LEFTOVER_USD) / (1.0 + bonus), debt - MIN_LEFTOVER_USD)
        )
        limit = np.maximum(limit, 0.0)
        cover = np.where(dust, limit, cover)
        seize = np.where(dust, limit * (1.0 + bonus), seize)
        coll[pick, ar] = np.maximum(coll[pick, ar] - seize / s[pick, ar], 0.0)
        debt = debt - cover
        no_coll = (coll * s).sum(axis=0) <= 0.0
        self.bad_debt_usd[cols] += np.where(no_coll, debt, 0.0)
        debt = np.where(no_coll, 0.0, debt)
        self.coll[:, cols] = coll
        self.debt[cols] = debt
        self.liq_loss_usd[cols] += seize - cover
        self.liq_count[cols] += 1
