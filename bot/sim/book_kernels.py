"""Compiled per-path kernels of the Monte Carlo's hedge book (``bot.sim.hedge_book``, numba).

The same formulas in the same order of operations as the numpy code they replace, so the
same results bit for bit; one pass over the paths instead of a numpy call (and a temporary
array) per operation.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.sim.jit import njit, njit_inline

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


# Fields of the packed hedge model (``HedgeBook``), as ``rebalance_linear`` takes it.
LEVERAGE, DIST, BAND_REL, BAND_ABS, SLIPPAGE, TAKER_FEE = range(6)
MODEL_FIELDS = 6


@njit_inline
def _fund(j: int, add: float, outside: bool, free: F64, capital_in: F64) -> float:
    """``HedgeBook._fund`` (linear) for path ``j``: from outside (booked), or from the free
    balance alone (the capital loop's model)."""
    if outside:
        capital_in[j] += add
        return add
    add = min(add, free[j])
    free[j] -= add
    return add


@njit_inline
def _refresh_smax(i: int, j: int, size: F64, entry: F64, wallet: F64, s_max: F64, m: F64) -> None:
    """``HedgeBook._refresh_smax`` (linear) for one short."""
    q = size[i, j]
    s_max[i, j] = (wallet[i, j] + q * entry[i, j]) / (q * m[DIST]) if q > 0 else np.inf


@njit_inline
def _trade(
    i: int, j: int, diff: float, px: float, b: tuple[F64, ...], outside: bool, m: F64
) -> None:
    """``HedgeBook._trade`` (linear) for one short: a market order of ``diff`` USD at
    ``px`` less/plus slippage, the taker fee, then the initial margin it needs."""
    size, entry, wallet, s_max, free, fees, slippage, capital_in = b
    slip = m[SLIPPAGE]
    sell = diff > 0  # selling increases the short
    fill = px * (1.0 - slip if sell else 1.0 + slip)
    q, e, w = size[i, j], entry[i, j], wallet[i, j]
    dsz = max(diff / px, -q)
    notional_usd = abs(dsz) * px
    fee_usd = abs(dsz) * fill * m[TAKER_FEE]
    realised = 0.0 if sell else -dsz * (e - fill)
    new_size = q + dsz
    safe = new_size if new_size > 0 else 1.0
    if sell:
        entry[i, j] = (q * e + dsz * fill) / safe
    elif not new_size > 0:
        entry[i, j] = px
    wallet[i, j] = w + realised - fee_usd
    size[i, j] = max(new_size, 0.0)
    # A trade must fit initial margin: the simulated user deposits what is missing.
    im = size[i, j] * px / m[LEVERAGE]
    wallet[i, j] += _fund(j, max(im - wallet[i, j], 0.0), outside, free, capital_in)
    _refresh_smax(i, j, size, entry, wallet, s_max, m)
    fees[j] += fee_usd
    slippage[j] += notional_usd * slip


@njit
def rebalance_linear(
    target: F64, s: F64, b: tuple[F64, ...], alive: B2, outside: bool, m: F64
) -> None:
    """``HedgeBook.rebalance`` (linear): trade every live short outside its band to its
    target (a growing one only as far as its margin backs it when no money comes from
    outside), then top up margin where the mark passed the distance floor's price.
    ``b``: size, entry, wallet, s_max (underlyings, paths); free, fees, slippage, capital
    in (paths)."""
    size, entry, wallet, s_max, free = b[0], b[1], b[2], b[3], b[4]
    rows, n = size.shape
    per_usd = max(1.0 / m[LEVERAGE], m[DIST] - 1.0)
    for j in range(n):
        for i in range(rows):
            px, want = s[i, j], target[i, j]
            cur = size[i, j] * px
            if not outside:
                want = min(want, max((wallet[i, j] + free[j]) / per_usd, cur))
            diff = want - cur
            if abs(diff) > max(m[BAND_REL] * want, m[BAND_ABS]) and alive[i, j]:
                _trade(i, j, diff, px, b, outside, m)
    if not outside and not (free != 0).any():
        return  # no free balance on any path: nothing can fund a top-up
    for j in range(n):
        for i in range(rows):
            px = s[i, j]
            if not px > s_max[i, j]:
                continue
            q = size[i, j]
            need = q * px * m[DIST] - q * entry[i, j] - wallet[i, j]
            wallet[i, j] += _fund(j, max(need, 0.0), outside, free, b[7])
            _refresh_smax(i, j, size, entry, wallet, s_max, m)
