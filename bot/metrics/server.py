"""A small HTTP server for Prometheus scrapes, health checks and the read-only dashboard, on a
background thread (uvicorn serving ``bot.dashboard.web``'s ASGI app).

``GET /metrics``: the registry in the text exposition format. ``GET /healthz``: 200 with a JSON
body while cycles succeed, 503 with the reason otherwise. With a dashboard source: the page at
``/`` (see ``bot.dashboard.auth`` for who may see it). Binds 127.0.0.1 by default; port 0 picks
a free port (read it from ``port`` after ``start()``).
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading

import structlog
import uvicorn

from bot.dashboard.auth import TokenRule
from bot.dashboard.web import ModelSource, build_app
from bot.metrics.health import HealthTracker
from bot.metrics.registry import HedgebotMetrics

log = structlog.get_logger(__name__)

# An open dashboard page holds an event stream: stop() waits this long for it, then closes it.
GRACEFUL_SHUTDOWN_SECS = 1
# uvicorn's own housekeeping tick is 0.1 s: ten wake-ups a second were a fifth of the idle
# daemon's CPU. Its work (the Date header, the exit flag) needs one a second; stop() wakes it.
TICK_SECS = 1.0


class _QuietServer(uvicorn.Server):
    """uvicorn's server with a housekeeping tick of ``TICK_SECS`` that ``request_exit`` cuts
    short (requests are served as they come either way: the tick only refreshes the Date
    header and looks for the exit flag)."""

    def __init__(self, config: uvicorn.Config) -> None:
        super().__init__(config)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._exit = asyncio.Event()

    async def main_loop(self) -> None:
        self._loop = asyncio.get_running_loop()
        counter = 0
        while not await self.on_tick(counter):
            counter = (counter + 10) % 864_000  # on_tick's counter is in 0.1 s steps
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._exit.wait(), TICK_SECS)

    def request_exit(self) -> None:
        """From any thread: stop serving now, not at the next tick."""
        self.should_exit = True
        loop = self._loop
        if loop is not None:
            with contextlib.suppress(RuntimeError):  # the loop has closed already
                loop.call_soon_threadsafe(self._exit.set)


class MetricsServer:
    def __init__(
        self,
        metrics: HedgebotMetrics,
        health: HealthTracker,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        dashboard: ModelSource | None = None,
        dashboard_token: str | None = None,
    ) -> None:
        self._app = build_app(
            metrics=metrics,
            health=health,
            source=dashboard,
            rule=TokenRule(host=host, token=dashboard_token),
        )
        self._host = host
        self._requested_port = port
        self._socket: socket.socket | None = None
        self._server: _QuietServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._socket is None:
            raise RuntimeError("the metrics server is not running; call start() first")
        return int(self._socket.getsockname()[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> int:
        """Bind and serve on a daemon thread; return the bound port. Connections made before
        uvicorn's loop runs wait in the listening socket's backlog."""
        if self._socket is not None:
            raise RuntimeError("the metrics server is already running")
        self._socket = _listening_socket(self._host, self._requested_port)
        config = uvicorn.Config(
            self._app,
            log_level="warning",
            access_log=False,
            lifespan="off",
            server_header=False,
            timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECS,
        )
        self._server = _QuietServer(config)
        serving = self._server.serve(sockets=[self._socket])
        self._thread = threading.Thread(
            target=asyncio.run, args=(serving,), name="metrics-http", daemon=True
        )
        self._thread.start()
        log.info("metrics server listening", host=self._host, port=self.port)
        return self.port

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and release the port. Safe to call twice."""
        server, thread, sock = self._server, self._thread, self._socket
        if sock is None:
            return
        if server is not None:
            server.request_exit()
        if thread is not None:
            thread.join(timeout)
        sock.close()
        self._server = None
        self._thread = None
        self._socket = None

    def __enter__(self) -> MetricsServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()


def _listening_socket(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(128)
    except OSError as e:
        sock.close()
        raise OSError(e.errno, f"cannot bind the metrics server to {host}:{port}") from e
    return sock
