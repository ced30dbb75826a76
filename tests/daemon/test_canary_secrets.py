"""Canary: secrets never reach a log line, an error, an output, the journal or a metric.

Distinctive canary strings are used as the Binance API key and secret (an emulator account),
the RPC URL's credentials (basic-auth user and password, an API-key path segment, an ``apikey``
query value: a loopback proxy in front of anvil takes them, since anvil answers on "/" only)
and the journal's PostgreSQL password (a role that must log in with it). The wallet key is
anvil's real key of the borrower, so it is its hex that must never appear. The real daemon runs
a few cycles, through an RPC outage (the errors that quote URLs), then every place an operator
can read is searched: ``check-config``, ``status --json``, ``/metrics``, ``/healthz``, every
journal row, the daemon's log and command line, the emulator's snapshot.
"""

from __future__ import annotations

import base64
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Iterator, Mapping
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import MetaData, create_engine, make_url, select

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from tests.daemon.harness import (
    DaemonProcess,
    cli,
    daemon_config,
    daemon_env,
    open_borrower,
    running_daemon,
    write_config,
)
from tests.postgres_fixture import PostgresServer

pytestmark = [pytest.mark.chain, pytest.mark.exchange, pytest.mark.postgres]

# Mixed case and shorter than 64 characters: no generic pattern of the log redaction (64 hex,
# 64 alphanumerics) can hide them, so a zero count means they were never written at all.
API_KEY = "CanaryApiKeyQ7w3Zr9x"
API_SECRET = "CanaryApiSecretK4m8Vt2p"
RPC_USER = "CanaryRpcUserH5d1"
RPC_PASSWORD = "CanaryRpcPassJ6s2"
RPC_PATH_KEY = "CanaryRpcPathKey0123456789"
RPC_QUERY_KEY = "CanaryRpcQueryN7b3"
DB_ROLE = "canary_journal"
DB_PASSWORD = "CanaryDbPassL8c4"


class AnvilAuthProxy:
    """Loopback HTTP proxy in front of anvil that accepts any path and any credentials (as a
    provider's endpoint would), counts the requests that carried them, and answers 500 while
    ``failing`` (an outage whose errors quote the full URL)."""

    def __init__(self, upstream: str) -> None:
        self.failing = False
        self.seen: Counter[str] = Counter()
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                proxy.seen[_credentials_used(self.path, self.headers.get("Authorization"))] += 1
                status, payload = (500, b"upstream down") if proxy.failing else _forward(body)
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, format: str, *args: Any) -> None:
                return

        def _forward(body: bytes) -> tuple[int, bytes]:
            request = urllib.request.Request(  # noqa: S310 - a loopback http URL
                upstream, data=body, headers={"Content-Type": "application/json"}
            )
            with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
                return 200, bytes(response.read())

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def origin(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def url(self) -> str:
        host = self.origin.removeprefix("http://")
        return f"http://{RPC_USER}:{RPC_PASSWORD}@{host}/v3/{RPC_PATH_KEY}?apikey={RPC_QUERY_KEY}"

    def __enter__(self) -> AnvilAuthProxy:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)


def _credentials_used(path: str, authorization: str | None) -> str:
    basic = "Basic " + base64.b64encode(f"{RPC_USER}:{RPC_PASSWORD}".encode()).decode()
    full = RPC_PATH_KEY in path and RPC_QUERY_KEY in path and authorization == basic
    return "with credentials" if full else "without"


def _canary_database(server: PostgresServer) -> tuple[str, str]:
    """A journal database owned by a role that must log in with ``DB_PASSWORD``: the URL the
    daemon uses and the superuser's URL to read it back."""
    admin_url = server.new_database_url()
    database = make_url(admin_url).database
    with psycopg.connect(server.handle.get_uri(), autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (DB_ROLE,)).fetchone()
        verb = "ALTER" if exists else "CREATE"
        conn.execute(f"{verb} ROLE {DB_ROLE} LOGIN PASSWORD '{DB_PASSWORD}'")
        conn.execute(f'ALTER DATABASE "{database}" OWNER TO {DB_ROLE}')
        _require_password(conn, DB_ROLE)
    url = make_url(admin_url).set(username=DB_ROLE, password=DB_PASSWORD)
    daemon_url = url.render_as_string(hide_password=False)
    _wait_until_checked(url.set(password="wrong").render_as_string(hide_password=False))
    psycopg.connect(daemon_url).close()
    return daemon_url, admin_url


def _wait_until_checked(wrong_url: str, timeout: float = 10.0) -> None:
    """pg_reload_conf() only signals the server: wait until a wrong password is refused."""
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(wrong_url).close()
        except psycopg.OperationalError:
            return
        assert time.monotonic() < deadline, "the server still accepts a wrong password"
        time.sleep(0.05)


def _require_password(conn: psycopg.Connection[Any], role: str) -> None:
    # The embedded server trusts every login; these rules, first in pg_hba.conf, make this one
    # role (and only it: the journal tests' own logins stay trusted) give its password.
    row = conn.execute("SHOW hba_file").fetchone()
    assert row is not None
    hba = Path(str(row[0]))
    rules = [f"{kind} all {role} {where} scram-sha-256" for kind, where in _HBA_SOURCES]
    text = hba.read_text()
    if rules[0] not in text:
        hba.write_text("\n".join(rules) + "\n" + text)
        conn.execute("SELECT pg_reload_conf()")


_HBA_SOURCES = (("local", ""), ("host", "127.0.0.1/32"), ("host", "::1/128"))


def _journal_rows(admin_url: str) -> tuple[int, str]:
    """Every row of every journal table, stringified (and how many rows there were)."""
    engine = create_engine(make_url(admin_url).set(drivername="postgresql+psycopg"))
    try:
        metadata = MetaData()
        metadata.reflect(engine)
        rows: list[str] = []
        with engine.connect() as conn:
            for table in metadata.sorted_tables:
                rows += [f"{table.name}: {tuple(r)}" for r in conn.execute(select(table))]
    finally:
        engine.dispose()
    return len(rows), "\n".join(rows)


def _run_cycles_through_an_outage(daemon: DaemonProcess, proxy: AnvilAuthProxy) -> None:
    """A few good cycles, then an RPC outage long enough for the hedger's cycle, the guard's
    read and the pool's failover log to fail (each quotes the URL), short of the hedger's
    circuit breaker (5 failed cycles), then a good cycle again."""
    first, _ = daemon.wait_event("cycle done", timeout=60)
    third = first
    for _ in range(2):
        third, _ = daemon.wait_event("cycle done", after=third + 1, timeout=30)
    proxy.failing = True
    try:
        seen = [
            daemon.wait_for(
                lambda e: f"failed on {proxy.origin}/" in str(e.get("event", "")),
                what="an RPC failure naming the endpoint",
                after=third,
                timeout=30,
            )[0],
            daemon.wait_event("cycle failed", after=third, timeout=30)[0],
            daemon.wait_event("guard read failed", after=third, timeout=30)[0],
        ]
    finally:
        proxy.failing = False
    daemon.wait_event("cycle done", after=max(seen) + 1, timeout=60)


def _daemon_outputs(
    daemon: DaemonProcess, proxy: AnvilAuthProxy, env: Mapping[str, str], config: Path
) -> dict[str, str]:
    base = daemon.metrics_base_url()
    _run_cycles_through_an_outage(daemon, proxy)
    status = cli("status", "--config", str(config), "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert '"position": "e2e"' in status.stdout
    metrics = httpx.get(f"{base}/metrics", timeout=5)
    healthz = httpx.get(f"{base}/healthz", timeout=5)
    assert "hedgebot_cycles_total" in metrics.text
    cmdline = Path(f"/proc/{daemon.pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    assert daemon.terminate() == 0
    return {
        "status --json": status.stdout + status.stderr,
        "/metrics": metrics.text,
        "/healthz": healthz.text,
        "daemon command line": cmdline,
    }


@pytest.fixture
def stack(
    devnet: Devnet, emulator: EmulatorHandle, postgres_server: PostgresServer
) -> Iterator[tuple[Devnet, EmulatorHandle, AnvilAuthProxy, str, str]]:
    with AnvilAuthProxy(devnet.rpc_url) as proxy:
        daemon_url, admin_url = _canary_database(postgres_server)
        yield devnet, emulator, proxy, daemon_url, admin_url


def test_no_canary_secret_reaches_any_output(
    stack: tuple[Devnet, EmulatorHandle, AnvilAuthProxy, str, str], tmp_path: Path
) -> None:
    devnet, emulator, proxy, database_url, admin_url = stack
    borrower = open_borrower(devnet, emulator)
    emulator.control.add_api_key(API_KEY, API_SECRET)
    emulator.control.fund("BNB", Decimal(50), venue="usdm", api_key=API_KEY)
    config = daemon_config(
        devnet=devnet,
        emulator=emulator,
        wallet=borrower.address,
        journal_path=tmp_path / "unused.db",
        rpc_url=proxy.url,
    )
    config["journal"] = {"url": database_url}
    path = write_config(tmp_path / "hedgebot.yaml", config)
    secrets = {"BINANCE_API_KEY": API_KEY, "BINANCE_API_SECRET": API_SECRET}
    env = daemon_env(emulator, wallet_key=borrower.key, api_keys=False, extra=secrets)

    checked = cli("check-config", str(path), env=env)
    assert checked.returncode == 0, checked.stderr
    assert f'"{proxy.origin}/v3/***?apikey=***"' in checked.stdout  # still recognisable
    log_path = tmp_path / "daemon.log"
    with running_daemon(path, env, log_path) as daemon:
        outputs = _daemon_outputs(daemon, proxy, env, path)
    row_count, rows = _journal_rows(admin_url)
    assert row_count > 0
    assert proxy.seen["with credentials"] > 0  # the daemon really sent them
    assert proxy.seen["without"] == 0
    outputs |= {
        "check-config": checked.stdout + checked.stderr,
        "daemon log": log_path.read_text(errors="replace"),
        f"journal ({row_count} rows)": rows,
    }
    _assert_no_canary(outputs, borrower.key, snapshot=str(emulator.control.snapshot()))


def _assert_no_canary(outputs: Mapping[str, str], wallet_key: str, *, snapshot: str) -> None:
    canaries = {
        "api key": API_KEY,
        "api secret": API_SECRET,
        "wallet key": wallet_key.removeprefix("0x"),
        "rpc user": RPC_USER,
        "rpc password": RPC_PASSWORD,
        "rpc path key": RPC_PATH_KEY,
        "rpc query key": RPC_QUERY_KEY,
        "db password": DB_PASSWORD,
    }
    counts = {
        (source, name): text.lower().count(value.lower())
        for source, text in outputs.items()
        for name, value in canaries.items()
    }
    # The snapshot's accounts are keyed by API key (it signs nothing); its secret must go.
    counts[("emulator snapshot", "api secret")] = snapshot.lower().count(API_SECRET.lower())
    for (source, name), count in sorted(counts.items()):
        print(f"canary {name:>13} in {source}: {count}")
    assert sum(counts.values()) == 0, {k: v for k, v in counts.items() if v}
