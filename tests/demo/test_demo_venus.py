"""`hedgebot demo --protocol venus`, headless and fast: the same crash on the Venus core pool.

Real stack: anvil with the real Venus core pool (BTCB, ETH and native BNB supplied, USDT
borrowed), the Binance Futures emulator over HTTP with its wallet settling on anvil, the daemon
as a child process on a ``venus-core`` position, a liquidator sending ``liquidateBorrow`` from an
EOA whenever its simulation returns 0. Protected, the guard repays USDT on vUSDT; unprotected,
the liquidator seizes collateral.
"""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path

import matplotlib.image
import pytest

from bot.demo import run_demo
from bot.watch.journal_tail import JournalTail
from tests.demo.demo_runs import PNG_SIGNATURE, Runs, children, run_both

VENUS_COLLATERAL = {"BTCB": Decimal(1), "ETH": Decimal(5), "BNB": Decimal(25)}


@pytest.fixture(scope="module")
def runs(tmp_path_factory: pytest.TempPathFactory) -> Runs:
    return run_both(tmp_path_factory.mktemp("demo-venus"), protocol="venus")


@pytest.mark.venus
@pytest.mark.exchange
@pytest.mark.slow
def test_protected_run_on_venus_survives_the_crash_without_liquidation(runs: Runs) -> None:
    r = runs.protected
    s = r.summary
    assert s.liquidations == 0, f"the liquidator succeeded {s.liquidations} time(s)"
    assert s.liquidation_reverts > 0, "the liquidator never even tried"
    assert s.collateral_start == VENUS_COLLATERAL
    assert r.collateral_kept, f"{s.collateral_start} -> {s.collateral_end}"
    assert s.hf_min >= 1, f"HF went down to {s.hf_min}"
    assert r.hf_end >= 1
    assert r.daemon_exit_code == 0, r.daemon_log.read_text()[-2000:]
    assert s.cycles.failed == 0
    # The daemon read a venus-core position (its lending market log line names the protocol).
    assert '"protocol": "venus-core"' in r.daemon_log.read_text()


@pytest.mark.venus
@pytest.mark.exchange
@pytest.mark.slow
def test_the_guard_repays_usdt_on_the_vtoken_from_the_reserve(runs: Runs) -> None:
    r = runs.protected
    s = r.summary
    assert r.repays_mined >= 1
    tail = JournalTail(r.journal_path)
    try:
        repays = [tx for tx in tail.new_txs() if tx.kind == "repay" and tx.status == "mined"]
    finally:
        tail.close()
    assert len(repays) == r.repays_mined
    for tx in repays:
        assert (tx.tx_hash or "").startswith("0x"), tx
        assert (tx.block or 0) > 0, tx
    # What the reader saw on-chain: the debt fell by what was repaid (interest is cents).
    assert abs((s.debt_start_usd - s.debt_end_usd) - s.repaid_usd) < 5, s
    assert s.reserve_low < s.reserve_start  # the guard spent the reserve
    assert runs.output.count("USDT from the reserve in block") == r.repays_mined


@pytest.mark.venus
@pytest.mark.exchange
@pytest.mark.slow
def test_the_capital_loop_refills_the_reserve_on_venus(runs: Runs) -> None:
    s = runs.protected.summary
    assert s.capital_loop
    assert s.withdrawals, "nothing was withdrawn"
    for m in s.withdrawals:
        assert m.done, m  # the demo waits for the moves in flight
        assert m.tx_id.startswith("0x"), m
    assert s.reserve_end == s.reserve_start - s.repaid_usd + s.received_usd


@pytest.mark.venus
@pytest.mark.exchange
@pytest.mark.slow
def test_unprotected_run_on_venus_is_liquidated(runs: Runs) -> None:
    r = runs.unprotected
    s = r.summary
    assert s.liquidations >= 1
    assert not r.collateral_kept
    assert sum(s.seized.values()) > 0
    assert set(s.seized) <= set(VENUS_COLLATERAL)
    assert s.seized_usd > s.liquidated_debt_usd  # the 10 % incentive came out of the loan
    assert r.repays_mined == 0
    assert s.reserve_used == 0
    assert s.moves == ()
    assert r.daemon_exit_code == 0


@pytest.mark.venus
@pytest.mark.exchange
@pytest.mark.slow
def test_venus_summary_printed_and_chart_written(runs: Runs) -> None:
    assert "liquidateBorrow attempts" in runs.output
    assert "anvil with the real Venus core pool deployment" in runs.output
    assert "LIQUIDATION" in runs.output
    for r in (runs.protected, runs.unprotected):
        assert r.chart_path.name.startswith("demo-venus-")
        data = json.loads(r.summary_path.read_text())
        assert data["summary"]["liquidations"] == r.liquidations
        assert len(data["samples"]) > 50
        # The oracle the chart plots is Venus's: every underlying of the scenario has one.
        assert set(data["samples"][-1]["oracle"]) == {"BTC", "ETH", "BNB"}
        png = r.chart_path.read_bytes()
        assert png.startswith(PNG_SIGNATURE)
        pixels = matplotlib.image.imread(r.chart_path)
        assert pixels.shape[0] > 500
        assert pixels.shape[1] > 500


@pytest.mark.venus
@pytest.mark.exchange
@pytest.mark.slow
def test_everything_the_venus_demo_started_is_stopped(runs: Runs) -> None:
    alive = runs.left_running()
    assert not alive, f"processes left running: {alive}"


def test_an_unknown_protocol_is_refused_before_anything_starts(tmp_path: Path) -> None:
    before = children()
    with pytest.raises(ValueError, match="aave"):
        run_demo(protocol="compound", headless=True, out_dir=tmp_path / "out")
    assert children() == before
    assert not (tmp_path / "out").exists()
