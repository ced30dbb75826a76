"""Benchmark: the daemon's idle footprint: resident memory and CPU at a 3 s interval.

The daemon (``hedgebot run`` subprocess, repay protection on, metrics server up) watches a
hedged WBTC + WETH position against anvil + Aave v3 and the emulator; nothing moves, so every
cycle reads the chain and the exchange and finds nothing to do. After the hedge is in place,
the benchmark samples the process with psutil for 60 s: RSS (USS too, when readable) and the
CPU time it used over the wall time.

Target: under 150 MB resident, under 1 % of one CPU.
Run: .venv/bin/python bench/bench_daemon_idle.py
"""

from __future__ import annotations

import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import contextlib

import psutil  # type: ignore[import-untyped]
from results import below, record, run

from bot.devnet.cache import start_devnet
from bot.emulator.testing import running_emulator
from tests.daemon.harness import (
    cycles_done,
    daemon_config,
    daemon_env,
    open_borrower,
    running_daemon,
    write_config,
)

INTERVAL_S = 3.0
MEASURE_S = 60.0
SAMPLE_EVERY_S = 1.0
MB = 1024 * 1024


def main() -> int:
    with (
        start_devnet() as dn,
        running_emulator() as em,
        tempfile.TemporaryDirectory() as tmp_dir,
    ):
        tmp = Path(tmp_dir)
        borrower = open_borrower(dn, em)
        config = write_config(
            tmp / "bench.yaml",
            daemon_config(
                devnet=dn,
                emulator=em,
                wallet=borrower.address,
                journal_path=tmp / "journal.db",
                interval_secs=INTERVAL_S,
                fast_interval_secs=INTERVAL_S,
            ),
        )
        env = daemon_env(em, wallet_key=borrower.key)
        with running_daemon(config, env, tmp / "daemon.log") as daemon:
            daemon.wait_event("cycle done", orders=0, timeout=60)  # hedged, now idle
            proc = psutil.Process(daemon.pid)
            first_cycle = len(cycles_done(daemon.events()))
            cpu0 = proc.cpu_times()
            wall0 = time.monotonic()
            rss: list[float] = []
            uss: list[float] = []
            while time.monotonic() - wall0 < MEASURE_S:
                rss.append(proc.memory_info().rss / MB)
                with contextlib.suppress(psutil.AccessDenied):
                    uss.append(proc.memory_full_info().uss / MB)
                time.sleep(SAMPLE_EVERY_S)
            cpu1 = proc.cpu_times()
            wall = time.monotonic() - wall0
            threads = proc.num_threads()
            cycles = len(cycles_done(daemon.events())) - first_cycle
            assert daemon.terminate() == 0, daemon.log_tail()

    cpu_s = (cpu1.user - cpu0.user) + (cpu1.system - cpu0.system)
    print(
        f"daemon idle footprint: interval {INTERVAL_S:g} s, {cycles} cycles in {wall:.0f} s, "
        f"{threads} threads"
    )
    print(
        f"  resident memory: max {max(rss):.1f} MB, median {statistics.median(rss):.1f} MB"
        + (f" (USS max {max(uss):.1f} MB)" if uss else "")
    )
    print(
        f"  CPU: {cpu_s:.2f} s over {wall:.0f} s = {cpu_s / wall:.2%} of one core, "
        f"{cpu_s / max(1, cycles) * 1000:.0f} ms per cycle"
    )
    record("idle daemon resident memory, max", max(rss), "MB", below(150))
    record("idle daemon CPU at a 3 s cadence", cpu_s / wall * 100, "% of a core", below(1))
    return 0


if __name__ == "__main__":
    run(main)
