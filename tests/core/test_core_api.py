"""The public surface other stages code against: renaming anything here breaks them."""

from __future__ import annotations

import bot.core

PUBLIC = {
    "AaveMath",
    "HealthTargetPolicy",
    "HedgePolicy",
    "LadderPolicy",
    "LadderState",
    "LossFractionPolicy",
    "NoHedgePolicy",
    "PlanRules",
    "PolicyContext",
    "PolicyDecision",
    "RatioPolicy",
    "client_order_id",
    "common_crash_factor",
    "decide",
    "decision_health_factor",
    "distance_to_liquidation",
    "estimated_liquidation_price",
    "evaluate",
    "exact_health_factor",
    "exact_health_factor_wad",
    "exposures",
    "hedge_delta_usd",
    "hedge_pnl_usd",
    "initial_margin_usd",
    "inverse_pnl_coin",
    "ladder_ratio",
    "liquidation_distance",
    "liquidation_price",
    "liquidation_price_for_underlying",
    "margin_for_liquidation_distance",
    "mark_for",
    "notional_usd",
    "plan_rebalance",
    "potential_liquidation_loss_usd",
    "quantity_for_usd",
    "readable_health_factor",
    "readable_liquidation_price",
    "round_to_step",
    "shadow_snapshot",
    "underlying_crash_factor",
}


def test_public_surface_is_pinned() -> None:
    assert set(bot.core.__all__) == PUBLIC
    for name in PUBLIC:
        assert getattr(bot.core, name) is not None, name
