"""The streams half of ``EmulatorControl`` (faults, listenKey expiry, status) and a
python-binance ``ThreadedWebsocketManager`` pointed at an emulator.

The TWM subclass changes no class attribute of python-binance: its own ``AsyncClient`` and
``BinanceSocketManager`` subclasses carry the emulator's URLs (reference §2.5, "Pointing TWM at
a local emulator", the narrower option).
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Literal

from binance import AsyncClient, ThreadedWebsocketManager
from binance.ws.constants import KEEPALIVE_TIMEOUT
from binance.ws.streams import BinanceSocketManager

if TYPE_CHECKING:
    from bot.emulator.testing import EmulatorHandle

Scope = Literal["all", "user", "market"]


class StreamControl:
    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        raise NotImplementedError

    def _stream_fault(self, kind: str, **fields: Any) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "stream-faults", {"kind": kind, **fields})
        return result

    def stream_drop(self, scope: Scope = "all") -> int:
        """Close every open stream socket of ``scope`` now; returns how many."""
        return int(self._stream_fault("stream_drop", scope=scope)["dropped"])

    def stream_stall(self, seconds: float, scope: Scope = "all") -> None:
        """Sockets stay open but send nothing for ``seconds``."""
        self._stream_fault("stream_stall", seconds=seconds, scope=scope)

    def stream_duplicate(self, count: int, scope: Scope = "all") -> None:
        """Send each of the next ``count`` frames twice."""
        self._stream_fault("stream_duplicate", count=count, scope=scope)

    def stream_reorder(self, count: int) -> None:
        """Swap the next ``count`` pairs of consecutive user events."""
        self._stream_fault("stream_reorder", count=count)

    def listen_key_expire(self, api_key: str | None = None) -> int:
        """Expire the active listenKeys (of ``api_key``) now: ``listenKeyExpired`` is pushed and
        a PUT answers -1125. Returns how many keys expired."""
        body = {} if api_key is None else {"api_key": api_key}
        return int(self._stream_fault("listen_key_expire", **body)["expired"])

    def clear_stream_faults(self) -> None:
        self._call("DELETE", "stream-faults")

    def streams_status(self) -> dict[str, Any]:
        """``{"open": {"user": n, "market": n}, "faults": {...}}``."""
        result: dict[str, Any] = self._call("GET", "streams")
        return result


def emulator_twm(
    handle: EmulatorHandle,
    *,
    api_key: str | None = None,
    api_secret: str | None = None,
    user_timeout: float = KEEPALIVE_TIMEOUT,
    max_queue_size: int = 100,
) -> ThreadedWebsocketManager:
    """A TWM (not started) whose REST and WebSocket URLs are the emulator's.
    ``user_timeout`` is the listenKey keepalive period (python-binance: 5 min)."""
    base = handle.base_url
    ws_base = base.replace("http", "ws", 1)

    class EmulatorAsyncClient(AsyncClient):  # type: ignore[misc]
        API_URL = f"{base}/api"
        FUTURES_URL = f"{base}/fapi"
        FUTURES_COIN_URL = f"{base}/dapi"

    class EmulatorSocketManager(BinanceSocketManager):  # type: ignore[misc]
        FSTREAM_URL = f"{ws_base}/"
        DSTREAM_URL = f"{ws_base}/d/"

    class EmulatorWebsocketManager(ThreadedWebsocketManager):  # type: ignore[misc]
        async def socket_listener(self) -> None:
            """``ThreadedApiManager.socket_listener`` with the emulator's client class."""
            try:
                self._client = await EmulatorAsyncClient.create(
                    loop=self._loop, **self._client_params
                )
                self._bsm = EmulatorSocketManager(
                    client=self._client,
                    user_timeout=user_timeout,
                    max_queue_size=self._max_queue_size,
                )
            except Exception as exc:  # python-binance's own behaviour: log and stop
                self._log.error(f"Failed to create client: {exc}")
                self.stop()
            while self._running:
                await asyncio.sleep(0.2)
            while self._socket_running:
                await asyncio.sleep(0.2)

    twm: ThreadedWebsocketManager = EmulatorWebsocketManager(
        api_key=api_key or handle.api_key,
        api_secret=api_secret or handle.api_secret,
        max_queue_size=max_queue_size,
        loop=_fresh_thread_loop(),
    )
    return twm


def _fresh_thread_loop() -> asyncio.AbstractEventLoop:
    """A new event loop, made the calling thread's current one. python-binance runs a TWM on
    the caller's current loop and schedules each socket's read loop on it from ``start_*``: with
    the default, every TWM made on a thread shares one loop, and a TWM still stopping (its user
    socket takes up to ~10 s) makes the next one fail ("This event loop is already running")."""
    loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    return loop
