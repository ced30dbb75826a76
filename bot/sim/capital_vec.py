"""The Monte Carlo's guard and capital loop: the rules of ``bot.core.repay.decide`` and
``bot.core.capital.decide_money_move`` applied by their float twins (``bot.sim.capital_twin``,
checked against the Decimal functions by a hypothesis parity test) to every (path, step) pair
where a decision can do something; every other pair holds, as the core would.

A pair is decided when: (guard) HF < trigger_hf and the reserve holds money; (capital) no
transfer is in flight and either the short is closer to its liquidation than ``short_floor``,
or the reserve is under its target by more than the band (or under its floor) and the exchange
has room or unrealised profit worth realising. Skipping the rest changes no move.

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
from bot.sim.capital_twin import (
    DEPOSIT as DEP,
)
from bot.sim.capital_twin import (
    WITHDRAW as WD,
)
from bot.sim.capital_twin import (
    Moves,
    RepayRules,
    TwinRules,
    decide_money_move_vec,
    repay_amount,
    worth_realising_vec,
)
from bot.sim.hedge_book import HedgeBook
from bot.sim.lending_vec import LoanBook
from bot.sim.params import SimulationParams

F64 = npt.NDArray[np.float64]
IDX = npt.NDArray[np.intp]
REPAY, WITHDRAW, DEPOSIT = 0, 1, 2  # rows of the day ring


class CoreLoop:
    """Reserve wallet, guard repays and transfers per path, for ``simulate_policy``."""

    def __init__(self, params: SimulationParams, n: int) -> None:
        p, h = params.protect, params.hedge
        if len(params.market.assets) != 1 or h.venue != "linear":
            raise ValueError("the Monte Carlo's capital loop takes one underlying, linear short")
        self.params, self.dt = params, params.dt_hours
        self.protect = ProtectParams(
            trigger_hf=Decimal(str(p.trigger_hf)),
            target_hf=Decimal(str(p.target_hf)),
            reserve_tokens=("USDC",),
            allow_supply=False,
        )
        self.rules = CapitalRules(
            enabled=p.capital_loop,
            short_restore_distance=Decimal(str(h.min_short_liq_distance)),
            refill_band_usd=Decimal(str(p.refill_band_usd)),
        )
        self.network = CoinNetwork(
            coin="USDC",
            network="BSC",
            withdraw_fee=Decimal(str(p.withdraw_fee_usd)),
            withdraw_min=Decimal(10),
            withdraw_max=Decimal(9_999_999),
            withdraw_multiple=Decimal("1e-8"),
            deposit_min=Decimal("0.01"),
        )
        self.twin = TwinRules.of(self.rules, self.network)
        self.repay_rules = RepayRules.of(self.protect)
        self.mmr, self.lev = h.maint_margin_rate, h.leverage
        self.restore = h.min_short_liq_distance
        # s_max (the mark where the short is min_short_liq_distance from its liquidation)
        # times this is the mark where it is short_floor from it: one comparison per step.
        self.floor_factor = (1.0 + self.restore) / (1.0 + self.twin.short_floor) * (1 - 1e-9)
        dist = (1.0 + self.restore) * (1.0 + self.mmr)
        self.room_factor = dist / max(dist, 1.0 + 1.0 / self.lev) * (1 + 1e-9)
        value0 = params.loan.collateral_units[0] * params.market.assets[0].s0
        self.target = math.floor(max(p.reserve_usd, value0 / 10) * 100) / 100
        self.refill_under = self.target - self.twin.refill_band
        self.reserve = np.full(n, float(p.reserve_usd))
        self.repaid = np.zeros(n)
        self.gas = np.zeros(n)
        self.fees = np.zeros(n)  # withdrawal fees
        self.pend_amt = np.zeros(n)  # what lands
        self.pend_dir = np.zeros(n, dtype=np.int8)  # 0 none, 1 withdraw, 2 deposit
        self.landing: dict[int, list[IDX]] = {}  # step -> paths whose transfer lands then
        # What each step sent, by kind, for the day caps: a step counts while it is within
        # 24 hours of now (the Decimal loop's ``s > t - 24 h / dt``); ``day`` is the sum.
        self.day_steps = math.floor(24 / self.dt - 1e-9) + 1
        self.sent: dict[int, list[tuple[int, IDX, F64]]] = {}  # step -> (kind, paths, USD)
        self.day = np.zeros((3, n))
        self.decisions = 0  # (path, step) pairs decided by the twins
        self.w_steps = max(0, math.ceil(p.transfer_delay_hours / self.dt - 1e-9))
        self.d_steps = max(0, math.ceil(p.deposit_credit_hours / self.dt - 1e-9))

    # --- bookkeeping ---------------------------------------------------------------------
    def in_flight(self) -> F64:
        return np.where(self.pend_dir > 0, self.pend_amt, 0.0)

    def _today(self, kind: int, idx: IDX) -> F64:
        return np.maximum(self.day[kind, idx], 0.0)  # type: ignore[no-any-return]

    def _book(self, kind: int, t: int, idx: IDX, amount: F64) -> None:
        self.day[kind, idx] += amount
        self.sent.setdefault(t, []).append((kind, idx, amount))

    def arrive(self, t: int, book: HedgeBook) -> None:
        for kind, idx, amount in self.sent.pop(t - self.day_steps, ()):  # a day old now
            self.day[kind, idx] -= amount
        due = [k for k in self.landing if k <= t]
        if not due:
            return
        land = np.concatenate([i for k in due for i in self.landing.pop(k)])
        kind = self.pend_dir[land]
        wd = land[kind == 1]
        self.reserve[wd] += self.pend_amt[wd]
        dep = land[kind == 2]
        if len(dep):
            alive = book.size[0, dep] > 0
            book.wallet[0, dep[alive]] += self.pend_amt[dep[alive]]
            book.free[dep[~alive]] += self.pend_amt[dep[~alive]]
            book._refresh_smax((np.zeros(len(dep), dtype=np.intp), dep))
        self.pend_dir[land] = 0
        self.pend_amt[land] = 0.0

    def _pend(self, idx: IDX, t: int, d: int, lands: F64, steps: int) -> None:
        self.pend_dir[idx], self.pend_amt[idx] = d, lands
        self.landing.setdefault(t + steps, []).append(idx)

    # --- the guard -----------------------------------------------------------------------
    def guard(self, t: int, loan: LoanBook, s: F64) -> None:
        wc = loan.weighted_collateral(s)
        trig = wc < loan.debt * self.repay_rules.trigger
        if not trig.any():
            return
        idx = np.flatnonzero(trig)
        idx = idx[self.reserve[idx] >= 1e-6]  # USDC's unit: under it the core sees 0
        if not len(idx):
            return
        self.decisions += len(idx)
        amount = repay_amount(
            weighted=wc[idx],
            debt=loan.debt[idx],
            reserve=self.reserve[idx],
            spent_today=self._today(REPAY, idx),
            rules=self.repay_rules,
        )
        amount = np.minimum(amount, loan.debt[idx])
        go = amount > 0
        idx, amount = idx[go], amount[go]
        loan.debt[idx] -= amount
        self.reserve[idx] -= amount
        self.repaid[idx] += amount
        self.gas[idx] += self.params.protect.repay_gas_usd
        self._book(REPAY, t, idx, amount)

    # --- the capital loop ----------------------------------------------------------------
    def capital(self, t: int, book: HedgeBook, s: F64) -> None:
        sp = s[0]
        # Step screen on whole arrays, a superset of the pairs kept below. A withdrawal's
        # room (with free balance 0) is at most q D (s_max - sp k / D), k the larger of D and
        # 1 + 1 / leverage (D: book._dist): none at or above s_max D / k.
        smax = book.s_max[0]
        wd = self.reserve < self.refill_under
        if book.free.any():
            wd &= (sp < smax * self.room_factor) | (book.free > 0)
        else:
            wd &= sp < smax * self.room_factor
        cand = wd | (sp > smax * self.floor_factor)
        if not cand.any():
            return
        idx = np.flatnonzero(cand)
        idx = idx[self.pend_dir[idx] == 0]
        if not len(idx):
            return
        # Skipped, as they can move nothing: a deposit needs the short under its floor and
        # the reserve to hold the least transfer; a withdrawal needs the reserve under target
        # less the band and, even after realising all profit, the least transfer's room. That
        # room is at most the lower of two bounds: Binance's (wallet, profit once realised,
        # less initial margin) and the distance floor's (wallet less the margin keeping the
        # restore distance; realising adds as much to that margin as to the wallet, so it
        # never lifts this bound). Where the first decision would realise profit and the
        # second could still not withdraw (the distance floor binds), the pair is skipped
        # too: realising there only pays fees (bot.sim.capital_loop.worth_realising does not
        # see that bound; the backtest pays them).
        q, entry, spx = book.size[0, idx], book.entry[0, idx], sp[idx]
        reserve = self.reserve[idx]
        cash = book.free[idx] + book.wallet[0, idx]
        dep = spx > book.s_max[0, idx] * self.floor_factor
        most = np.minimum(
            cash + q * (entry - spx - spx / self.lev), cash + q * (entry - spx * book._dist)
        )
        keep = (dep & (reserve >= max(self.twin.min_transfer, self.twin.dep_min) - 1e-6)) | (
            (reserve < self.refill_under) & (most >= self.twin.min_transfer - 1e-6)
        )
        idx = idx[keep]
        if not len(idx):
            return
        view = self._view(idx, book, sp[idx])
        self.decisions += len(idx)
        m = self._decide(idx, view)
        again = worth_realising_vec(m, view["movable"], view["needed"], self.twin)
        if again.any():
            r = idx[again]
            done = book.realise_many(r, sp[r], m.realise_first[again])
            r = r[done]
            if len(r):
                self.decisions += len(r)
                m2 = self._decide(r, self._view(r, book, sp[r]))
                pos = np.flatnonzero(again)[done]
                for f in ("verdict", "direction", "amount", "fee", "received"):
                    getattr(m, f)[pos] = getattr(m2, f)
        go = m.moves
        wd = go & (m.direction == WD)
        if wd.any():
            j, amt = idx[wd], m.amount[wd]
            book.withdraw_many(j, amt)
            self.fees[j] += m.fee[wd]
            self._pend(j, t, 1, m.received[wd], self.w_steps)
            self._book(WITHDRAW, t, j, amt)
        de = go & (m.direction == DEP)
        if de.any():
            j, amt = idx[de], m.amount[de]
            self.reserve[j] -= amt
            self.gas[j] += self.params.protect.deposit_gas_usd
            self._pend(j, t, 2, amt, self.d_steps)
            self._book(DEPOSIT, t, j, amt)

    def _view(self, idx: IDX, book: HedgeBook, sp: F64) -> dict[str, F64]:
        """``CapitalView``'s numbers for paths ``idx``, as ``bot.sim.capital_loop`` reads
        them from the Decimal ledger."""
        q, entry = book.size[0, idx], book.entry[0, idx]
        wallet, free = book.wallet[0, idx], book.free[idx]
        mmr = self.mmr
        upnl = q * (entry - sp)
        im = q * sp / self.lev
        movable = np.maximum(free + wallet + np.minimum(upnl, 0.0) - im, 0.0)
        keep = np.maximum(im, q * sp * (1 + self.restore) * (1 + mmr) - q * entry)
        room = free + wallet - keep
        short = q > 0
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.where(
                short, np.maximum((wallet + q * entry) / (q * (1 + mmr)) / sp - 1, 0), np.nan
            )
        # bot.core.capital.margin_to_restore_usd: the margin a short opened at the mark needs
        # for the restore distance (bot.core.futures), less its equity.
        needed_at = sp * (1 + self.restore) * (q * mmr + q) - q * sp
        to_restore = np.where(
            short, np.maximum(np.maximum(needed_at, 0.0) - (wallet + upnl), 0.0), 0.0
        )
        return {
            "movable": movable,
            "needed": np.maximum(movable - np.maximum(room, 0.0), 0.0),
            "upnl": upnl,
            "distance": dist,
            "to_restore": np.maximum(to_restore - free, 0.0),
            "reserve": self.reserve[idx],
        }

    def _decide(self, idx: IDX, view: dict[str, F64]) -> Moves:
        reserve = view["reserve"]
        return decide_money_move_vec(
            reserve=reserve,
            coin_held=reserve,
            target=np.full(len(idx), self.target),
            floor=np.zeros(len(idx)),
            movable=view["movable"],
            needed=view["needed"],
            upnl=view["upnl"],
            distance=view["distance"],
            to_restore=view["to_restore"],
            withdrawn_today=self._today(WITHDRAW, idx),
            deposited_today=self._today(DEPOSIT, idx),
            rules=self.twin,
        )
