"""One shared way for every benchmark to state its targets and keep its figures.

``record`` prints a figure against its target ("met" / "NOT met") and, when the environment
variable ``HEDGEBOT_BENCH_RESULTS`` names a file, appends one JSON line for it (bench, figure,
value, unit, target, met). ``run`` runs a benchmark's ``main``: a crash prints its traceback and
records a NOT-met "failed" row instead of stopping the run, and the process exits 1 so
``make bench`` can tell a crash from a missed target. ``bench/summary.py`` prints the table.
"""

from __future__ import annotations

import json
import operator
import os
import sys
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

RESULTS_ENV = "HEDGEBOT_BENCH_RESULTS"
Op = Literal[">=", "<=", "<", ">", "runs"]
_COMPARE: dict[str, Callable[[float, float], bool]] = {
    ">=": operator.ge,
    "<=": operator.le,
    "<": operator.lt,
    ">": operator.gt,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Target:
    """``value op bound`` (``op`` "runs": met by finishing, whatever the value)."""

    op: Op
    bound: float = 0.0

    def met(self, value: float) -> bool:
        return self.op == "runs" or _COMPARE[self.op](value, self.bound)

    def __str__(self) -> str:
        return "runs" if self.op == "runs" else f"{self.op} {self.bound:,g}"


def at_least(bound: float) -> Target:
    return Target(op=">=", bound=bound)


def at_most(bound: float) -> Target:
    return Target(op="<=", bound=bound)


def below(bound: float) -> Target:
    return Target(op="<", bound=bound)


RUNS = Target(op="runs")


@dataclass(frozen=True, slots=True, kw_only=True)
class Figure:
    """One result record, as ``summary.py`` reads it back."""

    bench: str
    figure: str
    value: float | None  # None: the bench failed before measuring it
    unit: str
    target: str
    met: bool


def number(value: float) -> str:
    """A figure with the digits that mean something: 27.3, 4,004, 0.93."""
    if abs(value) >= 100:
        return f"{value:,.0f}"
    return f"{value:.3g}" if abs(value) >= 1 else f"{value:.2g}"


def _bench_name() -> str:
    return Path(sys.argv[0]).stem


def _append(row: Figure) -> None:
    path = os.environ.get(RESULTS_ENV)
    if not path:
        return
    with Path(path).open("a", encoding="utf-8") as fh:
        fh.write(json.dumps(asdict(row)) + "\n")


def record(figure: str, value: float, unit: str, target: Target) -> bool:
    """Print ``figure`` against ``target`` and keep it; returns whether it is met."""
    met = target.met(value)
    _append(
        Figure(
            bench=_bench_name(),
            figure=figure,
            value=value,
            unit=unit,
            target=str(target),
            met=met,
        )
    )
    print(f"  => {figure}: {number(value)} {unit} (target {target}): {'met' if met else 'NOT met'}")
    return met


def run(main: Callable[[], int | None]) -> None:
    """Run a benchmark's ``main`` and exit with its status; a crash is recorded as a failed,
    NOT-met row (the run goes on to the next benchmark) and exits 1."""
    try:
        status = main() or 0
    except Exception as exc:  # any crash is a row in the table, not the end of the run
        traceback.print_exc()
        _failed(f"{type(exc).__name__}: {str(exc)[:80]}")
        sys.exit(1)
    if status:
        _failed(f"exit status {status}")
    sys.exit(status)


def _failed(why: str) -> None:
    print(f"  => {_bench_name()} failed: {why}: NOT met")
    _append(
        Figure(
            bench=_bench_name(),
            figure=f"failed: {why}",
            value=None,
            unit="",
            target=str(RUNS),
            met=False,
        )
    )
