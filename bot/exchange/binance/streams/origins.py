"""Where the streams live for each network (reference 2.0), and a python-binance
``ThreadedWebsocketManager`` pointed there without touching any class attribute process-wide.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from binance.async_client import AsyncClient
from binance.ws.streams import BinanceSocketManager, ThreadedWebsocketManager

from bot.exchange.binance.network import Network

KEEPALIVE_SECS = 5 * 60.0  # python-binance's default; a listenKey lives 60 min


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamOrigins:
    fstream: str  # USD-M: "<fstream>market/stream?streams=", "<fstream>private/ws?listenKey="
    dstream: str  # COIN-M: "<dstream>stream?streams=", "<dstream>ws/<listenKey>"
    rest: str | None  # the REST origin for ping/time/listenKey; None = python-binance's own


def stream_origins(network: Network | str, base_url: str | None = None) -> StreamOrigins:
    network = Network(network)
    if network is Network.CUSTOM:
        if not base_url:
            raise ValueError("network 'custom' needs base_url for its streams")
        origin = base_url.rstrip("/")
        ws = "wss" if origin.startswith("https:") else "ws"
        host = origin.split("://", 1)[-1]
        return StreamOrigins(fstream=f"{ws}://{host}/", dstream=f"{ws}://{host}/d/", rest=origin)
    if network is Network.MAINNET:
        return StreamOrigins(
            fstream="wss://fstream.binance.com/", dstream="wss://dstream.binance.com/", rest=None
        )
    # Testnet and demo stream from the same hosts (python-binance's *_TESTNET/*_DEMO URLs);
    # python-binance's COIN-M user socket would go to the mainnet host: set it here.
    return StreamOrigins(
        fstream="wss://fstream.binancefuture.com/",
        dstream="wss://dstream.binancefuture.com/",
        rest=None,
    )


def _client_class(rest: str | None) -> type[AsyncClient]:
    if rest is None:
        return AsyncClient  # type: ignore[no-any-return]
    return type(
        "CustomOriginAsyncClient",
        (AsyncClient,),
        {
            "API_URL": f"{rest}/api",
            "FUTURES_URL": f"{rest}/fapi",
            "FUTURES_COIN_URL": f"{rest}/dapi",
        },
    )


# How long a socket's read waits before it looks whether it was stopped (python-binance: 10 s,
# so every stop - a restart, the daemon's SIGTERM - waited up to 10 s for each socket).
SOCKET_READ_TIMEOUT_SECS = 1.0


class _QuickStopSocketManager(BinanceSocketManager):  # type: ignore[misc]
    def _get_socket(self, *args: Any, **kwargs: Any) -> Any:
        socket = super()._get_socket(*args, **kwargs)
        socket.TIMEOUT = SOCKET_READ_TIMEOUT_SECS
        return socket

    def _get_account_socket(self, *args: Any, **kwargs: Any) -> Any:
        socket = super()._get_account_socket(*args, **kwargs)
        socket.TIMEOUT = SOCKET_READ_TIMEOUT_SECS
        return socket


class OriginWebsocketManager(ThreadedWebsocketManager):  # type: ignore[misc]
    """A TWM whose REST client and sockets use ``origins`` (and demo's hosts for demo)."""

    def __init__(
        self,
        *,
        api_key: str,
        api_secret: str,
        network: Network,
        origins: StreamOrigins,
        keepalive_secs: float = KEEPALIVE_SECS,
        max_queue_size: int = 1000,
    ) -> None:
        # python-binance runs on, and builds its sockets for, the loop of the thread that
        # creates the manager and starts the sockets: a new one per manager, so a restarted
        # manager does not find its loop still owned by the one before it.
        asyncio.set_event_loop(asyncio.new_event_loop())
        super().__init__(
            api_key=api_key or None,
            api_secret=api_secret or None,
            testnet=network is Network.TESTNET,
            max_queue_size=max_queue_size,
        )
        self.daemon = True  # never keeps the process alive: stop() is the clean way out
        self._client_params["demo"] = network is Network.DEMO
        self._origins = origins
        self._keepalive_secs = keepalive_secs

    def run(self) -> None:
        try:
            super().run()
        finally:
            self._loop.close()

    async def socket_listener(self) -> None:
        # As ThreadedApiManager.socket_listener, with the client class that knows the origin.
        try:
            self._client = await _client_class(self._origins.rest).create(
                loop=self._loop, **self._client_params
            )
            await self._before_socket_listener_start()
        except Exception as exc:  # python-binance's own handling, kept
            self._log.error(f"Failed to create client: {exc}")
            self.stop()
        await self._wait_stopped()

    async def _wait_stopped(self) -> None:
        while self._running:
            await asyncio.sleep(0.2)
        while self._socket_running:
            await asyncio.sleep(0.2)

    async def _before_socket_listener_start(self) -> None:
        assert self._client is not None
        manager: Any = _QuickStopSocketManager(
            client=self._client,
            user_timeout=self._keepalive_secs,
            max_queue_size=self._max_queue_size,
        )
        for attribute in ("FSTREAM_URL", "FSTREAM_TESTNET_URL", "FSTREAM_DEMO_URL"):
            setattr(manager, attribute, self._origins.fstream)
        for attribute in ("DSTREAM_URL", "DSTREAM_TESTNET_URL", "DSTREAM_DEMO_URL"):
            setattr(manager, attribute, self._origins.dstream)
        self._bsm = manager

    # python-binance keys both user sockets by None (their listenKey is not known yet), so
    # they share one running flag and the second to stop raises KeyError: name them.
    def start_futures_user_socket(self, callback: Callable[[Any], None]) -> str:
        return str(
            self._start_async_socket(
                callback=callback, socket_name="futures_user_socket", params={}, path="user-usdm"
            )
        )

    def start_coin_futures_user_socket(self, callback: Callable[[Any], None]) -> str:
        return str(
            self._start_async_socket(
                callback=callback,
                socket_name="coin_futures_user_socket",
                params={},
                path="user-coinm",
            )
        )

    def connection_states(self) -> dict[str, str]:
        """Each open socket's python-binance state ("Streaming", "Reconnecting", ...)."""
        manager = self._bsm
        if manager is None:
            return {}
        return {name: conn.ws_state.value for name, conn in list(manager._conns.items())}
