"""A loopback TCP proxy in front of anvil that the chaos test can break on demand.

Modes: ``pass`` forwards bytes both ways; ``close`` accepts and closes at once (an endpoint that
resets connections); ``hang`` accepts and never answers (an endpoint that times out). Switching
away from ``pass`` cuts every forwarded connection too, so a client's keep-alive socket cannot
keep talking to anvil through a proxy that is meant to be down.
"""

from __future__ import annotations

import contextlib
import select
import socket
import threading
from typing import Literal

Mode = Literal["pass", "close", "hang"]


class RpcProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self._upstream = (upstream_host, upstream_port)
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.2)
        self._mode: Mode = "pass"
        self._lock = threading.Lock()
        self._live: set[socket.socket] = set()
        self._stop = threading.Event()
        self._mode_changed = threading.Condition(self._lock)
        self.broken_connections = 0  # connections refused or left hanging while broken
        self._thread = threading.Thread(target=self._accept_loop, name="rpc-proxy", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._listener.getsockname()[1]}"

    @property
    def mode(self) -> Mode:
        return self._mode

    def set_mode(self, mode: Mode) -> None:
        with self._lock:
            self._mode = mode
            doomed = list(self._live) if mode != "pass" else []
            self._live.clear()
            self._mode_changed.notify_all()
        for sock in doomed:
            _close(sock)

    def start(self) -> RpcProxy:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self.set_mode("close")
        self._thread.join(timeout=5)
        _close(self._listener)

    def __enter__(self) -> RpcProxy:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def _accept_loop(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except (TimeoutError, OSError):
                continue
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        mode = self._mode
        if mode == "close":
            self.broken_connections += 1
            _close(client)
            return
        if mode == "hang":
            self.broken_connections += 1
            with self._lock:
                while self._mode == "hang" and not self._stop.is_set():
                    self._mode_changed.wait(timeout=0.5)
            _close(client)
            return
        try:
            upstream = socket.create_connection(self._upstream, timeout=5)
        except OSError:
            _close(client)
            return
        with self._lock:
            if self._mode != "pass":
                _close(client)
                _close(upstream)
                return
            self._live.update((client, upstream))
        _pump(client, upstream)
        with self._lock:
            self._live.discard(client)
            self._live.discard(upstream)
        _close(client)
        _close(upstream)


def _pump(a: socket.socket, b: socket.socket) -> None:
    peers = {a: b, b: a}
    try:
        while True:
            readable, _, _ = select.select([a, b], [], [], 1.0)
            for sock in readable:
                data = sock.recv(65536)
                if not data:
                    return
                peers[sock].sendall(data)
    except (OSError, ValueError):  # a socket closed under us: the mode switch cut it
        return


def _close(sock: socket.socket) -> None:
    with contextlib.suppress(OSError):
        sock.shutdown(socket.SHUT_RDWR)
    with contextlib.suppress(OSError):
        sock.close()
