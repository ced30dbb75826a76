"""Behaviour of the Monte Carlo a user relies on when comparing policies."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bot.sim.lending_vec import LoanBook
from bot.sim.montecarlo import run_monte_carlo, simulate_policy
from bot.sim.params import (
    AssetModel,
    HedgeModel,
    LoanModel,
    MarketModel,
    PolicySpec,
    ProtectModel,
    SimulationParams,
)
from bot.sim.paths import PathGenerator, estimate_market
from tests.sim.conftest import article_params

RATIO1 = PolicySpec(kind="ratio", r=1.0)


def test_same_seed_same_numbers_other_seed_other_numbers(article: SimulationParams) -> None:
    small = dataclasses.replace(article, n_paths=200, horizon_hours=200)
    a = simulate_policy(small, RATIO1, "repay")
    b = simulate_policy(small, RATIO1, "repay")
    c = simulate_policy(dataclasses.replace(small, seed=4), RATIO1, "repay")
    assert np.array_equal(a.final_pnl, b.final_pnl)
    assert not np.array_equal(a.final_pnl, c.final_pnl)


def test_correlated_paths_have_the_configured_correlation() -> None:
    corr = ((1.0, 0.8, 0.6), (0.8, 1.0, 0.7), (0.6, 0.7, 1.0))
    market = MarketModel(
        assets=tuple(
            AssetModel(symbol=s, s0=100.0, mu=0.0, sigma=0.7) for s in ("BTC", "ETH", "BNB")
        ),
        correlation=corr,
    )
    gen = PathGenerator(market, n_paths=20_000, dt_hours=1.0, seed=1)
    r = np.log(gen.next() / 100.0)
    assert np.allclose(np.corrcoef(r), np.array(corr), atol=0.02)


def test_jumps_are_compensated_so_the_mean_price_follows_the_drift() -> None:
    a = AssetModel(
        symbol="BTC",
        s0=100.0,
        mu=0.3,
        sigma=0.5,
        jump_intensity=50.0,
        jump_mean=-0.05,
        jump_std=0.05,
    )
    gen = PathGenerator(MarketModel(assets=(a,)), n_paths=40_000, dt_hours=24.0, seed=2)
    for _ in range(30):
        s = gen.next()[0]
    expected = 100.0 * np.exp(0.3 * 30 * 24 / 8760)
    assert abs(s.mean() - expected) < 3 * s.std() / np.sqrt(len(s))
    # and the jumps are there: fatter left tail than the diffusion alone gives
    logr = np.log(s / 100.0)
    assert ((logr - logr.mean()) ** 3).mean() < 0


def test_estimate_market_recovers_volatility_and_correlation(tmp_path) -> None:  # type: ignore[no-untyped-def]
    market = MarketModel(
        assets=(
            AssetModel(symbol="BTC", s0=100.0, mu=0.0, sigma=0.6),
            AssetModel(symbol="ETH", s0=50.0, mu=0.0, sigma=0.9),
        ),
        correlation=((1.0, 0.75), (0.75, 1.0)),
    )
    gen = PathGenerator(market, n_paths=1, dt_hours=1.0, seed=5)
    rows = [gen.next()[:, 0] for _ in range(8000)]
    files = {}
    for i, sym in enumerate(("BTC", "ETH")):
        p = tmp_path / f"{sym}.csv"
        lines = ["open_time,open,high,low,close"]
        lines += [f"t{h:06d},1,1,1,{float(row[i])!r}" for h, row in enumerate(rows)]
        p.write_text("\n".join(lines) + "\n")
        files[sym] = p
    est = estimate_market(files)
    assert est.assets[0].sigma == pytest.approx(0.6, rel=0.05)
    assert est.assets[1].sigma == pytest.approx(0.9, rel=0.05)
    assert est.correlation is not None
    assert est.correlation[0][1] == pytest.approx(0.75, abs=0.03)


def test_full_hedge_narrows_the_equity_distribution(article: SimulationParams) -> None:
    calm = dataclasses.replace(article, n_paths=600, horizon_hours=300)
    none = simulate_policy(calm, PolicySpec(kind="none"), "hold")
    full = simulate_policy(calm, RATIO1, "hold")
    assert full.final_pnl.std() < 0.35 * none.final_pnl.std()
    assert full.hedge_fees_usd > 0
    assert full.hedge_slippage_usd > 0


def test_hedge_alone_does_not_stop_liquidation_but_repaying_does(article: SimulationParams) -> None:
    p = dataclasses.replace(article, n_paths=1500, horizon_hours=720)
    none_hold = simulate_policy(p, PolicySpec(kind="none"), "hold")
    hedged_hold = simulate_policy(p, RATIO1, "hold")
    hedged_repay = simulate_policy(p, RATIO1, "repay")
    assert none_hold.p_defi_liquidation > 0.05
    # hedge gains sit on the exchange: identical liquidations on identical paths
    assert hedged_hold.p_defi_liquidation == none_hold.p_defi_liquidation
    assert hedged_hold.expected_liquidation_loss_usd == pytest.approx(
        none_hold.expected_liquidation_loss_usd
    )
    assert hedged_repay.p_defi_liquidation < 0.25 * none_hold.p_defi_liquidation
    assert hedged_repay.repaid_from_reserve_usd > 0
    # hedge gains reach the loan through the reserve, which bot.core.capital refills
    assert hedged_repay.repaid_from_hedge_usd == 0
    assert hedged_repay.collateral_lost_fraction < none_hold.collateral_lost_fraction


def test_transfer_delay_matters_and_reserve_needs_none(article: SimulationParams) -> None:
    fast_crash = dataclasses.replace(
        article,
        market=MarketModel(assets=(AssetModel(symbol="BTC", s0=50_000.0, mu=-2.0, sigma=1.5),)),
        n_paths=1000,
        horizon_hours=500,
    )
    # The earlier model: its delay is in hours; the core loop's lands on the next step.
    no_reserve = dataclasses.replace(fast_crash.protect, reserve_usd=0.0, capital_model="outside")
    slow = dataclasses.replace(
        fast_crash, protect=dataclasses.replace(no_reserve, transfer_delay_hours=24.0)
    )
    quick = dataclasses.replace(
        fast_crash, protect=dataclasses.replace(no_reserve, transfer_delay_hours=0.0)
    )
    p_slow = simulate_policy(slow, RATIO1, "repay").p_defi_liquidation
    p_quick = simulate_policy(quick, RATIO1, "repay").p_defi_liquidation
    assert p_quick < p_slow
    reserve_only = simulate_policy(fast_crash, PolicySpec(kind="none"), "repay")
    assert reserve_only.repaid_from_hedge_usd == 0
    assert reserve_only.repaid_from_reserve_usd > 0


def test_distance_floor_keeps_a_high_leverage_short_alive() -> None:
    # The earlier model, whose top-ups come from outside capital (a 0 floor is no capital rule).
    base = article_params(
        n_paths=800, horizon_hours=720, protect=ProtectModel(capital_model="outside")
    )
    wild = dataclasses.replace(
        base, market=MarketModel(assets=(AssetModel(symbol="BTC", s0=50_000.0, mu=1.0, sigma=1.2),))
    )
    unguarded = dataclasses.replace(wild, hedge=HedgeModel(leverage=20, min_short_liq_distance=0.0))
    guarded = dataclasses.replace(wild, hedge=HedgeModel(leverage=20, min_short_liq_distance=0.3))
    dead = simulate_policy(unguarded, RATIO1, "hold")
    alive = simulate_policy(guarded, RATIO1, "hold")
    assert dead.p_hedge_liquidated > 0.3
    assert dead.hedge_liq_loss_usd > 0
    assert alive.p_hedge_liquidated == 0.0
    assert alive.hedge_capital_usd > dead.hedge_capital_usd  # the top-ups are paid for


@pytest.mark.parametrize("venue", ["linear", "inverse"])
def test_inverse_and_linear_hedges_both_offset_price_risk(
    venue: str, article: SimulationParams
) -> None:
    p = dataclasses.replace(article, n_paths=500, horizon_hours=240, hedge=HedgeModel(venue=venue))  # type: ignore[arg-type]
    none = simulate_policy(p, PolicySpec(kind="none"), "hold")
    full = simulate_policy(p, RATIO1, "hold")
    assert full.final_pnl.std() < 0.35 * none.final_pnl.std()


def test_every_policy_and_mode_is_reported(article: SimulationParams) -> None:
    p = dataclasses.replace(article, n_paths=100, horizon_hours=48)
    res = run_monte_carlo(p)
    assert {(o.policy, o.mode) for o in res.outcomes} == {
        (s.name, m) for s in p.policies for m in p.modes
    }
    assert res.path_steps == len(p.policies) * 2 * 100 * 48


def test_vectorised_liquidation_follows_the_v33_close_factor_and_dust_rules() -> None:
    loan = LoanModel(
        collateral_units=(1.0, 1.0),
        liquidation_threshold=(0.75, 0.9),
        liquidation_bonus=(0.05, 0.10),
        debt_usd=0.0,
    )
    book = LoanBook(loan, 4)
    # path 0: HF 0.97, large: 50 %; path 1: HF 0.9: 100 %; path 2: debt under $2,000: 100 %;
    # path 3: HF 0.96, but 50 % would leave $295 of the seized BTC: the largest call that
    # leaves $1,000 instead.
    book.coll[:] = np.array([[1.0, 1.0, 0.05, 0.25], [0.0, 1.0, 0.0, 2400.0]])
    s = np.array([[10_000.0] * 4, [1.0] * 4])
    book.debt[:] = [7500 / 0.97, 7500.9 / 0.9, 380.0, 4200.0]
    hf = book.health_factor(s)
    assert hf[0] == pytest.approx(0.97)
    assert hf[1] == pytest.approx(0.9)
    assert hf[3] > 0.95
    d0 = book.debt.copy()
    book.liquidate(s, rounds=1)  # all four under 1: one call each
    assert book.debt[0] == pytest.approx(d0[0] / 2)
    assert book.coll[0, 0] == pytest.approx(1.0 - d0[0] / 2 * 1.05 / 10_000)
    assert book.debt[1] == pytest.approx(0.0)  # 100 % close factor: all repaid
    assert book.coll[1, 1] == 1.0  # the largest reserve (BTC) is seized, not the ETH
    assert book.debt[2] == 0.0
    assert book.coll[0, 3] * 10_000 == pytest.approx(1000.0)
    assert book.debt[3] == pytest.approx(4200 - 1500 / 1.05)
    assert book.liq_loss_usd[3] == pytest.approx(1500 - 1500 / 1.05)


def test_funding_settles_every_8_hours_and_shorts_receive_positive_rates() -> None:
    flat = MarketModel(assets=(AssetModel(symbol="BTC", s0=50_000.0, mu=0.0, sigma=0.0),))
    rates = tuple(0.0001 if h < 12 else -0.0002 for h in range(20))
    p = article_params(
        market=flat,
        n_paths=3,
        horizon_hours=20,
        hedge=HedgeModel(funding_rate_per_hour=rates, slippage=0.0, taker_fee=0.0),
    )
    out = simulate_policy(p, RATIO1, "hold")
    # settlements at hours 8 and 16 only: 8 x 0.0001, then 4 x 0.0001 + 4 x -0.0002; the last
    # 4 hours are not settled yet
    expected = 10_000.0 * (8 * 0.0001 + 4 * 0.0001 - 4 * 0.0002)
    assert out.hedge_funding_usd == pytest.approx(expected)
    assert out.hedge_pnl_usd == pytest.approx(expected)
