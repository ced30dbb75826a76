"""Float twins of the daemon's guard and capital rules, over numpy arrays, for the Monte Carlo.

``repay_amount`` is ``bot.core.repay.decide`` for the Monte Carlo's loan (one volatile
collateral, one USDC debt at $1, repay only: ``allow_supply`` off, no shadow HF);
``decide_money_move_vec`` is ``bot.core.capital.decide_money_move`` with its sizing
(``bot.core.capital_sizing``) for a fresh view with no transfer in flight (the caller holds
while one is: rule 2) on a venue that can move money. Same rules, same order, same refusals,
in float: ``tests/sim/test_capital_twin.py`` draws random inputs and checks the verdict,
direction and alert reason are the Decimal functions' and the amounts agree within a cent.
Live money never goes through here; the backtest calls the Decimal functions themselves.

Rounding. Decimal inputs carry at most 8 decimals: sums are snapped to that grid
(``np.round(x, 8)``) before a comparison or a step rounding, so a value the Decimal code sees
exactly on a threshold or a step is on it here too instead of an ulp under it.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from bot.core.capital_model import AlertReason, CapitalRules, CoinNetwork
from bot.core.repay_params import ProtectParams

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
B1 = npt.NDArray[np.bool_]
GRID = 8  # decimals the inputs carry


class V(IntEnum):
    """Verdicts and directions as small ints (arrays)."""

    HOLD = 0
    MOVE = 1
    ALERT = 2
    WITHDRAW = 1
    DEPOSIT = 2


# Plain ints for the hot path (an IntEnum member lookup costs a Python call).
HOLD, MOVE, ALERT, WITHDRAW, DEPOSIT = 0, 1, 2, 1, 2


# Alert reasons as codes: 0 none, then the enum's order.
REASONS: tuple[AlertReason, ...] = tuple(AlertReason)
CODE = {r: i + 1 for i, r in enumerate(REASONS)}


def reason_of(code: int) -> AlertReason | None:
    return None if code == 0 else REASONS[code - 1]


_SCALE = 10.0**GRID


def _snap(x: F64) -> F64:
    """``np.round(x, 8)`` without its wrappers (this runs on every step)."""
    return np.rint(x * _SCALE) / _SCALE


def _step(x: F64, step: float, *, up: bool = False) -> F64:
    """``bot.core.plan_rules.round_to_step`` for values on the 1e-8 grid: half a grid unit of
    slack absorbs the float error of ``x / step`` without crossing a real step."""
    if step == 1.0 / _SCALE:
        return _snap(x)  # already on the step's grid
    q = _snap(x) / step
    slack = 0.5 / _SCALE / step
    k = np.ceil(q - slack) if up else np.floor(q + slack)
    return _snap(k * step)


@dataclass(frozen=True, slots=True, kw_only=True)
class TwinRules:
    """``CapitalRules`` and the coin network, as floats."""

    enabled: bool
    short_floor: float
    refill_band: float
    min_transfer: float
    max_wd_transfer: float
    max_wd_day: float
    max_dep_transfer: float
    max_dep_day: float
    fee: float
    wd_min: float
    wd_max: float
    wd_multiple: float
    dep_min: float
    wd_open: bool
    dep_open: bool

    @classmethod
    def of(cls, rules: CapitalRules, net: CoinNetwork) -> TwinRules:
        return cls(
            enabled=rules.enabled,
            short_floor=float(rules.short_floor),
            refill_band=float(rules.refill_band_usd),
            min_transfer=float(rules.min_transfer_usd),
            max_wd_transfer=float(rules.max_withdraw_per_transfer_usd),
            max_wd_day=float(rules.max_withdraw_per_day_usd),
            max_dep_transfer=float(rules.max_deposit_per_transfer_usd),
            max_dep_day=float(rules.max_deposit_per_day_usd),
            fee=float(net.withdraw_fee),
            wd_min=float(net.withdraw_min),
            wd_max=float(net.withdraw_max),
            wd_multiple=float(net.withdraw_multiple),
            dep_min=float(net.deposit_min),
            wd_open=net.withdraw_enabled,
            dep_open=net.deposit_enabled,
        )


@dataclass(frozen=True, slots=True)
class Moves:
    """One decision per element (``MoneyMove``'s fields the simulator uses)."""

    verdict: I8
    direction: I8  # 0 none
    reason: I8  # 0 none, else CODE[AlertReason]
    amount: F64
    fee: F64
    received: F64
    realise_first: F64

    @property
    def moves(self) -> B1:
        return self.verdict == MOVE  # type: ignore[no-any-return]


def decide_money_move_vec(
    *,
    reserve: F64,
    coin_held: F64,
    target: F64,
    floor: F64,
    movable: F64,
    needed: F64,
    upnl: F64,
    distance: F64,  # nan: no short
    to_restore: F64,
    withdrawn_today: F64,
    deposited_today: F64,
    rules: TwinRules,
) -> Moves:
    n = len(reserve)
    verdict = np.zeros(n, dtype=np.int8)
    direction = np.zeros(n, dtype=np.int8)
    reason = np.zeros(n, dtype=np.int8)
    amount, fee, received, realise = (np.zeros(n) for _ in range(4))
    with np.errstate(invalid="ignore"):
        dep = distance < rules.short_floor  # nan (no short) is False
    tgt = np.maximum(target, floor)
    gap = _snap(tgt - reserve)
    wd = ~dep & ((gap > rules.refill_band) | (reserve < floor))

    def refuse(where: B1, mask: B1, why: AlertReason) -> B1:
        """Set ``why`` where ``mask`` holds among ``where`` not yet refused; returns the rest."""
        hit = where & mask
        reason[hit] = CODE[why]
        return where & ~mask

    if dep.any():
        want = _step(np.maximum(to_restore, max(rules.min_transfer, rules.dep_min)), 0.01, up=True)
        above = _snap(reserve - floor)
        day = _snap(rules.max_dep_day - deposited_today)
        limit = np.minimum(np.minimum(coin_held, above), np.minimum(rules.max_dep_transfer, day))
        amt = _step(np.maximum(np.minimum(want, limit), 0.0), 0.01)
        ok = refuse(dep, coin_held <= 0, AlertReason.NO_COIN_HELD)
        ok = refuse(ok, above <= 0, AlertReason.RESERVE_AT_FLOOR)
        ok = refuse(ok, day <= 0, AlertReason.DAY_CAP_USED)
        ok = refuse(ok, amt < rules.dep_min, AlertReason.UNDER_COIN_MINIMUM)
        ok = refuse(ok, amt < rules.min_transfer, AlertReason.UNDER_MIN_TRANSFER)
        direction[dep] = DEPOSIT
        amount[dep] = amt[dep]
        received[dep] = amt[dep]
        verdict[dep] = np.where(ok[dep], MOVE, ALERT)
    if wd.any():
        want = _snap(gap + rules.fee)
        room = _snap(movable - needed)
        day = _snap(rules.max_wd_day - withdrawn_today)
        limit = np.minimum(np.minimum(room, rules.wd_max), np.minimum(rules.max_wd_transfer, day))
        amt = _step(np.maximum(np.minimum(want, limit), 0.0), rules.wd_multiple)
        lift = np.minimum(np.maximum(upnl, 0.0), np.maximum(want - np.maximum(room, 0.0), 0.0))
        ok = refuse(wd, room <= 0, AlertReason.NOTHING_WITHDRAWABLE)
        ok = refuse(ok, day <= 0, AlertReason.DAY_CAP_USED)
        ok = refuse(ok, amt < rules.wd_min, AlertReason.UNDER_COIN_MINIMUM)
        ok = refuse(ok, amt <= rules.fee, AlertReason.NOT_ABOVE_FEE)
        ok = refuse(ok, amt < rules.min_transfer, AlertReason.UNDER_MIN_TRANSFER)
        direction[wd] = WITHDRAW
        amount[wd] = amt[wd]
        fee[wd] = rules.fee
        received[wd] = np.maximum(_snap(amt - rules.fee), 0.0)[wd]
        realise[wd] = _snap(lift)[wd]
        verdict[wd] = np.where(ok[wd], MOVE, ALERT)
    # The gate: a transfer the operator or the venue does not allow becomes an alert.
    go = verdict == MOVE
    if not rules.enabled:
        reason[go] = CODE[AlertReason.DISABLED]
        verdict[go] = ALERT
    else:
        shut = go & (
            ((direction == WITHDRAW) & (not rules.wd_open))
            | ((direction == DEPOSIT) & (not rules.dep_open))
        )
        reason[shut] = CODE[AlertReason.NETWORK_SUSPENDED]
        verdict[shut] = ALERT
    return Moves(verdict, direction, reason, amount, fee, received, realise)


# By reason code: a withdrawal refused for being too small, which realised profit can make
# big enough (or no refusal at all).
_SMALL = np.zeros(len(REASONS) + 1, dtype=bool)
_SMALL[0] = True
for _r in (
    AlertReason.NOTHING_WITHDRAWABLE,
    AlertReason.UNDER_MIN_TRANSFER,
    AlertReason.UNDER_COIN_MINIMUM,
    AlertReason.NOT_ABOVE_FEE,
):
    _SMALL[CODE[_r]] = True


def worth_realising_vec(m: Moves, movable: F64, needed: F64, rules: TwinRules) -> B1:
    """``bot.sim.capital_loop.worth_realising``, per element."""
    if not rules.enabled:
        return np.zeros(len(m.verdict), dtype=bool)
    room = np.maximum(_snap(movable - needed), 0.0)
    return (  # type: ignore[no-any-return]
        (m.direction == WITHDRAW)
        & (m.realise_first > 0)
        & _SMALL[m.reason]
        & (_snap(room + m.realise_first) >= rules.min_transfer)
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class RepayRules:
    """``ProtectParams`` as floats (the repay path the Monte Carlo's loan takes)."""

    enabled: bool
    trigger: float
    aim: float
    max_action: float
    max_day: float

    @classmethod
    def of(cls, p: ProtectParams) -> RepayRules:
        return cls(
            enabled=p.enabled,
            trigger=float(p.trigger_hf),
            aim=float(p.aim_hf),
            max_action=float(p.max_per_action_usd),
            max_day=float(p.max_per_day_usd),
        )


def repay_amount(
    *, weighted: F64, debt: F64, reserve: F64, spent_today: F64, rules: RepayRules
) -> F64:
    """USDC to repay per element (0: no action): the least debt that restores ``aim_hf``
    (``weighted`` is collateral x price x LT, USD), capped by the reserve, the per-action
    limit, what the day's limit leaves and the debt, in 1e-6 units (USDC's decimals)."""
    if not rules.enabled:
        return np.zeros(len(debt))
    with np.errstate(divide="ignore", invalid="ignore"):
        hf = np.where(debt > 0, weighted / debt, np.inf)
    budget = np.minimum(rules.max_action, _snap(rules.max_day - spent_today))
    need = _step(np.maximum(debt - weighted / rules.aim, 0.0), 1e-6, up=True)
    cap = np.minimum(
        np.minimum(_step(reserve, 1e-6), _step(np.maximum(budget, 0.0), 1e-6)), _step(debt, 1e-6)
    )
    amt = np.minimum(need, cap)
    act = (hf < rules.trigger) & (budget > 0) & (reserve > 0) & (debt > 0) & (amt > 0)
    return np.where(act, amt, 0.0)
