"""Benchmark: Binance request weight the daemon uses per minute at a 1 s cadence.

The daemon (``hedgebot run`` subprocess) hedges a WBTC + WETH position with BNB margin against
the emulator, cycling every second for 60 s; the oracle price moves every 15 s so the minute
includes real orders, not only reads. The emulator charges each request its Binance weight
(the figure Binance returns in ``X-MBX-USED-WEIGHT-1M``); the benchmark counts every charge over
the measured minute, and cross-checks with the daemon's own ``hedgebot_exchange_used_weight``
metric (the header's value at its last request).

Marks, fills, positions and balances come from the WebSocket streams (``hedge.streams``, on by
default): REST is left with the orders, the fee reads and the periodic account check.

Target (issue 18): at most 2 % of the 2,400 per-minute limit (48) at a 1 s cadence, orders and
fee settlement included. Prints "met" / "NOT met" and exits 1 when not met.
Run: .venv/bin/python bench/bench_daemon_weight.py
"""

from __future__ import annotations

import re
import sys
import tempfile
import threading
import time
from collections import Counter
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import httpx
from results import at_most, record, run

from bot.devnet.cache import start_devnet
from bot.emulator.testing import running_emulator
from tests.daemon.harness import (
    cycles_done,
    daemon_config,
    daemon_env,
    move_price,
    open_borrower,
    running_daemon,
    write_config,
)

LIMIT = 2400
TARGET_FRACTION = Decimal("0.02")
TARGET = int(LIMIT * TARGET_FRACTION)  # 48 per minute
MEASURE_S = 60.0
MOVE_EVERY_S = 15.0
PRICES = (Decimal(52_000), Decimal(60_000))


def main() -> int:
    with (
        start_devnet() as dn,
        running_emulator() as em,
        tempfile.TemporaryDirectory() as tmp_dir,
    ):
        tmp = Path(tmp_dir)
        borrower = open_borrower(dn, em)
        settings = daemon_config(
            devnet=dn,
            emulator=em,
            wallet=borrower.address,
            journal_path=tmp / "journal.db",
            interval_secs=1.0,
            fast_interval_secs=1.0,
        )
        settings["hedge"]["streams"] = {"enabled": True}  # the default, stated: what is measured
        config = write_config(tmp / "bench.yaml", settings)
        # Count every weight charge the emulator makes (its own bookkeeping, not a stand-in).
        charges: list[tuple[float, int]] = []
        lock = threading.Lock()
        limiter = em.exchange.limiter
        charge = limiter.charge

        def counting(weight: int, now: int, limit: int | None = None) -> int:
            with lock:
                charges.append((time.monotonic(), weight))
            return charge(weight, now, limit)

        limiter.charge = counting  # type: ignore[method-assign]

        env = daemon_env(em, wallet_key=borrower.key)
        with running_daemon(config, env, tmp / "daemon.log") as daemon:
            base = daemon.metrics_base_url()
            _index, _ = daemon.wait_event("cycle done", orders=0, timeout=60)  # hedge in place
            start = time.monotonic()
            by_endpoint_before = Counter(em.exchange.weight_by_endpoint)
            first_cycle = len(cycles_done(daemon.events()))
            moves = 0
            while (elapsed := time.monotonic() - start) < MEASURE_S:
                if elapsed >= (moves + 1) * MOVE_EVERY_S and moves + 1 < MEASURE_S / MOVE_EVERY_S:
                    move_price(dn, em, "WBTC", PRICES[moves % 2])
                    moves += 1
                time.sleep(0.1)
            end = time.monotonic()
            by_endpoint = Counter(em.exchange.weight_by_endpoint) - by_endpoint_before
            events = daemon.events()
            metrics = httpx.get(f"{base}/metrics", timeout=5).text
            assert daemon.terminate() == 0, daemon.log_tail()

    in_window = [w for t, w in charges if start <= t < end]
    cycles = cycles_done(events)[first_cycle:]
    window_from = events.index(cycles[0]) if cycles else len(events)
    traded = {e["symbol"] for e in events[window_from:] if e.get("event") == "order"}
    orders = sum(int(e["orders"]) for e in cycles)
    used = _gauge(metrics, "hedgebot_exchange_used_weight")
    weight = sum(in_window)
    sizes = Counter(in_window)
    print(
        f"daemon request weight at a 1 s cadence: {len(cycles)} cycles in {end - start:.0f} s, "
        f"{moves} oracle moves, {orders} orders"
    )
    print(
        f"  weight in the minute: {weight} ({weight / LIMIT:.1%} of {LIMIT};"
        f" target <= {TARGET_FRACTION:.0%} = {TARGET})"
        f" over {len(in_window)} requests, {weight / max(1, len(cycles)):.1f} weight per cycle"
    )
    print(f"  request weights seen: {dict(sorted(sizes.items()))}")
    for endpoint, spent in by_endpoint.most_common():
        print(f"    {endpoint:<32} {spent:>4}")
    # Fees are read from userTrades (weight 5) once per traded symbol, at most once a minute:
    # a minute may hold one such round or none, so report the minute with one.
    settled = "GET /fapi/v1/userTrades" in by_endpoint
    worst = weight if settled else weight + 5 * len(traded)
    print(
        f"  with one fee settlement round ({len(traded)} traded symbol(s) x weight 5): {worst} "
        f"({worst / LIMIT:.1%})" + (" (measured)" if settled else " (added)")
    )
    print(f"  daemon metric hedgebot_exchange_used_weight at the end: {used}")
    fallbacks = _gauge(metrics, "hedgebot_stream_mark_rest_fallbacks")
    print(f"  streamed marks answered by REST instead (whole run): {fallbacks}")
    record(
        "request weight at a 1 s cadence, streams on, fee settlement included",
        worst / LIMIT * 100,
        f"% of {LIMIT}/min",
        at_most(float(TARGET_FRACTION * 100)),
    )
    return 0


def _gauge(text: str, name: str) -> str:
    found = re.search(rf"^{name}(?:\{{[^}}]*\}})? (\S+)$", text, re.MULTILINE)
    return found.group(1) if found else "absent"


if __name__ == "__main__":
    run(main)
