"""The backtest's link to the daemon's decision code.

``cycle="planner"`` (default): per hour, ``bot.core.exposure.exposures``,
``bot.core.health.exact_health_factor``, ``bot.core.policy.evaluate`` (ladder state carried
between cycles; the liquidation price only for health_target, the one policy that reads it)
and ``bot.core.plan.plan_rebalance``. ``cycle="assess"``: the daemon's whole cycle function
``bot.core.account.assess`` (it also computes the liquidation geometry users see): the same
orders (tests hold them equal) at about a quarter of the speed. The config's policy section
is mapped with the daemon's own ``bot.config.convert.policy_from``.
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from bot.config.convert import policy_from
from bot.config.models import PolicyConfig
from bot.core.account import assess
from bot.core.assess import available_margin_usd
from bot.core.exposure import exposures
from bot.core.health import exact_health_factor
from bot.core.liquidation import liquidation_price_for_underlying
from bot.core.model import (
    ContractSpec,
    HedgePosition,
    MarginBalance,
    MarginType,
    OrderIntent,
    PositionSnapshot,
    TokenMapping,
    Venue,
)
from bot.core.plan import PlanRules, plan_rebalance
from bot.core.policy import (
    HealthTargetPolicy,
    HedgePolicy,
    LadderState,
    PolicyContext,
    evaluate,
)
from bot.sim.backtest_params import BacktestParams

# Binance USD-M filters (MARKET_LOT_SIZE / MIN_NOTIONAL) for the shipped symbols.
_FILTERS = {
    "BTCUSDT": ("0.001", "0.10", "120", "100"),
    "ETHUSDT": ("0.001", "0.01", "2000", "20"),
    "BNBUSDT": ("0.01", "0.010", "2000", "5"),
}


def contract_spec(symbol: str, underlying: str) -> ContractSpec:
    step, tick, max_qty, min_notional = _FILTERS.get(symbol, ("0.001", "0.01", "1000000", "5"))
    return ContractSpec(
        symbol=symbol,
        underlying=underlying,
        venue=Venue.USDM,
        inverse=False,
        contract_size=Decimal(1),
        margin_asset="USDT",
        step_size=Decimal(step),
        tick_size=Decimal(tick),
        min_qty=Decimal(step),
        max_qty=Decimal(max_qty),
        min_notional=Decimal(min_notional),
    )


def core_policy(cfg: PolicyConfig) -> HedgePolicy:
    """The config's policy section as the core's policy value, mapped as the daemon maps it."""
    return policy_from(cfg)


class CoreHedger:
    """One position's policy + planner, with the ladder state a daemon keeps between cycles."""

    def __init__(self, *, policy: PolicyConfig, params: BacktestParams, spec: ContractSpec) -> None:
        self.policy = core_policy(policy)
        self.spec = spec
        self.underlying = params.underlying
        self.mapping = {
            f"W{params.underlying}": TokenMapping(
                token=f"W{params.underlying}", underlying=params.underlying
            ),
            "USDC": TokenMapping(token="USDC", underlying="USD"),  # noqa: S106 -- a token symbol
        }
        self.rules = PlanRules(
            band_rel=params.band_rel,
            band_abs_usd=params.band_abs_usd,
            leverage=params.leverage,
            max_leverage=max(params.leverage, 5),
            margin_type=MarginType.ISOLATED,
            min_short_liq_distance=params.min_short_liq_distance,
            margin_safety_factor=params.margin_safety_factor,
        )
        self.ladders: dict[str, LadderState] = {}
        self.cycle = params.cycle
        self.specs = {spec.symbol: spec}
        self.symbols = {self.underlying: spec.symbol}
        self.last_notes: tuple[str, ...] = ()

    def plan(
        self,
        snapshot: PositionSnapshot,
        hedges: Sequence[HedgePosition],
        marks: dict[str, Decimal],
        cycle: int,
        *,
        available_usd: Decimal,
    ) -> tuple[OrderIntent, ...]:
        """The orders the daemon would send; ``available_usd`` is the exchange's free USDT,
        what can back a bigger short (the open short's own margin is counted by the planner)."""
        balances = (
            MarginBalance(
                asset="USDT",
                wallet_balance=available_usd,
                available_balance=available_usd,
                usd_value=available_usd,
                venue=Venue.USDM,
            ),
        )
        if self.cycle == "planner":
            return self._plan_direct(snapshot, hedges, marks, cycle, balances)
        result = assess(
            snapshot=snapshot,
            mapping=self.mapping,
            hedges=hedges,
            balances=balances,
            specs=self.specs,
            marks=marks,
            symbol_for_underlying=self.symbols,
            policy=self.policy,
            rules=self.rules,
            position_name="backtest",
            cycle_id=str(cycle),
            # The backtest's oracle is the mark: shadow HF would equal oracle HF.
            use_shadow_hf=False,
            ladder_states=self.ladders,
        )
        self.ladders = dict(result.ladder_states)
        self.last_notes = tuple(n.message for n in result.plan.notes)
        return result.plan.intents

    def _plan_direct(
        self,
        snapshot: PositionSnapshot,
        hedges: Sequence[HedgePosition],
        marks: dict[str, Decimal],
        cycle: int,
        balances: tuple[MarginBalance, ...],
    ) -> tuple[OrderIntent, ...]:
        """Policy and planner without ``assess``'s views: the liquidation price (the costly
        exact crossing search) is only computed when the policy reads it (health_target)."""
        u = self.underlying
        exposure = exposures(snapshot, self.mapping, hedges, self.specs, marks)[u]
        mark = marks[self.spec.symbol]
        liq = None
        if isinstance(self.policy, HealthTargetPolicy):
            liq = liquidation_price_for_underlying(snapshot, u, self.mapping, underlying_price=mark)
        decision = evaluate(
            self.policy,
            PolicyContext(
                exposure=exposure,
                snapshot=snapshot,
                mapping=self.mapping,
                decision_hf=exact_health_factor(snapshot),
                liquidation_price=liq,
                underlying_price=mark,
                ladder_state=self.ladders.get(u),
            ),
        )
        if decision.ladder_state is not None:
            self.ladders[u] = decision.ladder_state
        plan = plan_rebalance(
            targets=[decision.target],
            positions=hedges,
            specs=self.specs,
            marks={**marks, u: mark},
            available_margin_usd=available_margin_usd(balances, self.specs),
            rules=self.rules,
            position_name="backtest",
            cycle_id=str(cycle),
            symbol_for_underlying=self.symbols,
        )
        self.last_notes = tuple(n.message for n in plan.notes)
        return plan.intents
