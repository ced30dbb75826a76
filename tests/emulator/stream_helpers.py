"""Shared pieces of the stream tests: a thread-safe inbox for TWM callbacks, raw websockets
helpers, and the waits (deadlines for an awaited event, never timing assertions)."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
import websockets
from binance import ThreadedWebsocketManager

from bot.emulator.testing import EmulatorHandle
from bot.emulator.testing_streams import emulator_twm

Json = dict[str, Any]
WAIT_SECS = 20.0  # a deadline for something that must happen, generous for a loaded CI box


class Inbox:
    """Messages a TWM callback received, with waits that name what did arrive."""

    def __init__(self) -> None:
        self.messages: list[Any] = []
        self._cond = threading.Condition()

    def __call__(self, message: Any) -> None:
        with self._cond:
            self.messages.append(message)
            self._cond.notify_all()

    def wait_for(self, match: Callable[[Any], bool], *, after: int = 0) -> Any:
        """The first message at index >= ``after`` that ``match`` accepts."""

        def found() -> Any:
            return next((m for m in self.messages[after:] if match(m)), None)

        with self._cond:
            if not self._cond.wait_for(lambda: found() is not None, timeout=WAIT_SECS):
                raise AssertionError(f"no matching message; received {self.messages[-10:]!r}")
            return found()

    def index_of(self, message: Any) -> int:
        with self._cond:
            return next(i for i, m in enumerate(self.messages) if m is message)

    def events(self, kind: str) -> list[Json]:
        with self._cond:
            return [m for m in self.messages if isinstance(m, dict) and m.get("e") == kind]


def is_event(kind: str, **order_fields: Any) -> Callable[[Any], bool]:
    def match(message: Any) -> bool:
        if not isinstance(message, dict) or message.get("e") != kind:
            return False
        body = message.get("o", {})
        return all(body.get(k) == v for k, v in order_fields.items())

    return match


@pytest.fixture
def twm_factory(emulator: EmulatorHandle) -> Iterator[Callable[..., ThreadedWebsocketManager]]:
    started: list[ThreadedWebsocketManager] = []

    def make(**options: Any) -> ThreadedWebsocketManager:
        twm = emulator_twm(emulator, **options)
        twm.start()
        started.append(twm)
        return twm

    yield make
    for twm in started:
        twm.stop()
    for twm in started:
        twm.join(timeout=WAIT_SECS)  # python-binance's user socket takes up to ~10 s to stop
        assert not twm.is_alive(), "a ThreadedWebsocketManager did not stop"


def ws_url(emulator: EmulatorHandle, path: str) -> str:
    return emulator.base_url.replace("http", "ws", 1) + path


async def recv_json(ws: websockets.ClientConnection, timeout: float = WAIT_SECS) -> Any:
    return json.loads(await asyncio.wait_for(ws.recv(), timeout))


async def recv_until(
    ws: websockets.ClientConnection, match: Callable[[Any], bool], limit: int = 100
) -> tuple[Any, list[Any]]:
    """Receive until ``match``; returns the match and everything before it."""
    seen: list[Any] = []
    for _ in range(limit):
        message = await recv_json(ws)
        if match(message):
            return message, seen
        seen.append(message)
    raise AssertionError(f"no match in {limit} messages: {seen[-5:]!r}")


async def drain(ws: websockets.ClientConnection) -> None:
    """Receive until the server closes the socket (raises ``ConnectionClosed``)."""
    while True:
        await recv_json(ws)


def wait_for_open(emulator: EmulatorHandle, kind: str, count: int) -> None:
    """TWM's handshake is no callback event: poll the emulator until ``count`` sockets of
    ``kind`` are open."""
    deadline = time.monotonic() + WAIT_SECS
    while emulator.control.streams_status()["open"][kind] != count:
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {count} open {kind} socket(s)")
        time.sleep(0.05)


def listen_key(emulator: EmulatorHandle, venue: str = "fapi") -> str:
    response = httpx.post(
        f"{emulator.base_url}/{venue}/v1/listenKey", headers={"X-MBX-APIKEY": emulator.api_key}
    )
    response.raise_for_status()
    key: str = response.json()["listenKey"]
    return key
