"""Decide whether to act on a position and with what (pure).

``decide`` looks at the deciding health factor (the oracle HF; with ``use_shadow_hf`` the lower
of the oracle HF and the HF at exchange mark prices) and, under ``trigger_hf``, proposes one
action: repay debt in a reserve token (first choice), or supply the reserve as collateral when
no reserve token is owed or repay is not possible. Sizes restore ``target_hf`` (plus a small
interest buffer) with the exact Aave model, then are capped by the reserve balance, the
per-action and per-day limits, and the debt outstanding. One action per decision: the next
cycle re-reads the chain and decides again.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.core.model import PositionSnapshot
from bot.core.repay_math import (
    HfModel,
    Solution,
    default_hf_model,
    find_asset,
    from_raw,
    min_repay,
    min_supply,
    to_raw,
    wad_to_hf,
    with_collateral_supplied,
    with_debt_repaid,
)
from bot.core.repay_params import HfSource, ProtectParams


class ActionKind(StrEnum):
    REPAY = "repay"  # Pool.repay(asset, amount, 2 = variable, onBehalfOf)
    SUPPLY = "supply"  # Pool.supply(asset, amount, onBehalfOf, 0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReserveBalance:
    """A reserve stablecoin held by the reserve wallet."""

    symbol: str
    address: str
    decimals: int
    balance: Decimal  # whole tokens
    repay_allowed: bool = True  # False when the Pool would refuse it (reserve paused/inactive)
    supply_allowed: bool = True  # False when paused, frozen or at its supply cap


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectAction:
    kind: ActionKind
    symbol: str
    asset: str  # token address
    decimals: int
    amount: Decimal  # whole tokens
    amount_raw: int
    amount_usd: Decimal  # at the oracle price
    on_behalf_of: str  # the position's wallet
    block_number: int  # of the snapshot it was sized on
    hf_before: Decimal  # oracle HF
    expected_hf_after: Decimal  # oracle HF after the action, exact model
    reaches_target: bool
    limited_by: str | None  # "reserve", "max_per_action_usd", "max_per_day_usd", "debt"
    reason: str

    @property
    def key(self) -> str:
        """Deterministic identity: a retried or restarted cycle reproduces it."""
        wallet = self.on_behalf_of.lower()
        return f"{self.kind}:{wallet}:{self.asset.lower()}:{self.amount_raw}:{self.block_number}"


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectDecision:
    triggered: bool  # the deciding HF is under trigger_hf
    hf: Decimal  # the deciding HF
    hf_source: HfSource
    action: ProtectAction | None
    needs_confirmation: bool
    reason: str


def _fmt(value: Decimal) -> str:
    return "inf" if value.is_infinite() else f"{value:.4f}"


def decide(
    snapshot: PositionSnapshot,
    *,
    params: ProtectParams,
    reserves: Sequence[ReserveBalance],
    spent_today_usd: Decimal,
    shadow_snapshot: PositionSnapshot | None = None,
    hf_model: HfModel | None = None,
) -> ProtectDecision:
    """One decision for one position. ``spent_today_usd`` is what earlier actions used of
    ``max_per_day_usd`` today (the caller sums the journal); ``shadow_snapshot`` is the same
    position at exchange mark prices, required when ``params.use_shadow_hf``."""
    model = hf_model or default_hf_model()
    oracle_hf = wad_to_hf(model(snapshot))
    sizing = [snapshot]
    hf, source = oracle_hf, HfSource.ORACLE
    if params.use_shadow_hf:
        if shadow_snapshot is None:
            raise ValueError("protect.use_shadow_hf is on but no shadow snapshot was given")
        sizing.append(shadow_snapshot)
        shadow_hf = wad_to_hf(model(shadow_snapshot))
        if shadow_hf < hf:
            hf, source = shadow_hf, HfSource.SHADOW

    def no_action(reason: str, *, triggered: bool) -> ProtectDecision:
        return ProtectDecision(
            triggered=triggered,
            hf=hf,
            hf_source=source,
            action=None,
            needs_confirmation=False,
            reason=reason,
        )

    if not params.enabled:
        return no_action("protection is disabled", triggered=False)
    if snapshot.is_stale:
        return no_action(f"snapshot is stale: {snapshot.stale_reason}", triggered=False)
    if hf >= params.trigger_hf:
        return no_action(f"{source} HF {_fmt(hf)} >= trigger {params.trigger_hf}", triggered=False)
    budget_usd = min(params.max_per_action_usd, params.max_per_day_usd - spent_today_usd)
    if budget_usd <= 0:
        return no_action(
            f"{source} HF {_fmt(hf)} < trigger {params.trigger_hf} but the daily limit "
            f"{params.max_per_day_usd} USD is used up ({spent_today_usd} USD today)",
            triggered=True,
        )
    candidates = _candidates(
        snapshot,
        sizing=sizing,
        params=params,
        reserves=reserves,
        budget_usd=budget_usd,
        model=model,
    )
    if not candidates:
        held = ", ".join(f"{r.symbol} {r.balance}" for r in reserves) or "nothing"
        return no_action(
            f"{source} HF {_fmt(hf)} < trigger {params.trigger_hf} and no action is possible: "
            f"no debt in {', '.join(params.reserve_tokens)} that the reserve ({held}) can repay"
            + ("" if params.allow_supply else " and supplying is off"),
            triggered=True,
        )
    # Preference order first among those that restore the target, else the strongest.
    reaching = [c for c in candidates if c.reaches_target]
    best = reaching[0] if reaching else max(candidates, key=lambda c: c.expected_hf_after)
    return ProtectDecision(
        triggered=True,
        hf=hf,
        hf_source=source,
        action=best,
        needs_confirmation=params.require_confirmation,
        reason=f"{source} HF {_fmt(hf)} < trigger {params.trigger_hf}: {best.reason}",
    )


def _candidates(
    snapshot: PositionSnapshot,
    *,
    sizing: list[PositionSnapshot],
    params: ProtectParams,
    reserves: Sequence[ReserveBalance],
    budget_usd: Decimal,
    model: HfModel,
) -> list[ProtectAction]:
    by_symbol = {r.symbol: r for r in reserves if r.balance > 0}
    repays: list[ProtectAction] = []
    supplies: list[ProtectAction] = []
    for symbol in params.reserve_tokens:
        reserve = by_symbol.get(symbol)
        asset = find_asset(snapshot, symbol)
        if reserve is None or asset is None or asset.price_usd <= 0:
            continue
        budget_name = (
            "max_per_action_usd" if budget_usd == params.max_per_action_usd else "max_per_day_usd"
        )
        caps = {
            "reserve": to_raw(reserve.balance, asset.decimals),
            budget_name: to_raw(budget_usd / asset.price_usd, asset.decimals),
        }
        if asset.debt > 0 and reserve.repay_allowed:
            caps["debt"] = to_raw(asset.debt, asset.decimals)
            needs = [min_repay(s, symbol, params.aim_hf, hf_model=model) for s in sizing]
            repays.append(
                _action(
                    ActionKind.REPAY,
                    snapshot=snapshot,
                    needs=needs,
                    caps=caps,
                    reserve=reserve,
                    model=model,
                )
            )
        elif params.allow_supply and reserve.supply_allowed and asset.liquidation_threshold > 0:
            if asset.collateral > 0 and not asset.collateral_enabled:
                continue  # supplying more of a disabled collateral changes nothing
            needs = [
                min_supply(s, symbol, params.aim_hf, upper_raw=caps["reserve"], hf_model=model)
                for s in sizing
            ]
            supplies.append(
                _action(
                    ActionKind.SUPPLY,
                    snapshot=snapshot,
                    needs=needs,
                    caps=caps,
                    reserve=reserve,
                    model=model,
                )
            )
    return [a for a in (repays or supplies) if a.amount_raw > 0]


def _action(
    kind: ActionKind,
    *,
    snapshot: PositionSnapshot,
    needs: list[Solution],
    caps: dict[str, int],
    reserve: ReserveBalance,
    model: HfModel,
) -> ProtectAction:
    needed = max(s.raw for s in needs)
    reaches = all(s.reaches for s in needs)
    binding = min(caps, key=lambda name: caps[name])
    amount_raw = min(needed, caps[binding])
    limited_by: str | None = None
    if amount_raw < needed:
        limited_by = binding
    elif not reaches:  # even all of it falls short: the whole debt, or the whole reserve
        limited_by = "debt" if kind is ActionKind.REPAY else "reserve"
    asset = find_asset(snapshot, reserve.symbol)
    assert asset is not None  # the caller checked
    after = (
        with_debt_repaid(snapshot, reserve.symbol, amount_raw)
        if kind is ActionKind.REPAY
        else with_collateral_supplied(snapshot, reserve.symbol, amount_raw)
    )
    hf_after = wad_to_hf(model(after))
    amount = from_raw(amount_raw, asset.decimals)
    reaches_target = limited_by is None
    verb = "repay" if kind is ActionKind.REPAY else "supply as collateral"
    reason = f"{verb} {amount} {reserve.symbol} -> expected oracle HF {_fmt(hf_after)}"
    if not reaches_target:
        reason += f" (short of the target: limited by {limited_by})"
    return ProtectAction(
        kind=kind,
        symbol=reserve.symbol,
        asset=reserve.address,
        decimals=asset.decimals,
        amount=amount,
        amount_raw=amount_raw,
        amount_usd=amount * asset.price_usd,
        on_behalf_of=snapshot.wallet,
        block_number=snapshot.block_number,
        hf_before=wad_to_hf(model(snapshot)),
        expected_hf_after=hf_after,
        reaches_target=reaches_target,
        limited_by=limited_by,
        reason=reason,
    )


__all__ = ["ActionKind", "ProtectAction", "ProtectDecision", "ReserveBalance", "decide"]
