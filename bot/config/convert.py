"""Turn validated config sections into the core's frozen parameter values."""

from __future__ import annotations

from decimal import Decimal

from bot.config.models import (
    CapitalConfig,
    HealthTargetPolicyConfig,
    HedgebotConfig,
    LadderPolicyConfig,
    LossFractionPolicyConfig,
    NoHedgePolicyConfig,
    PolicyConfig,
    ProtectConfig,
    RatioPolicyConfig,
)
from bot.core import (
    HealthTargetPolicy,
    HedgePolicy,
    LadderPolicy,
    LossFractionPolicy,
    NoHedgePolicy,
    PlanRules,
    RatioPolicy,
)
from bot.core.breakers import BreakerLimits
from bot.core.cadence import Cadence
from bot.core.capital_model import CapitalRules
from bot.core.model import TokenMapping
from bot.core.repay_params import ProtectParams


def policy_from(config: PolicyConfig) -> HedgePolicy:
    if isinstance(config, RatioPolicyConfig):
        return RatioPolicy(r=config.r)
    if isinstance(config, LossFractionPolicyConfig):
        return LossFractionPolicy(f=config.f)
    if isinstance(config, HealthTargetPolicyConfig):
        return HealthTargetPolicy(target_hf=config.target_hf, r_max=config.r_max)
    if isinstance(config, LadderPolicyConfig):
        return LadderPolicy(
            r_min=config.r_min,
            r_max=config.r_max,
            hf_high=config.hf_high,
            hf_low=config.hf_low,
            hysteresis=config.hysteresis,
        )
    assert isinstance(config, NoHedgePolicyConfig)
    return NoHedgePolicy()


def token_mapping(config: HedgebotConfig) -> dict[str, TokenMapping]:
    return {
        token: TokenMapping(token=token, underlying=t.underlying, beta=t.beta)
        for token, t in config.tokens.items()
    }


def plan_rules(config: HedgebotConfig) -> PlanRules:
    hedge = config.hedge
    return PlanRules(
        band_rel=hedge.band.rel,
        band_abs_usd=hedge.band.abs_usd,
        default_max_notional_usd=hedge.caps.max_notional_per_symbol_usd,
        max_total_notional_usd=hedge.caps.max_total_notional_usd,
        leverage=hedge.leverage,
        max_leverage=max(hedge.leverage, 1),
        margin_type=hedge.margin_type,
        allow_long=hedge.allow_long,
        margin_safety_factor=hedge.margin_safety_factor,
        min_short_liq_distance=hedge.min_short_liq_distance,
        deposit_asset=hedge.margin_asset,
    )


def breaker_limits(config: HedgebotConfig) -> BreakerLimits:
    caps = config.hedge.caps
    return BreakerLimits(
        max_orders_per_hour=caps.max_orders_per_hour,
        max_notional_change_per_cycle_usd=caps.max_notional_change_per_cycle_usd,
        max_consecutive_failed_cycles=caps.max_consecutive_failed_cycles,
    )


def cadence(config: HedgebotConfig) -> Cadence:
    s = config.schedule
    return Cadence(
        interval_secs=s.interval_secs,
        fast_interval_secs=s.fast_interval_secs,
        alert_hf=s.alert_hf,
        fast_below_liq_distance=Decimal(s.fast_below_liq_distance),
    )


def protect_params(config: ProtectConfig, stable_symbols: list[str]) -> ProtectParams:
    return ProtectParams(
        enabled=config.enabled,
        trigger_hf=config.trigger_hf,
        target_hf=config.target_hf,
        reserve_tokens=tuple(config.reserve_tokens),
        reserve_wallet=config.reserve_wallet,
        max_per_action_usd=config.max_per_action_usd,
        max_per_day_usd=config.max_per_day_usd,
        max_fee_gwei=config.max_fee_gwei,
        max_priority_fee_gwei=config.max_priority_fee_gwei,
        require_confirmation=config.require_confirmation,
        use_shadow_hf=config.use_shadow_hf,
        stable_symbols=tuple(stable_symbols),
        replace_after_secs=config.replace_after_secs,
    )


def capital_rules(capital: CapitalConfig, *, restore_distance: Decimal) -> CapitalRules:
    """``restore_distance`` is ``hedge.min_short_liq_distance``: a deposit puts the short back
    where the planner keeps it, so the planner's next order does not ask for more."""
    return CapitalRules(
        enabled=capital.enabled,
        short_floor=capital.short_floor,
        short_restore_distance=restore_distance,
        refill_band_usd=capital.band_usd,
        min_transfer_usd=capital.min_transfer_usd,
        max_withdraw_per_transfer_usd=capital.max_withdraw_per_transfer_usd,
        max_withdraw_per_day_usd=capital.max_withdraw_per_day_usd,
        max_deposit_per_transfer_usd=capital.max_deposit_per_transfer_usd,
        max_deposit_per_day_usd=capital.max_deposit_per_day_usd,
        # Readings come from the hedger's board and the chain each pass: older than a few
        # passes means one of them stopped.
        max_view_age_secs=max(120, int(3 * capital.interval_secs)),
        in_flight_alert_after_secs=int(capital.stuck_alert_secs),
    )
