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

from bot.sim import loan_kernels as kernels
from bot.sim.params import LoanModel

F64 = npt.NDArray[np.float64]


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
        hit = np.zeros(self.debt.shape, dtype=bool)
        kernels.liquidate(
            np.ascontiguousarray(s, dtype=np.float64),
            self.coll,
            self.lt,
            self.bonus,
            self.debt,
            (self.bad_debt_usd, self.liq_loss_usd, self.liq_count),
            rounds,
            hit,
        )
        return hit
