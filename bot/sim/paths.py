"""Correlated GBM (+ Merton jumps) price paths, generated in chunks of time steps.

Paths are never stored whole: 10,000 paths x 8,760 hours x 3 assets would be 2 GB of float64.
The generator hands out one time step at a time, drawing normals a chunk of steps at once.
Re-creating a generator with the same seed replays the same paths, which gives every policy
the same prices (common random numbers: differences between policies are not noise).
"""

from __future__ import annotations

import csv
import gzip
import math
from collections.abc import Mapping
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
        self._buf: npt.NDArray[np.float32] = np.empty((0, len(a), n_paths), dtype=np.float32)
        self._pos = 0

    def _refill(self) -> None:
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
        self._buf = z  # log increments; summed one step at a time (a cumsum over a float32
        self._pos = 0  # chunk into float64 costs more than the per-step add)

    def next(self) -> F64:
        """Prices after one more step, shape (n_assets, n_paths)."""
        if self._pos >= len(self._buf):
            self._refill()
        self._log_s += self._buf[self._pos]
        self._pos += 1
        out: F64 = np.exp(self._log_s)
        return out


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
