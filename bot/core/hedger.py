"""The hedger's decision, as one pure function: what it read in, orders and alerts out.

One hedger plans one exchange account: ``decide_hedge`` assesses every position that shares it
(health factors, exposures, policy targets), sums the targets into one plan, passes it through
the breakers and says which alerts the cycle raises and when the next cycle is due. The
daemon's hedger loop reads its inputs, calls this, sends the orders and publishes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from bot.alerts import events as alert_events
from bot.alerts.hysteresis import HfAlertState, HfThresholds, step_hf_alert
from bot.alerts.model import Alert
from bot.core.account import AccountAssessment, assess_account
from bot.core.assess import Assessment
from bot.core.breakers import BreakerLimits, GatedPlan, gate_intents
from bot.core.cadence import Cadence, next_interval_secs
from bot.core.futures import notional_usd
from bot.core.hedge_watch import hedge_dangers, hedge_distance, step_alarms
from bot.core.model import (
    ZERO,
    ContractSpec,
    HedgePosition,
    MarginBalance,
    NoteKind,
    OrderIntent,
    PositionSnapshot,
    TokenMapping,
)
from bot.core.plan import PlanRules
from bot.core.policy import HedgePolicy, LadderState
from bot.core.realise import realise_orders

DEFAULT_HF_THRESHOLDS = HfThresholds(warning_hf=Decimal("1.3"), critical_hf=Decimal("1.15"))


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgerSettings:
    """One exchange account's hedging configuration; ``name`` is the account's (the position's
    own when it has the account to itself)."""

    name: str
    positions: tuple[str, ...]
    mapping: Mapping[str, TokenMapping]
    symbol_for_underlying: Mapping[str, str]
    policy: HedgePolicy
    rules: PlanRules
    limits: BreakerLimits
    cadence: Cadence
    use_shadow_hf: bool = True
    count_margin_as_exposure: bool = True
    fee_settle_interval_secs: float = 60.0
    hf_thresholds: HfThresholds = DEFAULT_HF_THRESHOLDS


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketView:
    """What the hedger read from the exchange (and the journal's order count) for one cycle."""

    specs: Mapping[str, ContractSpec]
    marks: Mapping[str, Decimal]  # by futures symbol
    hedges: tuple[HedgePosition, ...]
    balances: tuple[MarginBalance, ...]
    orders_last_hour: int


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgerMemory:
    """What one cycle hands to the next, per position: the ladder's state, the shadow HF alert
    level and the unmapped tokens already alerted (position, token)."""

    ladder: Mapping[str, Mapping[str, LadderState]] = field(default_factory=dict)
    shadow_hf_alert: Mapping[str, HfAlertState] = field(default_factory=dict)
    unmapped_alerted: frozenset[tuple[str, str]] = frozenset()
    hedge_alarmed: frozenset[str] = frozenset()  # shorts alerted as near their liquidation


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgeDecision:
    assessment: AccountAssessment
    intents: tuple[OrderIntent, ...]  # what may be sent, reductions first
    reasons: tuple[str, ...]  # the targets' reasons and every note, for the journal
    alerts: tuple[Alert, ...]
    memory: HedgerMemory
    next_interval_secs: float


def decide_hedge(
    *,
    snapshots: Mapping[str, PositionSnapshot],
    market: MarketView,
    settings: HedgerSettings,
    memory: HedgerMemory,
    cycle_id: str,
    now: datetime,
    realise_usd: Decimal = ZERO,
) -> HedgeDecision:
    """``snapshots`` by position name, every position of the account. ``realise_usd``: profit
    the capital loop wants realised so it can be withdrawn; done in a cycle that has no other
    order to send (``realise_orders``)."""
    s = settings
    a = assess_account(
        snapshots=snapshots,
        mapping=s.mapping,
        hedges=market.hedges,
        balances=market.balances,
        specs=market.specs,
        marks=market.marks,
        symbol_for_underlying=s.symbol_for_underlying,
        policy=s.policy,
        rules=s.rules,
        account=s.name,
        cycle_id=cycle_id,
        use_shadow_hf=s.use_shadow_hf,
        count_margin_as_exposure=s.count_margin_as_exposure,
        ladder_states=memory.ladder,
    )
    gated = _gate(a.plan.intents, market, s)
    if not gated.allowed and realise_usd > 0 and _room_for_two(market, s):
        realising = realise_orders(
            usd=realise_usd, hedges=market.hedges, specs=market.specs, marks=market.marks,
            account=s.name, cycle_id=cycle_id,
        )  # fmt: skip
        gated = _gate(realising, market, s) if realising else gated
    alerts: list[Alert] = []
    hf_states = {
        name: _shadow_hf_alert(view, name, s, memory.shadow_hf_alert.get(name), now, alerts)
        for name, view in a.positions.items()
    }
    new_unmapped = [
        (name, t)
        for name, view in a.positions.items()
        for t in view.unmapped_tokens
        if (name, t) not in memory.unmapped_alerted
    ]
    alerts += [alert_events.unmapped_token(position=n, token=t, at=now) for n, t in new_unmapped]
    alerts += _breaker_alerts(gated, s, now)
    alarms, alarmed = _hedge_alarms(market, s, memory.hedge_alarmed, now)
    alerts += alarms
    reasons = [line.target.reason for line in a.lines] + [n.message for n in a.plan.notes]
    reasons += [n.message for n in gated.notes]
    return HedgeDecision(
        assessment=a,
        intents=gated.allowed,
        reasons=tuple(reasons),
        alerts=tuple(alerts),
        memory=HedgerMemory(
            ladder={name: dict(view.ladder_states) for name, view in a.positions.items()},
            shadow_hf_alert=hf_states,
            unmapped_alerted=memory.unmapped_alerted | frozenset(new_unmapped),
            hedge_alarmed=alarmed,
        ),
        next_interval_secs=next_interval_secs(
            s.cadence,
            health_factors=a.health_factors,
            liquidation_distances=a.liquidation_distances,
        ),
    )


def _room_for_two(market: MarketView, s: HedgerSettings) -> bool:
    """A realisation is a buy and a sell: never start one that the hour's cap would cut in
    half (the short would stay smaller until the next hour)."""
    return market.orders_last_hour + 2 <= s.limits.max_orders_per_hour


def _gate(intents: Sequence[OrderIntent], market: MarketView, s: HedgerSettings) -> GatedPlan:
    specs, marks = market.specs, market.marks
    return gate_intents(
        intents,
        notional_usd={
            i.client_order_id: notional_usd(specs[i.symbol], i.quantity, marks[i.symbol])
            for i in intents
        },
        specs=specs,
        orders_last_hour=market.orders_last_hour,
        limits=s.limits,
        open_notional_usd=open_notional_usd(market.hedges, specs, marks),
        max_total_notional_usd=s.rules.max_total_notional_usd,
    )


def open_notional_usd(
    hedges: Sequence[HedgePosition], specs: Mapping[str, ContractSpec], marks: Mapping[str, Decimal]
) -> Decimal:
    """The USD notional of every open hedge the specs know."""
    return sum(
        (
            abs(notional_usd(specs[h.symbol], h.quantity, marks.get(h.symbol, h.mark_price)))
            for h in hedges
            if h.symbol in specs
        ),
        Decimal(0),
    )


def unrealized_usd(
    hedges: Sequence[HedgePosition], specs: Mapping[str, ContractSpec], marks: Mapping[str, Decimal]
) -> Decimal:
    """The hedges' unrealised PnL in USD (COIN-M PnL is in coin: valued at the mark)."""
    total = Decimal(0)
    for h in hedges:
        spec = specs.get(h.symbol)
        mark = marks.get(h.symbol, h.mark_price)
        total += h.unrealized_pnl * mark if spec is not None and spec.inverse else h.unrealized_pnl
    return total


def _shadow_hf_alert(
    a: Assessment,
    position: str,
    s: HedgerSettings,
    state: HfAlertState | None,
    now: datetime,
    out: list[Alert],
) -> HfAlertState:
    """The HF at exchange marks (the oracle HF is the guard's to alert: it needs no exchange)."""
    state = state or HfAlertState()
    if a.shadow_hf.is_infinite():
        return state
    step = step_hf_alert(
        state, hf=a.shadow_hf, thresholds=s.hf_thresholds, position=position, source="shadow",
        at=now,
    )  # fmt: skip
    if step.alert is not None:
        out.append(step.alert)
    return step.state


def _breaker_alerts(gated: GatedPlan, s: HedgerSettings, now: datetime) -> list[Alert]:
    return [
        alert_events.circuit_breaker_tripped(position=s.name, reason=note.message, at=now)
        for note in gated.notes
        # a large change built over several cycles is the breaker working, not tripping
        if note.kind is not NoteKind.BREAKER_CUT
    ]


def _hedge_alarms(
    market: MarketView, s: HedgerSettings, alarmed: frozenset[str], now: datetime
) -> tuple[list[Alert], frozenset[str]]:
    """The open shorts near their own liquidation, every cycle, orders planned or not."""
    floor = s.rules.min_short_liq_distance
    dangers = hedge_dangers(market.hedges, market.specs, market.marks, floor=floor)
    distances = {}
    for h in market.hedges:
        spec = market.specs.get(h.symbol)
        found = (
            None
            if spec is None
            else hedge_distance(h, spec, market.marks.get(h.symbol, h.mark_price))
        )
        if found is not None:
            distances[h.symbol] = found[0]
    new, still = step_alarms(dangers, distances, alarmed, floor=floor)
    alerts = [
        alert_events.liquidation_distance_low(
            position=s.name, symbol=d.symbol, distance=d.distance, floor=floor,
            liquidation_price=d.liquidation_price, at=now,
        )
        for d in new
    ]  # fmt: skip
    return alerts, still


__all__ = [
    "HedgeDecision",
    "HedgerMemory",
    "HedgerSettings",
    "MarketView",
    "decide_hedge",
    "open_notional_usd",
    "unrealized_usd",
]
