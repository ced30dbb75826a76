"""Sizing the capital policy's two transfers (pure): how much, cut by which limit, and whether
what is left is worth sending. ``bot.core.capital`` decides which of the two to size."""

from __future__ import annotations

from decimal import Decimal

from bot.core.capital_model import (
    AlertReason,
    CapitalRules,
    CapitalView,
    CoinNetwork,
    Direction,
    MoneyMove,
    Verdict,
)
from bot.core.model import ZERO
from bot.core.plan_rules import round_to_step

__all__ = ["CENT", "coins", "size_deposit", "size_withdrawal", "usd"]

# Deposits are plain token transfers with no step of their own: cents, far above the unit of
# any stablecoin, keep them readable and exact in raw units.
CENT = Decimal("0.01")

Refusal = tuple[AlertReason, str]


def usd(value: Decimal) -> str:
    return f"{value:,.2f} USD"


def coins(value: Decimal, network: CoinNetwork) -> str:
    return f"{value:,f} {network.coin}"  # exact: what goes on the wire


def _fit(wanted: Decimal, limits: dict[str, Decimal]) -> tuple[Decimal, str | None]:
    """``wanted`` cut to the smallest limit (never below 0), and that limit's name if it cut."""
    binding = min(limits, key=limits.__getitem__)
    if limits[binding] < wanted:
        return max(limits[binding], ZERO), binding
    return wanted, None


def _decided(
    view: CapitalView,
    *,
    direction: Direction,
    wanted: Decimal,
    amount: Decimal,
    fee: Decimal,
    shortfall_usd: Decimal,
    realise_first_usd: Decimal,
    limited_by: str | None,
    refusal: Refusal | None,
    message: str,
) -> MoneyMove:
    reason = None if refusal is None else refusal[0]
    return MoneyMove(
        verdict=Verdict.MOVE if refusal is None else Verdict.ALERT,
        direction=direction,
        coin=view.network.coin,
        network=view.network.network,
        wanted=wanted,
        amount=amount,
        fee=fee,
        received=max(amount - fee, ZERO),
        shortfall_usd=shortfall_usd,
        realise_first_usd=realise_first_usd,
        limited_by=limited_by,
        alert_reason=reason,
        message=message if refusal is None else f"{message}; not sent: {refusal[1]}",
    )


def size_withdrawal(
    view: CapitalView, rules: CapitalRules, *, target_usd: Decimal, gap_usd: Decimal
) -> MoneyMove:
    """Withdraw ``gap_usd`` plus the fee, so that the reserve receives the gap; every limit
    applies to the gross amount, the one that leaves the exchange."""
    net = view.network
    wanted = gap_usd + net.withdraw_fee
    room = view.movable_usd - view.margin_needed_usd
    day_left = rules.max_withdraw_per_day_usd - view.withdrawn_today_usd
    capped, limited_by = _fit(
        wanted,
        {
            "movable": room,
            "withdraw_max": net.withdraw_max,
            "max_withdraw_per_transfer_usd": rules.max_withdraw_per_transfer_usd,
            "max_withdraw_per_day_usd": day_left,
        },
    )
    amount = round_to_step(capped, net.withdraw_multiple)
    received = max(amount - net.withdraw_fee, ZERO)
    # Only the wallet balance leaves the exchange, never unrealised profit: what ``movable``
    # holds back of the wanted amount could come once realised, up to the profit there is.
    realise = min(max(view.unrealized_pnl_usd, ZERO), max(wanted - max(room, ZERO), ZERO))
    refusal = _withdrawal_refusal(
        view, rules, amount=amount, room=room, day_left=day_left, realise=realise
    )
    which = "target" if target_usd == view.reserve_target_usd else "floor (above its target)"
    message = (
        f"reserve {usd(view.reserve_usd)} is {usd(gap_usd)} under its {which} {usd(target_usd)}:"
        f" withdraw {coins(amount, net)} on {net.network} (fee {coins(net.withdraw_fee, net)},"
        f" the reserve receives {coins(received, net)})"
    )
    if limited_by is not None:
        message += f", limited by {limited_by} ({coins(wanted, net)} wanted)"
    if refusal is None and received < gap_usd:
        message += f"; {usd(gap_usd - received)} of the gap stays open"
    if refusal is None and realise > 0:
        message += f"; realise {usd(realise)} of unrealised hedge profit to withdraw more"
    return _decided(
        view,
        direction=Direction.WITHDRAW,
        wanted=wanted,
        amount=amount,
        fee=net.withdraw_fee,
        shortfall_usd=gap_usd - received,
        realise_first_usd=realise,
        limited_by=limited_by,
        refusal=refusal,
        message=message,
    )


def _withdrawal_refusal(
    view: CapitalView,
    rules: CapitalRules,
    *,
    amount: Decimal,
    room: Decimal,
    day_left: Decimal,
    realise: Decimal,
) -> Refusal | None:
    net = view.network
    if room <= 0:
        why = (
            f"nothing can leave the exchange: {usd(view.movable_usd)} withdrawable and "
            f"{usd(view.margin_needed_usd)} needed as the hedge's margin"
        )
        if realise > 0:
            why += f"; the profit is unrealised: realise {usd(realise)} first"
        return AlertReason.NOTHING_WITHDRAWABLE, why
    if day_left <= 0:
        return AlertReason.DAY_CAP_USED, (
            f"max_withdraw_per_day_usd {usd(rules.max_withdraw_per_day_usd)} is used up "
            f"({usd(view.withdrawn_today_usd)} in the last 24 h)"
        )
    if amount < net.withdraw_min:
        return AlertReason.UNDER_COIN_MINIMUM, (
            f"under the coin's minimum withdrawal {coins(net.withdraw_min, net)}"
        )
    if amount <= net.withdraw_fee:
        return AlertReason.NOT_ABOVE_FEE, f"not more than the fee {coins(net.withdraw_fee, net)}"
    if amount < rules.min_transfer_usd:
        return AlertReason.UNDER_MIN_TRANSFER, (
            f"under min_transfer_usd {usd(rules.min_transfer_usd)}"
        )
    return None


def size_deposit(view: CapitalView, rules: CapitalRules, *, distance: Decimal) -> MoneyMove:
    """Deposit the margin that brings the nearest short back to ``short_restore_distance``,
    never taking the reserve under its floor."""
    net = view.network
    need = view.margin_to_restore_usd
    # At least a transfer worth making and one Binance credits: more margin than needed only
    # moves the liquidation further away.
    wanted = round_to_step(max(need, rules.min_transfer_usd, net.deposit_min), CENT, up=True)
    above_floor = view.reserve_usd - view.reserve_floor_usd
    day_left = rules.max_deposit_per_day_usd - view.deposited_today_usd
    capped, limited_by = _fit(
        wanted,
        {
            "coin_held": view.coin_held,
            "reserve_floor": above_floor,
            "max_deposit_per_transfer_usd": rules.max_deposit_per_transfer_usd,
            "max_deposit_per_day_usd": day_left,
        },
    )
    amount = round_to_step(capped, CENT)
    refusal = _deposit_refusal(
        view, rules, amount=amount, above_floor=above_floor, day_left=day_left
    )
    message = (
        f"the nearest short is {distance:.1%} from its liquidation, under the floor "
        f"{rules.short_floor:.0%}: deposit {coins(amount, net)} on {net.network} from the "
        f"reserve ({usd(need)} of margin brings it back to {rules.short_restore_distance:.0%})"
    )
    if limited_by is not None:
        message += f", limited by {limited_by} ({coins(wanted, net)} wanted)"
    if refusal is not None:
        refusal = (refusal[0], f"{refusal[1]}: deposit {usd(need)} by hand")
    elif amount < need:
        message += f"; {usd(need - amount)} more is needed: top it up by hand"
    return _decided(
        view,
        direction=Direction.DEPOSIT,
        wanted=wanted,
        amount=amount,
        fee=ZERO,
        shortfall_usd=max(need - amount, ZERO),
        realise_first_usd=ZERO,
        limited_by=limited_by,
        refusal=refusal,
        message=message,
    )


def _deposit_refusal(
    view: CapitalView,
    rules: CapitalRules,
    *,
    amount: Decimal,
    above_floor: Decimal,
    day_left: Decimal,
) -> Refusal | None:
    net = view.network
    if view.coin_held <= 0:
        return AlertReason.NO_COIN_HELD, f"the reserve wallet holds no {net.coin}"
    if above_floor <= 0:
        return AlertReason.RESERVE_AT_FLOOR, (
            f"the reserve {usd(view.reserve_usd)} is not above the {usd(view.reserve_floor_usd)}"
            " the guard needs for its crash"
        )
    if day_left <= 0:
        return AlertReason.DAY_CAP_USED, (
            f"max_deposit_per_day_usd {usd(rules.max_deposit_per_day_usd)} is used up "
            f"({usd(view.deposited_today_usd)} in the last 24 h)"
        )
    if amount < net.deposit_min:
        return AlertReason.UNDER_COIN_MINIMUM, (
            f"under the coin's minimum deposit {coins(net.deposit_min, net)}, never credited"
        )
    if amount < rules.min_transfer_usd:
        return AlertReason.UNDER_MIN_TRANSFER, (
            f"under min_transfer_usd {usd(rules.min_transfer_usd)}"
        )
    return None
