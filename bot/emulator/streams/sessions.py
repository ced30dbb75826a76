"""One open stream socket: writer, reader, periodic mark pushes, key expiry and lifetime, run
together until the first of them ends (client gone, fault, lifetime, slow client)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections import deque
from collections.abc import Coroutine
from typing import TYPE_CHECKING, Any

from starlette.websockets import WebSocket, WebSocketDisconnect

from bot.emulator.markets import SPECS
from bot.emulator.streams.hub import POLICY_VIOLATION, Frame, Subscriber

if TYPE_CHECKING:
    from bot.emulator.exchange import Exchange

REORDER_FLUSH_SECS = 0.5  # a held-back event goes out alone if no second one comes
EXPIRY_POLL_SECS = 1.0


def due_streams(sub: Subscriber, tick: int) -> set[str]:
    """``@1s`` streams every second, the others every third second."""
    return {s for s in sub.streams if s.endswith("@1s") or tick % 3 == 0}


def symbols_of(sub: Subscriber) -> list[str]:
    if sub.wants_all_marks():
        return [s for s, spec in SPECS.items() if spec.venue == sub.venue]
    names = {s.split("@", 1)[0].upper() for s in sub.streams}
    return [s for s, spec in SPECS.items() if spec.venue == sub.venue and s in names]


def encode(sub: Subscriber, frame: Frame) -> str:
    stream, payload = frame
    body = {"stream": stream, "data": payload} if sub.combined and stream else payload
    return json.dumps(body, separators=(",", ":"))


class RateWindow:
    """Incoming messages in the last second (Binance: more than 10/s disconnects)."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.times: deque[float] = deque()

    def over(self) -> bool:
        now = time.monotonic()
        self.times.append(now)
        while self.times and self.times[0] <= now - 1.0:
            self.times.popleft()
        return len(self.times) > self.limit


class Session:
    def __init__(self, ex: Exchange, ws: WebSocket, sub: Subscriber) -> None:
        self.ex, self.ws, self.sub = ex, ws, sub
        self.faults = ex.streams.faults

    async def run(self) -> None:
        await self.ws.accept()
        self.ex.streams.add(self.sub)
        jobs: list[Coroutine[Any, Any, None]] = [
            self._write(),
            self._read(),
            self._lifetime(),
            self.sub.closing.wait(),  # type: ignore[list-item]
        ]
        if self.sub.kind == "market" and not self.sub.silent:
            jobs.append(self._tick())
        if self.sub.kind == "user":
            jobs.append(self._watch_expiry())
        tasks = [asyncio.ensure_future(job) for job in jobs]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self.ex.streams.remove(self.sub)
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            with contextlib.suppress(Exception):
                await self.ws.close(code=self.sub.close_code, reason=self.sub.close_reason)

    async def _send(self, frame: Frame) -> None:
        text = encode(self.sub, frame)
        await self.ws.send_text(text)
        if self.faults.take_duplicate(self.sub.kind):
            await self.ws.send_text(text)

    async def _write(self) -> None:
        held: Frame | None = None
        while True:
            try:
                timeout = REORDER_FLUSH_SECS if held is not None else None
                frame = await asyncio.wait_for(self.sub.queue.get(), timeout)
            except TimeoutError:
                assert held is not None
                await self._send(held)
                held = None
                continue
            stall = self.faults.stalled_for(self.sub.kind)
            if stall > 0:
                if self.sub.kind == "market":
                    continue  # a mark due during the stall is stale afterwards
                await asyncio.sleep(stall)
            if self.sub.kind == "user" and held is None and self.faults.take_reorder():
                held = frame
                continue
            await self._send(frame)
            if held is not None:
                await self._send(held)
                held = None

    async def _read(self) -> None:
        window = RateWindow(self.ex.config.stream_max_incoming_per_sec)
        try:
            while True:
                text = await self.ws.receive_text()
                if window.over():
                    self.sub.close_now(POLICY_VIOLATION, "too many incoming messages")
                    return
                await self._answer(text)
        except (WebSocketDisconnect, RuntimeError):
            return

    async def _answer(self, text: str) -> None:
        """Live SUBSCRIBE / UNSUBSCRIBE / LIST_SUBSCRIPTIONS on market sockets."""
        try:
            request = json.loads(text)
            method, ident = request["method"], request.get("id")
            params = [str(p) for p in request.get("params", [])]
        except (ValueError, KeyError, TypeError, AttributeError):
            await self.ws.send_text(json.dumps({"error": {"code": 2, "msg": "Invalid request"}}))
            return
        result: Any = None
        if method == "SUBSCRIBE" and self.sub.kind == "market":
            self.sub.streams.update(params)
        elif method == "UNSUBSCRIBE" and self.sub.kind == "market":
            self.sub.streams.difference_update(params)
        elif method == "LIST_SUBSCRIPTIONS":
            result = sorted(self.sub.streams)
        await self.ws.send_text(json.dumps({"result": result, "id": ident}))

    async def _tick(self) -> None:
        tick = 0
        while True:
            await asyncio.sleep(1.0 - time.time() % 1.0)
            tick += 1
            if self.faults.stalled_for("market") > 0:
                continue
            due = due_streams(self.sub, tick)
            if not due:
                continue
            with self.ex.lock:
                now = self.ex.market_ms()
                frames = self.ex.streams.mark_frames(self.sub, symbols_of(self.sub), now, due=due)
            self.sub.offer(frames)

    async def _watch_expiry(self) -> None:
        key = self.sub.listen_key
        assert key is not None
        while not self.sub.expired:
            expires = self.ex.streams.keys.expires_ms(key)
            remaining = 0 if expires is None else expires - self.ex.server_ms()
            if remaining <= 0:
                self.sub.announce_expiry(self.ex.market_ms())
                break
            await asyncio.sleep(min(remaining / 1000, EXPIRY_POLL_SECS))
        await asyncio.Event().wait()  # the socket stays open, silent, until closed

    async def _lifetime(self) -> None:
        await asyncio.sleep(self.ex.config.stream_max_lifetime_secs)
        self.sub.close_now(1000, "connection lifetime reached")
