"""One position's view, as a pure function: its snapshot in, health factors and hedge targets
out. ``bot.core.account`` sums the positions sharing an exchange account into one plan;
nothing here reads a clock or a socket.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from decimal import Decimal

from bot.core import (
    HedgePolicy,
    LadderState,
    PolicyContext,
    decision_health_factor,
    distance_to_liquidation,
    evaluate,
    exact_health_factor,
    liquidation_price_for_underlying,
    shadow_snapshot,
)
from bot.core.exposure import defi_deltas
from bot.core.health import unmapped_tokens, with_unmapped_tokens
from bot.core.model import (
    STABLECOIN_ASSETS,
    ZERO,
    ContractSpec,
    Exposure,
    HedgeTarget,
    MarginBalance,
    PositionSnapshot,
    RebalancePlan,
    TokenMapping,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnderlyingView:
    """What a user wants to see per underlying."""

    underlying: str
    symbol: str
    mark: Decimal
    exposure: Exposure
    liquidation_price: Decimal | None  # at the mark's scale (the underlying's price)
    liquidation_distance: Decimal | None  # fraction of the mark
    target: HedgeTarget
    current_short_usd: Decimal


@dataclass(frozen=True, slots=True, kw_only=True)
class Assessment:
    oracle_hf: Decimal
    shadow_hf: Decimal
    decision_hf: Decimal
    underlyings: tuple[UnderlyingView, ...]
    plan: RebalancePlan
    shadow_snapshot: PositionSnapshot  # the position repriced at exchange marks
    ladder_states: Mapping[str, LadderState] = field(default_factory=dict)
    unmapped_tokens: tuple[str, ...] = ()  # held but not in ``tokens:``: not hedged

    @property
    def targets(self) -> tuple[HedgeTarget, ...]:
        return tuple(u.target for u in self.underlyings)

    @property
    def min_liquidation_distance(self) -> Decimal | None:
        distances = [u.liquidation_distance for u in self.underlyings]
        known = [d for d in distances if d is not None]
        return min(known) if known else None


def available_margin_usd(
    balances: Sequence[MarginBalance], specs: Mapping[str, ContractSpec]
) -> dict[str, Decimal]:
    """Available margin in USD per contract margin asset.

    Binance reports each asset's ``availableBalance`` as what can back new positions in that
    asset: in Multi-Assets Mode that is the whole cross pool (BNB included, after its haircut)
    expressed in the asset, so balances must not be summed. COIN-M: each coin backs only its
    own contracts.
    """
    out: dict[str, Decimal] = {}
    for spec in specs.values():
        for b in balances:
            if b.venue is not spec.venue or b.asset != spec.margin_asset:
                continue
            if b.wallet_balance > 0:
                usd_per_unit = b.usd_value / b.wallet_balance
            elif b.asset in STABLECOIN_ASSETS:
                usd_per_unit = Decimal(1)  # an empty USDT wallet carrying shared margin
            else:
                continue
            out[spec.margin_asset] = max(b.available_balance, Decimal(0)) * usd_per_unit
    return out


def assess_position(
    *,
    snapshot: PositionSnapshot,
    mapping: Mapping[str, TokenMapping],
    underlying_marks: Mapping[str, Decimal],
    symbol_for_underlying: Mapping[str, str],
    policy: HedgePolicy,
    margin_delta_usd: Mapping[str, Decimal],
    use_shadow_hf: bool = True,
    ladder_states: Mapping[str, LadderState] | None = None,
) -> Assessment:
    """One position's health factors, exposures, liquidation geometry and policy targets.

    ``margin_delta_usd`` is this position's share of the exchange margin counted as exposure.
    The hedge (``current_short_usd``) and the plan are the account's: ``assess_account`` fills
    them in. Tokens missing from ``mapping`` keep their oracle price and are not hedged.
    """
    unmapped = unmapped_tokens(snapshot, mapping)
    mapping = with_unmapped_tokens(snapshot, mapping)
    oracle_hf = exact_health_factor(snapshot)
    shadow = shadow_snapshot(snapshot, underlying_marks, mapping)
    shadow_hf = exact_health_factor(shadow)
    decision_hf = decision_health_factor(oracle_hf, shadow_hf) if use_shadow_hf else oracle_hf
    defi = defi_deltas(snapshot, mapping)
    states = dict(ladder_states or {})
    views: list[UnderlyingView] = []
    for underlying in sorted(symbol_for_underlying):
        mark = underlying_marks.get(underlying)
        exposure = Exposure(
            underlying=underlying,
            defi_delta_usd=defi.get(underlying, ZERO),
            margin_delta_usd=margin_delta_usd.get(underlying, ZERO),
            hedge_delta_usd=ZERO,
        )
        liq = liquidation_price_for_underlying(shadow, underlying, mapping, underlying_price=mark)
        distance = distance_to_liquidation(mark, liq) if liq is not None and mark else None
        decision = evaluate(
            policy,
            PolicyContext(
                exposure=exposure,
                snapshot=shadow if use_shadow_hf else snapshot,
                mapping=mapping,
                decision_hf=decision_hf,
                liquidation_price=liq,
                underlying_price=mark,
                ladder_state=states.get(underlying),
            ),
        )
        if decision.ladder_state is not None:
            states[underlying] = decision.ladder_state
        views.append(
            UnderlyingView(
                underlying=underlying,
                symbol=symbol_for_underlying[underlying],
                mark=mark or ZERO,
                exposure=exposure,
                liquidation_price=liq,
                liquidation_distance=distance,
                target=decision.target,
                current_short_usd=ZERO,
            )
        )
    return Assessment(
        oracle_hf=oracle_hf,
        shadow_hf=shadow_hf,
        decision_hf=decision_hf,
        underlyings=tuple(views),
        plan=RebalancePlan(),
        shadow_snapshot=shadow,
        ladder_states=states,
        unmapped_tokens=unmapped,
    )


def with_hedge_share(
    a: Assessment, short_usd: Mapping[str, Decimal], plan: RebalancePlan
) -> Assessment:
    """The position's view once the account is planned: its share of the account's short
    per underlying and the account's plan."""
    views = tuple(
        replace(
            u,
            current_short_usd=short_usd.get(u.underlying, ZERO),
            exposure=replace(u.exposure, hedge_delta_usd=-short_usd.get(u.underlying, ZERO)),
        )
        for u in a.underlyings
    )
    return replace(a, underlyings=views, plan=plan)
