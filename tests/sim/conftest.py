from __future__ import annotations

import pytest

from bot.sim.params import AssetModel, LoanModel, MarketModel, ProtectModel, SimulationParams


def article_params(**overrides: object) -> SimulationParams:
    """$10,000 of BTC at 50k, LT 75 %, HF 1.5, USDC debt $5,000."""
    base: dict[str, object] = {
        "market": MarketModel(assets=(AssetModel(symbol="BTC", s0=50_000.0, mu=0.0, sigma=0.8),)),
        "loan": LoanModel(
            collateral_units=(0.2,),
            liquidation_threshold=(0.75,),
            liquidation_bonus=(0.05,),
            debt_usd=5_000.0,
            borrow_apr=0.05,
        ),
        "protect": ProtectModel(reserve_usd=1_250.0),
        "n_paths": 1500,
        "horizon_hours": 720,
        "seed": 3,
        "sample_paths": 4,
    }
    base.update(overrides)
    return SimulationParams(**base)  # type: ignore[arg-type]


@pytest.fixture
def article() -> SimulationParams:
    return article_params()
