"""Hedge policies: how much USD short each underlying should carry, and why.

Each policy is a frozen parameter value; ``evaluate`` is the one pure function that applies it
to a ``PolicyContext``. The ladder's hysteresis state goes in with the context and comes back
with the decision, so the caller keeps it between cycles.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import (
    ONE,
    ZERO,
    Exposure,
    HedgeTarget,
    PositionSnapshot,
    TokenMapping,
)

__all__ = [
    "HealthTargetPolicy",
    "HedgePolicy",
    "LadderPolicy",
    "LadderState",
    "LossFractionPolicy",
    "NoHedgePolicy",
    "PolicyContext",
    "PolicyDecision",
    "RatioPolicy",
    "decide",
    "evaluate",
    "ladder_ratio",
    "potential_liquidation_loss_usd",
]


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


@dataclass(frozen=True, slots=True, kw_only=True)
class RatioPolicy:
    """Short ``r`` of the unhedged delta (the seed article's "hedge 20-50 %")."""

    r: Decimal

    def __post_init__(self) -> None:
        _require(self.r >= 0, f"ratio policy: r must be >= 0, got {self.r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LossFractionPolicy:
    """Short ``f`` of the liquidation loss ``L = (1 - LT) * collateral value``."""

    f: Decimal

    def __post_init__(self) -> None:
        _require(self.f >= 0, f"loss_fraction policy: f must be >= 0, got {self.f}")


@dataclass(frozen=True, slots=True, kw_only=True)
class HealthTargetPolicy:
    """The short whose gain at the liquidation price repays enough debt to lift HF to
    ``target_hf``, capped at ``r_max`` of the delta."""

    target_hf: Decimal
    r_max: Decimal

    def __post_init__(self) -> None:
        _require(self.target_hf > 1, f"health_target: target_hf must be > 1, got {self.target_hf}")
        _require(self.r_max >= 0, f"health_target: r_max must be >= 0, got {self.r_max}")


@dataclass(frozen=True, slots=True, kw_only=True)
class LadderPolicy:
    """Hedge ratio from ``r_min`` at HF >= ``hf_high`` up to ``r_max`` at HF <= ``hf_low``.
    The ratio only comes down once HF has recovered by ``hysteresis`` beyond where it went up."""

    r_min: Decimal
    r_max: Decimal
    hf_high: Decimal
    hf_low: Decimal
    hysteresis: Decimal = Decimal("0.05")

    def __post_init__(self) -> None:
        _require(0 <= self.r_min <= self.r_max, f"ladder: need 0 <= r_min <= r_max, got {self}")
        _require(self.hf_low < self.hf_high, f"ladder: need hf_low < hf_high, got {self}")
        _require(self.hysteresis >= 0, f"ladder: hysteresis must be >= 0, got {self}")


@dataclass(frozen=True, slots=True, kw_only=True)
class NoHedgePolicy:
    """Hedge nothing (existing shorts are closed)."""


HedgePolicy = RatioPolicy | LossFractionPolicy | HealthTargetPolicy | LadderPolicy | NoHedgePolicy


@dataclass(frozen=True, slots=True, kw_only=True)
class LadderState:
    ratio: Decimal  # the ratio the ladder applied last cycle


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyContext:
    """What a policy may look at for one underlying.

    ``liquidation_price`` and ``underlying_price`` must come from the same price source (e.g.
    ``liquidation_price_for_underlying`` with that ``underlying_price``).
    """

    exposure: Exposure
    snapshot: PositionSnapshot
    mapping: Mapping[str, TokenMapping]
    decision_hf: Decimal
    liquidation_price: Decimal | None = None
    underlying_price: Decimal | None = None
    ladder_state: LadderState | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class PolicyDecision:
    target: HedgeTarget
    ladder_state: LadderState | None = None  # feed back into the next cycle's context


def _usd(value: Decimal) -> str:
    return f"${value:,.2f}"


def potential_liquidation_loss_usd(
    snapshot: PositionSnapshot, mapping: Mapping[str, TokenMapping], underlying: str
) -> Decimal:
    """``sum(beta * (1 - LT) * collateral * price)`` over the underlying's enabled collateral."""
    loss = ZERO
    for asset in snapshot.assets:
        token = mapping.get(asset.symbol)
        if token is None:
            raise ValueError(f"token {asset.symbol!r} has no entry in the token mapping")
        if token.underlying == underlying and asset.collateral_enabled:
            value = asset.collateral * asset.price_usd
            loss += token.beta * (ONE - asset.liquidation_threshold) * value
    return loss


def ladder_ratio(policy: LadderPolicy, health_factor: Decimal) -> Decimal:
    """The ladder's curve without hysteresis."""
    if health_factor >= policy.hf_high:
        return policy.r_min
    if health_factor <= policy.hf_low:
        return policy.r_max
    span = policy.hf_high - policy.hf_low
    return policy.r_max - (policy.r_max - policy.r_min) * (health_factor - policy.hf_low) / span


def _target(ctx: PolicyContext, short: Decimal, reason: str) -> HedgeTarget:
    return HedgeTarget(underlying=ctx.exposure.underlying, short_usd=short, reason=reason)


def _health_target(policy: HealthTargetPolicy, ctx: PolicyContext) -> HedgeTarget:
    u = ctx.exposure.underlying
    delta = ctx.exposure.unhedged_delta_usd
    cap = policy.r_max * delta
    debt = sum((a.debt * a.price_usd for a in ctx.snapshot.assets), ZERO)
    if debt == 0:
        return _target(ctx, ZERO, f"health_target: no debt, nothing can be liquidated ({u})")
    if ctx.decision_hf < 1:
        return _target(
            ctx,
            cap,
            f"health_target: HF {ctx.decision_hf:.4f} < 1 already liquidatable: cap "
            f"{policy.r_max} x {u} delta {_usd(delta)} = {_usd(cap)}",
        )
    if ctx.liquidation_price is None:
        return _target(ctx, ZERO, f"health_target: {u} cannot cause liquidation")
    if ctx.underlying_price is None or ctx.underlying_price <= 0:
        raise ValueError(f"health_target for {u} needs underlying_price > 0")
    move = ctx.liquidation_price / ctx.underlying_price - ONE
    if move == 0 or (move > 0) == (delta > 0):
        return _target(
            ctx,
            cap,
            f"health_target: {u} already past its liquidation price "
            f"{_usd(ctx.liquidation_price)} (now {_usd(ctx.underlying_price)}): cap {_usd(cap)}",
        )
    repay = debt * (ONE - ONE / policy.target_hf)
    wanted = repay / abs(move) * (ONE if delta > 0 else -ONE)
    capped = abs(wanted) > abs(cap)
    short = cap if capped else wanted
    return _target(
        ctx,
        short,
        f"health_target: debt {_usd(debt)}, {u} liquidation at {_usd(ctx.liquidation_price)} "
        f"({move:+.2%} from {_usd(ctx.underlying_price)}): repaying {_usd(repay)} lifts HF to "
        f"{policy.target_hf} -> {_usd(wanted)}"
        + (f", capped at {policy.r_max} x delta {_usd(delta)}" if capped else ""),
    )


def evaluate(policy: HedgePolicy, ctx: PolicyContext) -> PolicyDecision:
    """Apply ``policy`` to one underlying. Positive ``short_usd`` = short; a negative target
    (long) only arises on net-short exposure and is the planner's to allow or refuse."""
    u = ctx.exposure.underlying
    delta = ctx.exposure.unhedged_delta_usd
    if isinstance(policy, NoHedgePolicy):
        return PolicyDecision(target=_target(ctx, ZERO, f"no_hedge: {u} left unhedged"))
    if isinstance(policy, RatioPolicy):
        short = policy.r * delta
        reason = f"ratio: {policy.r} x {u} delta {_usd(delta)} = {_usd(short)}"
        return PolicyDecision(target=_target(ctx, short, reason))
    if isinstance(policy, LossFractionPolicy):
        loss = potential_liquidation_loss_usd(ctx.snapshot, ctx.mapping, u)
        short = policy.f * loss
        reason = (
            f"loss_fraction: liquidation loss (1 - LT) x {u} collateral = {_usd(loss)}; "
            f"{policy.f} x {_usd(loss)} = {_usd(short)}"
        )
        return PolicyDecision(target=_target(ctx, short, reason))
    if isinstance(policy, HealthTargetPolicy):
        return PolicyDecision(target=_health_target(policy, ctx))
    hf = ctx.decision_hf
    curve = ladder_ratio(policy, hf)
    ratio = curve
    note = ""
    if ctx.ladder_state is not None:
        held = min(ctx.ladder_state.ratio, ladder_ratio(policy, hf - policy.hysteresis))
        ratio = max(curve, held)
        if ratio > curve:
            note = f" (held from {ctx.ladder_state.ratio:.4f} by hysteresis {policy.hysteresis})"
    short = ratio * delta
    reason = f"ladder: HF {hf:.4f} -> ratio {ratio:.4f}{note} x {u} delta {_usd(delta)} = " + _usd(
        short
    )
    return PolicyDecision(target=_target(ctx, short, reason), ladder_state=LadderState(ratio=ratio))


def decide(policy: HedgePolicy, ctx: PolicyContext) -> HedgeTarget:
    """The target alone; use ``evaluate`` when the ladder's state must be kept."""
    return evaluate(policy, ctx).target
