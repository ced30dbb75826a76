"""Issue 7's proof, end to end: ``hedgebot run`` as a subprocess against anvil with the real
Aave v3 deployment and the Binance Futures emulator (python-binance over HTTP).

Every test opens a borrower (anvil account 2) holding WBTC + WETH against USDC debt, with a
USDC reserve in the wallet and BNB margin on the emulator's USD-M wallet (Multi-Assets Mode),
runs the daemon, and checks what a user would see: orders and positions on the exchange, the
journal, the CLI's answers, HTTP endpoints, alerts at a webhook.
"""

from __future__ import annotations

import json
import re
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.core.model import OrderStatus
from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import CycleOutcome, Journal
from tests.chaos.rpc_proxy import RpcProxy
from tests.daemon.harness import (
    POSITION,
    SYMBOLS,
    WEBHOOK_ENV,
    Borrower,
    DaemonProcess,
    WebhookReceiver,
    cli,
    daemon_config,
    daemon_env,
    emulator_orders,
    emulator_positions,
    exchange_outage,
    move_price,
    open_borrower,
    running_daemon,
    write_config,
)

pytestmark = [pytest.mark.chain, pytest.mark.exchange]


def _setup(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path, **config: Any
) -> tuple[Borrower, Path, Path]:
    borrower = open_borrower(devnet, emulator)
    journal_path = tmp_path / "journal.db"
    path = write_config(
        tmp_path / "hedgebot.yaml",
        daemon_config(
            devnet=devnet,
            emulator=emulator,
            wallet=borrower.address,
            journal_path=journal_path,
            **config,
        ),
    )
    return borrower, path, journal_path


def _journal(path: Path) -> Journal:
    return Journal.open(f"sqlite:///{path}")


def _wait_steady(daemon: DaemonProcess, *, after: int = 0, timeout: float = 30.0) -> int:
    """Index of the first cycle that had nothing left to trade (the hedge is at target)."""
    index, _ = daemon.wait_event("cycle done", orders=0, after=after, timeout=timeout)
    return index


def _orders_of_cycle(journal: Journal, cycle_id: str) -> list[Any]:
    return [r for r in journal.orders_since(0) if r.journaled.cycle_id == cycle_id]


def test_price_move_adjusts_the_hedge_within_one_cycle(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower, config, journal_path = _setup(devnet, emulator, tmp_path)
    env = daemon_env(emulator, wallet_key=borrower.key)
    with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        steady = _wait_steady(daemon)
        before = emulator_positions(emulator)
        assert all(q < 0 for q in before.values()), f"no initial hedge: {before}"

        block = move_price(devnet, emulator, "WBTC", Decimal(45_000))  # HF 1.79 -> 1.50
        first, seen = daemon.wait_for(
            lambda e: e.get("event") == "cycle done" and int(e.get("block", -1)) >= block,
            what=f"a cycle that read block {block}",
            after=steady + 1,
            timeout=10,
        )
        _, following = daemon.wait_event("cycle done", after=first + 1, timeout=10)
        after = emulator_positions(emulator)
        assert daemon.terminate() == 0

    # The first cycle that saw the block traded; the next one found nothing left to do.
    assert seen["orders"] >= 1, seen
    assert following["orders"] == 0, f"the hedge needed a second cycle: {following}"
    # The ladder's ratio went up with the lower HF: every short grew, BTC by its new target.
    for symbol in before:
        assert after[symbol] < before[symbol], (symbol, before, after)
    with _journal(journal_path) as journal:
        cycle = journal.cycle(seen["cycle_id"])
        assert cycle is not None
        assert cycle.outcome is CycleOutcome.OK
        assert cycle.summary.oracle_hf is not None
        assert cycle.summary.oracle_hf < Decimal("1.5")
        btc = next(h for h in cycle.summary.hedges if h.underlying == "BTC")
        assert btc.target_short_usd > btc.current_short_usd
        traded = _orders_of_cycle(journal, seen["cycle_id"])
        btc_orders = [r for r in traded if r.journaled.intent.symbol == "BTCUSDT"]
        assert len(btc_orders) == 1
        outcome = btc_orders[0].outcome
        assert outcome is not None
        assert outcome.status is OrderStatus.FILLED
        assert after["BTCUSDT"] == before["BTCUSDT"] - outcome.executed_quantity
        # The new short is the target the cycle computed, within the planner's band.
        short_usd = -after["BTCUSDT"] * Decimal(45_000)
        assert abs(short_usd - btc.target_short_usd) <= btc.target_short_usd * Decimal("0.02")
        # The first cycle with nothing to trade read the opening orders' fees from the trades.
        opening = [r.outcome for r in journal.orders_since(0) if r not in traded and r.outcome]
        assert opening
        assert all(o.fee_known and o.fee > 0 and o.fee_asset for o in opening), opening


def test_sigkill_between_intent_and_outcome_then_restart_leaves_exactly_one_order(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower, config, journal_path = _setup(devnet, emulator, tmp_path)
    env = daemon_env(emulator, wallet_key=borrower.key)
    # The first new order executes on the emulator, but its answer is held for 20 s: the
    # daemon (python-binance timeout 10 s) is killed long before it could record the outcome.
    emulator.control.inject_fault(
        "/fapi/v1/order", "timeout_executed", method="POST", timeout_secs=20
    )
    with running_daemon(config, env, tmp_path / "daemon-1.log") as daemon:
        deadline = time.monotonic() + 20
        pending: list[Any] = []
        executed: list[dict[str, Any]] = []
        daemon.wait_event("metrics", timeout=20)  # started: the journal exists
        watcher = _journal(journal_path)
        while time.monotonic() < deadline:
            pending = watcher.pending_intents(POSITION)
            ids = {p.intent.client_order_id for p in pending}
            executed = [o for o in emulator_orders(emulator) if o["client_order_id"] in ids]
            if executed:
                break
            daemon.events()
            assert daemon.proc is not None
            assert daemon.proc.poll() is None, daemon.log_tail()
            time.sleep(0.05)
        assert executed, f"no order executed while its intent was pending:\n{daemon.log_tail()}"
        daemon.kill()
        watcher.close()

    assert len(pending) == 1
    assert len(executed) == 1
    coid = pending[0].intent.client_order_id
    symbol = pending[0].intent.symbol
    assert executed[0]["status"] == "FILLED"
    with _journal(journal_path) as journal:
        record = journal.order(coid)
        assert record is not None
        assert record.outcome is None, "outcome recorded before the kill"
    position_after_kill = emulator_positions(emulator)[symbol]
    assert position_after_kill == -Decimal(executed[0]["executed_qty"])

    with running_daemon(config, env, tmp_path / "daemon-2.log", ("--max-cycles", "2")) as again:
        _, reconciled = again.wait_event("reconciled order", client_order_id=coid, timeout=30)
        assert again.wait_exit(60) == 0, again.log_tail()

    assert reconciled["status"] == "FILLED"
    same_id = [o for o in emulator_orders(emulator) if o["client_order_id"] == coid]
    assert len(same_id) == 1, same_id
    on_symbol = [o for o in emulator_orders(emulator) if o["symbol"] == symbol]
    assert len(on_symbol) == 1, f"a second {symbol} order after the restart: {on_symbol}"
    assert emulator_positions(emulator)[symbol] == position_after_kill
    with _journal(journal_path) as journal:
        assert journal.pending_intents(POSITION) == []
        record = journal.order(coid)
        assert record is not None
        assert record.outcome is not None
        assert record.outcome.status is OrderStatus.FILLED
        assert str(record.outcome.exchange_order_id) == str(same_id[0]["order_id"])
        assert record.outcome.executed_quantity == Decimal(same_id[0]["executed_qty"])


def test_flatten_closes_every_hedge_and_pauses_the_running_daemon(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower, config, journal_path = _setup(devnet, emulator, tmp_path)
    env = daemon_env(emulator, wallet_key=borrower.key)
    with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        _wait_steady(daemon)
        assert all(q < 0 for q in emulator_positions(emulator).values())
        marker = len(daemon.events())

        result = cli("flatten", "--config", str(config), env=env)
        assert result.returncode == 0, result.stderr
        assert "flat; hedger paused" in result.stdout, result.stdout

        _, skipped = daemon.wait_event("cycle skipped", after=marker, timeout=10)
        assert skipped["reason"] == "paused: flatten"
        assert emulator_positions(emulator) == dict.fromkeys(emulator_positions(emulator), 0)
        assert daemon.terminate() == 0

    with _journal(journal_path) as journal:
        assert journal.is_paused()
        assert journal.pending_intents() == []
        closes = [r for r in journal.orders_since(0) if r.journaled.intent.reduce_only]
        assert {r.journaled.intent.symbol for r in closes} == {"BTCUSDT", "ETHUSDT", "BNBUSDT"}
    flat_orders = [o for o in emulator_orders(emulator) if o["reduce_only"]]
    assert len(flat_orders) == 3
    assert all(o["status"] == "FILLED" for o in flat_orders)


def test_metrics_and_healthz_answer_and_healthz_fails_when_the_guard_stops_reading(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    host, port = devnet.rpc_url.removeprefix("http://").split(":")
    proxy = RpcProxy(host, int(port))
    borrower, config, _ = _setup(devnet, emulator, tmp_path, rpc_url=proxy.url)
    env = daemon_env(emulator, wallet_key=borrower.key)
    with proxy, running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        base = daemon.metrics_base_url()
        _wait_steady(daemon)
        metrics = httpx.get(f"{base}/metrics", timeout=5)
        health = httpx.get(f"{base}/healthz", timeout=5)
        assert metrics.status_code == 200
        text = metrics.text
        hf = _sample(text, "hedgebot_health_factor", position=POSITION, source="oracle")
        assert hf == pytest.approx(1.78875, abs=1e-3)
        assert _sample(text, "hedgebot_cycles_total", position=POSITION, outcome="ok") >= 2
        assert _sample(text, "hedgebot_orders_total", position=POSITION, status="FILLED") == 3
        target = _sample(
            text, "hedgebot_hedge_target_short_usd", position=POSITION, underlying="BTC"
        )
        current = _sample(
            text, "hedgebot_hedge_current_short_usd", position=POSITION, underlying="BTC"
        )
        assert current == pytest.approx(target, rel=0.02)
        assert (
            _sample(text, "hedgebot_last_successful_cycle_timestamp_seconds", position=POSITION) > 0
        )
        assert _sample(text, "hedgebot_exchange_used_weight", venue="usdm") > 0
        # One read per new block: the steady cycle may have reused the first one (no block
        # was mined since, and the head socket confirmed it).
        assert _sample(text, "hedgebot_rpc_latency_seconds_count", method="snapshot") >= 1
        assert health.status_code == 200
        assert health.json()["status"] == "ok"

        # Every exchange read fails: the hedger's cycles fail and /healthz says "degraded",
        # still 200: the guard, which needs no exchange, keeps the daemon useful.
        exchange_outage(emulator, "http_500", method="GET")
        deadline = time.monotonic() + 20
        while "degraded" not in (answer := httpx.get(f"{base}/healthz", timeout=5)).text:
            assert time.monotonic() < deadline, f"healthz never degraded: {answer.text}"
            time.sleep(0.2)
        assert answer.status_code == 200
        assert f"{POSITION}:hedger: last successful cycle" in answer.json()["reason"]
        emulator.control.clear_faults()

        # The chain stops answering: the guard cannot read, /healthz turns 503.
        proxy.set_mode("close")
        deadline = time.monotonic() + 30
        while (answer := httpx.get(f"{base}/healthz", timeout=5)).status_code == 200:
            assert time.monotonic() < deadline, "healthz still ok while the guard reads nothing"
            time.sleep(0.2)
        assert answer.json()["status"] == "unhealthy"
        assert f"{POSITION}:guard: last successful cycle" in answer.json()["reason"]
        # ...and the guard says it has stalled: a critical alert, and its state in the metrics.
        daemon.wait_event("guard stalled", timeout=15)
        stalled = _sample(
            httpx.get(f"{base}/metrics", timeout=5).text,
            "hedgebot_guard_state",
            position=POSITION,
            state="stalled",
        )
        assert stalled == 1
        proxy.set_mode("pass")
        assert daemon.terminate() == 0


def test_alerts_reach_a_webhook_receiver(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower, config, _ = _setup(devnet, emulator, tmp_path, webhook=True)
    with WebhookReceiver() as receiver:
        env = daemon_env(emulator, wallet_key=borrower.key, extra={WEBHOOK_ENV: receiver.url})
        with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
            receiver.wait_for_kinds({"daemon_started", "hedge_changed"}, timeout=20)
            steady = _wait_steady(daemon)
            move_price(devnet, emulator, "WBTC", Decimal(45_000))  # HF 1.79 -> 1.50: warning
            got = receiver.wait_for_kinds({"hf_low"}, timeout=20)
            _wait_steady(daemon, after=steady + 1)
            assert daemon.terminate() == 0
        got = receiver.wait_for_kinds({"daemon_stopped"}, timeout=10)

    by_kind: dict[str, list[dict[str, Any]]] = {}
    for payload in got:
        by_kind.setdefault(payload["kind"], []).append(payload)
    assert len(by_kind["daemon_started"]) == 1
    assert "LIVE" in json.dumps(by_kind["daemon_started"][0])
    low = by_kind["hf_low"]
    assert all(p["severity"] in ("warning", "critical") for p in low)
    assert any("1.49" in json.dumps(p) for p in low), low
    assert {p["fields"]["underlying"] for p in by_kind["hedge_changed"]} == {"BTC", "ETH", "BNB"}


def test_dry_run_places_nothing_and_keeps_its_paper_position_across_a_restart(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    # The paper account mirrors the live one (the emulator's 10,000 USDT plus 50 BNB). With BNB
    # alone neither exchange reports the Multi-Assets pool to the planner: see the report.
    borrower, config, journal_path = _setup(
        devnet, emulator, tmp_path, paper_balances={"USDT": "10000", "BNB": "50"}
    )
    env = daemon_env(emulator, wallet_key=borrower.key)  # API keys set: --dry-run wins
    marks = {"BTCUSDT": Decimal(60_000), "ETHUSDT": Decimal(3_000), "BNBUSDT": Decimal(600)}
    args = ("--dry-run", "--max-cycles", "2")
    with running_daemon(config, env, tmp_path / "daemon-1.log", args) as first:
        _, mode = first.wait_event("trading mode", timeout=20)
        assert first.wait_exit(60) == 0, first.log_tail()
    assert mode["mode"].startswith("DRY-RUN")
    assert sum(e["orders"] for e in first.events() if e.get("event") == "cycle done") >= 1
    assert emulator_orders(emulator) == []
    assert emulator_positions(emulator) == dict.fromkeys(emulator_positions(emulator), 0)
    with _journal(journal_path) as journal:
        paper = journal.load_paper_state("paper-usdm")
        paper_orders = [r for r in journal.orders_since(0) if r.outcome is not None]
    assert paper is not None
    assert paper_orders
    assert all(r.outcome is not None and r.outcome.paper for r in paper_orders)
    held = {s: Decimal(p["quantity"]) for s, p in paper["positions"].items() if p["quantity"]}
    assert held
    assert all(q < 0 for q in held.values())

    # A second run starts from the paper book the first one left: its first cycle sees the
    # same shorts (a lost book would show 0 and open the hedge again).
    args = ("--dry-run", "--max-cycles", "1")
    with running_daemon(config, env, tmp_path / "daemon-2.log", args) as second:
        _, seen = second.wait_event("cycle done", timeout=30)
        assert second.wait_exit(60) == 0, second.log_tail()
    assert emulator_orders(emulator) == []
    with _journal(journal_path) as journal:
        cycle = journal.cycle(seen["cycle_id"])
        again = journal.load_paper_state("paper-usdm")
    assert cycle is not None
    current = {SYMBOLS[h.underlying]: h.current_short_usd for h in cycle.summary.hedges}
    for symbol, quantity in held.items():
        assert current[symbol] == -quantity * marks[symbol], (symbol, current, held)
    assert again is not None
    after = {s: Decimal(p["quantity"]) for s, p in again["positions"].items() if p["quantity"]}

    # hedgebot status without API keys reads the same paper book from the journal.
    status = cli(
        "status",
        "--config",
        str(config),
        "--json",
        env=daemon_env(emulator, wallet_key=None, api_keys=False),
    )
    assert status.returncode == 0, status.stderr
    try:
        [report] = json.loads(status.stdout)
    except ValueError as exc:
        raise AssertionError(f"status --json printed more than JSON:\n{status.stdout}") from exc
    assert report["exchange"] == "paper"
    for row in report["underlyings"]:
        expected = -after.get(row["symbol"], Decimal(0)) * marks[row["symbol"]]
        assert Decimal(row["current_short_usd"]) == expected, row


_SAMPLE = re.compile(r"^(?P<name>[a-zA-Z_:][\w:]*)(?:\{(?P<labels>[^}]*)\})? (?P<value>\S+)$")


def _sample(text: str, name: str, **labels: str) -> float:
    """The value of one Prometheus sample (fails naming the metric when it is absent)."""
    for line in text.splitlines():
        m = _SAMPLE.match(line)
        if m is None or m.group("name") != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', m.group("labels") or ""))
        if all(found.get(k) == v for k, v in labels.items()):
            return float(m.group("value"))
    raise AssertionError(f"no sample {name}{labels} in /metrics:\n{text}")


def test_an_empty_position_reading_is_held_not_traded_on(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """The venue answers `[]` for positions three times while the shorts are open: hedgebot
    reads again, holds the cycle with an alert, and sells nothing (before: 3.7x the target)."""
    borrower, config, journal_path = _setup(devnet, emulator, tmp_path)
    env = daemon_env(emulator, wallet_key=borrower.key)
    with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        steady = _wait_steady(daemon)
        before = emulator_positions(emulator)
        orders_before = len(emulator_orders(emulator))
        emulator.control.inject_fault("/fapi/v3/positionRisk", "empty_list", count=3, method="GET")
        # With the user stream the venue's REST positions are read when the stream (re)connects
        # and when the hedger doubts a reading: a reconnect brings the bad answer in.
        emulator.control.stream_drop("user")
        _, held = daemon.wait_for(
            lambda e: (
                e.get("event") == "cycle skipped" and str(e.get("reason", "")).startswith("held:")
            ),
            what="a cycle held on the bad reading",
            after=steady,
        )
        _wait_steady(daemon, after=daemon.events().index(held) + 1)
        after = emulator_positions(emulator)
        assert daemon.terminate() == 0
    assert "the exchange reports 0" in held["reason"], held
    assert after == before
    assert len(emulator_orders(emulator)) == orders_before, "an order went out on a bad reading"
    with _journal(journal_path) as journal:
        assert journal.pending_intents() == []


def test_a_journal_deleted_under_the_daemon_halts_hedging_with_an_alert(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower, config, journal_path = _setup(devnet, emulator, tmp_path)
    env = daemon_env(emulator, wallet_key=borrower.key)
    with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        _wait_steady(daemon)
        for suffix in ("", "-wal", "-shm"):
            Path(f"{journal_path}{suffix}").unlink(missing_ok=True)
        marker = len(daemon.events())
        _, lost = daemon.wait_event("journal lost: the hedger trades nothing", after=marker)
        orders_before = len(emulator_orders(emulator))
        move_price(devnet, emulator, "WBTC", Decimal(45_000))  # the hedge would grow
        time.sleep(3)  # several cycles at 1 s
        assert len(emulator_orders(emulator)) == orders_before, "traded without a journal"
        assert daemon.terminate() == 0
    assert "deleted" in lost["error"], lost
