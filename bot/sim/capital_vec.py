"""The Monte Carlo's guard and capital loop, decided by the daemon's own Decimal functions
(``bot.core.repay.decide``, ``bot.core.capital.decide_money_move``) on the (path, step) pairs
where a decision can do something; every other pair is settled in numpy.

A pair reaches the core when: (guard) HF < trigger_hf and the reserve holds money; (capital)
no transfer is in flight and either the short is closer to its liquidation than
``short_floor`` with reserve above its floor, or the reserve is under its target by more than
the band (or under its floor) and the exchange has room or unrealised profit. Everywhere else
the core would hold or alert without side effects, so skipping it changes nothing but speed.

Stated limits: one underlying and a linear (USD-M) short; a transfer lands at the first step
boundary at or after its delay (so with hourly steps 10 and 60 minutes are the same); the
exchange account starts with the margin the first rebalance asks for, and no other money
reaches it (the book's outside top-ups are off).
"""

from __future__ import annotations

import math
from decimal import ROUND_FLOOR, Decimal

import numpy as np
import numpy.typing as npt

from bot.core import repay
from bot.core.capital import (
    CapitalRules,
    CapitalView,
    CoinNetwork,
    Direction,
    PendingTransfer,
    decide_money_move,
    margin_to_restore_usd,
)
from bot.core.model import ZERO, AssetPosition, PositionSnapshot
from bot.core.repay_params import ProtectParams
from bot.sim.capital_loop import worth_realising
from bot.sim.core_bridge import contract_spec
from bot.sim.hedge_book import HedgeBook
from bot.sim.lending_vec import LoanBook
from bot.sim.params import SimulationParams

F64 = npt.NDArray[np.float64]
DAY_MS = 86_400_000


def _dec(x: float, step: str = "1e-8") -> Decimal:
    return Decimal(repr(float(x))).quantize(Decimal(step), rounding=ROUND_FLOOR)


class CoreLoop:
    """Reserve wallet, guard repays and transfers per path, for ``simulate_policy``."""

    def __init__(self, params: SimulationParams, n: int) -> None:
        p, h = params.protect, params.hedge
        if len(params.market.assets) != 1 or h.venue != "linear":
            raise ValueError("the Monte Carlo's capital loop takes one underlying, linear short")
        self.params, self.dt = params, params.dt_hours
        self.symbol = params.market.assets[0].symbol
        self.spec = contract_spec(f"{self.symbol}USDT", self.symbol)
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
        value0 = params.loan.collateral_units[0] * params.market.assets[0].s0
        self.target = max(p.reserve_usd, value0 / 10)
        self.reserve = np.full(n, float(p.reserve_usd))
        self.repaid = np.zeros(n)
        self.gas = np.zeros(n)
        self.fees = np.zeros(n)  # withdrawal fees
        self.pend_amt = np.zeros(n)  # what lands
        self.pend_sent = np.zeros(n)  # what left (a withdrawal: with its fee)
        self.pend_dir = np.zeros(n, dtype=np.int8)  # 0 none, 1 withdraw, 2 deposit
        self.pend_at = np.zeros(n, dtype=np.int64)  # step it lands at
        self.pend_from = np.zeros(n, dtype=np.int64)
        self.history: dict[int, list[tuple[int, str, float]]] = {}
        self.core_calls = 0
        self.w_steps = max(0, math.ceil(p.transfer_delay_hours / self.dt - 1e-9))
        self.d_steps = max(0, math.ceil(p.deposit_credit_hours / self.dt - 1e-9))

    # --- bookkeeping ---------------------------------------------------------------------
    def in_flight(self) -> F64:
        return np.where(self.pend_dir > 0, self.pend_amt, 0.0)

    def _day(self, j: int, kind: str, t: int) -> Decimal:
        day_steps = 24 / self.dt
        rows = self.history.get(j, ())
        return _dec(sum(a for s, k, a in rows if k == kind and s > t - day_steps), "0.01")

    def _ms(self, t: int) -> int:
        return round(t * self.dt * 3_600_000)

    def arrive(self, t: int, book: HedgeBook) -> None:
        land = (self.pend_dir > 0) & (self.pend_at <= t)
        if not land.any():
            return
        wd = land & (self.pend_dir == 1)
        self.reserve[wd] += self.pend_amt[wd]
        dep = land & (self.pend_dir == 2)
        alive = book.size[0] > 0
        book.wallet[0] += np.where(dep & alive, self.pend_amt, 0.0)
        book.free += np.where(dep & ~alive, self.pend_amt, 0.0)
        book._refresh_smax((slice(None), np.flatnonzero(dep)))
        self.pend_dir[land] = 0
        self.pend_amt[land] = 0.0

    # --- the guard -----------------------------------------------------------------------
    def guard(self, t: int, loan: LoanBook, s: F64) -> None:
        trig = (loan.health_factor(s) < self.params.protect.trigger_hf) & (self.reserve > 0)
        for j in np.flatnonzero(trig):
            self.core_calls += 1
            decision = repay.decide(
                self._snapshot(loan, s, int(j), t),
                params=self.protect,
                reserves=(
                    repay.ReserveBalance(
                        symbol="USDC",
                        address="0x" + "22" * 20,
                        decimals=6,
                        balance=_dec(self.reserve[j], "1e-6"),
                    ),
                ),
                spent_today_usd=self._day(int(j), "repay", t),
            )
            if decision.action is None:
                continue
            amount = min(float(decision.action.amount), float(loan.debt[j]))
            loan.debt[j] -= amount
            self.reserve[j] -= amount
            self.repaid[j] += amount
            self.gas[j] += self.params.protect.repay_gas_usd
            self.history.setdefault(int(j), []).append((t, "repay", amount))

    def _snapshot(self, loan: LoanBook, s: F64, j: int, t: int) -> PositionSnapshot:
        return PositionSnapshot(
            protocol="aave-v3",
            chain_id=56,
            wallet="0x" + "b0" * 20,
            block_number=t + 1,
            block_timestamp=self._ms(t) // 1000,
            assets=(
                AssetPosition(
                    symbol=f"W{self.symbol}",
                    address="0x" + "11" * 20,
                    decimals=8,
                    collateral=_dec(loan.coll[0, j]),
                    debt=ZERO,
                    price_usd=_dec(s[0, j]),
                    liquidation_threshold=_dec(loan.lt[0, 0], "1e-4"),
                    liquidation_bonus=_dec(loan.bonus[0], "1e-4"),
                ),
                AssetPosition(
                    symbol="USDC",
                    address="0x" + "22" * 20,
                    decimals=6,
                    collateral=ZERO,
                    debt=_dec(loan.debt[j], "1e-6"),
                    price_usd=Decimal(1),
                    liquidation_threshold=Decimal("0.78"),
                ),
            ),
        )

    # --- the capital loop ----------------------------------------------------------------
    def capital(self, t: int, book: HedgeBook, s: F64) -> None:
        h = self.params.hedge
        size, entry, wallet, sp = book.size[0], book.entry[0], book.wallet[0], s[0]
        upnl = size * (entry - sp)
        im = size * sp / h.leverage
        # The most any withdrawal could take, even after realising all profit: losses count
        # at once (maxWithdrawAmount), profit once realised; realising adds as much to the
        # distance floor's margin as to the wallet, so it lifts only the initial-margin
        # bound. An upper bound: the core never moves more.
        cash = book.free + wallet
        most = np.minimum(cash + upnl - im, cash - (size * sp * book._dist - size * entry))
        with np.errstate(divide="ignore", invalid="ignore"):
            lp = (wallet + size * entry) / (size * (1.0 + h.maint_margin_rate))
            dist = np.where(size > 0, lp / sp - 1.0, np.inf)
        # Under min_transfer_usd of reserve above its floor (0) or of room plus profit to
        # realise, the core refuses the transfer (and realises nothing): not worth a call.
        least = float(self.rules.min_transfer_usd)
        idle = self.pend_dir == 0
        deposit = (dist < float(self.rules.short_floor)) & (self.reserve >= least)
        under = self.reserve < self.target - float(self.rules.refill_band_usd)
        withdraw = under & (most >= least - 1e-6)
        for j in np.flatnonzero(idle & (deposit | withdraw)):
            self._decide(int(j), t, book, float(sp[j]))

    def _view(self, j: int, t: int, book: HedgeBook, sp: float) -> CapitalView:
        h = self.params.hedge
        q = _dec(book.size[0, j])
        mark, entry = _dec(sp), _dec(book.entry[0, j])
        wallet, free = _dec(book.wallet[0, j]), _dec(book.free[j])
        upnl = q * (entry - mark)
        im = q * mark / Decimal(str(h.leverage))
        movable = max(free + wallet + min(upnl, ZERO) - im, ZERO)
        restore = self.rules.short_restore_distance
        mmr = self.spec.maint_margin_rate
        keep = max(im, q * mark * (1 + restore) * (1 + mmr) - q * entry)
        room = free + wallet - keep
        distance, to_restore = None, ZERO
        if q > 0:
            distance = max((wallet + q * entry) / (q * (1 + mmr)) / mark - 1, ZERO)
            to_restore = margin_to_restore_usd(
                spec=self.spec, quantity=-q, mark=mark, equity_usd=wallet + upnl, distance=restore
            )
        reserve = _dec(self.reserve[j], "1e-6")
        return CapitalView(
            read_ms=self._ms(t),
            reserve_usd=reserve,
            coin_held=reserve,
            reserve_target_usd=_dec(self.target, "0.01"),
            reserve_floor_usd=ZERO,
            movable_usd=movable,
            margin_needed_usd=max(movable - max(room, ZERO), ZERO),
            unrealized_pnl_usd=upnl,
            short_liq_distance=distance,
            margin_to_restore_usd=max(to_restore - free, ZERO),
            in_flight=None
            if self.pend_dir[j] == 0
            else PendingTransfer(
                direction=Direction.WITHDRAW if self.pend_dir[j] == 1 else Direction.DEPOSIT,
                amount=_dec(self.pend_sent[j]),
                started_ms=self._ms(int(self.pend_from[j])),
            ),
            withdrawn_today_usd=self._day(j, "withdraw", t),
            deposited_today_usd=self._day(j, "deposit", t),
            can_move=True,
            network=self.network,
        )

    def _decide(self, j: int, t: int, book: HedgeBook, sp: float) -> None:
        self.core_calls += 1
        view = self._view(j, t, book, sp)
        move = decide_money_move(view=view, rules=self.rules, now_ms=self._ms(t))
        if worth_realising(move, view, self.rules) and book.realise(
            j, sp, float(move.realise_first_usd)
        ):
            self.core_calls += 1
            move = decide_money_move(
                view=self._view(j, t, book, sp), rules=self.rules, now_ms=self._ms(t)
            )
        if not move.moves:
            return
        amount = float(move.amount)
        if move.direction is Direction.WITHDRAW:
            book.withdraw(j, amount)
            self.fees[j] += float(move.fee)
            self._pend(j, t, 1, amount, float(move.received), self.w_steps, "withdraw")
        else:
            self.reserve[j] -= amount
            self.gas[j] += self.params.protect.deposit_gas_usd
            self._pend(j, t, 2, amount, amount, self.d_steps, "deposit")

    def _pend(
        self, j: int, t: int, d: int, sent: float, lands: float, steps: int, kind: str
    ) -> None:
        self.pend_dir[j], self.pend_sent[j], self.pend_amt[j] = d, sent, lands
        self.pend_at[j], self.pend_from[j] = t + steps, t
        self.history.setdefault(j, []).append((t, kind, sent))
