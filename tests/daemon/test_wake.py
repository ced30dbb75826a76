"""Waking a loop: now when it is idle, once more right after a running tick, never for a block
it already read; and the config's heads (sockets derived only for loopback RPCs)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import datetime

import pytest

from bot.chain.head_fanout import Head
from bot.chain.head_sources import block_time_secs, derived_ws_urls, stall_secs
from bot.daemon.loops import LoopResult
from bot.daemon.service import Daemon
from bot.daemon.wake import BlockWake, WakeTarget

WAIT_SECS = 10.0
INTERVAL_SECS = 3600.0  # the interval never fires during a test: every tick here is a wake


class GatedLoop:
    """A loop whose ticks are counted and, while ``gate`` is clear, held open."""

    name = "p:guard"
    interval_secs = INTERVAL_SECS

    def __init__(self) -> None:
        self.gate = threading.Event()
        self.gate.set()
        self.started = threading.Semaphore(0)
        self.ticks = 0

    def tick(self, now: datetime) -> LoopResult:
        self.ticks += 1
        self.started.release()
        assert self.gate.wait(WAIT_SECS)
        return LoopResult(ok=True, next_interval_secs=INTERVAL_SECS)

    def stop(self, *, wait: bool) -> None:
        return None

    def wait_ticks(self, count: int) -> None:
        for _ in range(count):
            assert self.started.acquire(timeout=WAIT_SECS), f"tick {self.ticks + 1} never came"


@pytest.fixture
def loop_and_daemon() -> Iterator[tuple[GatedLoop, Daemon]]:
    loop = GatedLoop()
    daemon = Daemon([loop], misfire_grace_secs=5)
    daemon.start()
    try:
        yield loop, daemon
    finally:
        loop.gate.set()
        daemon.shutdown()


def test_a_wake_ticks_an_idle_loop_long_before_its_interval(
    loop_and_daemon: tuple[GatedLoop, Daemon],
) -> None:
    loop, daemon = loop_and_daemon
    loop.wait_ticks(1)  # the first tick, at start
    daemon.wake(loop.name)
    loop.wait_ticks(1)
    assert loop.ticks == 2


def test_wakes_during_a_tick_give_exactly_one_more_tick_after_it(
    loop_and_daemon: tuple[GatedLoop, Daemon],
) -> None:
    loop, daemon = loop_and_daemon
    loop.wait_ticks(1)
    loop.gate.clear()
    daemon.wake(loop.name)
    loop.wait_ticks(1)  # the woken tick is running, held at the gate
    for _ in range(3):  # three heads while it runs
        daemon.wake(loop.name)
    loop.gate.set()
    loop.wait_ticks(1)  # one more, for the heads that came during the tick
    # Nothing else is due: a fourth tick would need another head or an hour.
    assert not loop.started.acquire(timeout=0.5)
    assert loop.ticks == 3


def _head(number: int, chain_id: int = 56) -> Head:
    return Head(
        chain_id=chain_id,
        number=number,
        timestamp=None,
        hash=None,
        seen_monotonic=time.monotonic(),
        seen_wall=time.time(),
        source="poll",
    )


def test_a_head_wakes_only_loops_on_its_chain_that_have_not_read_it() -> None:
    woken: list[str] = []
    read = {"a:guard": 10, "b:guard": 12}
    targets = {
        56: [
            WakeTarget(name="a:guard", seen=lambda _c: read["a:guard"]),
            WakeTarget(name="hedger", seen=lambda _c: read["a:guard"]),
        ],
        1: [WakeTarget(name="b:guard", seen=lambda _c: read["b:guard"])],
    }
    wake = BlockWake([], targets, woken.append)
    wake.on_head(_head(10))  # both already read block 10
    assert woken == []
    wake.on_head(_head(11))
    assert woken == ["a:guard", "hedger"]
    wake.on_head(_head(12, chain_id=1))
    assert woken == ["a:guard", "hedger"]
    wake.on_head(_head(13, chain_id=1))
    assert woken == ["a:guard", "hedger", "b:guard"]


def test_sockets_are_derived_for_loopback_rpcs_only() -> None:
    assert derived_ws_urls(
        ["http://127.0.0.1:8545", "https://localhost:9000/rpc", "https://bsc-dataseed.bnbchain.org"]
    ) == ["ws://127.0.0.1:8545/", "wss://localhost:9000/rpc"]


def test_block_time_comes_from_the_chain_unless_configured() -> None:
    assert block_time_secs(56, None) == 0.45
    assert block_time_secs(1, None) == 12.0
    assert block_time_secs(56, 3.0) == 3.0
    assert stall_secs(0.45, None) == pytest.approx(1.35)
    assert stall_secs(0.45, 10.0) == 10.0
