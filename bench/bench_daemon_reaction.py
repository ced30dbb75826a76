"""Benchmark: the daemon's reaction from the block that moves the oracle price to the emulator
acknowledging the hedge order.

anvil mines every 0.45 s (BNB Chain's block time) with the real Aave v3 deployment loaded; the
daemon (``hedgebot run`` subprocess, JSON logs) runs at ``fast_interval`` 0.45 s against the
emulator. The WBTC oracle price flips between 60,000 and 48,000 (HF 1.87 <-> 1.50, so the
ladder policy moves the BTC short each time); each move is one mined block.

Per move:
  block      wall time at which the block carrying the new price was mined (anvil_mine returned)
  wait       block -> start of the first cycle that read it (the schedule: 0 .. one interval)
  rpc        the cycle's chain reads: the Aave snapshot and the repay stage's check
  exchange   the cycle's exchange reads (marks, positions, balances) + placing the order
  planning   assess + breakers (pure)
  ack        the emulator's order time (it records the order when it accepts it)

Target: bot overhead (cycle start -> ack) under 50 ms, i.e. reaction under one block + 50 ms.
Run: .venv/bin/python bench/bench_daemon_reaction.py
"""

from __future__ import annotations

import random
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from results import at_most, record, run
from web3 import Web3

from bot.devnet.aave import AaveDeployment
from bot.devnet.anvil import AnvilProcess
from bot.devnet.cache import ensure_cache
from bot.devnet.devnet import Devnet
from bot.emulator.testing import running_emulator
from tests.daemon.harness import (
    cycles_done,
    daemon_config,
    daemon_env,
    emulator_orders,
    open_borrower,
    running_daemon,
    write_config,
)

BLOCK_TIME_S = 0.45
MOVES = 40
PRICES = (Decimal(48_000), Decimal(60_000))
SEED = 7


@contextmanager
def devnet_with_block_time(block_time_s: float) -> Iterator[Devnet]:
    """The cached Aave devnet in an anvil that also mines on its own every ``block_time_s``."""
    state_path, addresses_path = ensure_cache()
    deployment = AaveDeployment.load(addresses_path)
    with AnvilProcess(extra_args=("--block-time", str(block_time_s))) as anvil:
        anvil.rpc("anvil_loadState", state_path.read_text())
        anvil.rpc("anvil_mine", "0x1")
        w3 = Web3(Web3.HTTPProvider(anvil.rpc_url))
        yield Devnet(anvil=anvil, w3=w3, deployment=replace(deployment, chain_id=anvil.chain_id))


def reacted(event: dict[str, Any], *, after_block: int) -> bool:
    """A cycle that read a block after ``after_block`` and traded."""
    return (
        event.get("event") == "cycle done"
        and int(event.get("block", -1)) > after_block
        and int(event.get("orders", 0)) > 0
    )


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q / 100 * (len(ordered) - 1)))]


def row(name: str, values: list[float]) -> str:
    return (
        f"  {name:<34} p50 {pct(values, 50):7.1f} ms   p99 {pct(values, 99):7.1f} ms"
        f"   mean {statistics.fmean(values):7.1f} ms"
    )


def main() -> int:
    rng = random.Random(SEED)
    with (
        devnet_with_block_time(BLOCK_TIME_S) as dn,
        running_emulator() as em,
        tempfile.TemporaryDirectory() as tmp_dir,
    ):
        tmp = Path(tmp_dir)
        # WBTC only, BNB margin not hedged: each move is one BTCUSDT order.
        borrower = open_borrower(
            dn, em, weth=Decimal(0), usdc_debt=Decimal(25_000), usdc_reserve=Decimal(1_000)
        )
        # Each round trip sells at 48,000 and buys back at 60,000: keep margin for all of them.
        em.control.fund("USDT", Decimal(1_000_000))
        config = write_config(
            tmp / "bench.yaml",
            daemon_config(
                devnet=dn,
                emulator=em,
                wallet=borrower.address,
                journal_path=tmp / "journal.db",
                interval_secs=BLOCK_TIME_S,
                fast_interval_secs=BLOCK_TIME_S,
                alert_hf=3.0,  # always on the fast cadence
                count_margin_as_exposure=False,
            ),
        )
        env = daemon_env(em, wallet_key=borrower.key)
        with running_daemon(config, env, tmp / "daemon.log") as daemon:
            daemon.wait_event("cycle done", orders=1, timeout=60)  # the initial hedge
            index, _ = daemon.wait_event("cycle done", orders=0, timeout=30)
            samples = []
            for n in range(MOVES):
                price = PRICES[n % 2]
                known = {o["client_order_id"] for o in emulator_orders(em)}
                time.sleep(rng.uniform(0.0, BLOCK_TIME_S))  # a random phase vs the schedule
                # Every block after ``before`` carries the new price (anvil_setStorageAt
                # writes the live state; set_price then mines the moving block).
                before = dn.latest_block()[0]
                dn.set_price("WBTC", price)
                t_block = time.time()
                em.control.set_mark("BTCUSDT", price)
                index, cycle = daemon.wait_for(
                    partial(reacted, after_block=before),
                    what=f"the cycle reacting to the block after {before}",
                    after=index + 1,
                    timeout=10,
                )
                [order] = [o for o in emulator_orders(em) if o["client_order_id"] not in known]
                start_s = int(cycle["cycle_id"].rsplit("-", 1)[1], 16) / 1000
                ack_s = order["time"] / 1000
                samples.append(
                    {
                        "reaction": (ack_s - t_block) * 1000,
                        "wait": (start_s - t_block) * 1000,
                        "overhead": (ack_s - start_s) * 1000,
                        "rpc": cycle["rpc_ms"],
                        "exchange": cycle["exchange_read_ms"] + cycle["orders_ms"],
                        "planning": cycle["plan_ms"],
                    }
                )
                index, _ = daemon.wait_event("cycle done", orders=0, after=index + 1, timeout=10)
            cycles = len(cycles_done(daemon.events()))
            assert daemon.terminate() == 0, daemon.log_tail()

    def col(key: str) -> list[float]:
        return [float(s[key]) for s in samples]

    print(
        f"daemon reaction: {len(samples)} oracle moves, anvil block time {BLOCK_TIME_S} s, "
        f"fast_interval {BLOCK_TIME_S} s, {cycles} cycles"
    )
    print(row("block -> emulator ack", col("reaction")))
    print(row("  block -> cycle start (wait)", col("wait")))
    print(row("  cycle start -> ack (bot)", col("overhead")))
    print(row("    rpc (snapshot + repay check)", col("rpc")))
    print(row("    exchange (reads + order)", col("exchange")))
    print(row("    planning (assess + breakers)", col("planning")))
    beyond = [r - BLOCK_TIME_S * 1000 for r in col("reaction")]
    print(
        f"reaction beyond one block: p50 {pct(beyond, 50):.1f} ms, p99 {pct(beyond, 99):.1f} ms;"
        f" bot overhead p99 {pct(col('overhead'), 99):.1f} ms"
    )
    record("block -> order acknowledged, p50", pct(col("reaction"), 50), "ms", at_most(60))
    record("block -> order acknowledged, p99", pct(col("reaction"), 99), "ms", at_most(120))
    return 0


if __name__ == "__main__":
    run(main)
