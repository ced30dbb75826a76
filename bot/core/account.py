"""Every position that shares an exchange account, planned together, as a pure function.

An exchange account holds one short per symbol whatever the number of loans behind it. Each
position's policy gives its own target; the targets are summed per underlying into one plan
against the account's short, so two loans never trade against each other. The short (and the
margin counted as exposure) is then shared back to the positions, for the journal and status.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.core.assess import Assessment, assess_position, available_margin_usd, with_hedge_share
from bot.core.exposure import defi_deltas, hedge_deltas, margin_deltas
from bot.core.health import with_unmapped_tokens
from bot.core.model import (
    ZERO,
    ContractSpec,
    HedgePosition,
    HedgeTarget,
    MarginBalance,
    PositionSnapshot,
    RebalancePlan,
    TokenMapping,
)
from bot.core.plan import PlanRules, plan_rebalance
from bot.core.policy import HedgePolicy, LadderState


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountLine:
    """One underlying of the account: the summed target, the short held, each position's part."""

    underlying: str
    symbol: str
    target: HedgeTarget  # the sum of the positions' targets
    current_short_usd: Decimal
    target_shares: Mapping[str, Decimal]  # position -> its own target (USD)
    current_shares: Mapping[str, Decimal]  # position -> its part of the short held (USD)


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountAssessment:
    positions: Mapping[str, Assessment]  # in config order; each with its share of the short
    lines: tuple[AccountLine, ...]
    plan: RebalancePlan

    @property
    def health_factors(self) -> list[Decimal]:
        return [hf for a in self.positions.values() for hf in (a.oracle_hf, a.shadow_hf)]

    @property
    def liquidation_distances(self) -> list[Decimal | None]:
        return [u.liquidation_distance for a in self.positions.values() for u in a.underlyings]

    @property
    def oracle_hf(self) -> Decimal:
        """The lowest position's (the one closest to liquidation)."""
        return min(a.oracle_hf for a in self.positions.values())

    @property
    def shadow_hf(self) -> Decimal:
        return min(a.shadow_hf for a in self.positions.values())


SHARE_QUANTUM = Decimal("1e-10")  # USD: exact sums up to 10^17 within Decimal's 28 digits


def split(total: Decimal, weights: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """``total`` shared in proportion to the non-negative ``weights`` (evenly when they are
    all zero), each part to ``SHARE_QUANTUM``; the last name takes the rounding so the parts
    add up to ``total`` exactly (28-digit parts would round again when summed)."""
    names = list(weights)
    if not names:
        return {}
    clipped = {n: max(weights[n], ZERO) for n in names}
    whole = sum(clipped.values(), ZERO)
    parts = {
        n: (total * clipped[n] / whole if whole > 0 else total / len(names)).quantize(SHARE_QUANTUM)
        for n in names[:-1]
    }
    parts[names[-1]] = total - sum(parts.values(), ZERO)
    return parts


def summed_target(underlying: str, targets: Mapping[str, HedgeTarget]) -> HedgeTarget:
    if len(targets) == 1:
        return next(iter(targets.values()))
    total = sum((t.short_usd for t in targets.values()), ZERO)
    parts = "; ".join(f"{name}: {t.reason}" for name, t in targets.items())
    reason = f"{len(targets)} positions on one account, {underlying} short ${total:,.2f} = {parts}"
    return HedgeTarget(underlying=underlying, short_usd=total, reason=reason)


def _margin_shares(
    snapshots: Mapping[str, PositionSnapshot],
    mapping: Mapping[str, TokenMapping],
    margin: Mapping[str, Decimal],
) -> dict[str, dict[str, Decimal]]:
    """position -> underlying -> its part of the margin held as exposure, in proportion to
    the loan's own delta on that underlying."""
    defi = {name: defi_deltas(s, with_unmapped_tokens(s, mapping)) for name, s in snapshots.items()}
    shares: dict[str, dict[str, Decimal]] = {name: {} for name in snapshots}
    for underlying, value in margin.items():
        weights = {name: abs(d.get(underlying, ZERO)) for name, d in defi.items()}
        for name, part in split(value, weights).items():
            shares[name][underlying] = part
    return shares


def assess_account(
    *,
    snapshots: Mapping[str, PositionSnapshot],
    mapping: Mapping[str, TokenMapping],
    hedges: Sequence[HedgePosition],
    balances: Sequence[MarginBalance],
    specs: Mapping[str, ContractSpec],
    marks: Mapping[str, Decimal],
    symbol_for_underlying: Mapping[str, str],
    policy: HedgePolicy,
    rules: PlanRules,
    account: str,
    cycle_id: str,
    use_shadow_hf: bool = True,
    count_margin_as_exposure: bool = True,
    ladder_states: Mapping[str, Mapping[str, LadderState]] | None = None,
) -> AccountAssessment:
    """Each position's targets, summed per underlying into one plan against the account.

    ``snapshots`` and ``ladder_states`` are keyed by position name; ``marks`` by futures symbol
    (underlying marks are derived through ``symbol_for_underlying``).
    """
    if not snapshots:
        raise ValueError("an account needs at least one position")
    underlying_marks = {u: marks[s] for u, s in symbol_for_underlying.items() if s in marks}
    all_marks = {**underlying_marks, **marks}
    margin = margin_deltas(balances, mapping, specs, all_marks) if count_margin_as_exposure else {}
    margin_shares = _margin_shares(snapshots, mapping, margin)
    views = {
        name: assess_position(
            snapshot=snapshot,
            mapping=mapping,
            underlying_marks=underlying_marks,
            symbol_for_underlying=symbol_for_underlying,
            policy=policy,
            margin_delta_usd=margin_shares[name],
            use_shadow_hf=use_shadow_hf,
            ladder_states=(ladder_states or {}).get(name),
        )
        for name, snapshot in snapshots.items()
    }
    held = {u: -d for u, d in hedge_deltas(hedges, specs, all_marks).items()}
    lines = tuple(
        _line(u, symbol_for_underlying[u], views, held.get(u, ZERO))
        for u in sorted(symbol_for_underlying)
    )
    plan = plan_rebalance(
        targets=[line.target for line in lines],
        positions=hedges,
        specs=specs,
        marks=all_marks,
        available_margin_usd=available_margin_usd(balances, specs),
        rules=rules,
        position_name=account,
        cycle_id=cycle_id,
        symbol_for_underlying=symbol_for_underlying,
    )
    shared = {
        name: with_hedge_share(a, {ln.underlying: ln.current_shares[name] for ln in lines}, plan)
        for name, a in views.items()
    }
    return AccountAssessment(positions=shared, lines=lines, plan=plan)


def _line(
    underlying: str, symbol: str, views: Mapping[str, Assessment], held_short_usd: Decimal
) -> AccountLine:
    targets = {
        name: next(u.target for u in a.underlyings if u.underlying == underlying)
        for name, a in views.items()
    }
    target_usd = {name: t.short_usd for name, t in targets.items()}
    return AccountLine(
        underlying=underlying,
        symbol=symbol,
        target=summed_target(underlying, targets),
        current_short_usd=held_short_usd,
        target_shares=target_usd,
        current_shares=split(held_short_usd, target_usd),
    )


def assess(
    *,
    snapshot: PositionSnapshot,
    mapping: Mapping[str, TokenMapping],
    hedges: Sequence[HedgePosition],
    balances: Sequence[MarginBalance],
    specs: Mapping[str, ContractSpec],
    marks: Mapping[str, Decimal],
    symbol_for_underlying: Mapping[str, str],
    policy: HedgePolicy,
    rules: PlanRules,
    position_name: str,
    cycle_id: str,
    use_shadow_hf: bool = True,
    count_margin_as_exposure: bool = True,
    ladder_states: Mapping[str, LadderState] | None = None,
) -> Assessment:
    """A position that has the exchange account to itself (the simulator, a one-loan daemon)."""
    account = assess_account(
        snapshots={position_name: snapshot},
        mapping=mapping,
        hedges=hedges,
        balances=balances,
        specs=specs,
        marks=marks,
        symbol_for_underlying=symbol_for_underlying,
        policy=policy,
        rules=rules,
        account=position_name,
        cycle_id=cycle_id,
        use_shadow_hf=use_shadow_hf,
        count_margin_as_exposure=count_margin_as_exposure,
        ladder_states=None if ladder_states is None else {position_name: ladder_states},
    )
    return account.positions[position_name]


__all__ = [
    "AccountAssessment",
    "AccountLine",
    "assess",
    "assess_account",
    "split",
    "summed_target",
]
