"""Helpers for tests with replicas on the embedded PostgreSQL server: a database URL through a
TCP proxy (to cut one replica off), polling for a condition."""

from __future__ import annotations

import time
from collections.abc import Callable

from sqlalchemy import make_url

from tests.postgres_fixture import PostgresServer
from tests.tcp_proxy import TcpProxy


def socket_path(server: PostgresServer) -> str:
    """The server's Unix socket (it listens on no TCP port)."""
    path = server.handle.get_postmaster_info().socket_path
    assert path is not None
    return str(path)


def via(proxy: TcpProxy, url: str) -> str:
    """``url`` (a database of ``server``) reached through ``proxy`` over loopback TCP."""
    database = make_url(url).database
    return f"postgresql://postgres@127.0.0.1:{proxy.port}/{database}"


def wait_for(
    what: str, condition: Callable[[], bool], *, timeout_secs: float = 60, poll_secs: float = 0.05
) -> None:
    """Poll until ``condition`` holds; the timeout only bounds a hang (no timing assertion)."""
    deadline = time.monotonic() + timeout_secs
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(poll_secs)
