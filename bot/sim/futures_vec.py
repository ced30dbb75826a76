"""Vectorised futures math (float numpy). Same formulas as the risk core's Decimal ones in
``bot.core.futures``; ``tests/sim/test_futures_parity.py`` holds them equal on random inputs.

Conventions: a short's size is a positive number here. Linear (USD-M): ``qty`` base units,
PnL in USD(T). Inverse (COIN-M): ``face_usd`` = contracts * contract size, PnL in coin.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

F64 = npt.NDArray[np.float64]
ArrayLike = F64 | float


def linear_short_pnl_usd(qty: ArrayLike, entry: ArrayLike, mark: ArrayLike) -> ArrayLike:
    """uPnL of a USD-M short of ``qty`` base units: q * (EP - MP)."""
    return qty * (entry - mark)


def inverse_short_pnl_coin(face_usd: ArrayLike, entry: ArrayLike, mark: ArrayLike) -> ArrayLike:
    """uPnL in coin of a COIN-M short of ``face_usd`` USD face: B * (1/MP - 1/EP)."""
    return face_usd * (1.0 / mark - 1.0 / entry)


def inverse_short_pnl_usd(face_usd: ArrayLike, entry: ArrayLike, mark: ArrayLike) -> ArrayLike:
    """The same PnL valued in USD at the mark: B * (1 - MP/EP)."""
    return face_usd * (1.0 - mark / entry)


def linear_short_liq_price(
    qty: ArrayLike, entry: ArrayLike, wallet_usd: ArrayLike, mmr: float
) -> ArrayLike:
    """Isolated one-way short: LP = (WB + |q| EP) / (|q| (1 + MMR)) (Binance FAQ, cum = 0)."""
    return (wallet_usd + qty * entry) / (qty * (1.0 + mmr))


def inverse_short_liq_price(
    face_usd: ArrayLike, entry: ArrayLike, wallet_coin: ArrayLike, mmr: float
) -> ArrayLike:
    """Isolated one-way COIN-M short: LP = B (MMR - 1) / (WB - B/EP); infinite (never
    liquidated) once the coin margin covers the face value, WB >= B/EP."""
    den = wallet_coin - face_usd / entry
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = face_usd * (mmr - 1.0) / den
    return np.where(den < 0, lp, np.inf)
