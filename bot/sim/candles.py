"""Hourly candle series for backtests: perp OHLC for fills, mark OHLC for margin and
liquidation, funding per settlement. Reads the shipped crash windows, the continuous
series for rolling starts, or a user's CSVs."""

from __future__ import annotations

import csv
import functools
import gzip
import itertools
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import IO

ROLLING = "rolling"  # the continuous 2020-2026 series, ``load_rolling``
WINDOW_NAMES = ("2020-03", "2021-05", "2022-06", "2022-11", "2024-08", "2025-10", "2026-02")
OHLC = ("open_time", "open", "high", "low", "close")


@dataclass(frozen=True, slots=True, kw_only=True)
class Bar:
    open_time: str  # ISO-8601 UTC, candle open
    open: Decimal
    high: Decimal
    low: Decimal
    close: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketSeries:
    symbol: str  # "BTCUSDT"
    perp: tuple[Bar, ...]
    mark: tuple[Bar, ...]  # aligned with perp, hour by hour
    mark_source: tuple[str, ...]  # per hour: "mark", "spot" (proxy) or "perp" (proxy)
    funding: dict[str, Decimal]  # funding_time -> rate (shorts receive when positive)

    @property
    def proxied_hours(self) -> int:
        return sum(1 for s in self.mark_source if s != "mark")


def _open(path: Path) -> IO[str]:
    if path.suffix == ".gz":
        return gzip.open(path, "rt", newline="")
    return path.open(newline="")


def read_bars(path: Path, *, close_only: bool = False) -> list[Bar]:
    """OHLC rows; ``close_only`` reads ``open_time,close`` files (the rolling perp: fills only
    use the close) into flat bars, open = high = low = close."""
    need = ("open_time", "close") if close_only else OHLC
    with _open(path) as fh:
        reader = csv.DictReader(fh)
        missing = set(need) - set(reader.fieldnames or ())
        if missing:
            raise ValueError(f"{path}: missing column(s) {sorted(missing)}; need {need}")
        out = []
        for n, row in enumerate(reader, start=2):
            try:
                vals = [Decimal(row["close" if close_only else c]) for c in OHLC[1:]]
            except InvalidOperation as exc:
                raise ValueError(f"{path}:{n}: not a number in {row}") from exc
            if min(vals) <= 0:
                raise ValueError(f"{path}:{n}: prices must be > 0, got {row}")
            out.append(
                Bar(
                    open_time=row["open_time"],
                    open=vals[0],
                    high=vals[1],
                    low=vals[2],
                    close=vals[3],
                )
            )
    for a, b in itertools.pairwise(out):
        if b.open_time <= a.open_time:
            raise ValueError(f"{path}: rows not ascending at {b.open_time}")
    return out


def read_funding(path: Path) -> dict[str, Decimal]:
    with _open(path) as fh:
        reader = csv.DictReader(fh)
        if not {"funding_time", "funding_rate"} <= set(reader.fieldnames or ()):
            raise ValueError(f"{path}: need columns funding_time, funding_rate")
        return {row["funding_time"]: Decimal(row["funding_rate"]) for row in reader}


def build_series(
    symbol: str,
    perp_path: Path,
    mark_path: Path | None = None,
    funding_path: Path | None = None,
    spot_path: Path | None = None,
    *,
    perp_closes_only: bool = False,
    perp_bars_path: Path | None = None,
) -> MarketSeries:
    """Align mark (or spot, or the perp itself as last resort) to the perp's hours.

    The rolling data: ``perp_closes_only`` (the perp file holds closes) and ``perp_bars_path``,
    the perp's full OHLC for the hours that have neither mark nor spot."""
    perp = read_bars(perp_path, close_only=perp_closes_only)
    if not perp:
        raise ValueError(f"{perp_path}: no rows")
    if perp_bars_path is not None:
        full = {b.open_time: b for b in read_bars(perp_bars_path)}
        perp = [full.get(b.open_time, b) for b in perp]
    mark = {b.open_time: b for b in read_bars(mark_path)} if mark_path else {}
    spot = {b.open_time: b for b in read_bars(spot_path)} if spot_path else {}
    marks: list[Bar] = []
    sources: list[str] = []
    for bar in perp:
        for src, table in (("mark", mark), ("spot", spot)):
            if bar.open_time in table:
                marks.append(table[bar.open_time])
                sources.append(src)
                break
        else:
            marks.append(bar)
            sources.append("perp")
    return MarketSeries(
        symbol=symbol,
        perp=tuple(perp),
        mark=tuple(marks),
        mark_source=tuple(sources),
        funding=read_funding(funding_path) if funding_path else {},
    )


def data_dir() -> Path:
    return Path(str(resources.files("bot.sim") / "data"))


def _shipped(folder: Path, prefix: str) -> Callable[[str], Path | None]:
    """``kind`` -> the shipped ``<prefix>_<kind>.csv.gz``, or None when it is not shipped."""

    def opt(kind: str) -> Path | None:
        p = folder / f"{prefix}_{kind}.csv.gz"
        return p if p.exists() else None

    return opt


def load_window(window: str, symbol: str = "BTCUSDT") -> MarketSeries:
    """One shipped crash window, e.g. ``load_window("2020-03", "BTCUSDT")``."""
    if window not in WINDOW_NAMES:
        raise ValueError(f"unknown window {window!r}; shipped: {', '.join(WINDOW_NAMES)}")
    d = data_dir()
    opt = _shipped(d, f"{window}_{symbol}")
    perp = opt("perp")
    if perp is None:
        raise ValueError(f"window {window} has no {symbol} data in {d}")
    return build_series(symbol, perp, opt("mark"), opt("funding"), opt("spot"))


def load_rolling(symbol: str = "BTCUSDT") -> MarketSeries:
    """The shipped continuous hourly series (BTC/ETH from 2020-01-01, BNB from 2020-02-10)."""
    d = data_dir()
    opt = _shipped(d, f"{ROLLING}_{symbol}")
    perp = opt("perp")
    if perp is None:
        raise ValueError(f"no rolling data for {symbol} in {d}")
    return build_series(
        symbol,
        perp,
        opt("mark"),
        opt("funding"),
        opt("spot"),
        perp_closes_only=True,
        perp_bars_path=opt("perpbars"),
    )


@functools.cache
def cached_rolling(symbol: str) -> MarketSeries:
    """``load_rolling`` once per process (about a second per symbol to parse)."""
    return load_rolling(symbol)
