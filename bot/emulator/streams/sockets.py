"""Starlette WebSocket routes: the paths python-binance's TWM opens (reference §2.0, §2.5).

USD-M: ``/market/stream?streams=a/b`` (combined) and ``/market/ws/<stream>`` (raw) for market
data, ``/private/ws?listenKey=`` for user data; the legacy ``/stream`` and ``/ws/<x>`` paths
complete the handshake and push nothing, like Binance since 2026-04-23. COIN-M sits under
``/d/`` (``DSTREAM_URL = ws://host:port/d/``): ``/d/stream?streams=``, ``/d/ws/<stream>`` and
``/d/ws/<listenKey>``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING

from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket

from bot.emulator.markets import Venue
from bot.emulator.streams.hub import POLICY_VIOLATION, Subscriber
from bot.emulator.streams.sessions import Session

if TYPE_CHECKING:
    from bot.emulator.exchange import Exchange

MAX_STREAMS = 1024


def _streams_param(ws: WebSocket) -> list[str]:
    raw = ws.query_params.get("streams", "")
    return [s for s in raw.split("/") if s]


def stream_routes(ex: Exchange) -> list[WebSocketRoute]:
    hub = ex.streams

    def new_sub(ws: WebSocket, **fields: object) -> Subscriber:
        size = ex.config.stream_queue_size
        loop = asyncio.get_running_loop()
        return Subscriber(loop=loop, queue=asyncio.Queue(maxsize=size), **fields)  # type: ignore[arg-type]

    async def market(
        ws: WebSocket, venue: Venue, streams: list[str], *, combined: bool, silent: bool = False
    ) -> None:
        if not streams or len(streams) > MAX_STREAMS:
            await ws.close(code=POLICY_VIOLATION)
            return
        sub = new_sub(
            ws, kind="market", venue=venue, streams=set(streams), combined=combined, silent=silent
        )
        await Session(ex, ws, sub).run()

    async def user(ws: WebSocket, venue: Venue, listen_key: str) -> None:
        api_key = hub.keys.owner(listen_key, venue, ex.server_ms())
        if api_key is None:
            await ws.close(code=POLICY_VIOLATION)  # before accept: the handshake is refused
            return
        sub = new_sub(ws, kind="user", venue=venue, api_key=api_key, listen_key=listen_key)
        await Session(ex, ws, sub).run()

    async def usdm_combined(ws: WebSocket) -> None:
        await market(ws, "usdm", _streams_param(ws), combined=True)

    async def usdm_raw(ws: WebSocket) -> None:
        await market(ws, "usdm", [ws.path_params["name"]], combined=False)

    async def usdm_legacy_combined(ws: WebSocket) -> None:
        await market(ws, "usdm", _streams_param(ws), combined=True, silent=True)

    async def usdm_legacy_raw(ws: WebSocket) -> None:
        await market(ws, "usdm", [ws.path_params["name"]], combined=False, silent=True)

    async def usdm_user(ws: WebSocket) -> None:
        await user(ws, "usdm", ws.query_params.get("listenKey", ""))

    async def coinm_combined(ws: WebSocket) -> None:
        await market(ws, "coinm", _streams_param(ws), combined=True)

    async def coinm_raw_or_user(ws: WebSocket) -> None:
        name = ws.path_params["name"]
        if hub.keys.owner(name, "coinm", ex.server_ms()) is not None:
            await user(ws, "coinm", name)
        else:
            await market(ws, "coinm", [name], combined=False)

    return [
        WebSocketRoute("/market/stream", usdm_combined),
        WebSocketRoute("/market/ws/{name}", usdm_raw),
        WebSocketRoute("/private/ws", usdm_user),
        WebSocketRoute("/stream", usdm_legacy_combined),
        WebSocketRoute("/ws/{name}", usdm_legacy_raw),
        WebSocketRoute("/d/stream", coinm_combined),
        WebSocketRoute("/d/ws/{name}", coinm_raw_or_user),
    ]
