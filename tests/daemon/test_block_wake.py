"""Issue 18: the loops react to the block, not the clock.

``hedgebot run`` with every interval at 30 s (hedger, fast cadence, guard): a block that moves
the oracle is acted on long before any interval could have run the loop again, because the
chain's newHeads socket wakes the loops. The wait bounds below are generous; what is asserted
is that the order or the repay came before the interval's next tick was even due.
"""

from __future__ import annotations

import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from tests.daemon.guard_scene import BlockProducer, crash, wait_for_repay, wait_guard_armed
from tests.daemon.harness import (
    Borrower,
    DaemonProcess,
    cycles_done,
    daemon_config,
    daemon_env,
    emulator_orders,
    move_price,
    open_borrower,
    running_daemon,
    write_config,
)

pytestmark = [pytest.mark.chain, pytest.mark.exchange]

INTERVAL_SECS = 30.0
SLOW_BLOCK_SECS = 3.0  # six hedger cycles per block
IDLE_CYCLES = 10
STOPPED_AFTER_SECS = 3  # max_block_age_secs


def _config(
    devnet: Devnet,
    emulator: EmulatorHandle,
    borrower: Borrower,
    tmp_path: Path,
    *,
    streams: bool = False,
) -> tuple[Path, Path]:
    journal_path = tmp_path / "journal.db"
    config: dict[str, Any] = daemon_config(
        devnet=devnet,
        emulator=emulator,
        wallet=borrower.address,
        journal_path=journal_path,
        interval_secs=INTERVAL_SECS,
        fast_interval_secs=INTERVAL_SECS,
    )
    config["protect"]["poll_interval_secs"] = INTERVAL_SECS
    # Blocks wake the hedger only when its marks and account come from the streams.
    config["hedge"]["streams"] = {"enabled": streams}
    return write_config(tmp_path / "hedgebot.yaml", config), journal_path


def _cycle_started_s(cycle: dict[str, Any]) -> float:
    return int(str(cycle["cycle_id"]).rsplit("-", 1)[1], 16) / 1000


def test_a_block_moving_the_oracle_wakes_the_hedger_long_before_its_interval(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower = open_borrower(devnet, emulator)
    config, _ = _config(devnet, emulator, borrower, tmp_path, streams=True)
    env = daemon_env(emulator, wallet_key=borrower.key)
    with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        daemon.wait_event("chain heads streaming", timeout=30)
        first_index, first = daemon.wait_event("cycle done", timeout=30)
        # The interval alone would not run the hedger again before this instant.
        interval_due_s = _cycle_started_s(first) + INTERVAL_SECS
        known = {o["client_order_id"] for o in emulator_orders(emulator)}

        block = move_price(devnet, emulator, "WBTC", Decimal(45_000))  # HF 1.79 -> 1.50
        # anvil_setStorageAt writes the live state: a cycle woken by the block before ``block``
        # (the guard's allowance, say) may already read the new price. Either way a head woke it.
        _, reacted = daemon.wait_for(
            lambda e: (
                e.get("event") == "cycle done"
                and int(e.get("orders", 0)) > 0
                and Decimal(str(e.get("oracle_hf", "9"))) < Decimal("1.6")
            ),
            what=f"a cycle that read the price of block {block} and traded",
            after=first_index + 1,
            timeout=INTERVAL_SECS,
        )
        new = [o for o in emulator_orders(emulator) if o["client_order_id"] not in known]
        assert daemon.terminate() == 0

    btc = [o for o in new if o["symbol"] == "BTCUSDT"]
    assert btc, f"no BTC order after the move: {new}"
    assert all(o["time"] / 1000 < interval_due_s for o in new), (new, interval_due_s)
    assert _cycle_started_s(reacted) < interval_due_s, reacted


def test_a_crash_block_wakes_the_guard_and_the_repay_is_mined_before_its_interval(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower = open_borrower(devnet, emulator)
    config, journal_path = _config(devnet, emulator, borrower, tmp_path)
    env = daemon_env(emulator, wallet_key=borrower.key)
    # 0.45 s blocks, as on BNB Chain: the guard settles its allowance on the block after it.
    with BlockProducer(devnet), running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        daemon.wait_event("chain heads streaming", timeout=30)
        wait_guard_armed(daemon, devnet, borrower.address, timeout=30)
        armed_index, armed = daemon.wait_event("guard verdict", verdict="healthy", timeout=30)
        armed_s = time.time()  # the last guard tick ran before this instant
        hit = crash(devnet, emulator, borrower.address, Decimal("0.67"))  # HF ~1.2 < 1.3
        assert hit.hf < Decimal("1.3")
        daemon.wait_event("repay handed to the wallet", after=armed_index, timeout=INTERVAL_SECS)
        repay = wait_for_repay(journal_path, after=hit.block - 1, timeout=INTERVAL_SECS)
        repaid_s = time.time()
        assert daemon.terminate() == 0

    assert repay.receipt_block is not None
    assert repay.receipt_block > hit.block
    # Mined (and seen mined here) before the guard's interval could have run it again.
    assert repaid_s < armed_s + INTERVAL_SECS, (armed, repaid_s - armed_s)


def _snapshot_reads(daemon: DaemonProcess) -> int:
    """The hedger's chain reads so far (its snapshot latency histogram's count)."""
    text = httpx.get(f"{daemon.metrics_base_url()}/metrics", timeout=10).text
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if sample.name == "hedgebot_rpc_latency_seconds_count" and sample.labels == {
                "method": "snapshot"
            }:
                return int(sample.value)
    return 0


def test_an_idle_daemon_reads_the_chain_per_block_and_still_sees_the_chain_stop(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """Issue 18: while the socket streams, a cycle with no new block reuses its snapshot; a
    chain that stops producing blocks is still reported stale once its head is too old."""
    borrower = open_borrower(devnet, emulator)
    # The session's chain is reverted after each test, and its clock with it: blocks from now
    # on carry the wall time, which the block age is measured against.
    devnet.set_next_block_timestamp(max(int(time.time()), devnet.latest_block()[1] + 1))
    devnet.mine()
    config = daemon_config(
        devnet=devnet, emulator=emulator, wallet=borrower.address,
        journal_path=tmp_path / "journal.db", interval_secs=0.5, fast_interval_secs=0.5,
        max_block_age_secs=STOPPED_AFTER_SECS,
    )  # fmt: skip
    path = write_config(tmp_path / "hedgebot.yaml", config)
    env = daemon_env(emulator, wallet_key=borrower.key)
    with running_daemon(path, env, tmp_path / "daemon.log") as daemon:
        with BlockProducer(devnet, interval_secs=SLOW_BLOCK_SECS):
            daemon.wait_event("chain heads streaming", timeout=30)
            daemon.wait_event("cycle done", orders=0, timeout=30)  # hedged, now idle
            reads, block = _snapshot_reads(daemon), devnet.latest_block()[0]
            cycles = len(cycles_done(daemon.events()))
            daemon.wait_for(
                lambda _e: len(cycles_done(daemon.events())) >= cycles + IDLE_CYCLES,
                what=f"{IDLE_CYCLES} more cycles",
            )
            read = _snapshot_reads(daemon) - reads
            mined = devnet.latest_block()[0] - block
        # Each block is read once (two more: a head that came late under load); without the
        # reuse every cycle read.
        assert read <= mined + 2 < IDLE_CYCLES, (read, mined)

        stopped_index = len(daemon.events())  # automine: no transaction, no block from now
        daemon.wait_event("guard verdict", verdict="stale", after=stopped_index, timeout=30)
        daemon.wait_event("cycle skipped", after=stopped_index, timeout=30)
        assert daemon.terminate() == 0
