"""Run the real daemon (``python -m bot run``) against anvil + Aave v3 and the emulator.

Shared by the end-to-end tests (tests/daemon/test_daemon_e2e.py) and the daemon benchmarks
(bench/bench_daemon_*.py). Nothing here is mocked: the daemon is a subprocess, the chain is
anvil with the real Aave v3 deployment, the exchange is the emulator over HTTP.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import yaml

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle

REPO = Path(__file__).resolve().parents[2]
# Anvil's well-known default keys (public test keys, never funded anywhere real).
ANVIL_KEYS = {
    2: "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a",
    3: "0x7c852118294e51e653712a81e05800f419141751be58f605c371e15141b007a6",
}
WEBHOOK_ENV = "HEDGEBOT_E2E_WEBHOOK_URL"
POSITION = "e2e"
SYMBOLS = {"BTC": "BTCUSDT", "ETH": "ETHUSDT", "BNB": "BNBUSDT"}


class DaemonTestError(AssertionError):
    """The daemon did not do what the test waited for; carries the log tail."""


# --- the lending position and the exchange account ------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Borrower:
    index: int
    address: str
    key: str


def open_borrower(
    devnet: Devnet,
    emulator: EmulatorHandle,
    *,
    index: int = 2,
    wbtc: Decimal = Decimal(1),
    weth: Decimal = Decimal(10),
    usdc_debt: Decimal = Decimal(40_000),
    usdc_reserve: Decimal = Decimal(30_000),
    bnb_margin: Decimal = Decimal(50),
) -> Borrower:
    """An Aave position (WBTC + WETH against USDC debt), a USDC reserve in the same wallet,
    BNB margin on the emulator's USD-M wallet, and emulator marks equal to the oracle's."""
    if index < 2:
        raise ValueError("accounts 0 (admin) and 1 (liquidity provider) are the devnet's own")
    address = devnet.account(index)
    collateral = {k: v for k, v in (("WBTC", wbtc), ("WETH", weth)) if v > 0}
    devnet.open_position(address, collateral=collateral, debt={"USDC": usdc_debt})
    if usdc_reserve > 0:
        devnet.fund(address, "USDC", usdc_reserve)
    emulator.control.fund("BNB", bnb_margin, venue="usdm")
    for token, symbol in (("WBTC", "BTCUSDT"), ("WETH", "ETHUSDT"), ("WBNB", "BNBUSDT")):
        emulator.control.set_mark(symbol, devnet.price(token))
    return Borrower(index=index, address=address, key=ANVIL_KEYS[index])


def move_price(devnet: Devnet, emulator: EmulatorHandle, token: str, usd: Decimal) -> int:
    """Move the oracle (one mined block) then the exchange mark; returns the block number."""
    devnet.set_price(token, usd)
    block = devnet.latest_block()[0]
    emulator.control.set_mark(f"{token.removeprefix('W')}USDT", usd)
    return block


def exchange_outage(emulator: EmulatorHandle, fault: str, **fault_args: Any) -> None:
    """The venue's REST answers ``fault`` on /fapi, and every stream socket drops: an outage
    as the daemon meets it (marks and the account come from the streams; after the drop the
    account is read over REST again, and a user stream needs a REST listenKey)."""
    emulator.control.inject_fault("/fapi/*", fault, count=1_000_000, **fault_args)
    emulator.control.stream_drop("all")


# --- the config file ---------------------------------------------------------------------


def daemon_config(
    *,
    devnet: Devnet,
    emulator: EmulatorHandle,
    wallet: str,
    journal_path: Path,
    interval_secs: float = 1.0,
    fast_interval_secs: float = 0.5,
    metrics_port: int = 0,
    webhook: bool = False,
    protect: bool = True,
    policy: Mapping[str, Any] | None = None,
    paper_balances: Mapping[str, str] | None = None,
    max_block_age_secs: int = 3600,
    alert_hf: float = 1.3,
    count_margin_as_exposure: bool = True,
    rpc_url: str | None = None,
) -> dict[str, Any]:
    """A deployment config for the local stack (the shape of config/demo.yaml)."""
    config: dict[str, Any] = {
        "network": "custom",
        "exchange_base_url": emulator.base_url,
        "positions": [
            {
                "name": POSITION,
                "protocol": "aave-v3",
                "chain_id": devnet.chain_id,
                "rpc_urls": [rpc_url or devnet.rpc_url],
                "addresses_provider": devnet.deployment.addresses_provider,
                "wallet": wallet,
                "max_block_age_secs": max_block_age_secs,
            }
        ],
        "tokens": {
            "WBTC": {"underlying": "BTC"},
            "WETH": {"underlying": "ETH"},
            "WBNB": {"underlying": "BNB"},
            "USDC": {"underlying": "USD"},
            "USDT": {"underlying": "USD"},
        },
        "hedge": {
            "venue": "usdm",
            "margin_asset": "BNB",
            "symbols": dict(SYMBOLS),
            "leverage": 3,
            "margin_type": "cross",
            # The ladder's ratio follows HF: a price move changes the hedge it wants.
            "policy": dict(
                policy
                or {"kind": "ladder", "r_min": 0.2, "r_max": 1.0, "hf_high": 2.0, "hf_low": 1.2}
            ),
            "band": {"rel": 0.10, "abs_usd": 100},
            "min_short_liq_distance": 0.30,
            "count_margin_as_exposure": count_margin_as_exposure,
            "caps": {
                "max_notional_per_symbol_usd": 100_000,
                "max_total_notional_usd": 200_000,
                "max_orders_per_hour": 120,
                # Large enough that one cycle can make any change these tests ask for.
                "max_notional_change_per_cycle_usd": 100_000,
            },
        },
        "schedule": {
            "interval_secs": interval_secs,
            "fast_interval_secs": fast_interval_secs,
            "alert_hf": alert_hf,
        },
        "journal": {"url": f"sqlite:///{journal_path}"},
        "metrics": {"host": "127.0.0.1", "port": metrics_port},
    }
    if webhook:
        config["alerts"] = {"webhook": [{"url_env": WEBHOOK_ENV}]}
    if protect:
        config["protect"] = {
            "trigger_hf": 1.3,
            "target_hf": 1.6,
            "reserve_tokens": ["USDC"],
            "max_per_action_usd": 50_000,
            "max_per_day_usd": 200_000,
        }
    if paper_balances is not None:
        config["paper"] = {"initial_balances": dict(paper_balances)}
    return config


def write_config(path: Path, config: Mapping[str, Any]) -> Path:
    path.write_text(yaml.safe_dump(dict(config), sort_keys=False))
    return path


def daemon_env(
    emulator: EmulatorHandle,
    *,
    wallet_key: str | None,
    api_keys: bool = True,
    extra: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """The process environment: inherited, minus any HEDGEBOT__ override or Binance key from
    the caller's shell, plus the emulator's keys and the reserve wallet's key."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HEDGEBOT__")
        and k not in ("BINANCE_API_KEY", "BINANCE_API_SECRET", "HEDGEBOT_WALLET_KEY", WEBHOOK_ENV)
    }
    if api_keys:
        env["BINANCE_API_KEY"] = emulator.api_key
        env["BINANCE_API_SECRET"] = emulator.api_secret
    if wallet_key is not None:
        env["HEDGEBOT_WALLET_KEY"] = wallet_key
    env.update(extra or {})
    return env


# --- the daemon process ------------------------------------------------------------------


def cli(
    *args: str, env: Mapping[str, str], timeout: float = 60.0
) -> subprocess.CompletedProcess[str]:
    """Run one ``hedgebot`` command to completion (``python -m bot ...``)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=dict(env),
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


@dataclass
class DaemonProcess:
    """``hedgebot run`` as a child process, its JSON log lines in ``log_path``."""

    config: Path
    env: Mapping[str, str]
    log_path: Path
    args: Sequence[str] = ()
    proc: subprocess.Popen[bytes] | None = None
    _offset: int = 0
    _events: list[dict[str, Any]] = field(default_factory=list)
    _partial: bytes = b""

    def start(self) -> DaemonProcess:
        command = [
            sys.executable, "-m", "bot", "run",
            "--config", str(self.config),
            "--log-format", "json",
            *self.args,
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                command, env=dict(self.env), cwd=REPO, stdout=log, stderr=subprocess.STDOUT
            )
        return self

    @property
    def pid(self) -> int:
        assert self.proc is not None, "daemon not started"
        return self.proc.pid

    def events(self) -> list[dict[str, Any]]:
        """Every JSON log line so far (non-JSON lines, e.g. tracebacks, are skipped)."""
        with self.log_path.open("rb") as fh:
            fh.seek(self._offset)
            chunk = fh.read()
        self._offset += len(chunk)
        data = self._partial + chunk
        lines = data.split(b"\n")
        self._partial = lines.pop()
        for line in lines:
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                self._events.append(event)
        return list(self._events)

    def log_tail(self, chars: int = 4000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]

    def wait_for(
        self,
        predicate: Callable[[dict[str, Any]], bool],
        *,
        what: str,
        timeout: float = 30.0,
        after: int = 0,
    ) -> tuple[int, dict[str, Any]]:
        """The first log event at index >= ``after`` matching ``predicate`` (and its index)."""
        deadline = time.monotonic() + timeout
        while True:
            events = self.events()
            for i in range(after, len(events)):
                if predicate(events[i]):
                    return i, events[i]
            if self.proc is not None and self.proc.poll() is not None:
                raise DaemonTestError(
                    f"daemon exited with {self.proc.returncode} before {what}:\n{self.log_tail()}"
                )
            if time.monotonic() > deadline:
                raise DaemonTestError(f"no {what} within {timeout:g} s:\n{self.log_tail()}")
            time.sleep(0.02)

    def wait_event(
        self, event: str, *, timeout: float = 30.0, after: int = 0, **fields: Any
    ) -> tuple[int, dict[str, Any]]:
        def match(e: dict[str, Any]) -> bool:
            return e.get("event") == event and all(e.get(k) == v for k, v in fields.items())

        return self.wait_for(
            match, what=f"log event {event!r} {fields}", timeout=timeout, after=after
        )

    def metrics_base_url(self, timeout: float = 30.0) -> str:
        _, event = self.wait_event("metrics", timeout=timeout)
        return str(event["url"]).removesuffix("/metrics")

    def wait_exit(self, timeout: float = 30.0) -> int:
        assert self.proc is not None, "daemon not started"
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired as exc:
            raise DaemonTestError(
                f"daemon still running after {timeout:g} s:\n{self.log_tail()}"
            ) from exc

    def kill(self) -> None:
        """SIGKILL: no cleanup, no journal flush: a crash."""
        assert self.proc is not None, "daemon not started"
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> int:
        assert self.proc is not None, "daemon not started"
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        return self.wait_exit(timeout)

    def ensure_stopped(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(timeout=10)


@contextmanager
def running_daemon(
    config: Path, env: Mapping[str, str], log_path: Path, args: Sequence[str] = ()
) -> Iterator[DaemonProcess]:
    """Start the daemon; SIGKILL it on the way out if the test left it running."""
    daemon = DaemonProcess(config=config, env=env, log_path=log_path, args=args).start()
    try:
        yield daemon
    finally:
        daemon.ensure_stopped()


def cycles_done(events: Sequence[dict[str, Any]]) -> list[dict[str, Any]]:
    return [e for e in events if e.get("event") == "cycle done"]


# --- the emulator's view -----------------------------------------------------------------


def emulator_orders(emulator: EmulatorHandle) -> list[dict[str, Any]]:
    """Every order the emulator holds, all accounts and venues."""
    snapshot = emulator.control.snapshot()
    orders: list[dict[str, Any]] = []
    for account in snapshot["accounts"].values():
        for venue in ("usdm", "coinm"):
            orders.extend(account[venue]["orders"].values())
    return orders


def emulator_positions(emulator: EmulatorHandle) -> dict[str, Decimal]:
    """Signed position per symbol of the default account's USD-M wallet (0 when flat)."""
    snapshot = emulator.control.snapshot()
    account = snapshot["accounts"][emulator.api_key]
    out: dict[str, Decimal] = dict.fromkeys(SYMBOLS.values(), Decimal(0))
    for position in account["usdm"]["positions"].values():
        out[position["symbol"]] = out.get(position["symbol"], Decimal(0)) + Decimal(position["amt"])
    return out


# --- a webhook receiver ------------------------------------------------------------------


class WebhookReceiver:
    """A loopback HTTP server standing in for the alert webhook; keeps every JSON body."""

    def __init__(self) -> None:
        received: list[dict[str, Any]] = []
        lock = threading.Lock()

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                try:
                    payload = json.loads(body)
                except ValueError:
                    payload = {"unparsed": body.decode(errors="replace")}
                with lock:
                    received.append(payload)
                self.send_response(200)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                return

        self._received = received
        self._lock = lock
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}/hook"

    def received(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self._received)

    def kinds(self) -> set[str]:
        return {str(p.get("kind")) for p in self.received()}

    def wait_for_kinds(self, kinds: set[str], timeout: float = 30.0) -> list[dict[str, Any]]:
        deadline = time.monotonic() + timeout
        while not kinds <= self.kinds():
            if time.monotonic() > deadline:
                raise DaemonTestError(
                    f"webhook got {sorted(self.kinds())} within {timeout:g} s, "
                    f"expected at least {sorted(kinds)}"
                )
            time.sleep(0.05)
        return self.received()

    def __enter__(self) -> WebhookReceiver:
        self._thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join(timeout=5)
