"""The Monte Carlo's guard and capital loop: the rules of ``bot.core.repay.decide`` and
``bot.core.capital.decide_money_move`` applied by their float twins (``bot.sim.capital_twin``,
checked against the Decimal functions by a hypothesis parity test) to every (path, step) pair
where a decision can do something; every other pair holds, as the core would.

A pair is decided when: (guard) HF < trigger_hf and the reserve holds money; (capital) no
transfer is in flight and either the short is closer to its liquidation than ``short_floor``,
or the reserve is under its target by more than the band (or under its floor) and the exchange
has room or unrealised profit worth realising. Skipping the rest changes no move.

The per-path work of a step runs compiled (``bot.sim.twin_kernels``: numba): each step a few
dozen of the 10,000 paths decide, where numpy's cost per call on such small arrays, not the
arithmetic, was most of the Monte Carlo's time. This class keeps the state and the
bookkeeping across steps (transfers landing, the day caps' ring).

Stated limits: one underlying and a linear (USD-M) short; a transfer lands at the first step
boundary at or after its delay (so with hourly steps 10 and 60 minutes are the same); the
exchange account starts with the margin the first rebalance asks for, and no other money
reaches it (the book's outside top-ups are off); the day caps sum the last 24 hours of steps.
"""

from __future__ import annotations

import math
from decimal import Decimal

import numpy as np
import numpy.typing as npt

from bot.core.capital import CapitalRules, CoinNetwork
from bot.core.repay_params import ProtectParams
from bot.sim import twin_kernels as tk
from bot.sim.capital_twin import RepayRules, TwinRules
from bot.sim.hedge_book import HedgeBook
from bot.sim.lending_vec import LoanBook
from bot.sim.params import SimulationParams

F64 = npt.NDArray[np.float64]
IDX = npt.NDArray[np.intp]
REPAY, WITHDRAW, DEPOSIT = 0, 1, 2  # rows of the day ring


def _twin_rules(params: SimulationParams) -> tuple[TwinRules, RepayRules]:
    """The core's repay and capital rules the simulated user runs, as the twins take them."""
    p, h = params.protect, params.hedge
    protect = ProtectParams(
        trigger_hf=Decimal(str(p.trigger_hf)),
        target_hf=Decimal(str(p.target_hf)),
        reserve_tokens=("USDC",),
        allow_supply=False,
    )
    rules = CapitalRules(
        enabled=p.capital_loop,
        short_restore_distance=Decimal(str(h.min_short_liq_distance)),
        refill_band_usd=Decimal(str(p.refill_band_usd)),
    )
    network = CoinNetwork(
        coin="USDC",
        network="BSC",
        withdraw_fee=Decimal(str(p.withdraw_fee_usd)),
        withdraw_min=Decimal(10),
        withdraw_max=Decimal(9_999_999),
        withdraw_multiple=Decimal("1e-8"),
        deposit_min=Decimal("0.01"),
    )
    return TwinRules.of(rules, network), RepayRules.of(protect)


def _loop_consts(params: SimulationParams, twin: TwinRules) -> F64:
    """The book's and the step screen's numbers, as ``tk.capital_step`` takes them."""
    p, h, dt = params.protect, params.hedge, params.dt_hours
    restore, mmr, lev = h.min_short_liq_distance, h.maint_margin_rate, h.leverage
    dist = (1.0 + restore) * (1.0 + mmr)  # the book's own
    value0 = params.loan.collateral_units[0] * params.market.assets[0].s0
    target = math.floor(max(p.reserve_usd, value0 / 10) * 100) / 100
    c = np.zeros(tk.LOOP_FIELDS)
    c[tk.REFILL_UNDER], c[tk.TARGET] = target - twin.refill_band, target
    c[tk.ROOM_FACTOR] = dist / max(dist, 1.0 + 1.0 / lev) * (1 + 1e-9)
    # s_max (the mark where the short is min_short_liq_distance from its liquidation) times
    # this is the mark where it is short_floor from it: one comparison per step.
    c[tk.FLOOR_FACTOR] = (1.0 + restore) / (1.0 + twin.short_floor) * (1 - 1e-9)
    c[tk.LEVERAGE], c[tk.MMR], c[tk.RESTORE] = lev, mmr, restore
    c[tk.DIST] = dist
    c[tk.TAKER_FEE], c[tk.SLIPPAGE] = h.taker_fee, h.slippage
    c[tk.DEPOSIT_GAS], c[tk.REPAY_GAS] = p.deposit_gas_usd, p.repay_gas_usd
    c[tk.WITHDRAW_STEPS] = max(0, math.ceil(p.transfer_delay_hours / dt - 1e-9))
    c[tk.DEPOSIT_STEPS] = max(0, math.ceil(p.deposit_credit_hours / dt - 1e-9))
    return c


class CoreLoop:
    """Reserve wallet, guard repays and transfers per path, for ``simulate_policy``."""

    def __init__(self, params: SimulationParams, n: int) -> None:
        p, h = params.protect, params.hedge
        if len(params.market.assets) != 1 or h.venue != "linear":
            raise ValueError("the Monte Carlo's capital loop takes one underlying, linear short")
        twin, repay_rules = _twin_rules(params)
        self.reserve = np.full(n, float(p.reserve_usd))
        self.repaid = np.zeros(n)
        self.gas = np.zeros(n)
        self.fees = np.zeros(n)  # withdrawal fees
        self.pend_amt = np.zeros(n)  # what lands
        self.pend_dir = np.zeros(n, dtype=np.int8)  # 0 none, 1 withdraw, 2 deposit
        self.lands_at = np.zeros(n, dtype=np.int64)  # step the transfer in flight lands
        # What each step sent, by kind, for the day caps: a step counts while it is within
        # 24 hours of now (the Decimal loop's ``s > t - 24 h / dt``); ``day`` is the sum.
        self.day_steps = math.floor(24 / params.dt_hours - 1e-9) + 1
        self.sent: dict[int, list[tuple[int, IDX, F64]]] = {}  # step -> (kind, paths, USD)
        self.day = np.zeros((3, n))
        self.decisions = 0  # (path, step) pairs decided by the twins
        self.twin_packed, self.repay_packed = twin.packed(), repay_rules.packed()
        self.consts = _loop_consts(params, twin)
        self.out_idx = np.zeros((2, n), dtype=np.int64)  # the kernels' moves of one step
        self.out_amt = np.zeros((2, n))

    # --- bookkeeping ---------------------------------------------------------------------
    def in_flight(self) -> F64:
        return np.where(self.pend_dir > 0, self.pend_amt, 0.0)

    def _book(self, kind: int, t: int, idx: IDX, amount: F64) -> None:
        """Remember what step ``t`` sent (already in ``day``) to take it off a day later."""
        self.sent.setdefault(t, []).append((kind, idx, amount))

    def _arrays(self, book: HedgeBook) -> tuple[tuple[F64, ...], tuple[F64, ...]]:
        """The book's arrays and the loop's own, in the kernels' order (``tk.B_*``, ``L_*``)."""
        b: tuple[F64, ...] = (book.size[0], book.entry[0], book.wallet[0], book.free)
        b += (book.s_max[0], book.fees_usd, book.slippage_usd, book.withdrawn_usd)
        own: tuple[F64, ...] = (self.reserve, self.repaid, self.gas, self.fees, self.pend_amt)
        own += (self.day[REPAY], self.day[WITHDRAW], self.day[DEPOSIT])
        return b, own

    def arrive_and_guard(self, t: int, book: HedgeBook, loan: LoanBook, s: F64) -> None:
        """Start of step ``t``: what was sent a day ago leaves the day caps, transfers due
        land, and the guard repays from the reserve where HF < trigger."""
        for kind, idx, amount in self.sent.pop(t - self.day_steps, ()):
            self.day[kind, idx] -= amount
        b, own = self._arrays(book)
        k, decided = tk.land_and_guard(
            t,
            loan.coll[0],
            s[0],
            float(loan.lt[0, 0]),
            loan.debt,
            b,
            own,
            self.pend_dir,
            self.lands_at,
            self.repay_packed,
            self.consts,
            self.out_idx[0],
            self.out_amt[0],
        )
        self.decisions += decided
        if k:
            self._book(REPAY, t, self.out_idx[0, :k].copy(), self.out_amt[0, :k].copy())

    # --- the capital loop ----------------------------------------------------------------
    def capital(self, t: int, book: HedgeBook, s: F64) -> None:
        """Move money between exchange and reserve where a decision can (``tk.capital_step``);
        the transfers land in ``arrive_and_guard``."""
        b, own = self._arrays(book)
        n_wd, n_dep, decided = tk.capital_step(
            t,
            s[0],
            b,
            own,
            self.pend_dir,
            self.lands_at,
            self.consts,
            self.twin_packed,
            self.out_idx,
            self.out_amt,
        )
        self.decisions += decided
        for kind, row, k in ((WITHDRAW, 0, n_wd), (DEPOSIT, 1, n_dep)):
            if k:
                self._book(kind, t, self.out_idx[row, :k].copy(), self.out_amt[row, :k].copy())
