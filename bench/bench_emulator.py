"""Benchmark: 1,000 signed MARKET order round trips through python-binance's Client.

Prints median and p99 latency (target: median < 3 ms on loopback).
Run: .venv/bin/python bench/bench_emulator.py
"""

from __future__ import annotations

import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from results import below, record, run

from bot.emulator.ratelimit import Limits
from bot.emulator.testing import python_binance_client, running_emulator

ROUND_TRIPS = 1000
WARMUP = 50


def main() -> int:
    limits = Limits(weight_per_minute=10**9, orders_per_10s=10**9, orders_per_minute=10**9)
    with running_emulator(limits=limits) as emu:
        client = python_binance_client(emu)
        emu.control.fund("USDT", "10000000")
        samples: list[float] = []
        for i in range(WARMUP + ROUND_TRIPS):
            side = "BUY" if i % 2 == 0 else "SELL"
            started = time.perf_counter()
            order = client.futures_create_order(
                symbol="BTCUSDT",
                side=side,
                type="MARKET",
                quantity="0.010",
                newOrderRespType="RESULT",
                newClientOrderId=f"bench-{i}",
            )
            elapsed = time.perf_counter() - started
            if order["status"] != "FILLED":
                print(f"unexpected order status {order['status']!r}", file=sys.stderr)
                return 1
            if i >= WARMUP:
                samples.append(elapsed * 1000)
        samples.sort()
        median = statistics.median(samples)
        p99 = samples[int(len(samples) * 0.99) - 1]
        print(f"emulator MARKET order round trips via python-binance: n={len(samples)}")
        print(f"  median {median:.3f} ms   p99 {p99:.3f} ms   max {samples[-1]:.3f} ms")
        record("emulator order round trip, median", median, "ms", below(3))
    return 0


if __name__ == "__main__":
    run(main)
