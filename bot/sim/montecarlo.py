"""Monte Carlo of a hedged lending position: time steps in a loop, paths in numpy arrays.

Per step, in this order (liquidators are assumed at least as fast as the bot): prices move,
debt accrues interest, funding is paid, shorts at or under maintenance are liquidated, the loan
is liquidated where HF < 1, then (mode "repay") transfers that have arrived land, the guard
repays from the reserve when HF < trigger_hf, the hedge is rebalanced to the policy's target
outside the band, and the capital loop moves money between exchange and reserve
(``bot.sim.capital_vec``; ``capital_model="outside"``, inverse or multi-asset runs: the
earlier model, arrived gains repay debt and gains start moving on trigger). Mode "hold" runs no
guard and no capital loop: margin top-ups come from outside, as before the loop. Every policy
and mode replays the same price paths (same seed), so differences between them are not
sampling noise.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from bot.sim.capital_vec import CoreLoop
from bot.sim.hedge_book import HedgeBook
from bot.sim.lending_vec import LoanBook
from bot.sim.metrics import PolicyOutcome, SamplePaths, summarize
from bot.sim.params import HOURS_PER_YEAR, PolicySpec, SimulationParams
from bot.sim.paths import PathGenerator
from bot.sim.policies_vec import LadderState, target_short_usd

F64 = npt.NDArray[np.float64]
Progress = Callable[[int], None]


@dataclass(frozen=True, slots=True, kw_only=True, eq=False)
class SimulationResult:
    params: SimulationParams
    outcomes: tuple[PolicyOutcome, ...]
    elapsed_s: float
    path_steps: int  # paths x steps x policy runs actually simulated


def _funding(params: SimulationParams) -> F64:
    """Funding rate settled at each step: the interval's hourly rates summed, paid at every
    ``funding_interval_hours`` (0 between settlements)."""
    rate = params.hedge.funding_rate_per_hour
    n = params.n_steps
    if isinstance(rate, tuple):
        if len(rate) != n:
            raise ValueError(f"hedge.funding_rate_per_hour has {len(rate)} values, need {n}")
        per_step = np.asarray(rate, dtype=np.float64) * params.dt_hours
    else:
        per_step = np.full(n, rate * params.dt_hours)
    every = max(1, round(params.hedge.funding_interval_hours / params.dt_hours))
    cum = np.concatenate([[0.0], np.cumsum(per_step)])
    settle = np.zeros(n)
    ends = np.arange(every, n + 1, every)  # step t (1-based) settles steps t-every+1..t
    settle[ends - 1] = cum[ends] - cum[ends - every]
    return settle


class _Repayer:
    """Reserve (on-chain, immediate) and hedge-gain transfers (exchange -> wallet, delayed)."""

    def __init__(self, params: SimulationParams) -> None:
        p, n = params.protect, params.n_paths
        self.p = p
        self.delay = max(0, math.ceil(p.transfer_delay_hours / params.dt_hours - 1e-9))
        self.reserve = np.full(n, float(p.reserve_usd))
        self.pending = np.zeros(n)
        self.left = np.zeros(n, dtype=np.int64)
        self.from_reserve = np.zeros(n)
        self.from_hedge = np.zeros(n)

    def _arrive(self, loan: LoanBook, s: F64, arrived: npt.NDArray[np.bool_]) -> None:
        amt = np.where(arrived, self.pending, 0.0)
        rep = np.minimum(amt, loan.repay_needed(s, self.p.target_hf))
        loan.repay(rep)
        self.from_hedge += rep
        self.reserve += amt - rep  # the hedge's gains refill the reserve
        self.pending[arrived] = 0.0

    def step(self, loan: LoanBook, book: HedgeBook, s: F64) -> None:
        busy = self.pending > 0
        if busy.any():
            self.left[busy] -= 1
            self._arrive(loan, s, busy & (self.left <= 0))
        trig = loan.health_factor(s) < self.p.trigger_hf
        if not trig.any():
            return
        use = np.where(trig, np.minimum(loan.repay_needed(s, self.p.target_hf), self.reserve), 0.0)
        loan.repay(use)
        self.reserve -= use
        self.from_reserve += use
        if self.p.use_hedge_gains:
            start = trig & (self.pending <= 0)
            amt = book.withdraw_gains(s, start)
            sent = amt > 0
            self.pending += amt
            self.left[sent] = self.delay
            if self.delay == 0 and sent.any():
                self._arrive(loan, s, sent)


def simulate_policy(
    params: SimulationParams, spec: PolicySpec, mode: str, progress: Progress | None = None
) -> PolicyOutcome:
    n, k = params.n_paths, min(params.sample_paths, params.n_paths)
    gen = PathGenerator(params.market, n_paths=n, dt_hours=params.dt_hours, seed=params.seed)
    loan = LoanBook(params.loan, n)
    book = HedgeBook(params.hedge, len(params.market.assets), n)
    ladder = LadderState(n) if spec.kind == "ladder" else None
    # The guard and capital loop run together, in mode "repay" only: mode "hold" (nobody acts
    # on the loan) keeps the earlier model, where margin top-ups come from outside and no money
    # moves, and pays nothing for the loop. The loop takes one linear short; other books keep
    # the "outside" model in both modes.
    core = (
        mode == "repay"
        and params.protect.capital_model == "core"
        and len(params.market.assets) == 1
        and params.hedge.venue == "linear"
    )
    loop = CoreLoop(params, n) if core else None
    repayer = _Repayer(params) if mode == "repay" and not core else None
    funding = _funding(params)
    growth = math.exp(params.loan.borrow_apr * params.dt_hours / HOURS_PER_YEAR)
    s = np.repeat(np.array([a.s0 for a in params.market.assets])[:, None], n, axis=1)
    coll0 = loan.coll[:, 0].copy()
    wealth0 = float((coll0 * s[:, 0]).sum() - loan.debt[0] + params.protect.reserve_usd)
    steps = params.n_steps
    samples = SamplePaths.empty(steps + 1, k)
    hedged = spec.kind != "none"
    if hedged:
        book.rebalance(target_short_usd(spec, loan, s, book.margin_delta_usd(s), ladder), s)
    book.outside = not core  # the starting margin was the user's; nothing more comes in
    samples.record(0, s, loan, book, repayer or loop)
    first_liq = np.full(n, -1, dtype=np.int64)
    for t in range(1, steps + 1):
        s = gen.next()
        loan.accrue(growth)
        if hedged:
            if funding[t - 1] != 0.0:
                book.fund(s, float(funding[t - 1]))
            book.liquidate(s)
        hit = loan.liquidate(s)
        first_liq[hit & (first_liq < 0)] = t
        if repayer is not None:
            repayer.step(loan, book, s)
        if loop is not None:
            loop.arrive_and_guard(t, book, loan, s)
        if hedged:
            book.rebalance(target_short_usd(spec, loan, s, book.margin_delta_usd(s), ladder), s)
        if loop is not None and hedged:
            loop.capital(t, book, s)
        if k:
            samples.record(t, s, loan, book, repayer or loop)
        if progress is not None and (t % 256 == 0 or t == steps):
            progress(256 if t % 256 == 0 else t % 256)
    # Where the repaid and pending money is: the capital loop's ledger, or the older repayer's.
    if loop is not None:
        ledger: dict[str, Any] = {
            "repayer_reserve": loop.reserve,
            "repayer_pending": loop.in_flight() - loop.gas,  # gas: paid by the user's wallet
            "from_reserve": loop.repaid,
            "from_hedge": np.zeros(n),
            "loop_decisions": loop.decisions,
        }
    else:
        ledger = {
            "repayer_reserve": None if repayer is None else repayer.reserve,
            "repayer_pending": None if repayer is None else repayer.pending,
            "from_reserve": None if repayer is None else repayer.from_reserve,
            "from_hedge": None if repayer is None else repayer.from_hedge,
        }
    return summarize(
        spec=spec,
        mode=mode,
        loan=loan,
        book=book,
        s=s,
        coll0=coll0,
        s0=np.array([a.s0 for a in params.market.assets]),
        reserve0=params.protect.reserve_usd,
        wealth0=wealth0,
        first_liq_step=first_liq,
        samples=samples,
        **ledger,
    )


def run_monte_carlo(params: SimulationParams, progress: Progress | None = None) -> SimulationResult:
    t0 = time.perf_counter()
    outcomes = tuple(
        simulate_policy(params, spec, mode, progress)
        for spec in params.policies
        for mode in params.modes
    )
    runs = len(params.policies) * len(params.modes)
    return SimulationResult(
        params=params,
        outcomes=outcomes,
        elapsed_s=time.perf_counter() - t0,
        path_steps=runs * params.n_paths * params.n_steps,
    )
