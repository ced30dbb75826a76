"""ASGI app: Binance routing, auth, rate limits and faults around the endpoint handlers."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any
from urllib.parse import parse_qsl

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.types import Receive, Scope, Send

from bot.emulator import (
    errors,
    routes_account,
    routes_market,
    routes_settings,
    routes_trade,
    routes_wallet,
    weights,
)
from bot.emulator.control import control_routes
from bot.emulator.exchange import Exchange
from bot.emulator.faults import MAX_TIMEOUT_SECS, Fault
from bot.emulator.params import Params
from bot.emulator.ratelimit import RateLimitedError
from bot.emulator.routing import ROUTES, Call, Endpoint, venue_of
from bot.emulator.signing import check_api_key, check_timestamp, verify_signature
from bot.emulator.streams import rest as routes_streams
from bot.emulator.streams.control import stream_control_routes
from bot.emulator.streams.sockets import stream_routes

# Imported for their @route registrations.
_ROUTE_MODULES = (
    routes_account,
    routes_market,
    routes_settings,
    routes_streams,
    routes_trade,
    routes_wallet,
)
PRE_FAULTS = ("http_500", "http_502", "http_429", "http_418", "clock_skew_1021")
DEFAULT_TIMEOUT_SECS = 12.0  # python-binance's default request timeout is 10 s
NOT_FOUND_HTML = b"<html><body><h1>404 Not Found</h1></body></html>"
BAD_GATEWAY_HTML = b"<html><head><title>502 Bad Gateway</title></head></html>"
UNKNOWN_STATUS: dict[str, Any] = {
    "code": -1000,
    "msg": "Unknown error, please check your request or try again later.",
}
log = logging.getLogger(__name__)


class DroppedConnectionError(ConnectionAbortedError):
    """Raised after the headers are out so the server closes the socket without a body."""


class _DropAfter(Response):
    def __init__(self, delay: float) -> None:
        super().__init__()
        self.delay = delay

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await asyncio.sleep(self.delay)
        await send(
            {
                "type": "http.response.start",
                "status": 200,
                "headers": [(b"content-length", b"4096")],
            }
        )
        raise DroppedConnectionError("emulator fault timeout_executed: connection dropped")


class _QuietDrops(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        exc = record.exc_info[1] if record.exc_info else None
        return not isinstance(exc, DroppedConnectionError)


def _json(status: int, payload: Any, headers: dict[str, str]) -> Response:
    body = json.dumps(payload, separators=(",", ":")).encode()
    return Response(body, status_code=status, headers=headers, media_type="application/json")


def _error(error: errors.ApiError, headers: dict[str, str]) -> Response:
    return _json(error.status, error.body(), headers)


def _fault_response(
    fault: Fault, headers: dict[str, str], server_ms: int, *, sapi: bool
) -> Response:
    retry = str(int(fault.params.get("retry_after", 1 if fault.kind == "http_429" else 120)))
    if fault.kind == "http_500":
        return _error(errors.UNKNOWN_ERROR, headers)
    if fault.kind == "http_502":
        return Response(BAD_GATEWAY_HTML, status_code=502, media_type="text/html")
    if fault.kind == "http_429":
        limited = errors.sapi_too_much_weight(12000) if sapi else errors.too_many_requests(2400)
        return _error(limited, {**headers, "Retry-After": retry})
    if fault.kind == "http_418":
        until = server_ms + int(retry) * 1000
        return _error(errors.banned(until), {**headers, "Retry-After": retry})
    return _error(errors.TS_OUTSIDE, headers)


def _client_ip(request: Request) -> str:
    return request.client.host if request.client else "127.0.0.1"


@dataclass(frozen=True, kw_only=True)
class _Incoming:
    method: str
    path: str
    query: str
    body: str
    headers: Mapping[str, str]
    ip: str

    @property
    def route(self) -> str:
        return f"{self.method} {self.path}"

    def params(self) -> Params:
        values = dict(parse_qsl(self.body, keep_blank_values=True)) if self.body else {}
        if self.query:
            values.update(parse_qsl(self.query, keep_blank_values=True))
        return Params(values)


def _authenticate(ex: Exchange, req: _Incoming, params: Params, wall: int) -> str:
    api_key = check_api_key(req.headers, ex.secrets, req.ip)
    check_timestamp(params.values, wall)
    verdict = verify_signature(
        ex.secrets[api_key], req.query, req.body, strict=ex.config.strict_signatures
    )
    if verdict.lenient:
        ex.lenient_signatures += 1
    return api_key


def _after(fault: Fault | None, payload: Any, headers: dict[str, str]) -> Response:
    if fault is not None and fault.kind == "http_503_unknown":
        return _json(503, UNKNOWN_STATUS, headers)
    if fault is not None and fault.kind == "empty_list" and isinstance(payload, list):
        return _json(200, [], headers)  # a venue that answers "nothing" by mistake
    if fault is not None and fault.kind == "timeout_executed":
        delay = min(float(fault.params.get("timeout_secs", DEFAULT_TIMEOUT_SECS)), MAX_TIMEOUT_SECS)
        return _DropAfter(delay)
    return _json(200, payload, headers)


def _dispatch(ex: Exchange, endpoint: Endpoint, req: _Incoming) -> Response:
    """One Binance request, synchronously (the caller holds ``ex.lock``)."""
    ex.tick()
    headers: dict[str, str] = {}
    fault = ex.faults.take(req.method, req.path)
    params = req.params()
    wall = ex.server_ms()
    try:
        weight = endpoint.weight_for(params)
        weights.charge_ip(ex, endpoint, req.route, weight, wall, headers)
        if fault is not None and fault.kind in PRE_FAULTS:
            return _fault_response(fault, headers, wall, sapi=weights.is_sapi(req.path))
        api_key = _authenticate(ex, req, params, wall) if endpoint.signed else None
        if endpoint.keyed:  # USER_STREAM / MARKET_DATA: key header, no signature
            api_key = check_api_key(req.headers, ex.secrets, req.ip)
        weights.charge_uid(ex, endpoint, req.route, weight, api_key, wall, headers)
        if endpoint.order:
            assert api_key is not None
            ten, minute = ex.limiter.count_order(api_key, wall)
            headers["X-MBX-ORDER-COUNT-10S"] = str(ten)
            headers["X-MBX-ORDER-COUNT-1M"] = str(minute)
        ratio = None
        if fault is not None and fault.kind == "partial_fill":
            ratio = Decimal(str(fault.params.get("ratio", "0.5")))
        call = Call(
            ex=ex,
            venue=venue_of(req.path),
            params=params,
            api_key=api_key,
            now=ex.market_ms(),
            partial_ratio=ratio,
        )
        if (
            fault is not None
            and fault.kind == "http_503_unknown"
            and not fault.params.get("executed", True)
        ):
            return _json(503, UNKNOWN_STATUS, headers)
        payload = endpoint.handler(call)
    except RateLimitedError as limited:
        return _error(limited.error, {**headers, "Retry-After": str(limited.retry_after_secs)})
    except errors.ApiError as error:
        if endpoint.mutates:
            ex.save()
        return _error(error, headers)
    if endpoint.mutates:
        ex.save()
    return _after(fault, payload, headers)


def build_app(ex: Exchange) -> Starlette:
    logging.getLogger("uvicorn.error").addFilter(_QuietDrops())

    async def api(request: Request) -> Response:
        method, path = request.method, request.url.path
        endpoint = ROUTES.get((method, path))
        if endpoint is None:
            return Response(NOT_FOUND_HTML, status_code=404, media_type="text/html")
        incoming = _Incoming(
            method=method,
            path=path,
            query=request.url.query,
            body=(await request.body()).decode() if method != "GET" else "",
            headers=request.headers,
            ip=_client_ip(request),
        )
        with ex.lock, ex.streams.observing():  # never held across an await
            return _dispatch(ex, endpoint, incoming)

    methods = ["GET", "POST", "PUT", "DELETE"]
    routes = [
        *control_routes(ex),
        *stream_control_routes(ex),
        *stream_routes(ex),
        Route("/{path:path}", api, methods=methods),
    ]
    return Starlette(routes=routes)
