"""Compiled per-path kernels of the Monte Carlo's hedge book (``bot.sim.hedge_book``, numba).

The same formulas in the same order of operations as the numpy code they replace, so the
same results bit for bit; one pass over the paths instead of a numpy call (and a temporary
array) per operation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.sim.jit import njit

F64 = npt.NDArray[np.float64]
B2 = npt.NDArray[np.bool_]


@njit
def _near_liquidation(mark: F64, s_max: F64) -> bool:
    """Any short at or over its distance floor's price (below it none can be liquidated)."""
    rows, n = mark.shape
    for i in range(rows):
        for j in range(n):
            if mark[i, j] >= s_max[i, j]:
                return True
    return False


@njit
def liquidate_linear(
    mark: F64,
    size: F64,
    entry: F64,
    wallet: F64,
    s_max: F64,
    mmr: float,
    alive: B2,
    liquidated: B2,
    liq_loss: F64,
    hit: B2,
) -> bool:
    """Linear shorts (shape (underlyings, paths)) whose margin balance is at or under
    maintenance at ``mark`` are liquidated: marked in ``hit``, their remaining margin (the
    insurance fund's) added to their path's ``liq_loss``. Returns whether any was."""
    if not _near_liquidation(mark, s_max):
        return False
    rows, n = size.shape
    k = 1.0 + mmr
    any_hit = False
    for j in range(n):
        lost = 0.0
        for i in range(rows):
            q = size[i, j]
            # wallet + q (EP - MP) <= q MP MMR, rearranged as the numpy code had it
            if not (q * (mark[i, j] * k - entry[i, j]) >= wallet[i, j] and q > 0):
                continue
            lost += max(wallet[i, j] + q * (entry[i, j] - mark[i, j]), 0.0)
            hit[i, j] = liquidated[i, j] = any_hit = True
            size[i, j] = wallet[i, j] = 0.0
            s_max[i, j] = np.inf
            alive[i, j] = False
        liq_loss[j] += lost
    return any_hit
