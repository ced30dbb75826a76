"""Print the benchmarks' results file (``bench/results.py``'s JSON lines) as one table.

Run: .venv/bin/python bench/summary.py RESULTS_FILE
Exit status: 1 if a benchmark failed (crashed or exited non-zero) or the file is missing,
else 0; a figure that misses its target is reported, not an error.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from results import number

COLUMNS = ("bench", "figure", "measured", "target", "met")


def _measured(row: dict[str, Any]) -> str:
    value = row["value"]
    if value is None:
        return "-"
    return f"{number(value)} {row['unit']}".strip()


def table_rows(rows: list[dict[str, Any]]) -> list[tuple[str, ...]]:
    return [
        (
            row["bench"],
            row["figure"],
            _measured(row),
            row["target"] if row["target"] == "runs" else f"{row['target']} {row['unit']}",
            "met" if row["met"] else "NOT met",
        )
        for row in rows
    ]


def _print_rich(lines: list[tuple[str, ...]]) -> bool:
    try:
        from rich.console import Console
        from rich.table import Table
        from rich.text import Text
    except ImportError:
        return False
    table = Table(title="make bench")
    for name in COLUMNS:
        table.add_column(name, justify="right" if name == "measured" else "left")
    for line in lines:
        style = "green" if line[-1] == "met" else "bold red"
        # Text, not markup: figure names hold brackets ("monte carlo [ratio r=0.5]").
        table.add_row(*(Text(cell) for cell in line[:-1]), Text(line[-1], style=style))
    Console(width=max(120, Console().width)).print(table)
    return True


def _print_plain(lines: list[tuple[str, ...]]) -> None:
    widths = [max(len(c), *(len(line[i]) for line in lines)) for i, c in enumerate(COLUMNS)]
    for line in (COLUMNS, tuple("-" * w for w in widths), *lines):
        print("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)))


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: summary.py RESULTS_FILE", file=sys.stderr)
        return 2
    path = Path(argv[0])
    if not path.exists():
        print(f"no benchmark results at {path}", file=sys.stderr)
        return 1
    rows = [json.loads(line) for line in path.read_text().splitlines() if line.strip()]
    lines = table_rows(rows)
    if not lines:
        print(f"{path} holds no results", file=sys.stderr)
        return 1
    if not _print_rich(lines):
        _print_plain(lines)
    met = sum(1 for row in rows if row["met"])
    failed = sum(1 for row in rows if row["value"] is None)
    print(f"{met} of {len(rows)} figures met their targets; {failed} benchmark(s) failed")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
