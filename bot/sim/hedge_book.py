"""Vectorised short-futures book: one isolated short per underlying per path.

State arrays have shape (n_underlyings, n_paths). Linear (USD-M): ``size`` is base units, the
wallet is USD. Inverse (COIN-M): ``size`` is USD face (contracts * contract size), the wallet
is coin. Stated simplifications: every fill is a market order at price * (1 -/+ slippage) with
the taker fee; margin is topped up from outside capital whenever the short's liquidation price
comes closer than ``min_short_liq_distance`` (the planner's top-up request, always honoured);
a liquidated short loses its whole remaining margin and is not reopened on that path. Initial
margin is only required when a trade opens or grows the short (as on Binance).
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from bot.sim import book_kernels as kernels
from bot.sim import futures_vec as fv
from bot.sim.params import HedgeModel

F64 = npt.NDArray[np.float64]
B1 = npt.NDArray[np.bool_]
IDX2 = tuple[npt.NDArray[np.intp], npt.NDArray[np.intp]]


def nonzero_2d(mask: B1) -> IDX2:
    """``np.nonzero`` of an (n_underlyings, n_paths) mask, in the same order; one underlying
    (the common case, every step) takes the much cheaper 1-d search."""
    if mask.shape[0] != 1:
        rows, cols = np.nonzero(mask)
        return rows, cols
    cols = np.flatnonzero(mask[0])
    return np.zeros(len(cols), dtype=np.intp), cols


class HedgeBook:
    def __init__(self, model: HedgeModel, n_under: int, n_paths: int) -> None:
        self.m = model
        self.inverse = model.venue == "inverse"
        shape = (n_under, n_paths)
        self.size = np.zeros(shape)
        self.entry = np.ones(shape)
        self.wallet = np.zeros(shape)
        self.alive = np.ones(shape, dtype=bool)
        self.liquidated = np.zeros(shape, dtype=bool)
        self.fees_usd = np.zeros(n_paths)
        self.slippage_usd = np.zeros(n_paths)
        self._funding = np.zeros(shape)  # USD received (+) or paid (-), per underlying
        self.liq_loss_usd = np.zeros(n_paths)
        self.capital_in_usd = np.zeros(n_paths)  # outside money put on the exchange
        # False (the capital loop): margin comes only from ``free``, the account's balance
        # backing no short; growing shorts are cut to what it affords, as the planner does.
        self.outside = True
        self.free = np.zeros(n_paths)
        self.withdrawn_usd = np.zeros(n_paths)
        self._dist = (1.0 + model.min_short_liq_distance) * (1.0 + model.maint_margin_rate)
        # Highest mark at which the wallet still meets the distance floor: a top-up is only
        # needed where the mark rose above it (one comparison per step instead of the formula).
        self.s_max = np.full(shape, np.inf)
        m = np.zeros(kernels.MODEL_FIELDS)
        m[kernels.LEVERAGE], m[kernels.DIST] = model.leverage, self._dist
        m[kernels.BAND_REL], m[kernels.BAND_ABS] = model.band_rel, model.band_abs_usd
        m[kernels.SLIPPAGE], m[kernels.TAKER_FEE] = model.slippage, model.taker_fee
        self._packed = m  # as the kernels take the model

    @property
    def funding_usd(self) -> F64:
        """Funding received (+) or paid (-) per path, in USD at each payment's mark."""
        return self._funding.sum(axis=0)  # type: ignore[no-any-return]

    # valuation ---------------------------------------------------------------------------
    def short_usd(self, s: F64) -> F64:
        if self.inverse:
            return self.size * s / self.entry
        return self.size * s

    def margin_delta_usd(self, s: F64) -> F64 | float:
        if self.inverse and self.m.count_margin_delta:
            return self.wallet * s
        return 0.0

    def equity_usd(self, s: F64) -> F64:
        """Per path: free balance, wallet plus uPnL of every underlying, in USD."""
        if self.inverse:
            coin = self.wallet + fv.inverse_short_pnl_coin(self.size, self.entry, s)
            return (coin * s).sum(axis=0)  # type: ignore[no-any-return]
        shorts = (self.wallet + fv.linear_short_pnl_usd(self.size, self.entry, s)).sum(axis=0)
        return shorts + self.free  # type: ignore[no-any-return]

    def pnl_usd(self, s: F64) -> F64:
        """Money the hedge made or lost so far, after every cost, per path."""
        return self.equity_usd(s) + self.withdrawn_usd - self.capital_in_usd

    # per-step events ---------------------------------------------------------------------
    def fund(self, s: F64, rate: float) -> None:
        if rate == 0.0:
            return
        if self.inverse:
            coin = self.size / s * rate
            self.wallet += coin
            self._funding += coin * s
            self._refresh_smax((slice(None), slice(None)))
        else:
            usd = self.size * s * rate
            self.wallet += usd
            self._funding += usd
            # (W + dW + q EP) / (q D) with dW = q s rate: exact, and inf stays inf.
            self.s_max += s * (rate / self._dist)

    def liquidate(self, mark_high: F64) -> B1:
        """Liquidate shorts whose margin balance is at or under maintenance at ``mark_high``;
        return the mask of shorts liquidated now."""
        mmr = self.m.maint_margin_rate
        hit = np.zeros(self.size.shape, dtype=bool)
        if not self.inverse:  # every step of a linear book: one compiled pass
            kernels.liquidate_linear(
                mark_high,
                self.size,
                self.entry,
                self.wallet,
                self.s_max,
                mmr,
                self.alive,
                self.liquidated,
                self.liq_loss_usd,
                hit,
            )
            return hit
        # s_max (the distance floor's price) never exceeds the liquidation price, so below it
        # nothing can be liquidated: one comparison settles the common step.
        if not (mark_high >= self.s_max).any():
            return hit
        bal = self.wallet + fv.inverse_short_pnl_coin(self.size, self.entry, mark_high)
        hit = (self.size > 0) & (bal <= self.size / mark_high * mmr)
        if not hit.any():
            return hit
        lost = np.where(hit, np.maximum(bal, 0.0) * mark_high, 0.0)
        # The remaining margin goes to the insurance fund; count it as capital lost.
        self.liq_loss_usd += lost.sum(axis=0)
        self.size[hit] = 0.0
        self.wallet[hit] = 0.0
        self.s_max[hit] = np.inf
        self.alive[hit] = False
        self.liquidated |= hit
        return hit

    def _distance_wallet(self, s: F64, size: F64, entry: F64) -> F64:
        """Wallet that puts the short's liquidation price min_short_liq_distance above s."""
        if self.inverse:
            x = s * (1.0 + self.m.min_short_liq_distance)
            return size / entry - size * (1.0 - self.m.maint_margin_rate) / x
        return size * s * self._dist - size * entry

    def _required_wallet(self, s: F64) -> F64:
        """Initial margin and the distance floor (what stays when gains are withdrawn)."""
        im = self.size / (s * self.m.leverage) if self.inverse else self.size * s / self.m.leverage
        return np.maximum(im, self._distance_wallet(s, self.size, self.entry))

    def _refresh_smax(self, idx: tuple[npt.NDArray[np.intp] | slice, ...]) -> None:
        size, entry, wallet = self.size[idx], self.entry[idx], self.wallet[idx]
        with np.errstate(divide="ignore", invalid="ignore"):
            if self.inverse:
                den = size / entry - wallet
                smax = (
                    size
                    * (1.0 - self.m.maint_margin_rate)
                    / ((1.0 + self.m.min_short_liq_distance) * den)
                )
                ok = (size > 0) & (den > 0)
            else:
                smax = (wallet + size * entry) / (size * self._dist)
                ok = size > 0
        self.s_max[idx] = np.where(ok, smax, np.inf)

    def top_up(self, s: F64) -> None:
        above = s > self.s_max
        if not above.any():  # any() is much cheaper than nonzero() on the common no-op step
            return
        idx = nonzero_2d(above)
        if not len(idx[0]):
            return
        need = self._distance_wallet(s[idx], self.size[idx], self.entry[idx]) - self.wallet[idx]
        add = self._fund(idx[1], np.maximum(need, 0.0), s[idx])
        self.wallet[idx] += add
        self._refresh_smax(idx)

    def _fund(self, paths: npt.NDArray[np.intp], add: F64, px: F64) -> F64:
        """Margin in coin for ``paths`` of an inverse book, from outside (booked in USD)."""
        np.add.at(self.capital_in_usd, paths, add * px)
        return add

    def rebalance(self, target_usd: F64, s: F64) -> None:
        """Trade to ``target_usd`` where outside the band, then restore the margin floor."""
        if not self.inverse:  # one compiled pass over the shorts
            if not self.outside and self.size.shape[0] > 1:
                # Money from the free balance alone would be shared by a path's shorts: the
                # kernel takes one (the capital loop's CoreLoop takes one asset only).
                raise ValueError("a book funded from its free balance takes one short per path")
            b: tuple[F64, ...] = (self.size, self.entry, self.wallet, self.s_max, self.free)
            b += (self.fees_usd, self.slippage_usd, self.capital_in_usd)
            target = np.ascontiguousarray(target_usd, dtype=np.float64)
            kernels.rebalance_linear(target, s, b, self.alive, self.outside, self._packed)
            return
        # An inverse book: its margin comes from outside (the capital loop is linear only).
        cur = self.short_usd(s)
        diff = target_usd - cur
        band = np.maximum(self.m.band_rel * target_usd, self.m.band_abs_usd)
        out = (np.abs(diff) > band) & self.alive
        if out.any():
            idx = nonzero_2d(out)
            self._trade(idx, diff[idx], s[idx])
        self.top_up(s)

    def _trade(self, idx: tuple[npt.NDArray[np.intp], ...], diff: F64, s: F64) -> None:
        """An inverse book's trades (a linear book trades in ``kernels.rebalance_linear``)."""
        slip, fee = self.m.slippage, self.m.taker_fee
        sell = diff > 0  # selling increases the short
        fill = s * np.where(sell, 1.0 - slip, 1.0 + slip)
        size, entry, wallet = self.size[idx], self.entry[idx], self.wallet[idx]
        dsz = diff * fill / s  # USD face whose delta is diff at this price
        dsz = np.maximum(dsz, -size)
        notional_usd = np.abs(dsz)
        fee_coin = notional_usd / fill * fee
        realised = np.where(sell, 0.0, -dsz * (1.0 / fill - 1.0 / entry))
        new_size = size + dsz
        safe = np.where(new_size > 0, new_size, 1.0)
        new_entry = np.where(
            sell, safe / (size / entry + dsz / fill), np.where(new_size > 0, entry, s)
        )
        self.wallet[idx] = wallet + realised - fee_coin
        fee_usd = fee_coin * s
        self.size[idx] = np.maximum(new_size, 0.0)
        self.entry[idx] = new_entry
        paths = idx[1]
        # A trade must fit initial margin: the simulated user deposits what is missing.
        size_now = self.size[idx]
        im = size_now / (s * self.m.leverage)
        add = self._fund(paths, np.maximum(im - self.wallet[idx], 0.0), s)
        self.wallet[idx] += add
        self._refresh_smax(idx)
        np.add.at(self.fees_usd, paths, fee_usd)
        np.add.at(self.slippage_usd, paths, notional_usd * slip)

    def withdraw_gains(self, s: F64, mask: npt.NDArray[np.bool_]) -> F64:
        """On paths in ``mask``: where it frees money, realise the uPnL (close and reopen at the
        mark, paying fee and slippage twice) and withdraw the wallet above the required margin
        (initial margin and the distance floor). Returns USD per path (inverse: the coin sold
        at the mark minus slippage and fee)."""
        out = np.zeros(s.shape[1])
        cols = np.flatnonzero(mask)
        if not len(cols):
            return out
        sl = (slice(None), cols)
        size, entry, sc, wallet = self.size[sl], self.entry[sl], s[sl], self.wallet[sl]
        cost = self.m.slippage + self.m.taker_fee
        notional = size * sc / entry if self.inverse else size * sc
        if self.inverse:
            after = wallet + fv.inverse_short_pnl_coin(size, entry, sc) - 2.0 * cost * size / sc
            required = np.maximum(
                size / (sc * self.m.leverage), self._distance_wallet(sc, size, sc)
            )
        else:
            after = wallet + fv.linear_short_pnl_usd(size, entry, sc) - 2.0 * cost * notional
            required = np.maximum(size * sc / self.m.leverage, self._distance_wallet(sc, size, sc))
        go = (size > 0) & (after > required)
        if not go.any():
            return out
        excess = np.where(go, after - required, 0.0)
        self.fees_usd[cols] += np.where(go, 2.0 * self.m.taker_fee * notional, 0.0).sum(axis=0)
        self.slippage_usd[cols] += np.where(go, 2.0 * self.m.slippage * notional, 0.0).sum(axis=0)
        self.entry[sl] = np.where(go, sc, entry)
        self.wallet[sl] = np.where(go, required, wallet)
        self._refresh_smax(sl)
        usd = excess * sc * (1.0 - cost) if self.inverse else excess
        out[cols] = usd.sum(axis=0)
        self.withdrawn_usd[cols] += out[cols]
        return out
