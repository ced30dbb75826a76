"""The metrics server's ASGI app: /metrics and /healthz as they always answered, and the
read-only dashboard (/, /static/*, /api/model, /api/events as server-sent events)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import anyio
import anyio.to_thread
import structlog
from prometheus_client import CONTENT_TYPE_LATEST
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, Response, StreamingResponse
from starlette.routing import Route

from bot.dashboard.auth import COOKIE, TokenRule

if TYPE_CHECKING:  # bot.metrics imports this module for its server
    from bot.metrics.health import HealthTracker
    from bot.metrics.registry import HedgebotMetrics

log = structlog.get_logger(__name__)

STATIC = Path(__file__).parent / "static"
STATIC_FILES = {
    "chart.umd.min.js": "text/javascript",
    "dashboard.js": "text/javascript",
    "dashboard.css": "text/css",
}


class ModelSource(Protocol):
    @property
    def refresh_secs(self) -> float: ...

    def current(self) -> dict[str, Any]: ...


Endpoint = Callable[[Request], Any]


def _json(code: int, body: dict[str, Any]) -> Response:
    # json.dumps' own separators: the bytes /healthz always answered with.
    return Response(json.dumps(body).encode(), status_code=code, media_type="application/json")


def build_app(
    *,
    metrics: HedgebotMetrics,
    health: HealthTracker,
    source: ModelSource | None = None,
    rule: TokenRule | None = None,
) -> Starlette:
    async def metrics_page(_: Request) -> Response:
        return Response(metrics.render(), media_type=CONTENT_TYPE_LATEST)

    async def healthz(_: Request) -> Response:
        status = health.status()
        return _json(200 if status.healthy else 503, status.as_json())

    routes = [Route("/metrics", metrics_page), Route("/healthz", healthz)]
    if source is not None:
        routes += _dashboard_routes(source, rule or TokenRule(host="127.0.0.1", token=None))
    app = Starlette(routes=routes)
    app.add_exception_handler(404, _not_found)
    app.add_exception_handler(Exception, _failed)
    return app


async def _not_found(request: Request, _exc: Exception) -> Response:
    return _json(404, {"error": f"no such path: {request.url.path}"})


async def _failed(request: Request, exc: Exception) -> Response:
    log.error("metrics request failed", path=request.url.path, error=type(exc).__name__)
    return _json(500, {"error": type(exc).__name__})


def _dashboard_routes(source: ModelSource, rule: TokenRule) -> list[Route]:
    def guarded(endpoint: Endpoint) -> Endpoint:
        async def checked(request: Request) -> Any:
            given = rule.presented(request.headers, request.cookies, request.query_params)
            if not rule.allows(given):
                return _json(401, {"error": rule.refusal()})
            response = await endpoint(request)
            if rule.token is not None and request.query_params.get("token"):
                # The page's own requests (EventSource cannot send headers) carry the cookie.
                response.set_cookie(COOKIE, rule.token, httponly=True, samesite="strict")
            return response

        return checked

    async def page(_: Request) -> Response:
        return FileResponse(STATIC / "index.html", media_type="text/html")

    async def static(request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC_FILES:
            return _json(404, {"error": f"no such path: {request.url.path}"})
        return FileResponse(STATIC / name, media_type=STATIC_FILES[name])

    async def model(_: Request) -> Response:
        return _json(200, await anyio.to_thread.run_sync(source.current))

    async def events(_: Request) -> Response:
        return StreamingResponse(_model_events(source), media_type="text/event-stream")

    return [
        Route("/", guarded(page)),
        Route("/static/{name}", guarded(static)),
        Route("/api/model", guarded(model)),
        Route("/api/events", guarded(events)),
    ]


async def _model_events(source: ModelSource) -> AsyncIterator[str]:
    """A ``model`` event whenever the model changed, a comment otherwise (so a closed page
    is noticed); one model read serves every open page (see ``DashboardFeed``)."""
    last = ""
    while True:
        body = json.dumps(await anyio.to_thread.run_sync(source.current))
        if body != last:
            last = body
            yield f"event: model\ndata: {body}\n\n"
        else:
            yield ": unchanged\n\n"
        await anyio.sleep(source.refresh_secs)
