"""Must-show (issue 8): the unhedged simulator's liquidation probability matches theory."""

from __future__ import annotations

import pytest

from bot.sim.montecarlo import simulate_policy
from bot.sim.params import AssetModel, LoanModel, MarketModel, PolicySpec, SimulationParams
from bot.sim.theory import discrete_down_hit_probability, gbm_down_hit_probability


@pytest.mark.parametrize(
    ("sigma", "mu", "horizon_h", "hf0"),
    [(0.8, 0.0, 720, 1.3), (0.5, 0.2, 2160, 1.3), (1.2, -0.3, 1440, 1.5), (0.9, 0.1, 168, 1.1)],
)
def test_unhedged_liquidation_probability_matches_bgk_first_passage(
    sigma: float, mu: float, horizon_h: int, hf0: float
) -> None:
    s0, lt, collateral = 50_000.0, 0.75, 0.2
    debt = collateral * s0 * lt / hf0
    params = SimulationParams(
        market=MarketModel(assets=(AssetModel(symbol="BTC", s0=s0, mu=mu, sigma=sigma),)),
        loan=LoanModel(
            collateral_units=(collateral,),
            liquidation_threshold=(lt,),
            liquidation_bonus=(0.05,),
            debt_usd=debt,
        ),
        n_paths=6000,
        horizon_hours=horizon_h,
        seed=11,
        sample_paths=0,
    )
    out = simulate_policy(params, PolicySpec(kind="none"), "hold")
    barrier = debt / (collateral * lt)
    expected = discrete_down_hit_probability(
        s0=s0, barrier=barrier, mu=mu, sigma=sigma, horizon_hours=horizon_h, dt_hours=1.0
    )
    se = (expected * (1 - expected) / params.n_paths) ** 0.5
    assert 0.02 < expected < 0.9, "pick parameters where the test has power"
    assert abs(out.p_defi_liquidation - expected) <= 3 * se, (out.p_defi_liquidation, expected, se)


def test_continuity_correction_matters_at_this_sample_size() -> None:
    # Without the shift the discrete simulation would sit outside 3 SE: the test has teeth.
    kw = {"s0": 50_000.0, "barrier": 50_000.0 / 1.1, "mu": 0.1, "sigma": 0.9}
    cont = gbm_down_hit_probability(**kw, t_years=168 / 8760)
    disc = discrete_down_hit_probability(**kw, horizon_hours=168, dt_hours=1.0)
    se = (disc * (1 - disc) / 6000) ** 0.5
    assert cont - disc > 3 * se
