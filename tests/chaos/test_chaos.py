"""Chaos run of the whole system: the real daemon (a ``python -m bot run`` subprocess) hedges a
real Aave v3 position on anvil through the emulator while the test moves prices at random
(seeded) and breaks things: exchange 5xx, timeouts after the order executed, 429, 418, -1021,
partial fills, an RPC endpoint that resets or hangs, stale blocks, and SIGKILLs (one while an
order is in flight) followed by restarts. Halfway through, prices crash deep enough to liquidate
the loan without its guard: the guard repays from the USDC reserve (through the same RPC
faults) while a liquidator tries ``liquidationCall`` on every block.

After every driver tick (0.25 s, i.e. after every cycle the daemon finished since the last
tick) the invariants of ``invariants.py`` are checked against the emulator and the journal.
When the faults stop and prices hold still, the hedge must reach its target within two cycles.
The table of faults injected (armed), fired and survived is printed at the end.
"""

from __future__ import annotations

import itertools
import json
import os
import random
import signal
import subprocess
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from decimal import ROUND_FLOOR, Decimal
from pathlib import Path
from typing import Any

import pytest
import yaml
from web3 import Web3

from bot.demo.liquidator import Liquidator
from bot.devnet import start_devnet
from bot.devnet.aave import contract
from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle, python_binance_client, running_emulator
from bot.journal import CycleOutcome, CycleRecord, Journal, TxRecord, TxStatus
from tests.chaos.invariants import (
    Caps,
    InvariantChecker,
    MarkTimeline,
    StaleWindow,
    emulator_orders,
    emulator_positions,
)
from tests.chaos.rpc_proxy import RpcProxy
from tests.daemon.guard_scene import liquidator_on

pytestmark = [pytest.mark.chaos, pytest.mark.chain, pytest.mark.exchange, pytest.mark.slow]

REPO = Path(__file__).resolve().parents[2]
SEED = 20_240_611
POSITION = "chaos"
BORROWER_INDEX = 2  # anvil accounts 0 (admin) and 1 (liquidity provider) belong to the devnet
SYMBOLS = {"BTC": "BTCUSDT", "ETH": "ETHUSDT"}
TOKENS = {"WBTC": "BTCUSDT", "WETH": "ETHUSDT"}
STEPS = {"BTCUSDT": Decimal("0.001"), "ETHUSDT": Decimal("0.001")}

INTERVAL_SECS = 0.3
MAX_BLOCK_AGE_SECS = 3
CAP_PER_SYMBOL = Decimal(20_000)
CAP_TOTAL = Decimal(30_000)
CAP_PER_CYCLE = Decimal(6_000)
BAND_REL = Decimal("0.01")
BAND_ABS = Decimal(100)

TICK_SECS = 0.25
PRICE_EVERY_SECS = 1.0
FAULTS_UNTIL_SECS = 88.0  # no new fault after this; prices keep moving
CHAOS_SECS = 95.0  # price moves for at least this long...
TARGET_CYCLES = 300  # ...and on until this many cycles finished,
MAX_CHAOS_SECS = 120.0  # but never longer (a loaded machine runs fewer cycles)
MIN_CYCLES = 200

ORDER_PATH = "/fapi/v1/order"
# Requests the daemon makes every few cycles. Order lookups (GET /fapi/v1/order) are left out:
# they follow only a lost answer or a restart, so a fault armed on them would rarely fire.
READ_PATHS = (
    ("/fapi/v1/premiumIndex", "GET"),
    ("/fapi/v3/positionRisk", "GET"),
    ("/fapi/v3/balance", "GET"),
)
EXCHANGE_KINDS = (
    "http_500",
    "http_502",
    "http_503_unknown",
    "timeout_executed",
    "http_429",
    "http_418",
    "clock_skew_1021",
    "partial_fill",
)
# Seconds into the chaos phase. RPC faults are 30+ s apart: after a failure the daemon's RPC
# pool skips the broken endpoint for 30 s, so a closer second fault would never be tried.
EPISODES = (
    (8.0, "rpc_down"),
    (19.0, "stale_block"),
    (30.0, "sigkill_mid_order"),
    (41.0, "rpc_hang"),
    (53.0, "stale_block"),
    (64.0, "sigkill"),
    (76.0, "rpc_down"),
)
# The crash: prices are pulled towards CRASH_ANCHOR of their start from CRASH_AT, back after
# RECOVER_AT. Without repays HF would fall from 1.79 to under 0.9: liquidatable.
CRASH_AT, RECOVER_AT = 42.0, 70.0
CRASH_ANCHOR = 0.5
CRASH_STEP = 0.09  # a price step may be this large while the market runs to its anchor
RESERVE_USDC = Decimal(60_000)
TRIGGER_HF, TARGET_HF = Decimal("1.3"), Decimal("1.6")
BORROWER_KEY = "0x5de4111afa1a4b94908f83103eb1f1706367c2e68ca870fc3fb9a804cdab365a"  # anvil #2
RPC_FAULT_SECS = 3.0
RPC_FAULT_MAX_SECS = 10.0
STALE_SECS = 6.5
ALL_KINDS = (*EXCHANGE_KINDS, "rpc_down", "rpc_hang", "stale_block", "sigkill", "sigkill_mid_order")


# --- the daemon process ------------------------------------------------------------------


@dataclass
class DaemonProcess:
    config: Path
    env: dict[str, str]
    log_path: Path
    proc: subprocess.Popen[bytes] | None = None
    starts: int = 0

    def start(self) -> None:
        command = [
            sys.executable, "-m", "bot", "run",
            "--config", str(self.config), "--log-format", "json",
        ]  # fmt: skip
        with self.log_path.open("ab") as log:
            self.proc = subprocess.Popen(
                command, env=self.env, cwd=REPO, stdout=log, stderr=subprocess.STDOUT
            )
        self.starts += 1

    def alive(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """SIGKILL: no cleanup, no journal flush: a crash."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        self.proc.wait(timeout=10)

    def terminate(self, timeout: float = 30.0) -> int:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        return self.proc.wait(timeout=timeout)

    def ensure_stopped(self) -> None:
        if self.alive():
            assert self.proc is not None
            self.proc.kill()
            self.proc.wait(timeout=10)

    def events(self) -> list[dict[str, Any]]:
        out = []
        for line in self.log_path.read_bytes().splitlines():
            try:
                event = json.loads(line)
            except ValueError:
                continue
            if isinstance(event, dict):
                out.append(event)
        return out

    def rpc_failures_since(self, url: str, t: float) -> int:
        """RPC requests the daemon saw fail on ``url`` since wall time ``t`` (a request in
        flight when the proxy cut its connection fails without a new connection to count)."""
        return sum(
            1
            for e in self.events()
            if f"failed on {url}" in str(e.get("event", ""))
            and datetime.fromisoformat(str(e["timestamp"])).timestamp() >= t
        )

    def log_tail(self, chars: int = 6000) -> str:
        return self.log_path.read_text(errors="replace")[-chars:]


def write_config(path: Path, *, devnet: Devnet, emulator: EmulatorHandle, proxy: RpcProxy,
                 wallet: str, journal_path: Path) -> None:  # fmt: skip
    config = {
        "network": "custom",
        "exchange_base_url": emulator.base_url,
        "positions": [
            {
                "name": POSITION,
                "protocol": "aave-v3",
                "chain_id": devnet.chain_id,
                # The breakable proxy first, anvil itself as the fallback.
                "rpc_urls": [proxy.url, devnet.rpc_url],
                "rpc_timeout_secs": 1.0,
                "addresses_provider": devnet.deployment.addresses_provider,
                "wallet": wallet,
                "max_block_age_secs": MAX_BLOCK_AGE_SECS,
            }
        ],
        "tokens": {
            "WBTC": {"underlying": "BTC"},
            "WETH": {"underlying": "ETH"},
            "USDC": {"underlying": "USD"},
        },
        "hedge": {
            "venue": "usdm",
            "margin_asset": "USDT",
            "symbols": dict(SYMBOLS),
            "leverage": 3,
            "margin_type": "cross",
            "policy": {"kind": "ratio", "r": "0.5"},
            "band": {"rel": str(BAND_REL), "abs_usd": str(BAND_ABS)},
            "caps": {
                "max_notional_per_symbol_usd": str(CAP_PER_SYMBOL),
                "max_total_notional_usd": str(CAP_TOTAL),
                "max_notional_change_per_cycle_usd": str(CAP_PER_CYCLE),
                "max_orders_per_hour": 10_000,  # the most the config allows
                # A 2 s ban fails ~7 cycles in a row at this cadence; the default (5) would
                # pause the daemon for an operator, which is the breaker working, not chaos.
                "max_consecutive_failed_cycles": 1_000,
            },
        },
        "schedule": {
            "interval_secs": INTERVAL_SECS,
            "fast_interval_secs": INTERVAL_SECS,
            "alert_hf": "1.3",
        },
        "protect": {
            "trigger_hf": str(TRIGGER_HF),
            "target_hf": str(TARGET_HF),
            "reserve_tokens": ["USDC"],
            "max_per_action_usd": 50_000,
            "max_per_day_usd": 200_000,
        },
        "journal": {"url": f"sqlite:///{journal_path}"},
        "metrics": {"host": "127.0.0.1", "port": 0},
    }
    path.write_text(yaml.safe_dump(config, sort_keys=False))


def daemon_env(emulator: EmulatorHandle) -> dict[str, str]:
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith("HEDGEBOT__")
        and k not in ("BINANCE_API_KEY", "BINANCE_API_SECRET", "HEDGEBOT_WALLET_KEY")
    }
    env["BINANCE_API_KEY"] = emulator.api_key
    env["BINANCE_API_SECRET"] = emulator.api_secret
    env["HEDGEBOT_WALLET_KEY"] = BORROWER_KEY
    return env


# --- prices --------------------------------------------------------------------------------


class Market:
    """Seeded random walk of WBTC and WETH; the oracle (one mined block) and the emulator's
    mark move together, every move recorded in ``timeline``."""

    def __init__(self, devnet: Devnet, emulator: EmulatorHandle, rng: random.Random) -> None:
        self.devnet = devnet
        self.emulator = emulator
        self.rng = rng
        self.start = {t: devnet.price(t) for t in TOKENS}
        self.prices = dict(self.start)
        self.timeline = MarkTimeline()
        self.moves = 0
        self.anchor = 1.0  # prices revert towards start x anchor
        self.low = 1.0  # the lowest price reached, as a fraction of the start

    def _next(self, token: str, kick: float) -> Decimal:
        drift = float(self.prices[token] / self.start[token]) / self.anchor - 1
        bound = CRASH_STEP if abs(drift) > 0.1 else 0.025
        step = max(-bound, min(bound, self.rng.gauss(0, 0.012) - 0.2 * drift))
        if kick:
            step = kick if self.rng.random() < 0.5 or drift > 0.1 else -kick
            step = -abs(step) if drift > 0.1 else step
        return (self.prices[token] * Decimal(str(1 + step))).quantize(Decimal("0.01"))

    def set_marks(self) -> None:
        for token, symbol in TOKENS.items():
            self.emulator.control.set_mark(symbol, self.prices[token])
            self.timeline.set(symbol, time.time(), self.prices[token])

    def move(self, *, oracle: bool = True, kick: float = 0.0) -> None:
        """One step; ``oracle=False`` moves the exchange only (the chain is left stale)."""
        self.prices = {t: self._next(t, kick) for t in TOKENS}
        self.low = min(self.low, *(float(self.prices[t] / self.start[t]) for t in TOKENS))
        if oracle:
            self.devnet.set_prices(dict(self.prices))
        self.set_marks()
        self.moves += 1


# --- the fault book --------------------------------------------------------------------------


@dataclass
class FaultEvent:
    kind: str
    at: float  # when the fault fired (or the episode began)
    detail: str = ""
    ok: bool = True  # episode-specific success (stale skips seen, intent reconciled...)


@dataclass
class FaultBook:
    armed: Counter[str] = field(default_factory=Counter)
    fired: list[FaultEvent] = field(default_factory=list)

    def table(self, survived: dict[str, int]) -> str:
        fired = Counter(e.kind for e in self.fired)
        lines = [f"{'fault':<20}{'injected':>10}{'fired':>8}{'survived':>10}"]
        for kind in ALL_KINDS:
            lines.append(
                f"{kind:<20}{self.armed[kind]:>10}{fired[kind]:>8}{survived.get(kind, 0):>10}"
            )
        lines.append(
            f"{'total':<20}{sum(self.armed.values()):>10}{len(self.fired):>8}"
            f"{sum(survived.values()):>10}"
        )
        return "\n".join(lines)


def exchange_fault(kind: str, rng: random.Random) -> tuple[str, str, dict[str, Any]]:
    """Where to inject ``kind`` (path, method) and its parameters."""
    if kind in ("timeout_executed", "http_503_unknown", "partial_fill"):
        by_kind: dict[str, dict[str, Any]] = {
            "timeout_executed": {"timeout_secs": 1.0},
            "http_503_unknown": {"executed": True},
            "partial_fill": {"ratio": "0.5"},
        }
        return ORDER_PATH, "POST", by_kind[kind]
    if kind == "http_418":
        path, method = rng.choice(((ORDER_PATH, "POST"), ("/fapi/v1/premiumIndex", "GET")))
        return path, method, {"retry_after": 2}
    path, method = rng.choice(((ORDER_PATH, "POST"), *READ_PATHS))
    return path, method, {"retry_after": 1} if kind == "http_429" else {}


# --- the run ----------------------------------------------------------------------------------


@dataclass
class Stack:
    devnet: Devnet
    emulator: EmulatorHandle
    proxy: RpcProxy
    borrower: str
    daemon: DaemonProcess
    journal_path: Path
    liquidator: Liquidator


@pytest.fixture
def stack(tmp_path: Path) -> Iterator[Stack]:
    with (
        start_devnet() as devnet,
        running_emulator() as emulator,
        RpcProxy("127.0.0.1", int(devnet.rpc_url.rsplit(":", 1)[1])) as proxy,
    ):
        emulator.control.configure(
            weight_per_minute=1_000_000, orders_per_10s=10_000, orders_per_minute=100_000
        )
        borrower = devnet.account(BORROWER_INDEX)
        devnet.open_position(
            borrower,
            collateral={"WBTC": Decimal(1), "WETH": Decimal(10)},
            debt={"USDC": Decimal(40_000)},
        )
        devnet.fund(borrower, "USDC", RESERVE_USDC)  # the guard's reserve, in the same wallet
        emulator.control.fund("USDT", Decimal(1_000_000), venue="usdm")
        journal_path = tmp_path / "journal.db"
        config = tmp_path / "chaos.yaml"
        write_config(config, devnet=devnet, emulator=emulator, proxy=proxy, wallet=borrower,
                     journal_path=journal_path)  # fmt: skip
        daemon = DaemonProcess(
            config=config, env=daemon_env(emulator), log_path=tmp_path / "daemon.log"
        )
        try:
            with liquidator_on(devnet, borrower) as liquidator:
                yield Stack(devnet, emulator, proxy, borrower, daemon, journal_path, liquidator)
        finally:
            daemon.ensure_stopped()


def wait_for_first_cycle(
    daemon: DaemonProcess, devnet: Devnet, journal_path: Path, timeout: float = 60
) -> Journal:
    """The chain keeps making blocks while the daemon starts, as a real one does: however long
    start-up takes, its first cycle reads a block younger than ``MAX_BLOCK_AGE_SECS``."""
    deadline = time.monotonic() + timeout
    last_mine = 0.0
    while time.monotonic() < deadline:
        if not daemon.alive():
            raise AssertionError(f"daemon exited at start-up:\n{daemon.log_tail()}")
        if any(e.get("event") == "cycle done" for e in daemon.events()):
            return Journal.open(journal_path)
        if time.monotonic() - last_mine >= 1.0:
            devnet.mine()
            last_mine = time.monotonic()
        time.sleep(0.1)
    raise AssertionError(f"no cycle within {timeout} s of start-up:\n{daemon.log_tail()}")


def effective_targets(cycle: CycleRecord) -> dict[str, Decimal]:
    """The journal records each policy target before the caps; apply them as the planner
    does (per symbol, then the total scaled down to the cent)."""
    wanted = {
        line.underlying: min(max(line.target_short_usd, Decimal(0)), CAP_PER_SYMBOL)
        for line in cycle.summary.hedges
        if line.underlying in SYMBOLS
    }
    total = sum(wanted.values(), Decimal(0))
    if total > CAP_TOTAL:
        scale = CAP_TOTAL / total
        wanted = {
            u: (w * scale).quantize(Decimal("0.01"), rounding=ROUND_FLOOR)
            for u, w in wanted.items()
        }
    return wanted


def finished_cycles_started_after(journal: Journal, t: float) -> list[CycleRecord]:
    return [
        c
        for c in journal.recent_cycles(POSITION, limit=400)
        if c.started_at.timestamp() > t and c.finished_at is not None
    ]


@dataclass
class Repays:
    mined: list[TxRecord]
    on_chain: int  # Pool Repay events for the borrower paid by the borrower's wallet
    usdc: Decimal
    lowest_hf: Decimal  # the chain's HF at each block the liquidator could act on
    duplicates: list[str]  # repays sized on a block before the previous repay was mined


def repay_record(devnet: Devnet, journal: Journal, borrower: str, since_block: int) -> Repays:
    mined = sorted(
        (t for t in journal.txs_since(0, status=TxStatus.MINED) if t.intent.kind == "repay"),
        key=lambda t: t.receipt_block or 0,
    )
    duplicates = []
    for earlier, later in itertools.pairwise(mined):
        sized_on = int(later.intent.tx_key.rsplit(":", 1)[1])  # the key ends with the block
        if sized_on < (earlier.receipt_block or 0):
            duplicates.append(f"{later.intent.tx_key} after {earlier.mined_tx_hash}")
    pool = contract(devnet.w3, "Pool", devnet.deployment.pool)
    events = pool.events.Repay().get_logs(
        from_block=0, argument_filters={"user": Web3.to_checksum_address(borrower)}
    )
    head = devnet.latest_block()[0]
    lowest = min(
        Decimal(devnet.account_data(borrower, n)[5]) / Decimal(10) ** 18
        for n in range(since_block, head + 1)
    )
    return Repays(
        mined=mined,
        on_chain=len(events),
        usdc=sum((t.intent.amount or Decimal(0) for t in mined), Decimal(0)),
        lowest_hf=lowest,
        duplicates=duplicates,
    )


def test_daemon_survives_chaos_and_keeps_its_invariants(
    stack: Stack, capsys: pytest.CaptureFixture[str]
) -> None:
    rng = random.Random(SEED)
    devnet, emulator, proxy, daemon = stack.devnet, stack.emulator, stack.proxy, stack.daemon
    market = Market(devnet, emulator, random.Random(SEED + 1))
    market.set_marks()
    liquidator = stack.liquidator
    daemon.start()
    journal = wait_for_first_cycle(daemon, devnet, stack.journal_path)
    first_block = devnet.latest_block()[0]
    block_ts: dict[int, int] = {}

    def block_timestamp(number: int) -> int:
        if number not in block_ts:
            block_ts[number] = int(devnet.w3.eth.get_block(number)["timestamp"])
        return block_ts[number]

    checker = InvariantChecker(
        journal=journal,
        position=POSITION,
        api_key=emulator.api_key,
        caps=Caps(per_symbol_usd=CAP_PER_SYMBOL, total_usd=CAP_TOTAL, steps=STEPS),
        max_block_age_secs=MAX_BLOCK_AGE_SECS,
        marks=market.timeline,
        block_timestamp=block_timestamp,
    )
    book = FaultBook()
    queue = [k for _ in range(4) for k in rng.sample(EXCHANGE_KINDS, len(EXCHANGE_KINDS))]
    episodes = list(EPISODES)
    unplanned_exits: list[str] = []
    fired_seen = 0
    pending_exchange: tuple[str, float] | None = None  # kind, armed at
    next_exchange_at = 2.0
    rpc_until: float | None = None
    rpc_broken_before = 0
    rpc_event: FaultEvent | None = None
    stale: StaleWindow | None = None
    stale_event: FaultEvent | None = None
    kill_armed_at: float | None = None
    kill_mark = 0
    kill_events: list[tuple[FaultEvent, set[str], float]] = []  # event, pending ids, restart
    stale_windows: list[tuple[StaleWindow, FaultEvent]] = []
    last_price = last_mine = 0.0
    kick = 0.0
    crash_phases = [(CRASH_AT, CRASH_ANCHOR), (RECOVER_AT, 1.0)]

    def restart(event: FaultEvent) -> None:
        nonlocal pending_exchange
        daemon.kill()
        pending = {p.intent.client_order_id for p in journal.pending_intents(POSITION)}
        # Nothing armed may fire into the next start-up (exchange setup is not under test).
        emulator.control.clear_faults()
        pending_exchange = None
        daemon.start()
        kill_events.append((event, pending, time.time()))

    began = time.time()
    try:
        while (elapsed := time.time() - began) < CHAOS_SECS or (
            checker.cycles_checked < TARGET_CYCLES and elapsed < MAX_CHAOS_SECS
        ):
            now = time.time()
            faults_open = elapsed < FAULTS_UNTIL_SECS
            if not daemon.alive():
                code = daemon.proc.returncode if daemon.proc else None
                unplanned_exits.append(f"exit {code} at +{elapsed:.1f}s")
                pytest.fail(f"daemon died (exit {code}) at +{elapsed:.1f}s:\n{daemon.log_tail()}")

            if crash_phases and elapsed >= crash_phases[0][0]:
                market.anchor = crash_phases.pop(0)[1]

            # exchange faults that fired since the last tick
            snapshot = emulator.control.snapshot()
            fired = snapshot["faults_fired"]
            for hit in fired[fired_seen:]:
                book.fired.append(FaultEvent(hit["kind"], now, f"{hit['method']} {hit['path']}"))
                if pending_exchange and hit["kind"] == pending_exchange[0]:
                    pending_exchange = None
            fired_seen = len(fired)

            # episodes: RPC endpoint down / hanging, stale chain, SIGKILL
            if episodes and elapsed >= episodes[0][0] and faults_open:
                _, kind = episodes.pop(0)
                if kind in ("rpc_down", "rpc_hang"):
                    book.armed[kind] += 1
                    rpc_broken_before = proxy.broken_connections
                    proxy.set_mode("close" if kind == "rpc_down" else "hang")
                    rpc_until = now + RPC_FAULT_SECS
                    rpc_event = FaultEvent(kind, now)
                elif kind == "stale_block":
                    book.armed[kind] += 1
                    number, ts = devnet.latest_block()
                    stale = StaleWindow(number, ts, MAX_BLOCK_AGE_SECS)
                    checker.stale_windows.append(stale)
                    stale_event = FaultEvent(kind, now)
                    stale_windows.append((stale, stale_event))
                elif kind == "sigkill":
                    book.armed[kind] += 1
                    event = FaultEvent(kind, now)
                    book.fired.append(event)
                    restart(event)
                else:  # sigkill_mid_order: kill while an executed order's answer hangs
                    book.armed[kind] += 1
                    emulator.control.clear_faults()
                    emulator.control.inject_fault(
                        ORDER_PATH, "timeout_executed", method="POST", timeout_secs=4.0
                    )
                    pending_exchange = None
                    kill_armed_at = now
                    kill_mark = len(book.fired)
                    kick = 0.04
            # Keep a broken endpoint broken until the daemon has actually hit it (a cycle slowed
            # by exchange faults may make no RPC request in RPC_FAULT_SECS), within a bound.
            if rpc_until is not None and now >= rpc_until:
                assert rpc_event is not None
                refused = proxy.broken_connections - rpc_broken_before
                failed = daemon.rpc_failures_since(proxy.url, rpc_event.at - 0.5)
                if not (refused or failed) and now - rpc_event.at < RPC_FAULT_MAX_SECS:
                    rpc_until = now + 0.25
                else:
                    proxy.set_mode("pass")
                    rpc_event.detail = f"{refused} connections refused, {failed} requests failed"
                    if refused or failed:
                        book.fired.append(rpc_event)
                    rpc_until = None
            if stale is not None and now - stale.last_block_ts >= STALE_SECS:
                stale.resumed_at = time.time()
                market.move(kick=kick)
                kick = 0.0
                last_price = last_mine = time.time()
                assert stale_event is not None
                book.fired.append(stale_event)
                stale = None
            if kill_armed_at is not None:
                timeouts = [i for i, e in enumerate(book.fired) if e.kind == "timeout_executed"]
                if timeouts and timeouts[-1] >= kill_mark:
                    # the order's lost answer is this episode's means, not a fault of its own
                    del book.fired[timeouts[-1]]
                    event = FaultEvent("sigkill_mid_order", now, "order executed, answer lost")
                    book.fired.append(event)
                    kill_armed_at = None
                    restart(event)
                elif now - kill_armed_at > 8:
                    kill_armed_at = None  # no order came: counted as armed, not fired

            # random exchange faults, one armed at a time
            busy = kill_armed_at is not None or not faults_open
            if pending_exchange and now - pending_exchange[1] > 6 and not kick:
                kick = 0.03  # a fault on the order path waits for an order: make one
            if not busy and pending_exchange is None and queue and elapsed >= next_exchange_at:
                kind = queue.pop(0)
                path, method, params = exchange_fault(kind, rng)
                emulator.control.inject_fault(path, kind, method=method, **params)
                book.armed[kind] += 1
                pending_exchange = (kind, now)
                next_exchange_at = elapsed + rng.uniform(0.8, 2.0)

            # prices: oracle + mark together; the exchange alone while the chain is stale
            if now - last_price >= PRICE_EVERY_SECS:
                market.move(oracle=stale is None, kick=kick)
                kick = 0.0
                last_price = time.time()
                if stale is None:
                    last_mine = last_price
            elif stale is None and now - last_mine >= 1.0:
                devnet.mine()
                last_mine = time.time()

            checker.check(snapshot)
            time.sleep(max(0.0, TICK_SECS - (time.time() - now)))
    finally:
        proxy.set_mode("pass")
        emulator.control.clear_faults()

    # --- faults over, prices still: the hedge converges within two cycles ------------------
    quiet_from = time.time()
    devnet.mine()
    deadline = quiet_from + 20
    after: list[CycleRecord] = []
    while time.time() < deadline:
        if not daemon.alive():
            pytest.fail(f"daemon died after the chaos phase:\n{daemon.log_tail()}")
        if time.time() - quiet_from > 1.0:
            devnet.mine()  # keep the chain fresh; prices stay where they are
        after = sorted(
            finished_cycles_started_after(journal, quiet_from), key=lambda c: c.started_at
        )
        if len(after) >= 2:
            break
        time.sleep(0.1)
    final_snapshot = emulator.control.snapshot()
    checker.check(final_snapshot, cycles_limit=100_000)
    positions = emulator_positions(final_snapshot, emulator.api_key)
    all_cycles = journal.recent_cycles(POSITION, limit=100_000)

    # --- survival, per fault -----------------------------------------------------------------
    def ok_after(t: float) -> bool:
        return any(
            c.outcome is CycleOutcome.OK and c.started_at.timestamp() > t for c in all_cycles
        )

    for window, event in stale_windows:
        skips = checker.stale_skips_in(window, all_cycles)
        event.detail = f"{skips} cycles skipped as stale"
        event.ok = skips > 0
    records = {r.journaled.intent.client_order_id: r for r in journal.orders_since(0)}
    for event, pending, restarted_at in kill_events:
        unsettled = sorted(i for i in pending if records[i].outcome is None)
        event.detail = f"{len(pending)} intents in flight at the kill, unsettled {unsettled}"
        event.ok = not unsettled and ok_after(restarted_at)
        if event.kind == "sigkill_mid_order":
            event.ok = event.ok and bool(pending)
    survived: dict[str, int] = defaultdict(int)
    for event in book.fired:
        if event.ok and ok_after(event.at) and not unplanned_exits:
            survived[event.kind] += 1

    # --- the end state ------------------------------------------------------------------------
    client = python_binance_client(emulator)
    seen: Counter[str] = Counter()
    for symbol in SYMBOLS.values():
        for order in client.futures_get_all_orders(symbol=symbol):
            seen[order["clientOrderId"]] += 1
    duplicates = {cid: n for cid, n in seen.items() if n > 1}
    explained: dict[str, Decimal] = defaultdict(Decimal)
    for record in records.values():
        if record.outcome is not None:
            sign = 1 if record.journaled.intent.side.value == "BUY" else -1
            explained[record.journaled.intent.symbol] += sign * record.outcome.executed_quantity
    outcomes = Counter(c.outcome.value if c.outcome else "unfinished" for c in all_cycles)
    convergence: list[str] = []
    if len(after) >= 2:
        # The daemon's last quiet cycle against the venue's own record, taken right after it:
        # the short it saw is the venue's position, and that short is within the band of its
        # capped target.
        targets = effective_targets(after[1])
        seen_short = {line.underlying: line.current_short_usd for line in after[1].summary.hedges}
        for underlying, symbol in SYMBOLS.items():
            mark = market.prices[next(t for t, s in TOKENS.items() if s == symbol)]
            have = -positions.get(symbol, Decimal(0)) * mark
            seen = seen_short.get(underlying, Decimal(0))
            want = targets.get(underlying, Decimal(0))
            tolerance = max(BAND_REL * want, BAND_ABS) + STEPS[symbol] * mark + 1
            ok = abs(seen - want) <= tolerance and abs(have - seen) <= STEPS[symbol] * mark + 1
            line = (
                f"{symbol}: venue short ${have:,.2f}, the daemon saw ${seen:,.2f}, target "
                f"${want:,.2f} (tolerance ${tolerance:,.2f}) at mark {mark}"
            )
            convergence.append(("ok   " if ok else "FAIL ") + line)

    exits = daemon.terminate()
    repays = repay_record(devnet, journal, stack.borrower, first_block)
    hunt = liquidator.stats()
    guard_failed = sum(1 for e in daemon.events() if e.get("event") == "guard read failed")
    with capsys.disabled():
        orders = len(emulator_orders(final_snapshot, emulator.api_key))
        print(
            f"\n== chaos run (seed {SEED}): {time.time() - began:.0f} s, {len(all_cycles)} "
            f"cycles {dict(outcomes)}, {orders} orders, {market.moves} price moves, "
            f"{daemon.starts} daemon starts, {checker.checks} invariant checks"
        )
        print(book.table(survived))
        for event in book.fired:
            if event.detail:
                print(f"  {event.kind} @+{event.at - began:.1f}s: {event.detail}")
        print("convergence after the faults stopped:\n  " + "\n  ".join(convergence))
        print(
            f"crash to {market.low:.0%} of the start: {len(repays.mined)} repays mined "
            f"({repays.usdc:,.2f} USDC), {repays.on_chain} Repay events on chain, lowest HF "
            f"{repays.lowest_hf:.4f}; liquidator: {hunt.attempts} liquidationCall attempts, "
            f"{hunt.reverted} reverted, {hunt.succeeded} succeeded; guard reads that failed "
            f"through the RPC faults: {guard_failed}"
        )
        for v in checker.violations:
            print(f"  VIOLATION: {v}")

    assert not checker.violations, "invariants broken:\n" + "\n".join(checker.violations)
    assert not duplicates, f"client order ids with more than one order: {duplicates}"
    assert not journal.pending_intents(POSITION), "intents left without an outcome"
    for symbol in SYMBOLS.values():
        assert explained.get(symbol, Decimal(0)) == positions.get(symbol, Decimal(0)), (
            f"{symbol}: the journal's fills sum to {explained.get(symbol)}, "
            f"the exchange holds {positions.get(symbol)}"
        )
    assert len(after) >= 2, f"fewer than 2 cycles in 20 s after the faults stopped: {after}"
    quiet = [c for c in all_cycles if c.started_at.timestamp() > quiet_from]
    assert all(c.outcome is CycleOutcome.OK for c in after[:2]), [c.error for c in quiet]
    assert all(line.startswith("ok") for line in convergence), convergence
    assert len(all_cycles) >= MIN_CYCLES, f"only {len(all_cycles)} cycles ran"
    fired_kinds = Counter(e.kind for e in book.fired)
    never = [k for k in ALL_KINDS if fired_kinds[k] == 0]
    assert not never, f"fault kinds that never fired: {never}"
    lost = {
        k: fired_kinds[k] - survived.get(k, 0)
        for k in ALL_KINDS
        if fired_kinds[k] > survived.get(k, 0)
    }
    assert not lost, f"faults not survived (kind: count): {lost}"
    assert exits == 0, f"daemon exited {exits} on SIGTERM:\n{daemon.log_tail()}"
    # --- the guard ---------------------------------------------------------------------------
    assert market.low < 0.7, f"the crash did not happen: lowest {market.low:.0%}"
    assert repays.mined, "the crash went under the trigger and the guard repaid nothing"
    assert hunt.succeeded == 0, f"liquidated: {hunt.liquidations}"
    assert hunt.attempts > 0, "the liquidator never tried"
    assert repays.on_chain == len(repays.mined), (
        f"{repays.on_chain} Repay events on chain, {len(repays.mined)} mined repays journaled"
    )
    assert not repays.duplicates, f"repays decided before the previous one showed: {repays}"
