"""``hedgebot watch``'s view: the builder turns one refresh's readings into what the user sees,
and the frame says it in words a user reads."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from rich.console import Console

from bot.daemon.status_report import LoopsState
from bot.watch.journal_tail import CycleView
from bot.watch.loops import LoopRow, LoopsReading
from bot.watch.model import (
    MARKS_PUBLIC,
    MarketReading,
    PositionReading,
    ViewSettings,
    WatchEvent,
    WatchView,
    build_view,
)
from bot.watch.render import render
from tests.core.core_builders import MAPPING, asset, snapshot

D = Decimal
# 1 WBTC at 60,000 (LT 78 %) against 30,000 USDC: oracle HF 1.56; at a 50,000 mark, 1.30.
LOAN = replace(
    snapshot(
        asset("WBTC", collateral="1", price="60000", lt="0.78"),
        asset("USDC", debt="30000", price="1"),
    ),
    reported_health_factor_wad=1_560_000_000_000_000_000,
    block_number=4242,
)
SETTINGS = ViewSettings(
    title="hedgebot watch: main",
    interval_secs=D(2),
    mapping=MAPPING,
    trigger_hf=D("1.3"),
    target_hf=D("1.6"),
    metrics_url="http://127.0.0.1:9108/metrics",
)
MARKET = MarketReading(
    marks={"BTCUSDT": D(50_000)}, source=MARKS_PUBLIC, symbols={"BTC": "BTCUSDT"}
)
CYCLE = CycleView(
    cycle_id="c-9",
    finished_ms=1_700_000_000_000,
    oracle_hf=D("1.56"),
    shadow_hf=D("1.25"),
    targets_usd={"BTC": D(12_000)},
    current_usd={"BTC": D(9_000)},
    reasons="",
)
LOOPS = LoopsState(guard="on", guard_reason="repays", hedger="running", hedger_reason="")
DAEMON = LoopsReading(
    guard=LoopRow(loop="guard", state="healthy", runs=40, failed=0, detail="1 repay(s) mined"),
    hedger=LoopRow(loop="hedger", state="running", runs=12, failed=1, detail="12 cycles ok"),
)
ORDER = WatchEvent(at_ms=1_700_000_001_000, kind="order", text="SELL 0.06/0.06 BTCUSDT FILLED")


def _view(**overrides: object) -> WatchView:
    given: dict[str, object] = {
        "at_ms": 1_700_000_002_000,
        "readings": [PositionReading(name="main", snapshot=LOAN, loops=LOOPS, reserve={})],
        "market": MARKET,
        "cycle": CYCLE,
        "daemon": DAEMON,
        "events": [ORDER],
        "journal_note": "",
    }
    given.update(overrides)
    return build_view(SETTINGS, **given)  # type: ignore[arg-type]


def _text(view: WatchView, width: int = 160) -> str:
    console = Console(record=True, width=width)
    console.print(render(view))
    return console.export_text()


def test_the_position_shows_oracle_shadow_and_chain_hf_at_the_public_marks() -> None:
    view = _view()
    (p,) = view.positions
    assert p.chain is not None
    assert p.chain.oracle_hf.quantize(D("0.001")) == D("1.560")
    assert p.shadow_hf is not None
    assert p.shadow_hf.quantize(D("0.001")) == D("1.300")
    assert not p.shadow_from_journal
    assert p.chain.chain_hf == D("1.56")
    text = _text(view)
    assert "oracle HF 1.560" in text
    assert "shadow HF 1.300" in text
    assert "chain's own HF 1.560" in text
    assert f"marks: {MARKS_PUBLIC}" in text


def test_liquidation_price_and_common_crash_distance_are_shown() -> None:
    text = _text(_view())
    assert "liquidation price BTC 38,461.54" in text  # 30,000 / 0.78
    assert "HF 1 after a further 35.9 % fall of every coin" in text
    assert "collateral 1.0000 WBTC = 60,000 $" in text
    assert "debt 30,000.00 USDC = 30,000 $" in text


def test_hedge_target_against_the_short_held_from_the_latest_cycle() -> None:
    view = _view()
    (line,) = view.hedges
    assert (line.mark, line.target_usd, line.held_usd, line.gap_usd) == (
        D(50_000),
        D(12_000),
        D(9_000),
        D(3_000),
    )
    text = _text(view)
    assert "BTCUSDT" in text
    assert "12,000 $" in text
    assert "9,000 $" in text
    assert "+3,000 $" in text


def test_without_marks_the_shadow_hf_is_the_hedger_latest_cycle_and_says_so() -> None:
    market = MarketReading(
        marks={}, source="mark endpoint not reachable", symbols={"BTC": "BTCUSDT"}
    )
    view = _view(market=market)
    (p,) = view.positions
    assert p.shadow_from_journal
    assert p.shadow_hf == D("1.25")
    text = _text(view)
    assert "shadow HF 1.250 (the hedger's latest cycle)" in text
    assert "marks: mark endpoint not reachable" in text


def test_a_daemon_not_reachable_still_shows_chain_and_journal() -> None:
    text = _text(_view(daemon=None))
    assert "daemon not reachable at http://127.0.0.1:9108/metrics" in text
    assert "oracle HF 1.560" in text
    assert "SELL 0.06/0.06 BTCUSDT FILLED" in text


def test_the_guard_and_hedger_state_from_metrics_and_the_operator_switches() -> None:
    stopped = LoopsState(
        guard="STOPPED", guard_reason="by cli: audit", hedger="paused", hedger_reason="maint"
    )
    reading = PositionReading(name="main", snapshot=LOAN, loops=stopped, reserve={"USDC": D(500)})
    text = _text(_view(readings=[reading]))
    assert "guard STOPPED (by cli: audit)" in text
    assert "hedger paused (maint)" in text
    assert "reserve 500.00 USDC" in text
    assert "12 cycles ok" in text  # the metrics' hedger row


def test_a_position_whose_chain_cannot_be_read_says_why_and_the_rest_is_shown() -> None:
    broken = PositionReading(name="main", snapshot=None, error="no RPC endpoint answered")
    view = _view(readings=[broken])
    assert view.positions[0].chain is None
    text = _text(view)
    assert "chain not read: no RPC endpoint answered" in text
    assert "BTCUSDT" in text


def test_only_the_latest_events_oldest_first() -> None:
    events = [
        WatchEvent(at_ms=1_700_000_000_000 + i * 1000, kind="alert", text=f"alert {i}")
        for i in range(20)
    ]
    view = _view(events=list(reversed(events)))
    assert [e.text for e in view.events] == [f"alert {i}" for i in range(8, 20)]
    text = _text(view)
    assert "alert 7" not in text
    assert "alert 19" in text
    assert text.index("alert 8") < text.index("alert 19")


def test_repay_protection_off_is_said() -> None:
    off = replace(SETTINGS, trigger_hf=None, target_hf=None)
    view = build_view(
        off,
        at_ms=0,
        readings=[PositionReading(name="main", snapshot=LOAN)],
        market=MARKET,
        cycle=None,
        daemon=None,
        events=[],
        journal_note="no journal yet (the daemon creates it when it starts)",
    )
    text = _text(view)
    assert "(repay protection OFF)" in text
    assert "no good cycle yet" in text
    assert "no journal yet" in text
