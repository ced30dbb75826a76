"""Stream faults under a running daemon (issue 18): the real daemon (``hedgebot run``) hedges an
Aave position through the emulator with marks, fills and positions on the WebSocket streams
while the test breaks the streams through the emulator's control plane: every frame twice,
user events swapped, the mark stream stalled, every socket dropped, the listenKey expired. A
price move (oracle and mark) follows each fault, so the daemon trades while the stream is bad.

What must hold, checked from the outside (the emulator's own order records, the journal, the
daemon's log):
- no order on a stale mark: the mark an order was sized on was in effect within
  ``mark_max_age_secs`` (plus the stream's 1 s period) before the order was journaled;
- no duplicate order: one exchange order per client order id, every exchange order journaled,
  the journal's fills sum to the venue's positions;
- REST fallback within one cycle: once the streamed marks are older than the limit (or the user
  socket is gone) at most one cycle finishes before the daemon logs the stream on REST;
- back on streams after: every stream's last logged state is "streaming".
"""

from __future__ import annotations

import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from bot.devnet import start_devnet
from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle, running_emulator
from bot.journal import Journal, OrderRecord
from tests.chaos.invariants import MarkTimeline
from tests.daemon.harness import (
    DaemonProcess,
    cycles_done,
    daemon_config,
    daemon_env,
    emulator_orders,
    emulator_positions,
    open_borrower,
    running_daemon,
    write_config,
)

pytestmark = [pytest.mark.chaos, pytest.mark.chain, pytest.mark.exchange, pytest.mark.slow]

MARK_MAX_AGE_SECS = 3.0  # hedge.streams.mark_max_age_secs (the default, stated)
STREAM_PERIOD_SECS = 1.0  # @markPrice@1s
PRICES = (Decimal(52_000), Decimal(60_000))  # WBTC: the ladder's ratio follows HF
SETTLE_SECS = 60.0  # a loaded machine: reconnects back off up to a few seconds
MARK_STREAM, USER_STREAM = "marks-usdm", "user-usdm"
# The stream each fault sends to REST (duplicates and reordering must not).
FALLS_BACK = {"stall marks": MARK_STREAM, "drop": USER_STREAM, "expire key": USER_STREAM}
_MARK_IN_REASON = re.compile(r"(\w+) @ mark (\d+(?:\.\d+)?)")


@dataclass
class Scene:
    devnet: Devnet
    emulator: EmulatorHandle
    daemon: DaemonProcess
    journal_path: Path
    marks: MarkTimeline
    moves: int = 0

    def move(self) -> None:
        """The oracle (one block), then the mark: the next cycles have an order to send."""
        price = PRICES[self.moves % 2]
        self.moves += 1
        self.devnet.set_price("WBTC", price)
        self.emulator.control.set_mark("BTCUSDT", price)
        self.marks.set("BTCUSDT", time.time(), price)

    def settled(self, after: int) -> int:
        """After ``after``: the move traded, then a cycle with nothing to send, then both
        streams streaming again; returns the index of the next event."""
        index, _ = self.daemon.wait_for(
            lambda e: e.get("event") == "cycle done" and int(e.get("orders", 0)) > 0,
            what="a cycle that traded the move", after=after, timeout=SETTLE_SECS,
        )  # fmt: skip
        self.daemon.wait_for(
            lambda e: e.get("event") == "cycle done" and e.get("orders") == 0,
            what="a cycle with nothing to send", after=index + 1, timeout=SETTLE_SECS,
        )  # fmt: skip
        deadline = time.monotonic() + SETTLE_SECS
        while time.monotonic() < deadline:
            events = self.daemon.events()
            states = last_states(events)
            if states.get(MARK_STREAM) == states.get(USER_STREAM) == "streaming":
                return len(events)
            self.devnet.mine()
            time.sleep(0.2)
        raise AssertionError(f"streams not back: {last_states(self.daemon.events())}")


def last_states(events: list[dict[str, Any]]) -> dict[str, str]:
    states: dict[str, str] = {}
    for e in events:
        if e.get("event") == "binance stream state":
            states[str(e["stream"])] = str(e["state"])
    return states


def _at(event: dict[str, Any]) -> float:
    return datetime.fromisoformat(str(event["timestamp"])).timestamp()


@pytest.fixture
def scene(tmp_path: Path) -> Iterator[Scene]:
    with start_devnet() as devnet, running_emulator() as emulator:
        borrower = open_borrower(devnet, emulator)
        settings = daemon_config(
            devnet=devnet, emulator=emulator, wallet=borrower.address,
            journal_path=tmp_path / "journal.db", interval_secs=1.0, fast_interval_secs=1.0,
        )  # fmt: skip
        settings["hedge"]["streams"] = {
            "enabled": True,
            "mark_max_age_secs": MARK_MAX_AGE_SECS,
        }
        config = write_config(tmp_path / "hedgebot.yaml", settings)
        env = daemon_env(emulator, wallet_key=borrower.key)
        marks = MarkTimeline()
        marks.set("BTCUSDT", time.time(), devnet.price("WBTC"))
        with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
            yield Scene(devnet, emulator, daemon, tmp_path / "journal.db", marks)


def _on_rest(event: dict[str, Any], stream: str) -> bool:
    if event.get("event") == "binance stream state" and event.get("stream") == stream:
        return event.get("state") == "rest-fallback"
    return stream == USER_STREAM and event.get("event") == "binance user stream seeded from REST"


def _fallback_cycles(
    events: list[dict[str, Any]], stream: str, stale_from: float
) -> tuple[int, bool]:
    """Cycles finished from ``stale_from`` until ``stream`` was answered by REST (logged on
    REST, or the user state seeded again by a REST read), and whether it was."""
    finished = 0
    for e in events:
        if _at(e) < stale_from:
            continue
        if _on_rest(e, stream):  # a user socket back before the next read: REST seeds it
            return finished, True
        if e.get("event") == "cycle done":
            finished += 1
    return finished, False


def _stale_orders(records: list[OrderRecord], marks: MarkTimeline) -> list[str]:
    """Orders sized on a mark that was no longer in effect ``MARK_MAX_AGE_SECS`` plus one
    stream period before the order was journaled."""
    stale = []
    for record in records:
        intent = record.journaled.intent
        found = _MARK_IN_REASON.search(intent.reason)
        if found is None or found.group(1) != "BTCUSDT":
            continue
        used = Decimal(found.group(2))
        at = record.journaled.created_at.timestamp()
        allowed = marks.in_effect("BTCUSDT", at - MARK_MAX_AGE_SECS - STREAM_PERIOD_SECS, at)
        if used not in allowed:
            stale.append(f"{intent.client_order_id}: mark {used}, in effect {allowed}")
    return stale


def test_stream_faults_trade_on_no_stale_mark_and_no_duplicate_order(scene: Scene) -> None:
    daemon, control = scene.daemon, scene.emulator.control
    daemon.wait_event("cycle done", orders=0, timeout=60)  # the hedge in place
    index = len(daemon.events())
    faults: list[tuple[str, Callable[[], object]]] = [
        ("duplicate", lambda: control.stream_duplicate(10, "all")),
        ("reorder", lambda: control.stream_reorder(4)),
        ("stall marks", lambda: control.stream_stall(MARK_MAX_AGE_SECS * 3, "market")),
        ("drop", lambda: control.stream_drop("all")),
        ("expire key", control.listen_key_expire),
    ]
    fallbacks: dict[str, tuple[str, int, bool]] = {}
    for name, inject in faults:
        at = time.time()
        inject()
        scene.move()
        if name in FALLS_BACK:
            stream = FALLS_BACK[name]
            index, _ = daemon.wait_for(
                partial(_on_rest, stream=stream), what=f"{stream} on REST after {name}",
                after=index, timeout=SETTLE_SECS,
            )  # fmt: skip
        index = scene.settled(index)
        control.clear_stream_faults()
        events = daemon.events()
        if name == "stall marks":
            # The last mark came at most one period before the stall: stale from here on.
            stale_from = at + MARK_MAX_AGE_SECS - STREAM_PERIOD_SECS
            fallbacks[name] = (MARK_STREAM, *_fallback_cycles(events, MARK_STREAM, stale_from))
        elif name in ("drop", "expire key"):
            fallbacks[name] = (USER_STREAM, *_fallback_cycles(events, USER_STREAM, at))

    events = daemon.events()
    assert daemon.terminate() == 0, daemon.log_tail()
    with Journal.open(f"sqlite:///{scene.journal_path}") as journal:
        records = journal.orders_since(0)
    orders = emulator_orders(scene.emulator)
    held = emulator_positions(scene.emulator)

    # No duplicate order: one order per client order id, each one journaled; fills explained.
    by_cid = Counter(str(o["client_order_id"]) for o in orders)
    assert not {c: n for c, n in by_cid.items() if n > 1}, by_cid
    journaled = {r.journaled.intent.client_order_id for r in records}
    assert set(by_cid) <= journaled, set(by_cid) - journaled
    explained: defaultdict[str, Decimal] = defaultdict(Decimal)
    for r in records:
        if r.outcome is not None:
            sign = 1 if r.journaled.intent.side.value == "BUY" else -1
            explained[r.journaled.intent.symbol] += sign * r.outcome.executed_quantity
    for symbol, amount in held.items():
        assert explained.get(symbol, Decimal(0)) == amount, (symbol, explained, held)
    # Each fault's price move was traded (``settled``), never on a stale mark.
    assert len(records) > len(faults), [r.journaled.intent.reason for r in records]
    assert not _stale_orders(records, scene.marks), _stale_orders(records, scene.marks)
    # REST within one cycle of the stream going bad; back on streams after.
    for name, (stream, cycles, seen) in fallbacks.items():
        assert seen, f"{name}: {stream} never fell back to REST"
        assert cycles <= 1, f"{name}: {cycles} cycles finished before {stream} fell back"
    assert last_states(events) == {MARK_STREAM: "streaming", USER_STREAM: "streaming"}
    assert cycles_done(events)
