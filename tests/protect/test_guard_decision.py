"""The guard's decision (``bot.core.guard.decide_guard``): what it does with a snapshot, and
what it never lets stop it."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.guard import GuardInputs, GuardMemory, GuardSettings, GuardVerdict, decide_guard
from bot.core.health import exact_health_factor
from bot.core.model import TokenMapping
from bot.core.repay import ReserveBalance
from bot.core.repay_params import ProtectParams
from tests.protect.factories import USDC_ADDR, WALLET, asset, position, positions

NOW = datetime(2026, 12, 3, 12, tzinfo=UTC)
PARAMS = ProtectParams(trigger_hf=Decimal("1.3"), target_hf=Decimal("1.6"))
MAPPING = {
    "WBTC": TokenMapping(token="WBTC", underlying="BTC"),
    "WETH": TokenMapping(token="WETH", underlying="ETH"),
    "USDC": TokenMapping(token="USDC", underlying="USD"),
    "USDT": TokenMapping(token="USDT", underlying="USD"),
}
SETTINGS = GuardSettings(name="main", wallet=WALLET, params=PARAMS, mapping=MAPPING)
RESERVE = (ReserveBalance(symbol="USDC", address=USDC_ADDR, decimals=6, balance=Decimal(80_000)),)
UNDER = position(btc_price=Decimal(50_000))  # HF 1.17: under the 1.3 trigger
HEALTHY = position()  # HF 1.40


def _decide(inputs: GuardInputs, settings: GuardSettings = SETTINGS) -> GuardVerdict:
    return decide_guard(inputs, settings=settings, memory=GuardMemory(), now=NOW).verdict


def test_a_healthy_position_costs_no_reserve_read() -> None:
    assert _decide(GuardInputs(snapshot=HEALTHY)) is GuardVerdict.HEALTHY


def test_under_the_trigger_it_asks_for_the_reserve_then_repays_to_the_target() -> None:
    assert _decide(GuardInputs(snapshot=UNDER)) is GuardVerdict.NEEDS_RESERVE
    decision = decide_guard(
        GuardInputs(snapshot=UNDER, reserves=RESERVE),
        settings=SETTINGS,
        memory=GuardMemory(),
        now=NOW,
    )
    assert decision.verdict is GuardVerdict.REPAY
    assert decision.action is not None
    assert decision.action.expected_hf_after >= PARAMS.target_hf


def test_what_holds_the_guard_back_and_in_which_order() -> None:
    base = GuardInputs(snapshot=UNDER, reserves=RESERVE)
    assert _decide(replace(base, in_flight="repay:1")) is GuardVerdict.TX_IN_FLIGHT
    assert _decide(replace(base, settled_block=101)) is GuardVerdict.BEHIND  # snapshot at 100
    assert _decide(replace(base, settled_block=100)) is GuardVerdict.REPAY
    stopped = replace(base, stopped_reason="maintenance", in_flight="repay:1")
    assert _decide(stopped) is GuardVerdict.STOPPED
    stale = replace(base, snapshot=replace(UNDER, stale_reason="block 60 s old"))
    assert _decide(stale) is GuardVerdict.STALE
    off = replace(SETTINGS, params=None)
    assert _decide(base, off) is GuardVerdict.WATCH_ONLY


def test_a_watch_only_guard_still_alerts_on_the_health_factor() -> None:
    decision = decide_guard(
        GuardInputs(snapshot=UNDER),
        settings=replace(SETTINGS, params=None),
        memory=GuardMemory(),
        now=NOW,
    )
    assert decision.verdict is GuardVerdict.WATCH_ONLY
    assert [a.kind.value for a in decision.alerts] == ["hf_low"]


@settings(max_examples=60, deadline=None)
@given(positions(), st.integers(1, 10**30))
def test_a_token_missing_from_the_mapping_changes_nothing_for_the_guard(
    snapshot: object, donated_raw: int
) -> None:
    """Anyone can supply a token on the borrower's behalf: the guard decides as Aave does."""
    from bot.core.model import PositionSnapshot

    assert isinstance(snapshot, PositionSnapshot)
    gift = asset(
        "GIFT",
        collateral=Decimal(donated_raw).scaleb(-18),
        price=Decimal("0.5"),
        lt="0",
        decimals=18,
        address="0x" + "9" * 40,
    )
    donated = replace(snapshot, assets=(*snapshot.assets, gift))
    shadowed = replace(SETTINGS, params=replace(PARAMS, use_shadow_hf=True))
    marks = {"BTC": Decimal(40_000), "ETH": Decimal(2_000)}
    for settings_ in (SETTINGS, shadowed):
        plain = decide_guard(
            GuardInputs(snapshot=snapshot, reserves=RESERVE, marks=marks),
            settings=settings_, memory=GuardMemory(), now=NOW,
        )  # fmt: skip
        with_gift = decide_guard(
            GuardInputs(snapshot=donated, reserves=RESERVE, marks=marks),
            settings=settings_, memory=GuardMemory(), now=NOW,
        )  # fmt: skip
        assert with_gift.oracle_hf == exact_health_factor(donated)
        assert with_gift.verdict is plain.verdict
        if plain.action is not None and with_gift.action is not None:
            assert with_gift.action.amount == plain.action.amount
