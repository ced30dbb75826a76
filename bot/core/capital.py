"""Move money between the exchange and the reserve wallet, or say why not (pure).

A hedge whose gains stay on the exchange prevents no liquidation. ``decide_money_move``
withdraws hedge profit to refill the reserve the guard repays debt from, and deposits reserve
stablecoins as margin when a short nears its own liquidation in a rally. At most one transfer
per decision; the next cycle re-reads the balances and decides again.

Rules, first match wins:
1. Readings older than ``max_view_age_secs``: hold.
2. A transfer in flight: hold (an alert once it is older than ``in_flight_alert_after_secs``);
   the balances are still moving, and a second transfer sized on them could overshoot.
3. The nearest short closer to its liquidation than ``short_floor``: deposit
   ``margin_to_restore_usd`` (raised to the minimum transfer and the coin's dust minimum, up
   to the cent), limited by the coin held, the reserve above its floor, the per-transfer cap
   and the rest of the day's deposit cap, rounded down to the cent. A limited deposit still
   goes, as it moves the liquidation away, and says what is left to top up by hand. No
   withdrawal is considered while a short is under its floor.
4. The reserve under ``max(target, floor)`` by more than ``refill_band_usd``, or under its
   floor at all: withdraw the gap plus the fee, so that the reserve receives the gap; limited
   by ``movable - needed``, the coin's ``withdraw_max``, the per-transfer cap and the rest of
   the day's withdrawal cap (caps count the gross amount, fee included), rounded down to
   ``withdraw_multiple``.
5. Otherwise hold.
A transfer under the coin's minimum, not above the fee, or under ``min_transfer_usd`` becomes
an alert; so does any transfer while the rules are disabled, the venue has no wallet API, or
Binance has suspended the network. An alert carries the exact amounts that would have moved.

``margin_to_restore_usd`` sizes ``CapitalView.margin_to_restore_usd`` from the core's futures
math. The values live in ``capital_model``, the sizing of each direction in
``capital_sizing``; this module re-exports the public names.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from bot.core.capital_model import (
    AlertReason,
    CapitalRules,
    CapitalView,
    CoinNetwork,
    Direction,
    MoneyMove,
    PendingTransfer,
    Verdict,
)
from bot.core.capital_sizing import CENT, coins, size_deposit, size_withdrawal, usd
from bot.core.futures import margin_for_liquidation_distance
from bot.core.model import ZERO, ContractSpec

__all__ = [
    "CENT",
    "AlertReason",
    "CapitalRules",
    "CapitalView",
    "CoinNetwork",
    "Direction",
    "MoneyMove",
    "PendingTransfer",
    "Verdict",
    "decide_money_move",
    "margin_to_restore_usd",
]

_NOUN = {Direction.WITHDRAW: "withdrawal", Direction.DEPOSIT: "deposit"}


def decide_money_move(*, view: CapitalView, rules: CapitalRules, now_ms: int) -> MoneyMove:
    """The one transfer to make now, or why none. ``now_ms`` (unix ms, the caller's clock)
    only ages the readings and a transfer in flight; the day caps use the 24-hour sums the
    caller puts in the view."""
    age_ms = now_ms - view.read_ms
    if age_ms > rules.max_view_age_secs * 1000:
        return _hold(
            view,
            f"readings are {age_ms // 1000} s old (max_view_age_secs {rules.max_view_age_secs}):"
            " nothing moves on them",
        )
    if view.in_flight is not None:
        return _while_in_flight(view, view.in_flight, rules, now_ms)
    distance = view.short_liq_distance
    if distance is not None and distance < rules.short_floor:
        return _gate(size_deposit(view, rules, distance=distance), view, rules)
    # The floor is what the guard needs to survive its crash: a target set under it is raised.
    target = max(view.reserve_target_usd, view.reserve_floor_usd)
    gap = target - view.reserve_usd
    # Under the floor the band does not wait: the guard could not survive its crash.
    if gap > rules.refill_band_usd or view.reserve_usd < view.reserve_floor_usd:
        return _gate(size_withdrawal(view, rules, target_usd=target, gap_usd=gap), view, rules)
    short = "no short" if distance is None else f"the nearest short is {distance:.1%} from it"
    where = f"within {usd(rules.refill_band_usd)} of" if gap > 0 else "at or above"
    return _hold(
        view,
        f"reserve {usd(view.reserve_usd)} is {where} its target {usd(target)}; "
        f"liquidation floor {rules.short_floor:.0%}: {short}",
    )


def margin_to_restore_usd(
    *,
    spec: ContractSpec,
    quantity: Decimal,
    mark: Decimal,
    equity_usd: Decimal,
    distance: Decimal,
    maint_margin_rate: Decimal | None = None,
) -> Decimal:
    """USD of margin to add so a short's liquidation price is ``distance`` above ``mark``;
    0 when it already is.

    ``equity_usd`` is what backs the position in Binance's liquidation formula, valued at the
    mark: the wallet (the isolated margin, or the cross wallet balance) plus the position's
    unrealised PnL, and for cross margin plus the other positions' unrealised PnL less their
    maintenance margin. With its PnL counted, a position opened at any entry liquidates where
    one opened at the mark with that much margin does, which ``margin_for_liquidation_distance``
    solves. Maintenance amounts of higher brackets are not counted (0 in the first). For an
    inverse contract the margin is the coin: this is the USD value, at the mark, of the coin to
    add, which a stablecoin deposit provides only once exchanged.
    """
    if quantity >= 0:
        raise ValueError(f"{spec.symbol}: margin_to_restore_usd is for shorts (got {quantity})")
    if not distance > 0:
        raise ValueError(f"{spec.symbol}: distance must be > 0 (got {distance})")
    needed = margin_for_liquidation_distance(spec, quantity, mark, distance, maint_margin_rate)
    return max(needed - equity_usd, ZERO)


def _hold(view: CapitalView, message: str) -> MoneyMove:
    return MoneyMove(
        verdict=Verdict.HOLD,
        direction=None,
        coin=view.network.coin,
        network=view.network.network,
        wanted=ZERO,
        amount=ZERO,
        fee=ZERO,
        received=ZERO,
        shortfall_usd=ZERO,
        realise_first_usd=ZERO,
        limited_by=None,
        alert_reason=None,
        message=message,
    )


def _while_in_flight(
    view: CapitalView, pending: PendingTransfer, rules: CapitalRules, now_ms: int
) -> MoneyMove:
    age_secs = (now_ms - pending.started_ms) // 1000
    sent = coins(pending.amount, view.network)
    what = f"a {_NOUN[pending.direction]} of {sent} sent {age_secs} s ago has not settled"
    if age_secs <= rules.in_flight_alert_after_secs:
        return _hold(view, f"{what}: nothing new moves until it does")
    return replace(
        _hold(view, ""),
        verdict=Verdict.ALERT,
        direction=pending.direction,
        amount=pending.amount,
        alert_reason=AlertReason.IN_FLIGHT_OVERDUE,
        message=f"{what} after in_flight_alert_after_secs {rules.in_flight_alert_after_secs}: "
        "check it on Binance and on the chain; nothing new moves until it settles",
    )


def _gate(move: MoneyMove, view: CapitalView, rules: CapitalRules) -> MoneyMove:
    """A transfer the operator or the venue does not allow becomes an alert, same amounts."""
    if not move.moves:
        return move
    net = view.network
    assert move.direction is not None  # a MOVE always has one
    if move.direction is Direction.WITHDRAW:
        network_open = net.withdraw_enabled
    else:
        network_open = net.deposit_enabled
    if not rules.enabled:
        reason, why = AlertReason.DISABLED, "capital moves are disabled (capital.enabled)"
    elif not view.can_move:
        reason, why = AlertReason.NO_WALLET_API, "this venue has no wallet API: move it by hand"
    elif not network_open:
        reason = AlertReason.NETWORK_SUSPENDED
        why = f"Binance has suspended {net.coin} {_NOUN[move.direction]}s on {net.network}"
    else:
        return move
    return replace(
        move, verdict=Verdict.ALERT, alert_reason=reason, message=f"{move.message}; not sent: {why}"
    )
