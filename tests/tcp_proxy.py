"""A loopback TCP proxy a test can cut (connections dropped, new ones refused) or stall
(connections kept open, nothing forwarded), then heal. Upstream: a loopback TCP port, or a
Unix socket path (the embedded PostgreSQL server listens on one only)."""

from __future__ import annotations

import contextlib
import socket
import threading
from types import TracebackType


class TcpProxy:
    def __init__(self, upstream: int | str) -> None:
        self._upstream = upstream
        self._server = socket.create_server(("127.0.0.1", 0))
        self.port: int = self._server.getsockname()[1]
        self._lock = threading.Lock()
        self._open = threading.Event()  # accepting
        self._flowing = threading.Event()  # forwarding
        self._open.set()
        self._flowing.set()
        self._closed = False
        self._sockets: list[socket.socket] = []
        self.connections = 0  # accepted and forwarded, ever
        threading.Thread(target=self._accept, daemon=True).start()

    @property
    def ws_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}"

    def cut(self) -> None:
        self._open.clear()
        self._drop_all()

    def stall(self) -> None:
        self._flowing.clear()

    def heal(self) -> None:
        self._flowing.set()
        self._open.set()

    def close(self) -> None:
        self._closed = True
        self._server.close()
        self._flowing.set()
        self._drop_all()

    def _drop_all(self) -> None:
        with self._lock:
            sockets, self._sockets = self._sockets, []
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)
            sock.close()

    def _accept(self) -> None:
        while not self._closed:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            if not self._open.is_set():
                client.close()  # refused: the handshake fails at once
                continue
            try:
                upstream = self._connect_upstream()
            except OSError:
                client.close()  # the server is down: so is the proxied connection
                continue
            with self._lock:
                self._sockets += [client, upstream]
                self.connections += 1
            for src, dst in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pump, args=(src, dst), daemon=True).start()

    def _connect_upstream(self) -> socket.socket:
        if isinstance(self._upstream, int):
            return socket.create_connection(("127.0.0.1", self._upstream))
        unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        try:
            unix.connect(self._upstream)
        except OSError:
            unix.close()
            raise
        return unix

    def _pump(self, src: socket.socket, dst: socket.socket) -> None:
        while True:
            try:
                data = src.recv(65536)
            except OSError:
                break
            if not data:
                break
            self._flowing.wait()
            try:
                dst.sendall(data)
            except OSError:
                break
        for sock in (src, dst):
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)

    def __enter__(self) -> TcpProxy:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()
