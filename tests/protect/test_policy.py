"""When to act and how much: trigger, target, caps, repay-or-supply, crash reserve, refill."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.health import exact_health_factor_wad
from bot.core.repay import ActionKind, ReserveBalance, decide
from bot.core.repay_math import hf_to_wad, to_raw, with_crash, with_debt_repaid
from bot.core.repay_params import HfSource, ProtectParams
from bot.core.reserve import reserve_for_crash, reserve_table
from tests.protect.factories import USDC_ADDR, USDT_ADDR, position, positions

PARAMS = ProtectParams(trigger_hf=Decimal("1.3"), target_hf=Decimal("1.6"))
STABLES = PARAMS.stable_symbols


def usdc(balance: str | Decimal, **kw: bool) -> ReserveBalance:
    return ReserveBalance(
        symbol="USDC", address=USDC_ADDR, decimals=6, balance=Decimal(balance), **kw
    )


def usdt(balance: str | Decimal) -> ReserveBalance:
    return ReserveBalance(symbol="USDT", address=USDT_ADDR, decimals=6, balance=Decimal(balance))


def test_no_action_above_the_trigger():
    decision = decide(position(), params=PARAMS, reserves=[usdc(100_000)], spent_today_usd=0)
    assert not decision.triggered
    assert decision.action is None
    assert "1.4040 >= trigger 1.3" in decision.reason


def test_repays_to_target_under_the_trigger():
    snapshot = position(btc_price=Decimal(50000))  # HF 1.17
    decision = decide(snapshot, params=PARAMS, reserves=[usdc(100_000)], spent_today_usd=0)
    action = decision.action
    assert decision.triggered
    assert action is not None
    assert action.kind is ActionKind.REPAY
    assert action.symbol == "USDC"
    assert action.reaches_target
    assert action.limited_by is None
    assert action.expected_hf_after >= PARAMS.aim_hf
    after = with_debt_repaid(snapshot, "USDC", action.amount_raw - 1)
    assert exact_health_factor_wad(after) < hf_to_wad(PARAMS.aim_hf)  # minimal
    assert (
        action.key == f"repay:{snapshot.wallet.lower()}:{USDC_ADDR.lower()}:{action.amount_raw}:100"
    )
    assert "repay" in decision.reason
    assert "USDC" in decision.reason


@pytest.mark.parametrize(
    ("reserve", "per_action", "per_day", "spent", "limit", "cap_usd"),
    [
        ("1000", 50_000, 200_000, 0, "reserve", Decimal(1000)),
        ("100000", 2_000, 200_000, 0, "max_per_action_usd", Decimal(2000)),
        ("100000", 50_000, 10_000, 9_000, "max_per_day_usd", Decimal(1000)),
    ],
)
def test_caps_limit_the_repay_and_say_which(reserve, per_action, per_day, spent, limit, cap_usd):
    params = ProtectParams(max_per_action_usd=Decimal(per_action), max_per_day_usd=Decimal(per_day))
    snapshot = position(btc_price=Decimal(50000))
    decision = decide(snapshot, params=params, reserves=[usdc(reserve)], spent_today_usd=spent)
    assert decision.action is not None
    assert decision.action.amount == cap_usd
    assert decision.action.limited_by == limit
    assert not decision.action.reaches_target
    assert "short of the target" in decision.action.reason


def test_daily_limit_used_up_means_no_action():
    params = ProtectParams(max_per_day_usd=Decimal(10_000))
    snapshot = position(btc_price=Decimal(50000))
    decision = decide(snapshot, params=params, reserves=[usdc(10**6)], spent_today_usd=10_000)
    assert decision.triggered
    assert decision.action is None
    assert "daily limit" in decision.reason


def test_repay_never_exceeds_the_debt():
    snapshot = position(btc_price=Decimal(20000), usdc_debt=Decimal(1000), usdt_debt=Decimal(20000))
    decision = decide(snapshot, params=PARAMS, reserves=[usdc(10**6)], spent_today_usd=0)
    assert decision.action is not None
    assert decision.action.amount == Decimal(1000)
    assert decision.action.limited_by == "debt"


def test_prefers_the_token_that_reaches_the_target():
    snapshot = position(btc_price=Decimal(50000), usdc_debt=Decimal(1000), usdt_debt=Decimal(49000))
    decision = decide(
        snapshot, params=PARAMS, reserves=[usdc(10**6), usdt(10**6)], spent_today_usd=0
    )
    assert decision.action is not None
    assert decision.action.symbol == "USDT"
    assert decision.action.reaches_target


def test_supplies_the_reserve_when_no_reserve_token_is_owed():
    snapshot = position(btc_price=Decimal(50000), usdc_debt=Decimal(0), weth_debt=Decimal(16))
    decision = decide(snapshot, params=PARAMS, reserves=[usdc(10**6)], spent_today_usd=0)
    assert decision.action is not None
    assert decision.action.kind is ActionKind.SUPPLY
    assert decision.action.expected_hf_after >= PARAMS.aim_hf


def test_supplies_when_repay_is_not_allowed_and_refuses_when_supply_is_off():
    snapshot = position(btc_price=Decimal(50000))
    blocked = [usdc(10**6, repay_allowed=False)]
    decision = decide(snapshot, params=PARAMS, reserves=blocked, spent_today_usd=0)
    assert decision.action is not None
    assert decision.action.kind is ActionKind.SUPPLY
    off = ProtectParams(allow_supply=False)
    decision = decide(snapshot, params=off, reserves=blocked, spent_today_usd=0)
    assert decision.triggered
    assert decision.action is None
    assert "supplying is off" in decision.reason


def test_shadow_hf_triggers_before_the_oracle_and_sizes_for_both():
    oracle = position(btc_price=Decimal(60000))  # 1.404: above trigger
    shadow = position(btc_price=Decimal(45000))  # 1.053 at the exchange
    params = ProtectParams(use_shadow_hf=True)
    decision = decide(
        oracle, params=params, reserves=[usdc(10**6)], spent_today_usd=0, shadow_snapshot=shadow
    )
    assert decision.hf_source is HfSource.SHADOW
    assert decision.action is not None
    after_shadow = with_debt_repaid(shadow, "USDC", decision.action.amount_raw)
    assert exact_health_factor_wad(after_shadow) >= hf_to_wad(params.aim_hf)
    with pytest.raises(ValueError, match="no shadow snapshot"):
        decide(oracle, params=params, reserves=[], spent_today_usd=0)


def test_confirmation_flag_and_stale_snapshot():
    params = ProtectParams(require_confirmation=True)
    snapshot = position(btc_price=Decimal(50000))
    decision = decide(snapshot, params=params, reserves=[usdc(10**6)], spent_today_usd=0)
    assert decision.needs_confirmation
    stale = replace(snapshot, stale_reason="block 40 s old")
    assert decide(stale, params=params, reserves=[usdc(10**6)], spent_today_usd=0).action is None


@settings(max_examples=100, deadline=None)
@given(
    snapshot=positions(),
    reserve=st.integers(0, 10**11),
    per_action=st.integers(1, 10**6),
    spent=st.integers(0, 10**6),
)
def test_caps_always_hold(snapshot, reserve, per_action, spent):
    params = ProtectParams(max_per_action_usd=Decimal(per_action), max_per_day_usd=Decimal(500_000))
    balance = Decimal(reserve).scaleb(-6)
    decision = decide(snapshot, params=params, reserves=[usdc(balance)], spent_today_usd=spent)
    action = decision.action
    if action is None:
        return
    budget = min(Decimal(per_action), Decimal(500_000 - spent))
    assert action.amount_raw <= reserve
    assert action.amount_usd <= budget
    if action.kind is ActionKind.REPAY:
        assert action.amount_raw <= to_raw(snapshot.assets[1].debt, 6)
    if action.reaches_target:
        assert action.expected_hf_after >= params.aim_hf


def test_params_reject_a_target_under_the_trigger():
    with pytest.raises(ValueError, match=r"target_hf \(1.2\) must be above protect.trigger_hf"):
        ProtectParams(trigger_hf=Decimal("1.3"), target_hf=Decimal("1.2"))
    with pytest.raises(ValueError, match="max_priority_fee_gwei"):
        ProtectParams(max_fee_gwei=Decimal(1), max_priority_fee_gwei=Decimal(2))


@pytest.mark.parametrize("crash", ["0.1", "0.3", "0.5"])
def test_crash_reserve_keeps_hf_at_one_and_is_minimal(crash):
    snapshot = position()
    need = reserve_for_crash(
        snapshot, crash_fraction=Decimal(crash), repay_symbol="USDC", stable_symbols=STABLES
    )
    crashed = with_crash(snapshot, Decimal(crash), STABLES)
    raw = to_raw(need.amount, 6)
    assert exact_health_factor_wad(with_debt_repaid(crashed, "USDC", raw)) >= 10**18
    if raw:
        assert exact_health_factor_wad(with_debt_repaid(crashed, "USDC", raw - 1)) < 10**18
    assert need.feasible


def test_crash_reserve_numbers_and_table():
    # 1.5 BTC at 60k -> 30 % crash -> 42k; LT 0.78: 49 140 of debt allowed; owes 50 000.
    table = reserve_table(
        position(),
        crash_fractions=[Decimal(0), Decimal("0.3")],
        reserve_tokens=("USDC",),
        stable_symbols=STABLES,
    )
    assert table[0].amount == 0
    assert table[1].amount == Decimal(860)
    assert table[1].hf_after_repay >= 1 > table[1].hf_after_crash
