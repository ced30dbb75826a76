"""Hedge policies, including the seed article's worked examples."""

from __future__ import annotations

from decimal import Decimal

import pytest
from core_builders import MAPPING, asset, golden_snapshot, snapshot
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.futures import initial_margin_usd
from bot.core.model import Exposure, PositionSnapshot
from bot.core.policy import (
    HealthTargetPolicy,
    LadderPolicy,
    LadderState,
    LossFractionPolicy,
    NoHedgePolicy,
    PolicyContext,
    RatioPolicy,
    decide,
    evaluate,
)

D = Decimal


def ctx(
    s: PositionSnapshot, underlying: str, delta: Decimal, hf: Decimal = Decimal(2), **kw: object
) -> PolicyContext:
    exposure = Exposure(
        underlying=underlying, defi_delta_usd=delta, margin_delta_usd=D(0), hedge_delta_usd=D(0)
    )
    return PolicyContext(exposure=exposure, snapshot=s, mapping=MAPPING, decision_hf=hf, **kw)  # type: ignore[arg-type]


def test_article_loss_fraction_btc() -> None:
    s = snapshot(
        asset("WBTC", collateral="0.1", price="100000", lt="0.75"),
        asset("USDC", debt="5000", price="1"),
    )
    target = decide(LossFractionPolicy(f=D("0.5")), ctx(s, "BTC", D(10000)))
    assert target.short_usd == D(1250)
    assert "$2,500.00" in target.reason
    assert "$1,250.00" in target.reason
    assert initial_margin_usd(target.short_usd, 20) == D("62.50")


def test_article_loss_fraction_eth_with_the_slip_corrected() -> None:
    s = snapshot(
        asset("WETH", collateral="2", price="2500", lt="0.6"), asset("USDC", debt="2000", price="1")
    )
    target = decide(LossFractionPolicy(f=D("0.5")), ctx(s, "ETH", D(5000)))
    assert target.short_usd == D(1000)  # L = 40 % of $5,000 = $2,000 (the article printed $3,000)
    assert "$2,000.00" in target.reason
    assert initial_margin_usd(target.short_usd, 10) == D(100)


def test_ratio_and_no_hedge() -> None:
    s = golden_snapshot()
    assert decide(RatioPolicy(r=D("0.3")), ctx(s, "BTC", D(30000))).short_usd == D(9000)
    none = decide(NoHedgePolicy(), ctx(s, "BTC", D(30000)))
    assert none.short_usd == 0
    assert "unhedged" in none.reason
    with pytest.raises(ValueError, match="r must be"):
        RatioPolicy(r=D(-1))


def test_health_target_formula() -> None:
    s = golden_snapshot()  # debt 40,000; WBTC liquidates at 20,339.79 from 30,000
    policy = HealthTargetPolicy(target_hf=D("1.25"), r_max=D(1))
    c = ctx(
        s,
        "BTC",
        D(30000),
        hf=D("1.18"),
        liquidation_price=D("20339.79360684"),
        underlying_price=D(30000),
    )
    target = decide(policy, c)
    expected = D(40000) * (1 - 1 / D("1.25")) / (1 - D("20339.79360684") / D(30000))
    assert target.short_usd == expected  # 8,000 / 0.322 = ~24,844
    assert "$8,000.00" in target.reason
    capped = decide(HealthTargetPolicy(target_hf=D("1.25"), r_max=D("0.5")), c)
    assert capped.short_usd == D(15000)
    assert "capped" in capped.reason
    assert (
        decide(
            policy, ctx(s, "BTC", D(30000), liquidation_price=None, underlying_price=D(30000))
        ).short_usd
        == 0
    )
    liquidatable = decide(
        policy, ctx(s, "BTC", D(30000), hf=D("0.99"), liquidation_price=D(1), underlying_price=D(2))
    )
    assert liquidatable.short_usd == D(30000)
    assert "already liquidatable" in liquidatable.reason


LADDER = LadderPolicy(
    r_min=D("0.2"), r_max=D("0.8"), hf_high=D(2), hf_low=D("1.2"), hysteresis=D("0.05")
)


def test_ladder_curve_and_hysteresis() -> None:
    s = golden_snapshot()
    first = evaluate(LADDER, ctx(s, "BTC", D(10000), hf=D("1.6")))
    assert first.target.short_usd == D(5000)  # halfway: ratio 0.5
    assert first.ladder_state == LadderState(ratio=D("0.5"))
    # HF recovers a little (inside the hysteresis): the ratio holds.
    held = evaluate(LADDER, ctx(s, "BTC", D(10000), hf=D("1.64"), ladder_state=first.ladder_state))
    assert held.target.short_usd == D(5000)
    assert "hysteresis" in held.target.reason
    # Recovers past it: the ratio follows the curve shifted by the hysteresis.
    eased = evaluate(LADDER, ctx(s, "BTC", D(10000), hf=D("1.8"), ladder_state=held.ladder_state))
    assert eased.ladder_state == LadderState(ratio=D("0.3875"))  # curve at 1.8 - 0.05
    # Falls: the ratio rises at once.
    worse = evaluate(LADDER, ctx(s, "BTC", D(10000), hf=D("1.1"), ladder_state=eased.ladder_state))
    assert worse.ladder_state == LadderState(ratio=D("0.8"))
    assert evaluate(LADDER, ctx(s, "BTC", D(10000), hf=D("Infinity"))).target.short_usd == D(2000)


hfs = st.decimals(min_value=D("0.5"), max_value=D(5), places=4)


@settings(max_examples=300, deadline=None)
@given(
    a=hfs, b=hfs, previous=st.none() | st.decimals(min_value=D("0.2"), max_value=D("0.8"), places=3)
)
def test_ladder_target_never_falls_as_hf_falls(
    a: Decimal, b: Decimal, previous: Decimal | None
) -> None:
    low, high = min(a, b), max(a, b)
    state = None if previous is None else LadderState(ratio=previous)
    s = golden_snapshot()
    at_low = decide(LADDER, ctx(s, "BTC", D(10000), hf=low, ladder_state=state)).short_usd
    at_high = decide(LADDER, ctx(s, "BTC", D(10000), hf=high, ladder_state=state)).short_usd
    assert at_low >= at_high
