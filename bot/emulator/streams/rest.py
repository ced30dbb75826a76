"""``POST/PUT/DELETE /fapi/v1/listenKey`` and ``/dapi/v1/listenKey`` (security USER_STREAM:
API key header, no signature; weight 1). A ``listenKey`` body parameter is accepted and ignored,
as Binance does (python-binance sends it)."""

from __future__ import annotations

from typing import Any

from bot.emulator.routing import Call, route

PATHS = ("/fapi/v1/listenKey", "/dapi/v1/listenKey")


def _validity_ms(call: Call) -> int:
    return int(call.ex.config.listen_key_validity_secs * 1000)


def _api_key(call: Call) -> str:
    assert call.api_key is not None, "listenKey endpoints are keyed"
    return call.api_key


@route("POST", *PATHS, keyed=True)
def start_stream(call: Call) -> dict[str, Any]:
    keys = call.ex.streams.keys
    key = keys.open(_api_key(call), call.venue, call.ex.server_ms(), _validity_ms(call))
    return {"listenKey": key}


@route("PUT", *PATHS, keyed=True)
def keepalive_stream(call: Call) -> dict[str, Any]:
    keys = call.ex.streams.keys
    key = keys.keepalive(_api_key(call), call.venue, call.ex.server_ms(), _validity_ms(call))
    return {"listenKey": key}


@route("DELETE", *PATHS, keyed=True)
def close_stream(call: Call) -> dict[str, Any]:
    call.ex.streams.keys.close(_api_key(call), call.venue)
    return {}
