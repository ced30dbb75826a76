"""Float twins of the daemon's guard and capital rules, over numpy arrays, for the Monte Carlo.

``repay_amount`` is ``bot.core.repay.decide`` for the Monte Carlo's loan (one volatile
collateral, one USDC debt at $1, repay only: ``allow_supply`` off, no shadow HF);
``decide_money_move_vec`` is ``bot.core.capital.decide_money_move`` with its sizing
(``bot.core.capital_sizing``) for a fresh view with no transfer in flight (the caller holds
while one is: rule 2) on a venue that can move money. Same rules, same order, same refusals,
in float: ``tests/sim/test_capital_twin.py`` draws random inputs and checks the verdict,
direction and alert reason are the Decimal functions' and the amounts agree within a cent.
Live money never goes through here; the backtest calls the Decimal functions themselves.

Each element is decided by the compiled scalar twin (``bot.sim.twin_kernels``), the very
function the Monte Carlo's step kernels call, so the parity test covers what the simulator
runs. Rounding: see that module.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np
import numpy.typing as npt

from bot.core.capital_model import AlertReason, CapitalRules, CoinNetwork
from bot.core.repay_params import ProtectParams
from bot.sim import twin_kernels as tk

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
B1 = npt.NDArray[np.bool_]


class V(IntEnum):
    """Verdicts and directions as small ints (arrays)."""

    HOLD = 0
    MOVE = 1
    ALERT = 2
    WITHDRAW = 1
    DEPOSIT = 2


# Alert reasons as codes: 0 none, then the enum's order.
REASONS: tuple[AlertReason, ...] = tuple(AlertReason)
CODE = {r: i + 1 for i, r in enumerate(REASONS)}


# The kernels' own reason codes (``tk.R_*``) as ``CODE``s.
_KERNEL_REASON = np.zeros(10, dtype=np.int8)
for _k, _r in (
    (tk.R_DISABLED, AlertReason.DISABLED),
    (tk.R_NETWORK_SUSPENDED, AlertReason.NETWORK_SUSPENDED),
    (tk.R_RESERVE_AT_FLOOR, AlertReason.RESERVE_AT_FLOOR),
    (tk.R_NO_COIN_HELD, AlertReason.NO_COIN_HELD),
    (tk.R_NOTHING_WITHDRAWABLE, AlertReason.NOTHING_WITHDRAWABLE),
    (tk.R_DAY_CAP_USED, AlertReason.DAY_CAP_USED),
    (tk.R_UNDER_COIN_MINIMUM, AlertReason.UNDER_COIN_MINIMUM),
    (tk.R_NOT_ABOVE_FEE, AlertReason.NOT_ABOVE_FEE),
    (tk.R_UNDER_MIN_TRANSFER, AlertReason.UNDER_MIN_TRANSFER),
):
    _KERNEL_REASON[_k] = CODE[_r]
_REASON_OF_CODE = np.zeros(len(REASONS) + 1, dtype=np.int8)
_REASON_OF_CODE[_KERNEL_REASON] = np.arange(len(_KERNEL_REASON), dtype=np.int8)


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

    def packed(self) -> F64:
        """The rules as the kernels take them (``tk.ENABLED`` ...; flags 1.0 / 0.0)."""
        r = np.zeros(tk.TWIN_FIELDS)
        for i, v in (
            (tk.ENABLED, self.enabled),
            (tk.SHORT_FLOOR, self.short_floor),
            (tk.REFILL_BAND, self.refill_band),
            (tk.MIN_TRANSFER, self.min_transfer),
            (tk.MAX_WD_TRANSFER, self.max_wd_transfer),
            (tk.MAX_WD_DAY, self.max_wd_day),
            (tk.MAX_DEP_TRANSFER, self.max_dep_transfer),
            (tk.MAX_DEP_DAY, self.max_dep_day),
            (tk.FEE, self.fee),
            (tk.WD_MIN, self.wd_min),
            (tk.WD_MAX, self.wd_max),
            (tk.WD_MULTIPLE, self.wd_multiple),
            (tk.DEP_MIN, self.dep_min),
            (tk.WD_OPEN, self.wd_open),
            (tk.DEP_OPEN, self.dep_open),
        ):
            r[i] = float(v)
        return r


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


def _f64(x: F64) -> F64:
    """As the kernels take arrays: contiguous float64 (numba compiles one version for it)."""
    return np.ascontiguousarray(x, dtype=np.float64)


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
    codes = np.zeros((3, n), dtype=np.int8)
    amounts = np.zeros((4, n))
    tk.decide_many(
        _f64(reserve),
        _f64(coin_held),
        _f64(target),
        _f64(floor),
        _f64(movable),
        _f64(needed),
        _f64(upnl),
        _f64(distance),
        _f64(to_restore),
        _f64(withdrawn_today),
        _f64(deposited_today),
        rules.packed(),
        codes,
        amounts,
    )
    reason = _KERNEL_REASON[codes[2]]
    return Moves(codes[0], codes[1], reason, amounts[0], amounts[1], amounts[2], amounts[3])


def worth_realising_vec(m: Moves, movable: F64, needed: F64, rules: TwinRules) -> B1:
    """``bot.sim.capital_loop.worth_realising``, per element."""
    out = np.zeros(len(m.verdict), dtype=bool)
    tk.worth_many(
        np.ascontiguousarray(m.direction),
        np.ascontiguousarray(m.realise_first),
        _REASON_OF_CODE[m.reason],
        _f64(movable),
        _f64(needed),
        rules.packed(),
        out,
    )
    return out


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

    def packed(self) -> F64:
        """The rules as the kernels take them (``tk.REPAY_ENABLED`` ...)."""
        r = np.zeros(tk.REPAY_FIELDS)
        r[tk.REPAY_ENABLED] = float(self.enabled)
        r[tk.TRIGGER], r[tk.AIM] = self.trigger, self.aim
        r[tk.MAX_ACTION], r[tk.MAX_DAY] = self.max_action, self.max_day
        return r


def repay_amount(
    *, weighted: F64, debt: F64, reserve: F64, spent_today: F64, rules: RepayRules
) -> F64:
    """USDC to repay per element (0: no action): the least debt that restores ``aim_hf``
    (``weighted`` is collateral x price x LT, USD), capped by the reserve, the per-action
    limit, what the day's limit leaves and the debt, in 1e-6 units (USDC's decimals)."""
    out = np.zeros(len(debt))
    tk.repay_many(_f64(weighted), _f64(debt), _f64(reserve), _f64(spent_today), rules.packed(), out)
    return out
