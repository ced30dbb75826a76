"""The head watcher on a real anvil: every block once and in order over the socket; polling
when the socket is refused, cut or stalled; back on the socket once it heals."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Sequence

import pytest
import structlog.testing

from bot.chain.head_fanout import Head
from bot.chain.heads import HeadTiming, HeadWatcher
from bot.chain.rpc import RpcPool
from bot.devnet.anvil import AnvilProcess, free_port
from tests.tcp_proxy import TcpProxy

WAIT_SECS = 20.0  # a bound for a wait that normally ends in milliseconds, never a timing claim
STALL_SECS = 1.0


class Heads:
    """Every head a watcher delivered, and a way to wait for the one a test expects."""

    def __init__(self) -> None:
        self.seen: list[Head] = []
        self._changed = threading.Condition()

    def __call__(self, head: Head) -> None:
        with self._changed:
            self.seen.append(head)
            self._changed.notify_all()

    def wait_for(self, number: int) -> Head:
        with self._changed:
            found = self._changed.wait_for(
                lambda: any(h.number >= number for h in self.seen), WAIT_SECS
            )
        assert found, f"no head at or above block {number}; got {self.numbers()}"
        return next(h for h in self.seen if h.number >= number)

    def numbers(self) -> list[int]:
        return [h.number for h in self.seen]

    def after(self, number: int) -> list[Head]:
        return [h for h in self.seen if h.number > number]


@pytest.fixture(scope="module")
def anvil() -> Iterator[AnvilProcess]:
    with AnvilProcess() as node:
        yield node


@pytest.fixture
def proxy(anvil: AnvilProcess) -> Iterator[TcpProxy]:
    with TcpProxy(anvil.port) as p:
        yield p


WatcherFactory = Callable[[Sequence[str]], tuple[HeadWatcher, Heads]]


@pytest.fixture
def watch(anvil: AnvilProcess) -> Iterator[WatcherFactory]:
    started: list[HeadWatcher] = []

    def make(ws_urls: Sequence[str]) -> tuple[HeadWatcher, Heads]:
        rpc = RpcPool([anvil.rpc_url], anvil.chain_id, timeout_secs=2.0, retries=0)
        timing = HeadTiming(
            block_time_secs=0.1,
            stall_secs=STALL_SECS,
            retry_min_secs=0.1,
            retry_max_secs=0.4,
            connect_timeout_secs=2.0,
        )
        watcher = HeadWatcher(chain_id=anvil.chain_id, ws_urls=ws_urls, rpc=rpc, timing=timing)
        heads = Heads()
        watcher.subscribe(heads)
        watcher.start()
        started.append(watcher)
        return watcher, heads

    yield make
    for watcher in started:
        watcher.stop()


def head_number(anvil: AnvilProcess) -> int:
    return int(anvil.rpc("eth_blockNumber"), 16)


def mine(anvil: AnvilProcess, blocks: int = 1) -> int:
    anvil.rpc("anvil_mine", hex(blocks))
    return head_number(anvil)


def test_every_mined_block_arrives_once_in_order_over_the_socket(
    anvil: AnvilProcess, watch: WatcherFactory
) -> None:
    watcher, heads = watch([anvil.rpc_url.replace("http://", "ws://")])
    assert watcher.wait_for_mode("streaming", WAIT_SECS)
    start = head_number(anvil)
    for _ in range(10):
        mine(anvil)
    last = mine(anvil, 5)  # five blocks in one call: five headers
    heads.wait_for(last)
    # The head at subscription, asked for once (a header comes only with the next block).
    assert (heads.seen[0].number, heads.seen[0].source) == (start, "poll")
    assert heads.numbers()[1:] == list(range(start + 1, last + 1))
    assert {h.source for h in heads.after(start)} == {"socket"}
    block = anvil.rpc("eth_getBlockByNumber", hex(last), False)
    assert heads.seen[-1].hash == block["hash"]
    assert heads.seen[-1].timestamp == int(block["timestamp"], 16)
    assert all(h.chain_id == anvil.chain_id for h in heads.seen)


def test_a_streaming_watcher_vouches_for_the_head_it_has_and_no_other_block(
    anvil: AnvilProcess, watch: WatcherFactory
) -> None:
    """What lets a loop skip the read of a tick with no new block (issue 18)."""
    watcher, heads = watch([anvil.rpc_url.replace("http://", "ws://")])
    assert watcher.wait_for_mode("streaming", WAIT_SECS)
    last = mine(anvil)
    heads.wait_for(last)  # a listener hears of a head once the watcher vouches for it
    first = watcher.head_confirmed_at(last)
    assert first is not None
    assert watcher.head_confirmed_at(last - 1) is None
    # A quiet chain: no header comes, and the stall check's poll vouches for the block again.
    assert eventually(lambda: (watcher.head_confirmed_at(last) or first) > first)
    newer = mine(anvil)
    heads.wait_for(newer)
    assert watcher.head_confirmed_at(last) is None
    assert watcher.head_confirmed_at(newer) is not None


def test_a_polling_or_stalled_watcher_vouches_for_nothing(
    anvil: AnvilProcess, proxy: TcpProxy, watch: WatcherFactory
) -> None:
    polling, polled = watch([])
    assert polling.wait_for_mode("polling", WAIT_SECS)
    last = mine(anvil)
    polled.wait_for(last)
    assert polling.head_confirmed_at(last) is None  # a poll a block time old says little

    watcher, heads = watch([proxy.ws_url])
    assert watcher.wait_for_mode("streaming", WAIT_SECS)
    proxy.stall()
    last = mine(anvil)  # the socket hides it; the stall check finds it, and leaves the socket
    heads.wait_for(last)
    assert watcher.wait_for_mode("polling", WAIT_SECS)
    assert watcher.head_confirmed_at(last) is None


def eventually(condition: Callable[[], bool]) -> bool:
    deadline = time.monotonic() + WAIT_SECS
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_a_refused_socket_fails_over_to_the_next_url(
    anvil: AnvilProcess, watch: WatcherFactory
) -> None:
    refused = f"ws://127.0.0.1:{free_port()}"
    watcher, heads = watch([refused, anvil.rpc_url.replace("http://", "ws://")])
    assert watcher.wait_for_mode("streaming", WAIT_SECS)
    last = mine(anvil)
    assert heads.wait_for(last).source == "socket"


def test_no_socket_at_all_polls_every_block(anvil: AnvilProcess, watch: WatcherFactory) -> None:
    watcher, heads = watch([])
    assert watcher.wait_for_mode("polling", WAIT_SECS)
    last = mine(anvil)
    head = heads.wait_for(last)
    assert (head.number, head.source, head.timestamp) == (last, "poll", None)


def test_a_cut_socket_falls_back_to_polling_then_returns_when_healed(
    anvil: AnvilProcess, proxy: TcpProxy, watch: WatcherFactory
) -> None:
    watcher, heads = watch([proxy.ws_url])
    assert watcher.wait_for_mode("streaming", WAIT_SECS)
    assert heads.wait_for(mine(anvil)).source == "socket"

    proxy.cut()
    assert watcher.wait_for_mode("polling", WAIT_SECS)
    cut_at = head_number(anvil)
    for _ in range(3):
        last = mine(anvil)
        assert heads.wait_for(last).source == "poll"
    assert [h.number for h in heads.after(cut_at)] == list(range(cut_at + 1, last + 1))

    proxy.heal()
    assert watcher.wait_for_mode("streaming", WAIT_SECS)
    healed_at = head_number(anvil)
    last = mine(anvil)
    heads.wait_for(last)
    assert [(h.number, h.source) for h in heads.after(healed_at)] == [(last, "socket")]
    numbers = heads.numbers()
    assert numbers == sorted(set(numbers)), "a block was delivered twice or out of order"


def test_a_stalled_socket_gives_way_to_polling_within_the_stall_limit(
    anvil: AnvilProcess, proxy: TcpProxy, watch: WatcherFactory
) -> None:
    watcher, heads = watch([proxy.ws_url])
    assert watcher.wait_for_mode("streaming", WAIT_SECS)
    proxy.stall()  # the connection stays open; nothing reaches the watcher any more
    last = mine(anvil)
    head = heads.wait_for(last)
    assert head.source == "poll"  # found by the stall check, which then leaves the socket
    assert watcher.wait_for_mode("polling", WAIT_SECS)
    proxy.heal()
    assert watcher.wait_for_mode("streaming", WAIT_SECS)


def test_a_failing_listener_neither_stops_the_watcher_nor_the_other_listeners(
    anvil: AnvilProcess, watch: WatcherFactory
) -> None:
    watcher, heads = watch([anvil.rpc_url.replace("http://", "ws://")])
    assert watcher.wait_for_mode("streaming", WAIT_SECS)
    heads.wait_for(head_number(anvil))  # the head at subscription, before the broken listener
    failures: list[int] = []
    failed_twice = threading.Event()

    def broken(head: Head) -> None:
        failures.append(head.number)
        if len(failures) == 2:
            failed_twice.set()
        raise RuntimeError("listener bug")

    watcher.subscribe(broken)
    first = mine(anvil)
    second = mine(anvil)
    assert failed_twice.wait(WAIT_SECS)
    heads.wait_for(second)
    assert [n for n in heads.numbers() if n >= first] == [first, second]
    assert failures == [first, second]
    assert watcher.mode == "streaming"


def test_a_socket_url_with_a_key_is_never_logged_whole(
    anvil: AnvilProcess, watch: WatcherFactory
) -> None:
    key = "CANARYWSKEY0123456789"
    secret_url = f"ws://user:{key}@127.0.0.1:{free_port()}/ws/{key}?apikey={key}"
    with structlog.testing.capture_logs() as logs:
        watcher, heads = watch([secret_url])
        assert watcher.wait_for_mode("polling", WAIT_SECS)
        heads.wait_for(mine(anvil))
    assert any(e["event"] == "chain heads polling" for e in logs), logs
    assert key not in repr(logs)
