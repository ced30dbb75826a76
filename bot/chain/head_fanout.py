"""A chain head as a value, and its delivery to listeners.

Heads reach listeners on the fanout's own thread, in order, once per new block number: the
socket (or the poller) only puts a head on a queue, so a slow listener never holds it up, and a
listener that raises is logged and keeps receiving the next heads.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import structlog

log = structlog.get_logger(__name__)

HeadSource = Literal["socket", "poll"]


@dataclass(frozen=True, slots=True, kw_only=True)
class Head:
    """A block the chain reached. ``timestamp`` and ``hash`` come with a socket's header; a
    polled head carries the number only (``eth_blockNumber``: a header read per block would
    double the polling cost), so they are None then."""

    chain_id: int
    number: int
    timestamp: int | None
    hash: str | None
    seen_monotonic: float
    seen_wall: float
    source: HeadSource


HeadListener = Callable[[Head], None]


class HeadFanout:
    """Delivers each new block number once, in increasing order.

    A head at or below the highest number delivered is dropped: a reorg re-emitting headers at
    one height, a poll repeating what the socket already said, a lagging failover endpoint.
    Listeners read "the chain is at least here": a reorg at the same height is not delivered
    again (the next block, one block time later, is), and numbers can be skipped when several
    blocks land between two polls or across a socket reconnect.
    """

    def __init__(self, chain_id: int) -> None:
        self.chain_id = chain_id
        self._listeners: list[HeadListener] = []
        self._lock = threading.Lock()
        self._highest = -1
        self._queue: queue.SimpleQueue[Head | None] = queue.SimpleQueue()
        self._thread: threading.Thread | None = None

    @property
    def highest(self) -> int:
        return self._highest

    def subscribe(self, listener: HeadListener) -> None:
        with self._lock:
            self._listeners.append(listener)

    def offer(self, head: Head) -> bool:
        """Queue ``head`` if its number is new; True when it was. Never blocks."""
        with self._lock:
            if head.number <= self._highest:
                return False
            self._highest = head.number
        self._queue.put(head)
        return True

    def start(self) -> None:
        self._thread = threading.Thread(
            target=self._deliver, name=f"heads-{self.chain_id}-fanout", daemon=True
        )
        self._thread.start()

    def stop(self, timeout_secs: float = 5.0) -> None:
        self._queue.put(None)
        if self._thread is not None:
            self._thread.join(timeout_secs)

    def _deliver(self) -> None:
        while (head := self._queue.get()) is not None:
            with self._lock:
                listeners = list(self._listeners)
            for listener in listeners:
                try:
                    listener(head)
                except Exception as exc:  # one listener's bug never stops the heads
                    log.error(
                        "head listener failed",
                        chain_id=head.chain_id,
                        block=head.number,
                        error=f"{type(exc).__name__}: {exc}",
                    )


__all__ = ["Head", "HeadFanout", "HeadListener", "HeadSource"]
