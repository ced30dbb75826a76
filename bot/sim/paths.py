"""Correlated GBM (+ Merton jumps) price paths, generated in chunks of time steps.

Paths are never stored whole: 10,000 paths x 8,760 hours x 3 assets would be 2 GB of float64.
The generator hands out one time step at a time, drawing normals a chunk of steps at once.
Re-creating a generator with the same seed replays the same paths, which gives every policy
the same prices (common random numbers: differences between policies are not noise).

The next chunk of prices is made on a helper thread while the caller simulates the current one
(numpy's generator and ufuncs release the GIL): the same draws in the same order, the same
float operations, so the same prices; on a machine with a spare core the paths cost the loop
almost nothing.
"""

from __future__ import annotations

import csv
import gzip
import math
import threading
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt

from bot.sim.params import HOURS_PER_YEAR, AssetModel, MarketModel

F64 = npt.NDArray[np.float64]


def cholesky_factor(market: MarketModel) -> F64:
    n = len(market.assets)
    if market.correlation is None:
        return np.eye(n)
    corr = np.asarray(market.correlation, dtype=np.float64)
    if not np.allclose(corr, corr.T) or not np.allclose(np.diag(corr), 1.0):
        raise ValueError(f"market.correlation must be symmetric with unit diagonal: {corr}")
    try:
        return np.linalg.cholesky(corr).astype(np.float64)
    except np.linalg.LinAlgError as exc:
        raise ValueError(f"market.correlation is not positive definite: {corr}") from exc


class PathGenerator:
    """Yields prices (n_assets, n_paths) step by step; step 0 is s0."""

    def __init__(
        self, market: MarketModel, *, n_paths: int, dt_hours: float, seed: int, chunk: int = 64
    ) -> None:
        self._rng = np.random.default_rng(seed)
        self._chol = cholesky_factor(market)
        self._n = n_paths
        self._chunk = chunk
        dt = dt_hours / HOURS_PER_YEAR
        a = market.assets
        self._sig_sqdt = np.array([x.sigma * math.sqrt(dt) for x in a])[:, None]
        self._lam_dt = np.array([x.jump_intensity * dt for x in a])
        self._jm = np.array([x.jump_mean for x in a])[:, None]
        self._js = np.array([x.jump_std for x in a])[:, None]
        # Jump compensation keeps E[S_T] = s0 e^{mu T} whatever the jump parameters.
        kappa = np.array([math.exp(x.jump_mean + 0.5 * x.jump_std**2) - 1.0 for x in a])
        drift = [
            (x.mu - 0.5 * x.sigma**2 - x.jump_intensity * k) * dt
            for x, k in zip(a, kappa, strict=True)
        ]
        self._drift = np.array(drift)[:, None]
        self._sig32 = self._sig_sqdt.astype(np.float32)
        self._drift32 = self._drift.astype(np.float32)
        self._has_jumps = bool(np.any(self._lam_dt > 0))
        self._log_s = np.repeat(np.log([x.s0 for x in a])[:, None], n_paths, axis=1)
        self._prices: npt.NDArray[np.float64] = np.empty((0, len(a), n_paths))
        self._pos = 0
        self._ahead: _Chunk | None = None

    def _increments(self) -> npt.NDArray[np.float32]:
        """The next chunk's log increments, shape (chunk, n_assets, n_paths)."""
        k, n_a = self._chunk, len(self._drift)
        # float32 normals and increments halve the memory traffic; sums and prices are float64.
        z = self._rng.standard_normal((k, n_a, self._n), dtype=np.float32)
        if n_a > 1:
            z = np.einsum("ij,kjn->kin", self._chol.astype(np.float32), z)
        z *= self._sig32
        z += self._drift32
        if self._has_jumps:
            counts = self._rng.poisson(self._lam_dt[None, :, None], size=(k, n_a, self._n))
            jz = self._rng.standard_normal((k, n_a, self._n), dtype=np.float32)
            z += counts * self._jm + np.sqrt(counts) * self._js * jz
        return z

    def _make_chunk(self) -> npt.NDArray[np.float64]:
        """Prices for the next chunk of steps. The increments are summed one step at a time
        into the float64 log prices (as the steps are taken), then exponentiated."""
        z = self._increments()
        prices = np.empty(z.shape)
        for j in range(len(z)):
            self._log_s += z[j]
            np.exp(self._log_s, out=prices[j])
        return prices

    def next(self) -> F64:
        """Prices after one more step, shape (n_assets, n_paths)."""
        if self._pos >= len(self._prices):
            ahead = self._ahead if self._ahead is not None else _Chunk(self._make_chunk)
            self._prices = ahead.result()
            self._pos = 0
            # Only one chunk is ever in the making, so the draws keep their order.
            self._ahead = _Chunk(self._make_chunk)
        out: F64 = self._prices[self._pos]
        self._pos += 1
        return out


class _Chunk:
    """One chunk of prices made on its own thread."""

    def __init__(self, make: Callable[[], npt.NDArray[np.float64]]) -> None:
        self._make = make
        self._value: npt.NDArray[np.float64] | None = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="price-paths", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._value = self._make()
        except BaseException as exc:  # handed to the caller of result()
            self._error = exc

    def result(self) -> npt.NDArray[np.float64]:
        self._thread.join()
        if self._error is not None:
            raise self._error
        assert self._value is not None
        return self._value


def _closes(path: Path) -> dict[str, float]:
    opener = gzip.open if path.suffix == ".gz" else open
    with opener(path, "rt", newline="") as fh:
        reader = csv.DictReader(fh)
        if reader.fieldnames is None or not {"open_time", "close"} <= set(reader.fieldnames):
            raise ValueError(f"{path}: CSV needs columns open_time and close")
        return {row["open_time"]: float(row["close"]) for row in reader}


def estimate_market(
    files: Mapping[str, Path], *, bar_hours: float = 1.0, s0: Mapping[str, float] | None = None
) -> MarketModel:
    """Fit drift, volatility and the correlation of log returns from price CSVs (one per
    symbol, same bar size). Jumps are not fitted: the fitted sigma already includes them."""
    series = {sym: _closes(p) for sym, p in files.items()}
    common = sorted(set.intersection(*(set(s) for s in series.values())))
    if len(common) < 3:
        raise ValueError(f"price files share fewer than 3 timestamps: {sorted(files)}")
    logp = np.log(np.array([[series[s][t] for t in common] for s in files]))
    rets = np.diff(logp, axis=1)
    per_year = HOURS_PER_YEAR / bar_hours
    assets = []
    for i, sym in enumerate(files):
        sigma = float(np.std(rets[i], ddof=1) * math.sqrt(per_year))
        mu = float(np.mean(rets[i]) * per_year + 0.5 * sigma**2)
        start = s0[sym] if s0 and sym in s0 else float(np.exp(logp[i, -1]))
        assets.append(AssetModel(symbol=sym, s0=start, mu=mu, sigma=sigma))
    corr = np.corrcoef(rets) if len(files) > 1 else np.ones((1, 1))
    corr_t = tuple(tuple(float(v) for v in row) for row in np.atleast_2d(corr))
    return MarketModel(assets=tuple(assets), correlation=corr_t)
