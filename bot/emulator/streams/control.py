"""Control plane for the streams: ``POST /_emulator/stream-faults`` and a status read."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.emulator.control_base import Body, ControlError, control_op, str_field
from bot.emulator.streams.faults import STREAM_FAULT_KINDS

if TYPE_CHECKING:
    from bot.emulator.exchange import Exchange


def stream_control_routes(ex: Exchange) -> list[Route]:
    hub = ex.streams

    def op(fn: Callable[[Body], Any]) -> Callable[[Request], Awaitable[Response]]:
        return control_op(ex, fn)

    def add_fault(body: Body) -> Body:
        kind = str_field(body, "kind")
        scope = str(body.get("scope", "all"))
        if kind == "stream_drop":
            return {"dropped": hub.drop(scope)}
        if kind == "stream_stall":
            hub.faults.stall(scope, float(body.get("seconds", 0)))
        elif kind == "stream_duplicate":
            hub.faults.duplicate(scope, int(body.get("count", 1)))
        elif kind == "stream_reorder":
            hub.faults.reorder(int(body.get("count", 1)))
        elif kind == "listen_key_expire":
            return {"expired": len(hub.expire_keys(body.get("api_key")))}
        else:
            raise ControlError(f"field 'kind' must be one of {STREAM_FAULT_KINDS}, got {kind!r}")
        return hub.faults.describe()

    def clear_faults(body: Body) -> None:
        hub.faults.clear()

    def status(body: Body) -> Body:
        return {"open": hub.open_counts(), "faults": hub.faults.describe()}

    return [
        Route("/_emulator/stream-faults", op(add_fault), methods=["POST"]),
        Route("/_emulator/stream-faults", op(clear_faults), methods=["DELETE"]),
        Route("/_emulator/streams", op(status), methods=["GET"]),
    ]
