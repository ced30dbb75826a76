"""Write the continuous hourly series the rolling backtest replays, gzipped, next to this file.

Run from the repository root: ``.venv/bin/python bot/sim/data/build_rolling.py [SOURCE_DIR]``
(default source ``../shared/data/market``). Output is deterministic (gzip mtime 0), so a rebuild
from the same source produces byte-identical files. Every price is the source's exact string.

Per symbol, from the first month's first day with a mark (or the perp's first trading hour) to
the source's last hour:

- ``rolling_<SYMBOL>_perp.csv.gz``: ``open_time,close`` of the USD-M perp (fills use the close;
  the replay never reads the perp's open, high or low where a mark or its proxy exists);
- ``rolling_<SYMBOL>_mark.csv.gz``: USD-M mark price 1h OHLC where the source has it;
- ``rolling_<SYMBOL>_spot.csv.gz``: spot 1h OHLC for the hours without a mark (the README's
  proxy for the mark: BNB before 2024-12-31);
- ``rolling_<SYMBOL>_perpbars.csv.gz``: the perp's full OHLC for the hours with neither mark nor
  spot (spot outages, and BNB after its mark ends): the last-resort proxy;
- ``rolling_<SYMBOL>_funding.csv.gz``: funding per settlement where the source has it.
"""

from __future__ import annotations

import sys
from pathlib import Path

# The windows' reader, writer and command line: one way to cut and write the shipped data.
from bot.sim.data.build_windows import main, read_rows, write_gz

SYMBOLS = ("BTCUSDT", "ETHUSDT", "BNBUSDT")
# BTC/ETH: the mark starts 2019-12-23 11:00, so the first whole month is January 2020.
# BNB: the perp starts trading 2020-02-10 08:00 (there is no BNB mark before 2024-12-31).
FIRST_HOUR = {
    "BTCUSDT": "2020-01-01T00:00:00Z",
    "ETHUSDT": "2020-01-01T00:00:00Z",
    "BNBUSDT": "2020-02-10T08:00:00Z",
}
OHLC = ("open_time", "open", "high", "low", "close")
FUNDING = ("funding_time", "funding_rate")


def build(source: Path, out: Path) -> list[str]:
    """Write every rolling file; return one line per file written."""
    lines: list[str] = []
    for sym in SYMBOLS:
        first = FIRST_HOUR[sym]
        base = source / f"binance_um_perp_{sym}"
        perp = read_rows(Path(f"{base}_1h.csv"), first, None, OHLC)
        hours = {r[0] for r in perp}
        mark = [
            r
            for r in read_rows(Path(f"{base}_markprice_1h.csv"), first, None, OHLC)
            if r[0] in hours
        ]
        have = {r[0] for r in mark}
        spot = [
            r
            for r in read_rows(source / f"binance_spot_{sym}_1h.csv", first, None, OHLC)
            if r[0] in hours and r[0] not in have
        ]
        have |= {r[0] for r in spot}
        files: dict[str, tuple[tuple[str, ...], list[list[str]]]] = {
            "perp": (("open_time", "close"), [[r[0], r[4]] for r in perp]),
            "mark": (OHLC, mark),
            "spot": (OHLC, spot),
            "perpbars": (OHLC, [r for r in perp if r[0] not in have]),
            "funding": (FUNDING, read_rows(Path(f"{base}_funding.csv"), first, None, FUNDING)),
        }
        for kind, (cols, rows) in files.items():
            target = out / f"rolling_{sym}_{kind}.csv.gz"
            if not rows:
                target.unlink(missing_ok=True)
                continue
            size = write_gz(target, cols, rows)
            lines.append(f"{target.name} rows={len(rows)} bytes={size}")
    return lines


if __name__ == "__main__":
    raise SystemExit(main(sys.argv, build))
