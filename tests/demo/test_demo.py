"""`hedgebot demo`, headless and fast: the same crash with and without repay protection.

Real stack: anvil with the real Aave v3 deployment, the Binance Futures emulator over HTTP with
its wallet settling on anvil, the daemon as a child process, a liquidator calling
``liquidationCall`` on every block. Protected, the capital loop refills the reserve from the
exchange during the crash; unprotected, nothing moves.
"""

from __future__ import annotations

import itertools
import json
import os
import re
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path

import matplotlib.image
import psutil
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.demo.scenario import FeedState, OracleRule, crash_scenario, next_feed
from bot.journal import MoveKind, MoveStage
from tests.demo.demo_runs import PNG_SIGNATURE, Runs, run_both


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return run_both(tmp_path_factory.mktemp("demo"))


@pytest.mark.chain
@pytest.mark.exchange
@pytest.mark.slow
def test_protected_run_survives_the_crash_without_liquidation(runs: Runs) -> None:
    r = runs.protected
    s = r.summary
    assert s.liquidations == 0, f"the liquidator succeeded {s.liquidations} time(s)"
    assert s.liquidation_reverts > 0, "the liquidator never even tried"
    assert r.collateral_kept, f"{s.collateral_start} -> {s.collateral_end}"
    assert s.collateral_start == {"WBTC": Decimal(1), "WETH": Decimal(10)}
    for token, units in s.collateral_start.items():
        assert s.collateral_end[token] >= units  # aTokens only grow (interest) unless seized
    assert r.repays_mined >= 1
    assert s.reserve_low < s.reserve_start  # the guard spent the reserve
    assert s.debt_end_usd < s.debt_start_usd
    assert r.hf_end >= 1
    assert s.hf_min >= 1, f"HF went down to {s.hf_min}"
    assert r.daemon_exit_code == 0, r.daemon_log.read_text()[-2000:]
    assert s.cycles.failed == 0


@pytest.mark.chain
@pytest.mark.exchange
@pytest.mark.slow
def test_unprotected_run_is_liquidated(runs: Runs) -> None:
    r = runs.unprotected
    s = r.summary
    assert s.liquidations >= 1
    assert not r.collateral_kept
    assert sum(s.seized.values()) > 0
    assert s.seized_usd > s.liquidated_debt_usd  # the liquidation bonus came out of the loan
    assert r.repays_mined == 0
    assert s.reserve_used == 0
    assert not s.capital_loop
    assert s.moves == ()  # the capital loop is off: nothing moved
    assert r.daemon_exit_code == 0


@pytest.mark.chain
@pytest.mark.exchange
@pytest.mark.slow
def test_the_capital_loop_refills_the_reserve_from_the_exchange_during_the_crash(
    runs: Runs,
) -> None:
    s = runs.protected.summary
    assert s.capital_loop
    assert s.withdrawals, "nothing was withdrawn"
    assert s.deposits == ()  # no rally came near the shorts' liquidation
    for m in s.withdrawals:
        assert m.stage is MoveStage.DONE, m  # the demo waits for the moves in flight
        assert m.tx_id.startswith("0x"), m
        assert m.fee == Decimal("0.8")
        assert m.received == m.amount - m.fee
    assert s.received_usd > 0
    assert s.withdrawn_usd == s.received_usd + s.withdraw_fees_usd
    # The guard repaid more than the reserve ever held at once: it repaid with what was
    # withdrawn (the reserve may be spent again by the end: the last refill can come after).
    assert s.repaid_usd > s.reserve_start, (s.repaid_usd, s.received_usd)
    assert s.reserve_end == s.reserve_start - s.repaid_usd + s.received_usd


@pytest.mark.chain
@pytest.mark.exchange
@pytest.mark.slow
def test_each_withdrawal_is_shown_as_it_happens_and_listed_in_the_summary(runs: Runs) -> None:
    s = runs.protected.summary
    out = runs.output
    assert re.search(r"capital loop every [0-9.]+s", out), out[:2000]
    assert "capital loop OFF" in out  # the unprotected run
    for stage in ("decided", "requested", "done"):
        assert sum(
            1 for line in out.splitlines() if "WITHDRAWAL" in line and f" {stage}" in line
        ) == len(s.withdrawals), stage
    assert out.count("reached the reserve, chain tx 0x") == len(s.withdrawals)
    for n, m in enumerate(s.withdrawals, start=1):
        assert f"withdrawal {n} " in out
        assert (
            f"{m.amount:,.2f} USDT to the reserve, fee 0.80, received {m.received:,.2f}, "
            f"done, tx {m.tx_id[:18]}"
        ) in out
    assert f"{s.received_usd:,.0f} USDT from the exchange in {len(s.withdrawals)}" in out
    data = json.loads(runs.protected.summary_path.read_text())
    moves = data["summary"]["money_moves"]
    assert [m["kind"] for m in moves] == [MoveKind.WITHDRAW.value] * len(s.withdrawals)
    assert all(m["stage"] == "done" and m["tx_id"] for m in moves)
    kinds = {e["kind"] for e in data["events"]}
    assert "withdrawal" in kinds


@pytest.mark.chain
@pytest.mark.exchange
@pytest.mark.slow
def test_both_runs_see_the_same_crash_and_hedge_it(runs: Runs) -> None:
    for r in (runs.protected, runs.unprotected):
        start, low, _end = r.summary.prices["BTC"]
        assert low / start < Decimal("0.57")  # a ~45 % crash
        assert r.summary.orders_filled >= 3  # BTC, ETH and BNB shorts opened
        assert r.summary.hedge_pnl_usd > 0  # shorts gain in a crash


@pytest.mark.chain
@pytest.mark.exchange
@pytest.mark.slow
def test_summary_printed_and_files_written(runs: Runs) -> None:
    assert "PROTECTED: hedge + repay from reserve" in runs.output
    assert "UNPROTECTED: hedge only, no repay" in runs.output
    assert "liquidationCall attempts" in runs.output
    assert "REPAY" in runs.output
    assert "LIQUIDATION" in runs.output
    for r in (runs.protected, runs.unprotected):
        data = json.loads(r.summary_path.read_text())
        assert data["summary"]["liquidations"] == r.liquidations
        assert len(data["samples"]) > 50
        png = r.chart_path.read_bytes()
        assert png.startswith(PNG_SIGNATURE)
        assert png[12:16] == b"IHDR"
        pixels = matplotlib.image.imread(r.chart_path)  # decodes the whole image
        assert pixels.shape[0] > 500
        assert pixels.shape[1] > 500


@pytest.mark.chain
@pytest.mark.exchange
@pytest.mark.slow
def test_everything_it_started_is_stopped(runs: Runs) -> None:
    alive = runs.left_running()
    assert not alive, f"processes left running: {alive}"


@pytest.mark.chain
@pytest.mark.exchange
@pytest.mark.slow
def test_ctrl_c_stops_anvil_and_the_daemon(tmp_path: Path) -> None:
    code = (
        "from pathlib import Path; from bot.demo import run_demo; "
        f"run_demo(headless=True, speed=2, out_dir=Path({str(tmp_path)!r}))"
    )
    proc = subprocess.Popen(
        [sys.executable, "-c", code],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=dict(os.environ, COLUMNS="140", PYTHONUNBUFFERED="1"),
    )
    seen: set[psutil.Process] = set()
    lines: list[str] = []
    try:
        assert proc.stdout is not None
        deadline = time.monotonic() + 60
        for line in proc.stdout:
            lines.append(line)
            if "market script starts" in line:
                break
            assert time.monotonic() < deadline, "".join(lines)
        else:
            pytest.fail("the demo ended before its market script started:\n" + "".join(lines))
        time.sleep(1.0)
        seen = set(psutil.Process(proc.pid).children(recursive=True))
        names = " ".join(" ".join(p.cmdline()) for p in seen)
        assert "anvil" in names, names
        assert "bot run" in names, names
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=45)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    for child in seen:
        assert not child.is_running() or child.status() == psutil.STATUS_ZOMBIE, (
            f"{child.cmdline()} still running after Ctrl-C:\n{rest}"
        )
    assert proc.returncode != 0  # interrupted, not a normal finish


def test_scenario_crashes_45_percent_with_rebounds() -> None:
    sc = crash_scenario()
    assert sc.worst_drop == Decimal("0.45")
    btc = sc.asset("BTC")
    lows = [btc.path.fraction_at(Decimal(t)) for t in range(0, 101)]
    rebounds = sum(1 for a, b in itertools.pairwise(lows) if b > a)
    assert rebounds > 10
    assert sc.asset("BNB").path.low > Decimal("0.7")  # BNB falls less


@settings(max_examples=200, deadline=None)
@given(
    moves=st.lists(
        st.decimals(min_value=Decimal("0.90"), max_value=Decimal("1.10"), places=4),
        min_size=1,
        max_size=40,
    )
)
def test_oracle_answer_is_never_further_than_its_deviation_from_what_it_saw(
    moves: list[Decimal],
) -> None:
    rule = OracleRule(deviation=Decimal("0.005"), heartbeat_secs=Decimal(30))
    state = FeedState(price=Decimal(100), updated_at=Decimal(0))
    observed = Decimal(100)
    for n, factor in enumerate(moves, start=1):
        observed = (observed * factor).quantize(Decimal("0.01"))
        before = state
        state = next_feed(state, observed=observed, now=Decimal(n), rule=rule)
        assert abs(observed - state.price) / state.price < rule.deviation or state.price == observed
        if state.price != before.price:
            assert state.updated_at == Decimal(n)  # a new answer is a new round


def test_oracle_heartbeat_republishes_a_quiet_market() -> None:
    rule = OracleRule(deviation=Decimal("0.005"), heartbeat_secs=Decimal(30))
    state = FeedState(price=Decimal(100), updated_at=Decimal(0))
    state = next_feed(state, observed=Decimal("100.2"), now=Decimal(10), rule=rule)
    assert state.price == Decimal(100)  # 0.2 % is under the deviation threshold
    state = next_feed(state, observed=Decimal("100.2"), now=Decimal(31), rule=rule)
    assert state.price == Decimal("100.2")
    assert state.updated_at == Decimal(31)
