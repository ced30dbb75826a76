"""Cut the crash windows out of the shared market data and write them, gzipped, next to this file.

Run from the repository root: ``.venv/bin/python bot/sim/data/build_windows.py [SOURCE_DIR]``
(default source ``../shared/data/market``). Output is deterministic (gzip mtime 0), so a rebuild
from the same source produces byte-identical files.

Per window and symbol it writes ``<window>_<SYMBOL>_perp.csv.gz`` (USD-M perp 1h OHLC),
``_mark.csv.gz`` (USD-M mark price 1h) where the source has mark prices, otherwise
``_spot.csv.gz`` (spot 1h, the README's stated proxy for the mark), and ``_funding.csv.gz``
where funding exists. Volume is dropped: the backtest does not use it.
"""

from __future__ import annotations

import csv
import gzip
import io
import sys
from collections.abc import Callable
from pathlib import Path

# (name, first hour, first hour after the window): the crash month plus a month either side.
WINDOWS: tuple[tuple[str, str, str], ...] = (
    ("2020-03", "2020-02-01T00:00:00Z", "2020-05-01T00:00:00Z"),
    ("2021-05", "2021-04-01T00:00:00Z", "2021-07-01T00:00:00Z"),
    ("2022-06", "2022-05-01T00:00:00Z", "2022-08-01T00:00:00Z"),
    ("2022-11", "2022-10-01T00:00:00Z", "2023-01-01T00:00:00Z"),
    ("2024-08", "2024-07-01T00:00:00Z", "2024-10-01T00:00:00Z"),
    ("2025-10", "2025-09-01T00:00:00Z", "2025-12-01T00:00:00Z"),
    ("2026-02", "2026-01-01T00:00:00Z", "2026-04-01T00:00:00Z"),
)
SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT")
# Placeholder bars before trading started (README): never ship them.
TRADING_START = {
    "BTCUSDT": "2019-09-09T00:00:00Z",
    "ETHUSDT": "2019-12-01T00:00:00Z",
    "BNBUSDT": "2020-02-10T08:00:00Z",
}
OHLC = ("open_time", "open", "high", "low", "close")


def read_rows(path: Path, start: str, end: str | None, columns: tuple[str, ...]) -> list[list[str]]:
    """Rows from ``start`` up to ``end`` (excluded; None: the source's last), ``columns`` only."""
    if not path.exists():
        return []
    with path.open(newline="") as fh:
        reader = csv.DictReader(fh)
        key = columns[0]
        # ISO-8601 UTC with a fixed format sorts lexically, so string compares are time compares.
        return [
            [row[c] for c in columns]
            for row in reader
            if start <= row[key] and (end is None or row[key] < end)
        ]


def write_gz(path: Path, columns: tuple[str, ...], rows: list[list[str]]) -> int:
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    with path.open("wb") as raw, gzip.GzipFile(fileobj=raw, mode="wb", mtime=0) as gz:
        gz.write(text.getvalue().encode())
    return path.stat().st_size


def build(source: Path, out: Path) -> list[str]:
    """Write every window file; return one line per file written."""
    lines: list[str] = []
    for name, start, end in WINDOWS:
        for sym in SYMBOLS:
            first = max(start, TRADING_START[sym])
            base = source / f"binance_um_perp_{sym}"
            perp = read_rows(Path(f"{base}_1h.csv"), first, end, OHLC)
            if not perp:
                continue
            files = {"perp": perp}
            mark = read_rows(Path(f"{base}_markprice_1h.csv"), first, end, OHLC)
            # A mark series that starts inside the window would silently mix proxies: use spot
            # for the whole window instead, as the README prescribes for BNB before 2024-12-31.
            if mark and mark[0][0] == perp[0][0]:
                files["mark"] = mark
            else:
                files["spot"] = read_rows(source / f"binance_spot_{sym}_1h.csv", first, end, OHLC)
            funding = read_rows(
                Path(f"{base}_funding.csv"), first, end, ("funding_time", "funding_rate")
            )
            if funding:
                files["funding"] = funding
            for kind, rows in files.items():
                cols = ("funding_time", "funding_rate") if kind == "funding" else OHLC
                size = write_gz(out / f"{name}_{sym}_{kind}.csv.gz", cols, rows)
                lines.append(f"{name}_{sym}_{kind}.csv.gz rows={len(rows)} bytes={size}")
    return lines


def main(argv: list[str], build: Callable[[Path, Path], list[str]] = build) -> int:
    """``build`` from ``argv[1]`` (default: the shared market data beside the repository)."""
    repo = Path(__file__).resolve().parents[3]
    source = Path(argv[1]) if len(argv) > 1 else repo.parent / "shared" / "data" / "market"
    if not source.is_dir():
        print(f"market data folder not found: {source}", file=sys.stderr)
        return 2
    for line in build(source, Path(__file__).resolve().parent):
        print(line)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
