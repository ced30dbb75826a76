"""What a policy run produced: the per-policy figures users compare, and sample paths."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import numpy as np
import numpy.typing as npt

from bot.sim.params import PolicySpec

if TYPE_CHECKING:
    from bot.sim.hedge_book import HedgeBook
    from bot.sim.lending_vec import LoanBook

F64 = npt.NDArray[np.float64]


class _HasReserve(Protocol):
    reserve: F64


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SamplePaths:
    """The first few paths, step by step, for plots (first asset's price)."""

    price: F64  # (steps + 1, k)
    hf: F64
    hedge_usd: F64
    reserve_usd: F64

    @staticmethod
    def empty(steps: int, k: int) -> SamplePaths:
        return SamplePaths(
            price=np.zeros((steps, k)),
            hf=np.zeros((steps, k)),
            hedge_usd=np.zeros((steps, k)),
            reserve_usd=np.zeros((steps, k)),
        )

    def record(
        self, t: int, s: F64, loan: LoanBook, book: HedgeBook, repayer: _HasReserve | None
    ) -> None:
        k = self.price.shape[1]
        if not k:
            return
        sk = s[:, :k]
        self.price[t] = sk[0]
        wc = (loan.coll[:, :k] * sk * loan.lt).sum(axis=0)
        debt = loan.debt[:k]
        with np.errstate(divide="ignore"):
            self.hf[t] = np.where(debt > 0, wc / np.where(debt > 0, debt, 1.0), np.inf)
        size, entry = book.size[:, :k], book.entry[:, :k]
        self.hedge_usd[t] = (size * sk / entry if book.inverse else size * sk).sum(axis=0)
        if repayer is not None:
            self.reserve_usd[t] = repayer.reserve[:k]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class PolicyOutcome:
    policy: str
    mode: str  # "hold" or "repay"
    n_paths: int
    p_defi_liquidation: float
    p_defi_liquidation_se: float
    expected_liquidation_loss_usd: float  # collateral value seized minus debt covered, mean
    collateral_lost_fraction: float  # mean share of initial collateral value (at t0 prices) seized
    collateral_kept_units: tuple[float, ...]  # mean units left per market asset
    bad_debt_usd: float
    p_hedge_liquidated: float
    hedge_fees_usd: float
    hedge_slippage_usd: float
    hedge_funding_usd: float  # received (+) / paid (-)
    hedge_liq_loss_usd: float
    hedge_pnl_usd: float  # after all costs
    hedge_capital_usd: float  # outside capital put on the exchange (margin + top-ups), mean
    repaid_from_reserve_usd: float
    repaid_from_hedge_usd: float
    pnl_mean_usd: float  # final wealth minus initial wealth
    pnl_var5_usd: float  # 5 % value at risk, as a positive loss
    pnl_cvar5_usd: float
    final_pnl: F64  # per path, for plots
    first_liq_step: npt.NDArray[np.int64]  # -1 when never liquidated
    samples: SamplePaths
    loop_decisions: int = 0  # (path, step) pairs the guard and capital twins decided

    @property
    def hedge_cost_usd(self) -> float:
        return self.hedge_fees_usd + self.hedge_slippage_usd - self.hedge_funding_usd


def var_cvar(pnl: F64, alpha: float = 0.05) -> tuple[float, float]:
    q = float(np.quantile(pnl, alpha))
    tail = pnl[pnl <= q]
    return -q, -float(tail.mean()) if len(tail) else -q


def summarize(
    *,
    spec: PolicySpec,
    mode: str,
    loan: LoanBook,
    book: HedgeBook,
    repayer_reserve: F64 | None,
    repayer_pending: F64 | None,
    from_reserve: F64 | None,
    from_hedge: F64 | None,
    s: F64,
    coll0: F64,
    s0: F64,
    reserve0: float,
    wealth0: float,
    first_liq_step: npt.NDArray[np.int64],
    samples: SamplePaths,
    loop_decisions: int = 0,
) -> PolicyOutcome:
    n = len(loan.debt)
    wealth = (loan.coll * s).sum(axis=0) - loan.debt + book.equity_usd(s) - book.capital_in_usd
    if repayer_reserve is not None and repayer_pending is not None:
        wealth = wealth + repayer_reserve + repayer_pending
    else:
        wealth = wealth + reserve0  # hold: the reserve sits untouched, still the user's money
    pnl = wealth - wealth0
    liq = loan.liq_count > 0
    p = float(liq.mean())
    var5, cvar5 = var_cvar(pnl)
    value0 = coll0 * s0
    weights = value0 / value0.sum() if value0.sum() > 0 else value0
    lost = ((coll0[:, None] - loan.coll) / np.where(coll0 > 0, coll0, 1.0)[:, None]).mean(axis=1)
    return PolicyOutcome(
        policy=spec.name,
        mode=mode,
        n_paths=n,
        p_defi_liquidation=p,
        p_defi_liquidation_se=math.sqrt(max(p * (1 - p), 0.0) / n),
        expected_liquidation_loss_usd=float(loan.liq_loss_usd.mean()),
        collateral_lost_fraction=float((lost * weights).sum()),
        collateral_kept_units=tuple(float(x) for x in loan.coll.mean(axis=1)),
        bad_debt_usd=float(loan.bad_debt_usd.mean()),
        p_hedge_liquidated=float(book.liquidated.any(axis=0).mean()),
        hedge_fees_usd=float(book.fees_usd.mean()),
        hedge_slippage_usd=float(book.slippage_usd.mean()),
        hedge_funding_usd=float(book.funding_usd.mean()),
        hedge_liq_loss_usd=float(book.liq_loss_usd.mean()),
        hedge_pnl_usd=float(book.pnl_usd(s).mean()),
        hedge_capital_usd=float(book.capital_in_usd.mean()),
        repaid_from_reserve_usd=0.0 if from_reserve is None else float(from_reserve.mean()),
        repaid_from_hedge_usd=0.0 if from_hedge is None else float(from_hedge.mean()),
        pnl_mean_usd=float(pnl.mean()),
        pnl_var5_usd=var5,
        pnl_cvar5_usd=cvar5,
        final_pnl=pnl,
        first_liq_step=first_liq_step,
        samples=samples,
        loop_decisions=loop_decisions,
    )
