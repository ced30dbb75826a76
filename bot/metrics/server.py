"""A small HTTP server for Prometheus scrapes and health checks, on a background thread.

``GET /metrics``: the registry in the text exposition format. ``GET /healthz``: 200 with a JSON
body while cycles succeed, 503 with the reason otherwise. Binds 127.0.0.1 by default; port 0
picks a free port (read it from ``port`` after ``start()``).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import structlog
from prometheus_client import CONTENT_TYPE_LATEST

from bot.metrics.health import HealthTracker
from bot.metrics.registry import HedgebotMetrics

log = structlog.get_logger(__name__)


class MetricsServer:
    def __init__(
        self,
        metrics: HedgebotMetrics,
        health: HealthTracker,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._metrics = metrics
        self._health = health
        self._host = host
        self._requested_port = port
        self._server: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the metrics server is not running; call start() first")
        return int(self._server.server_address[1])

    @property
    def url(self) -> str:
        return f"http://{self._host}:{self.port}"

    def start(self) -> int:
        """Bind and serve on a daemon thread; return the bound port."""
        if self._server is not None:
            raise RuntimeError("the metrics server is already running")
        try:
            server = ThreadingHTTPServer((self._host, self._requested_port), self._handler())
        except OSError as e:
            raise OSError(
                e.errno, f"cannot bind the metrics server to {self._host}:{self._requested_port}"
            ) from e
        server.daemon_threads = True
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever, kwargs={"poll_interval": 0.1}, name="metrics-http"
        )
        self._thread.daemon = True
        self._thread.start()
        log.info("metrics server listening", host=self._host, port=self.port)
        return self.port

    def stop(self, timeout: float = 5.0) -> None:
        """Stop serving and release the port. Safe to call twice."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join(timeout)
        self._server = None
        self._thread = None

    def __enter__(self) -> MetricsServer:
        self.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        metrics = self._metrics
        health = self._health

        class Handler(BaseHTTPRequestHandler):
            server_version = "hedgebot"
            sys_version = ""

            def do_GET(self) -> None:
                path = self.path.split("?", 1)[0]
                try:
                    if path == "/metrics":
                        self._send(200, CONTENT_TYPE_LATEST, metrics.render())
                    elif path == "/healthz":
                        status = health.status()
                        self._send_json(200 if status.healthy else 503, status.as_json())
                    else:
                        self._send_json(404, {"error": f"no such path: {path}"})
                except Exception as e:
                    log.error("metrics request failed", path=path, error=type(e).__name__)
                    self._send_json(500, {"error": type(e).__name__})

            def _send_json(self, code: int, body: dict[str, Any]) -> None:
                self._send(code, "application/json", json.dumps(body).encode())

            def _send(self, code: int, content_type: str, body: bytes) -> None:
                self.send_response(code)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: Any) -> None:
                # BaseHTTPRequestHandler writes every request to stderr; scrapes are noise.
                log.debug("metrics request", line=format % args)

        return Handler
