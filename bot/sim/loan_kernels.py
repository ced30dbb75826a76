"""Compiled per-path kernel of the Monte Carlo's loan liquidation (``LoanBook.liquidate``).

The same rules, formulas and order of operations as the numpy code it replaced (Aave v3.3
close factor, dust rule, bad debt; ``bot.sim.lending_vec`` states the model), so the same
results bit for bit, in one pass over the paths: in a run without protection most steps
liquidate some path, which cost a few dozen numpy calls each.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.sim.jit import njit, njit_inline

F64 = npt.NDArray[np.float64]
I64 = npt.NDArray[np.int64]
B1 = npt.NDArray[np.bool_]
Books = tuple[F64, F64, I64]  # per path: bad debt, liquidation loss, liquidation count
CLOSE_FACTOR_HF = 0.95
MIN_FULL_CLOSE_USD = 2000.0
MIN_LEFTOVER_USD = 1000.0


@njit_inline
def _weighted(j: int, coll: F64, s: F64, lt: F64) -> float:
    """Path ``j``'s collateral value times LT, summed over assets in their order."""
    wc = float(coll[0, j] * s[0, j] * lt[0, 0])
    for i in range(1, coll.shape[0]):
        wc += coll[i, j] * s[i, j] * lt[i, 0]
    return wc


@njit_inline
def _liquidate_once(
    j: int, hf: float, coll: F64, s: F64, bonus_of: F64, debt_of: F64, out: Books
) -> None:
    """One liquidation call on path ``j`` (HF ``hf`` < 1, prices ``s[:, j]``): the
    liquidator seizes the largest collateral reserve."""
    rows = coll.shape[0]
    pick = 0
    for i in range(1, rows):  # the first largest, as argmax
        if coll[i, j] * s[i, j] > coll[pick, j] * s[pick, j]:
            pick = i
    cval = coll[pick, j] * s[pick, j]
    debt = debt_of[j]
    bonus = bonus_of[pick]
    half = hf > CLOSE_FACTOR_HF and cval >= MIN_FULL_CLOSE_USD and debt >= MIN_FULL_CLOSE_USD
    cover = 0.5 * debt if half else debt
    seize = min(cover * (1.0 + bonus), cval)
    cover = seize / (1.0 + bonus)
    left_short = debt - cover < MIN_LEFTOVER_USD or cval - seize < MIN_LEFTOVER_USD
    if half and left_short and seize < cval:
        # v3.3 reverts on such dust; the liquidator takes the largest call that does not.
        limit = min(cover, (cval - MIN_LEFTOVER_USD) / (1.0 + bonus), debt - MIN_LEFTOVER_USD)
        limit = max(limit, 0.0)
        cover, seize = limit, limit * (1.0 + bonus)
    coll[pick, j] = max(coll[pick, j] - seize / s[pick, j], 0.0)
    debt = debt - cover
    value = coll[0, j] * s[0, j]
    for i in range(1, rows):
        value += coll[i, j] * s[i, j]
    bad_debt, liq_loss, liq_count = out
    if value <= 0.0:  # no collateral left: the rest is bad debt
        bad_debt[j] += debt
        debt = 0.0
    debt_of[j] = debt
    liq_loss[j] += seize - cover
    liq_count[j] += 1


@njit
def liquidate(
    s: F64, coll: F64, lt: F64, bonus: F64, debt: F64, out: Books, rounds: int, hit: B1
) -> None:
    """Every path with HF < 1 at prices ``s`` is liquidated (``hit``), call after call (at
    most ``rounds``) while its HF stays under 1. ``out``: bad debt, liquidation loss and
    count per path."""
    for j in range(len(debt)):
        wc = _weighted(j, coll, s, lt)
        if not wc < debt[j]:  # HF < 1 without dividing; no debt is never under
            continue
        hit[j] = True
        for _ in range(rounds):
            _liquidate_once(j, wc / debt[j], coll, s, bonus, debt, out)
            wc = _weighted(j, coll, s, lt)
            if not (debt[j] > 0 and wc < debt[j]):
                break
