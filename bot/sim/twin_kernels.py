"""Compiled per-path kernels of the Monte Carlo's guard and capital loop (numba).

``decide_one`` and ``repay_one`` are the float twins of ``bot.core.capital.decide_money_move``
and ``bot.core.repay.decide`` for one (path, step) pair; ``bot.sim.capital_twin`` runs them
over arrays (what ``tests/sim/test_capital_twin.py`` holds against the Decimal functions) and
``land_and_guard`` / ``capital_step`` run them over every path of one step for
``bot.sim.capital_vec.CoreLoop``. Same formulas, in the same order of operations, as the numpy
code they replace: the same results bit for bit, without numpy's cost per call on the few
dozen paths where a decision acts each step.

Everything that calls another jitted function is in this one file: numba's cache is keyed on
the defining file only (``bot.sim.jit``). Alert reasons here are this file's own codes
(``R_*``); ``bot.sim.capital_twin`` maps them to ``AlertReason``.

Rounding. Decimal inputs carry at most 8 decimals: sums are snapped to that grid before a
comparison or a step rounding, so a value the Decimal code sees exactly on a threshold or a
step is on it here too instead of an ulp under it.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.sim.jit import njit, njit_inline

F64 = npt.NDArray[np.float64]
I8 = npt.NDArray[np.int8]
I64 = npt.NDArray[np.int64]
SCALE = 1e8  # 10 ** decimals the inputs carry
HOLD, MOVE, ALERT = 0, 1, 2  # verdicts
WITHDRAW, DEPOSIT = 1, 2  # directions (0 none)
# Alert reasons, this file's codes (0 none).
(
    R_DISABLED,
    R_NETWORK_SUSPENDED,
    R_RESERVE_AT_FLOOR,
    R_NO_COIN_HELD,
    R_NOTHING_WITHDRAWABLE,
    R_DAY_CAP_USED,
    R_UNDER_COIN_MINIMUM,
    R_NOT_ABOVE_FEE,
    R_UNDER_MIN_TRANSFER,
) = range(1, 10)
# Fields of the packed capital rules (``TwinRules.packed``); flags are 1.0 / 0.0.
(
    ENABLED,
    SHORT_FLOOR,
    REFILL_BAND,
    MIN_TRANSFER,
    MAX_WD_TRANSFER,
    MAX_WD_DAY,
    MAX_DEP_TRANSFER,
    MAX_DEP_DAY,
    FEE,
    WD_MIN,
    WD_MAX,
    WD_MULTIPLE,
    DEP_MIN,
    WD_OPEN,
    DEP_OPEN,
) = range(15)
TWIN_FIELDS = 15
# Fields of the packed repay rules (``RepayRules.packed``).
REPAY_ENABLED, TRIGGER, AIM, MAX_ACTION, MAX_DAY = range(5)
REPAY_FIELDS = 5
# Fields of the loop's constants (``CoreLoop``): the book's and the step screen's.
(
    REFILL_UNDER,
    ROOM_FACTOR,
    FLOOR_FACTOR,
    LEVERAGE,
    DIST,
    MMR,
    RESTORE,
    TARGET,
    TAKER_FEE,
    SLIPPAGE,
    DEPOSIT_GAS,
    REPAY_GAS,
    WITHDRAW_STEPS,
    DEPOSIT_STEPS,
) = range(14)
LOOP_FIELDS = 14


@njit
def snap(x: float) -> float:
    """``round(x, 8)``: onto the grid the Decimal inputs live on."""
    return float(np.rint(x * SCALE) / SCALE)


@njit
def to_step(x: float, step: float, up: bool) -> float:
    """``bot.core.plan_rules.round_to_step`` for values on the 1e-8 grid: half a grid unit of
    slack absorbs the float error of ``x / step`` without crossing a real step."""
    if step == 1.0 / SCALE:
        return snap(x)  # already on the step's grid
    q = snap(x) / step
    slack = 0.5 / SCALE / step
    k = np.ceil(q - slack) if up else np.floor(q + slack)
    return snap(k * step)


@njit
def _deposit(
    reserve: float, coin_held: float, floor: float, to_restore: float, deposited: float, r: F64
) -> tuple[int, float]:
    """A deposit's refusal (0: none) and amount."""
    want = to_step(max(to_restore, r[MIN_TRANSFER], r[DEP_MIN]), 0.01, True)
    above = snap(reserve - floor)
    day = snap(r[MAX_DEP_DAY] - deposited)
    limit = min(coin_held, above, r[MAX_DEP_TRANSFER], day)
    amt = to_step(max(min(want, limit), 0.0), 0.01, False)
    why = 0
    if coin_held <= 0:
        why = R_NO_COIN_HELD
    elif above <= 0:
        why = R_RESERVE_AT_FLOOR
    elif day <= 0:
        why = R_DAY_CAP_USED
    elif amt < r[DEP_MIN]:
        why = R_UNDER_COIN_MINIMUM
    elif amt < r[MIN_TRANSFER]:
        why = R_UNDER_MIN_TRANSFER
    return why, amt


@njit
def _withdraw(
    gap: float, movable: float, needed: float, upnl: float, withdrawn: float, r: F64
) -> tuple[int, float, float, float]:
    """A withdrawal's refusal (0: none), amount, amount received and profit to realise."""
    want = snap(gap + r[FEE])
    room = snap(movable - needed)
    day = snap(r[MAX_WD_DAY] - withdrawn)
    limit = min(room, r[WD_MAX], r[MAX_WD_TRANSFER], day)
    amt = to_step(max(min(want, limit), 0.0), r[WD_MULTIPLE], False)
    lift = min(max(upnl, 0.0), max(want - max(room, 0.0), 0.0))
    why = 0
    if room <= 0:
        why = R_NOTHING_WITHDRAWABLE
    elif day <= 0:
        why = R_DAY_CAP_USED
    elif amt < r[WD_MIN]:
        why = R_UNDER_COIN_MINIMUM
    elif amt <= r[FEE]:
        why = R_NOT_ABOVE_FEE
    elif amt < r[MIN_TRANSFER]:
        why = R_UNDER_MIN_TRANSFER
    return why, amt, max(snap(amt - r[FEE]), 0.0), snap(lift)


@njit
def decide_one(
    reserve: float,
    coin_held: float,
    target: float,
    floor: float,
    movable: float,
    needed: float,
    upnl: float,
    distance: float,  # nan: no short
    to_restore: float,
    withdrawn: float,
    deposited: float,
    r: F64,
) -> tuple[int, int, int, float, float, float, float]:
    """``decide_money_move`` for a fresh view with nothing in flight: verdict, direction,
    reason (``R_*``), amount, fee, received, profit to realise first."""
    gap = snap(max(target, floor) - reserve)
    fee = realise = 0.0
    if distance < r[SHORT_FLOOR]:  # nan (no short) is False
        direction = DEPOSIT
        why, amount = _deposit(reserve, coin_held, floor, to_restore, deposited, r)
        received = amount
    elif gap > r[REFILL_BAND] or reserve < floor:
        direction, fee = WITHDRAW, r[FEE]
        why, amount, received, realise = _withdraw(gap, movable, needed, upnl, withdrawn, r)
    else:
        return HOLD, 0, 0, 0.0, 0.0, 0.0, 0.0
    verdict = MOVE if why == 0 else ALERT
    # The gate: a transfer the operator or the venue does not allow becomes an alert.
    if verdict == MOVE:
        if r[ENABLED] == 0.0:
            verdict, why = ALERT, R_DISABLED
        elif r[WD_OPEN if direction == WITHDRAW else DEP_OPEN] == 0.0:
            verdict, why = ALERT, R_NETWORK_SUSPENDED
    return verdict, direction, why, amount, fee, received, realise


@njit
def worth_one(
    direction: int, realise: float, why: int, movable: float, needed: float, r: F64
) -> bool:
    """``bot.sim.capital_loop.worth_realising``: a withdrawal refused only for being too
    small (or not refused), which the profit to realise makes big enough."""
    if r[ENABLED] == 0.0:
        return False
    small = why in (
        0,
        R_NOTHING_WITHDRAWABLE,
        R_UNDER_MIN_TRANSFER,
        R_UNDER_COIN_MINIMUM,
        R_NOT_ABOVE_FEE,
    )
    room = max(snap(movable - needed), 0.0)
    return (
        direction == WITHDRAW and realise > 0 and small and snap(room + realise) >= r[MIN_TRANSFER]
    )


@njit
def repay_one(weighted: float, debt: float, reserve: float, spent_today: float, r: F64) -> float:
    """USDC to repay (0: no action): the least debt that restores ``aim_hf`` (``weighted``
    is collateral x price x LT, USD), capped by the reserve, the per-action limit, what the
    day's limit leaves and the debt, in 1e-6 units (USDC's decimals)."""
    if r[REPAY_ENABLED] == 0.0:
        return 0.0
    hf = weighted / debt if debt > 0 else np.inf
    budget = min(r[MAX_ACTION], snap(r[MAX_DAY] - spent_today))
    need = to_step(max(debt - weighted / r[AIM], 0.0), 1e-6, True)
    cap = min(
        to_step(reserve, 1e-06, False),
        to_step(max(budget, 0.0), 1e-06, False),
        to_step(debt, 1e-06, False),
    )
    amt = min(need, cap)
    act = hf < r[TRIGGER] and budget > 0 and reserve > 0 and debt > 0 and amt > 0
    return amt if act else 0.0


@njit
def decide_many(
    reserve: F64,
    coin_held: F64,
    target: F64,
    floor: F64,
    movable: F64,
    needed: F64,
    upnl: F64,
    distance: F64,
    to_restore: F64,
    withdrawn: F64,
    deposited: F64,
    r: F64,
    codes: I8,
    amounts: F64,
) -> None:
    """``decide_one`` per element; ``codes`` rows: verdict, direction, reason; ``amounts``
    rows: amount, fee, received, realise first."""
    for i in range(len(reserve)):
        v, d, why, amt, fee, rec, real = decide_one(
            reserve[i],
            coin_held[i],
            target[i],
            floor[i],
            movable[i],
            needed[i],
            upnl[i],
            distance[i],
            to_restore[i],
            withdrawn[i],
            deposited[i],
            r,
        )
        codes[0, i], codes[1, i], codes[2, i] = v, d, why
        amounts[0, i], amounts[1, i], amounts[2, i], amounts[3, i] = amt, fee, rec, real


@njit
def worth_many(
    direction: I8,
    realise: F64,
    why: I8,
    movable: F64,
    needed: F64,
    r: F64,
    out: npt.NDArray[np.bool_],
) -> None:
    for i in range(len(direction)):
        out[i] = worth_one(direction[i], realise[i], why[i], movable[i], needed[i], r)


@njit
def repay_many(weighted: F64, debt: F64, reserve: F64, spent_today: F64, r: F64, out: F64) -> None:
    for i in range(len(debt)):
        out[i] = repay_one(weighted[i], debt[i], reserve[i], spent_today[i], r)


# --- the Monte Carlo's step kernels ---------------------------------------------------------
# The hedge book's arrays for the first underlying (``HedgeBook``: ``size[0]`` ... views) and
# the loop's own (``CoreLoop``), as the step kernels take them.
B_SIZE, B_ENTRY, B_WALLET, B_FREE, B_SMAX, B_FEES, B_SLIP, B_WITHDRAWN = range(8)
(
    L_RESERVE,
    L_REPAID,
    L_GAS,
    L_WD_FEES,
    L_PEND_AMT,
    L_DAY_REPAY,
    L_DAY_WD,
    L_DAY_DEP,
) = range(8)
Arrays = tuple[F64, ...]


@njit_inline
def _land(j: int, b: Arrays, loop: Arrays, pend_dir: I8, c: F64) -> None:
    """Path ``j``'s transfer lands: a withdrawal in the reserve, a deposit on the short's
    margin (its free balance once the short is gone)."""
    amt = loop[L_PEND_AMT][j]
    if pend_dir[j] == WITHDRAW:
        loop[L_RESERVE][j] += amt
    else:
        if b[B_SIZE][j] > 0:
            b[B_WALLET][j] += amt
        else:
            b[B_FREE][j] += amt
        _refresh_smax(j, b, c)
    pend_dir[j] = 0
    loop[L_PEND_AMT][j] = 0.0


@njit
def land_and_guard(
    t: int,
    coll: F64,
    price: F64,
    lt: float,
    debt: F64,
    b: Arrays,
    loop: Arrays,
    pend_dir: I8,
    lands_at: I64,
    r: F64,
    c: F64,
    out_idx: I64,
    out_amt: F64,
) -> tuple[int, int]:
    """Every path at the start of step ``t``: the transfer due by now lands, then the guard
    repays what ``repay_one`` says where HF < trigger and the reserve holds USDC. Returns
    (repays, pairs decided); the repays' paths and amounts are the first entries of
    ``out_idx`` / ``out_amt``."""
    k = decided = 0
    trigger, repay_gas = r[TRIGGER], c[REPAY_GAS]
    reserve, day_repay = loop[L_RESERVE], loop[L_DAY_REPAY]
    for j in range(len(debt)):
        if pend_dir[j] != 0 and lands_at[j] <= t:
            _land(j, b, loop, pend_dir, c)
        wc = coll[j] * price[j] * lt
        if not wc < debt[j] * trigger or not reserve[j] >= 1e-6:  # USDC's unit: under it, 0
            continue
        decided += 1
        amount = min(repay_one(wc, debt[j], reserve[j], max(day_repay[j], 0.0), r), debt[j])
        if amount > 0:
            debt[j] -= amount
            reserve[j] -= amount
            loop[L_REPAID][j] += amount
            loop[L_GAS][j] += repay_gas
            day_repay[j] += amount
            out_idx[k], out_amt[k] = j, amount
            k += 1
    return k, decided


@njit_inline
def _refresh_smax(j: int, b: Arrays, c: F64) -> None:
    """``HedgeBook._refresh_smax`` (linear) for path ``j``."""
    q = b[B_SIZE][j]
    b[B_SMAX][j] = (b[B_WALLET][j] + q * b[B_ENTRY][j]) / (q * c[DIST]) if q > 0 else np.inf


@njit_inline
def _can_move(
    j: int, px: float, dep: bool, under: bool, b: Arrays, reserve: float, r: F64, c: F64
) -> bool:
    """Whether a decision on path ``j``, which the step screen kept, can move anything (a
    superset of those that do).

    A deposit needs the short under its floor (``dep``) and the reserve to hold the least
    transfer; a withdrawal needs the reserve under target less the band (``under``) and,
    even after realising all profit, the least transfer's room. That room is at most the
    lower of two bounds: Binance's (wallet, profit once realised, less initial margin) and
    the distance floor's (wallet less the margin keeping the restore distance; realising
    adds as much to that margin as to the wallet, so it never lifts this bound). Where the
    first decision would realise profit and the second could still not withdraw (the
    distance floor binds), the pair is skipped too: realising there only pays fees
    (``worth_realising`` does not see that bound; the backtest pays them)."""
    q, e = b[B_SIZE][j], b[B_ENTRY][j]
    cash = b[B_FREE][j] + b[B_WALLET][j]
    most = min(cash + q * (e - px - px / c[LEVERAGE]), cash + q * (e - px * c[DIST]))
    least = max(r[MIN_TRANSFER], r[DEP_MIN]) - 1e-6
    return (dep and reserve >= least) or (under and most >= r[MIN_TRANSFER] - 1e-6)


@njit_inline
def _decide_path(
    j: int, px: float, b: Arrays, loop: Arrays, c: F64, r: F64
) -> tuple[int, int, int, float, float, float, float, float, float]:
    """``decide_one`` on path ``j``'s ``CapitalView`` (as ``bot.sim.capital_loop`` reads it
    from the Decimal ledger); also returns its movable and needed margin."""
    q, e, wallet, free = b[B_SIZE][j], b[B_ENTRY][j], b[B_WALLET][j], b[B_FREE][j]
    mmr, restore = c[MMR], c[RESTORE]
    upnl = q * (e - px)
    im = q * px / c[LEVERAGE]
    movable = max(free + wallet + min(upnl, 0.0) - im, 0.0)
    keep = max(im, q * px * (1 + restore) * (1 + mmr) - q * e)
    room = free + wallet - keep
    dist = np.nan
    to_restore = 0.0
    if q > 0:
        dist = max((wallet + q * e) / (q * (1 + mmr)) / px - 1, 0.0)
        # bot.core.capital.margin_to_restore_usd: the margin a short opened at the mark
        # needs for the restore distance (bot.core.futures), less its equity.
        needed_at = px * (1 + restore) * (q * mmr + q) - q * px
        to_restore = max(max(needed_at, 0.0) - (wallet + upnl), 0.0)
    needed = max(movable - max(room, 0.0), 0.0)
    reserve = loop[L_RESERVE][j]
    v, d, why, amt, fee, rec, real = decide_one(
        reserve,
        reserve,
        c[TARGET],
        0.0,
        movable,
        needed,
        upnl,
        dist,
        max(to_restore - free, 0.0),
        max(loop[L_DAY_WD][j], 0.0),
        max(loop[L_DAY_DEP][j], 0.0),
        r,
    )
    return v, d, why, amt, fee, rec, real, movable, needed


@njit_inline
def _realise(j: int, px: float, profit: float, b: Arrays, c: F64) -> bool:
    """Buy back and sell again the share of path ``j``'s (linear) short whose unrealised
    profit is ``profit`` (fee and slippage twice on it), so the profit becomes wallet
    balance Binance lets leave. Returns whether it happened (a profit)."""
    q, e = b[B_SIZE][j], b[B_ENTRY][j]
    upnl = q * (e - px)
    if not (q > 0 and upnl > 0 and profit > 0):
        return False
    share = min(profit / upnl, 1.0)
    notional = share * q * px
    cost = 2 * (c[TAKER_FEE] + c[SLIPPAGE]) * notional
    b[B_WALLET][j] += share * upnl - cost
    b[B_ENTRY][j] = e * (1 - share) + px * share
    b[B_FEES][j] += 2 * c[TAKER_FEE] * notional
    b[B_SLIP][j] += 2 * c[SLIPPAGE] * notional
    _refresh_smax(j, b, c)
    return True


@njit_inline
def _move(
    j: int, direction: int, amt: float, fee: float, received: float, b: Arrays, loop: Arrays, c: F64
) -> None:
    """Send a decided transfer of path ``j``: off the exchange (the free balance first, then
    the margin) or out of the reserve; it lands later (``land_and_guard``)."""
    if direction == WITHDRAW:
        from_free = min(amt, b[B_FREE][j])
        b[B_FREE][j] -= from_free
        b[B_WALLET][j] -= amt - from_free
        b[B_WITHDRAWN][j] += amt
        _refresh_smax(j, b, c)
        loop[L_WD_FEES][j] += fee
        loop[L_PEND_AMT][j] = received
        loop[L_DAY_WD][j] += amt
    else:
        loop[L_RESERVE][j] -= amt
        loop[L_GAS][j] += c[DEPOSIT_GAS]
        loop[L_PEND_AMT][j] = amt
        loop[L_DAY_DEP][j] += amt


@njit
def capital_step(
    t: int,
    price: F64,
    b: Arrays,
    loop: Arrays,
    pend_dir: I8,
    lands_at: I64,
    c: F64,
    r: F64,
    out_idx: I64,
    out_amt: F64,
) -> tuple[int, int, int]:
    """The capital loop on every path with nothing in flight where a decision can move
    something: decide; where realising profit first makes a withdrawal possible, realise
    and decide again; send what is decided. Returns (withdrawals, deposits, pairs decided);
    their paths and amounts are the first entries of rows 0 (withdrawals) and 1 (deposits)
    of ``out_idx`` / ``out_amt``."""
    sent = [0, 0]
    decided = 0
    reserve, smax, free = loop[L_RESERVE], b[B_SMAX], b[B_FREE]
    refill_under, floor_factor, room_factor = c[REFILL_UNDER], c[FLOOR_FACTOR], c[ROOM_FACTOR]
    for j in range(len(price)):
        # The step screen, on scalars (most paths stop here): a deposit needs the short
        # closer to its liquidation than short_floor, a mark over s_max times floor_factor;
        # a withdrawal the reserve under target less the band and room on the exchange.
        # With no free balance a withdrawal's room is at most q D (s_max - px k / D), k the
        # larger of D and 1 + 1 / leverage (D: the book's distance factor): none at or above
        # s_max D / k.
        px, sm, res = price[j], smax[j], reserve[j]
        dep = px > sm * floor_factor
        under = res < refill_under
        if not (dep or (under and (px < sm * room_factor or free[j] > 0))) or pend_dir[j] != 0:
            continue
        if not _can_move(j, px, dep, under, b, res, r, c):
            continue
        decided += 1
        v, d, why, amt, fee, rec, real, movable, needed = _decide_path(j, px, b, loop, c, r)
        if worth_one(d, real, why, movable, needed, r) and _realise(j, px, real, b, c):
            decided += 1
            v, d, _, amt, fee, rec, _, _, _ = _decide_path(j, px, b, loop, c, r)
        if v != MOVE:
            continue
        _move(j, d, amt, fee, rec, b, loop, c)
        pend_dir[j] = d
        lands_at[j] = t + int(c[WITHDRAW_STEPS if d == WITHDRAW else DEPOSIT_STEPS])
        row = d - 1
        out_idx[row, sent[row]], out_amt[row, sent[row]] = j, amt
        sent[row] += 1
    return sent[0], sent[1], decided
