"""One chain's head watcher: ``newHeads`` over a WebSocket, ``eth_blockNumber`` polling when
the socket cannot serve.

States (one log line per change, never one per block):
  streaming  subscribed on a WebSocket URL; each header becomes a ``Head``
  polling    no socket: ``eth_blockNumber`` every block time through the position's HTTP RPC
             failover, while the socket is retried with backoff (failover across ``ws_urls``)

A socket is left for polling when it cannot connect, drops, or stays silent longer than the
stall limit while HTTP shows the chain moved on (a quiet devnet is not a stalled socket).

The socket is spoken to with ``websockets`` directly rather than web3's ``WebSocketProvider``:
the provider reconnects on its own (``max_connection_retries`` with its own backoff) and its
``process_subscriptions`` iterator has no read timeout, while this watcher must own both the
failover across URLs and the stall limit; the protocol used is two messages
(``eth_subscribe`` and its notifications).

The watcher runs on its own thread with its own event loop; heads reach listeners through a
``HeadFanout`` (its own thread). Nothing here can stop or delay the loops it wakes: they keep
their interval schedule whatever happens to the watcher.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

import structlog
import websockets

from bot.chain.head_fanout import Head, HeadFanout, HeadListener, HeadSource
from bot.chain.rpc import ChainError, RpcPool
from bot.redact import redact_url, scrub

log = structlog.get_logger(__name__)

Mode = Literal["starting", "streaming", "polling", "stopped"]
SUBSCRIBE = json.dumps(
    {"jsonrpc": "2.0", "id": 1, "method": "eth_subscribe", "params": ["newHeads"]}
)


class HeadStreamError(ChainError):
    """A WebSocket endpoint refused the subscription, sent garbage, or went stale."""


@dataclass(frozen=True, slots=True, kw_only=True)
class HeadTiming:
    block_time_secs: float  # the polling period
    stall_secs: float  # a socket silent this long while the chain moves on is dead
    retry_min_secs: float = 1.0  # socket retry backoff while polling: min, doubling to max
    retry_max_secs: float = 30.0
    connect_timeout_secs: float = 5.0


class HeadWatcher:
    """``watcher.subscribe(fn); watcher.start()``: ``fn(head)`` once per new block number."""

    def __init__(
        self,
        *,
        chain_id: int,
        ws_urls: Sequence[str],
        rpc: RpcPool,
        timing: HeadTiming,
        clock: Callable[[], float] = time.monotonic,
        wall: Callable[[], float] = time.time,
    ) -> None:
        self.chain_id = chain_id
        self.timing = timing
        self._ws_urls = tuple(ws_urls)
        self._rpc = rpc
        self._clock = clock
        self._wall = wall
        self._fanout = HeadFanout(chain_id)
        self._mode: Mode = "starting"
        self._mode_changed = threading.Condition()
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._task: asyncio.Task[None] | None = None
        self._last_socket_error = ""
        self._socket_heads = 0  # headers received over any socket, ever
        # (the highest block number seen, when something last said it is still the head):
        # one tuple, so a reader never pairs one head's number with another's time
        self._confirmed: tuple[int, float] = (-1, 0.0)

    @property
    def mode(self) -> Mode:
        return self._mode

    def head_confirmed_at(self, block: int) -> float | None:
        """When (``clock`` time) the watcher last learnt that ``block`` is still the chain's
        head, if it streams and learnt it within its stall limit and a block time; else None.

        While a socket streams, a new block arrives as a header; on a quiet socket the watcher
        asks ``eth_blockNumber`` every ``stall_secs`` (and leaves the socket when the chain moved
        on without it). So a confirmation that recent, while still streaming, means the chain
        had no block after ``block`` that a read could have seen, save one the socket has hidden
        for less than the stall limit. Polling, stopped, or a watcher stuck in a slow poll: None.
        """
        number, at = self._confirmed
        if self._mode != "streaming" or number != block:
            return None
        if self._clock() - at > self.timing.stall_secs + self.timing.block_time_secs:
            return None
        return at

    def subscribe(self, listener: HeadListener) -> None:
        self._fanout.subscribe(listener)

    def start(self) -> None:
        self._fanout.start()
        started = threading.Event()
        self._thread = threading.Thread(
            target=self._run, args=(started,), name=f"heads-{self.chain_id}", daemon=True
        )
        self._thread.start()
        started.wait()

    def stop(self, timeout_secs: float = 5.0) -> None:
        loop, task = self._loop, self._task
        if loop is not None and task is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed already
                loop.call_soon_threadsafe(task.cancel)
        if self._thread is not None:
            self._thread.join(timeout_secs)
        self._fanout.stop(timeout_secs)
        self._set_mode("stopped")

    def wait_for_mode(self, mode: Mode, timeout_secs: float) -> bool:
        """True once the watcher is in ``mode`` (for tests and start-up checks)."""
        with self._mode_changed:
            return self._mode_changed.wait_for(lambda: self._mode == mode, timeout_secs)

    def _run(self, started: threading.Event) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._task = loop.create_task(self._main())
        started.set()
        try:
            loop.run_until_complete(self._task)
        except asyncio.CancelledError:
            pass
        finally:
            loop.close()

    async def _main(self) -> None:
        retry = self.timing.retry_min_secs
        next_socket_try = self._clock()
        while True:
            if self._ws_urls and self._clock() >= next_socket_try:
                streamed = await self._stream_any()
                delay = self.timing.retry_min_secs if streamed else retry
                retry = (
                    self.timing.retry_min_secs
                    if streamed
                    else min(2 * retry, self.timing.retry_max_secs)
                )
                next_socket_try = self._clock() + delay
            self._set_mode("polling", reason=self._why_polling())
            started = self._clock()
            self._poll()
            elapsed = self._clock() - started
            await asyncio.sleep(max(0.0, self.timing.block_time_secs - elapsed))

    async def _stream_any(self) -> bool:
        """Stream from the first URL that serves, in order; True if any delivered a head."""
        before = self._socket_heads
        for url in self._ws_urls:
            try:
                await self._stream(url)
            except Exception as e:  # whatever a socket does, the watcher falls back to polling
                # scrubbed before the cut: a key in the URL's path never reaches a log
                error = scrub(f"{redact_url(url)}: {type(e).__name__}: {e}", [url])[:300]
                self._last_socket_error = error
                log.debug("head socket failed", chain_id=self.chain_id, error=error)
        return self._socket_heads > before

    async def _stream(self, url: str) -> None:
        """Until the socket fails (an exception): there is no clean end to a subscription."""
        timing = self.timing
        async with websockets.connect(
            url,
            open_timeout=timing.connect_timeout_secs,
            close_timeout=1.0,  # a stalled peer must not hold up the polling for long
            max_size=2**22,
        ) as ws:
            await ws.send(SUBSCRIBE)
            reply = json.loads(await asyncio.wait_for(ws.recv(), timing.connect_timeout_secs))
            if not isinstance(reply, dict) or "result" not in reply:
                raise HeadStreamError(f"eth_subscribe newHeads refused: {str(reply)[:200]}")
            # A block mined while the socket was down or subscribing comes in no header: asked
            # once, it is delivered now, and the head is vouched for from the first moment.
            self._poll()
            self._set_mode("streaming", url=redact_url(url))
            while True:
                try:
                    raw = await asyncio.wait_for(ws.recv(), timing.stall_secs)
                except TimeoutError:
                    if self._poll():  # the chain moved on without the socket
                        ws.transport.abort()  # no close handshake with a peer that is stuck
                        raise HeadStreamError(
                            f"socket silent for {timing.stall_secs}s while the chain moved on"
                        ) from None
                    continue
                header = _header(json.loads(raw))
                if header is not None:
                    self._socket_heads += 1
                    self._offer(header, source="socket")

    def _poll(self) -> bool:
        """One ``eth_blockNumber``; True when it found a new head (and delivered it)."""
        try:
            number = self._rpc.call("eth_blockNumber", lambda w3: int(w3.eth.block_number))
        except Exception as e:  # RpcUnavailable mostly; the next poll is one block away
            log.debug("head poll failed", chain_id=self.chain_id, error=str(e)[:300])
            return False
        return self._offer({"number": number}, source="poll")

    def _offer(self, header: Mapping[str, Any], *, source: HeadSource) -> bool:
        head = Head(
            chain_id=self.chain_id,
            number=_int(header["number"]),
            timestamp=_int(header["timestamp"]) if "timestamp" in header else None,
            hash=str(header["hash"]) if "hash" in header else None,
            seen_monotonic=self._clock(),
            seen_wall=self._wall(),
            source=source,
        )
        # before the listeners hear of it: a loop the head wakes must not find the block
        # before it still confirmed as the head
        if head.number >= self._confirmed[0]:  # a lagging endpoint confirms nothing
            self._confirmed = (head.number, head.seen_monotonic)
        return self._fanout.offer(head)

    def _why_polling(self) -> str:
        if not self._ws_urls:
            return "no ws_urls for this chain"
        return self._last_socket_error or "socket closed"

    def _set_mode(self, mode: Mode, **fields: str) -> None:
        with self._mode_changed:
            if mode == self._mode:
                return
            self._mode = mode
            self._mode_changed.notify_all()
        if mode != "stopped":
            log.info(f"chain heads {mode}", chain_id=self.chain_id, **fields)


def _header(message: Any) -> Mapping[str, Any] | None:
    """The header of an ``eth_subscription`` notification; None for anything else."""
    if not isinstance(message, dict) or message.get("method") != "eth_subscription":
        return None
    result = message.get("params", {}).get("result")
    if not isinstance(result, dict) or "number" not in result:
        raise HeadStreamError(f"newHeads notification without a header: {str(message)[:200]}")
    return result


def _int(value: object) -> int:
    if isinstance(value, str):
        return int(value, 16) if value.startswith("0x") else int(value)
    if isinstance(value, int):
        return value
    raise HeadStreamError(f"header field is not a number: {value!r}")


__all__ = ["Head", "HeadStreamError", "HeadTiming", "HeadWatcher"]
