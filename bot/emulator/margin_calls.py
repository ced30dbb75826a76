"""Margin calls: ``MARGIN_CALL`` when a margin ratio (maintenance / margin balance) reaches a level.

Binance does not publish the ratio at which it sends ``MARGIN_CALL`` (its docs only call the
event "risk guidance"); the emulator's level is an option, ``margin_call_ratio`` (0.8 by
default). A cross pool (USD for USD-M, one coin for COIN-M) or an isolated position is called
once when its ratio rises to the level and again only after it has fallen back under it. The
call is recorded in the account's append-only ``margin_calls``; the stream journal turns new
records into events, as it does for orders and income.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from bot.emulator.accounting import PositionView, VenueView, pool_of
from bot.emulator.markets import Venue
from bot.emulator.state import Account, MarginCall, MarginCallPosition

DEFAULT_MARGIN_CALL_RATIO = Decimal("0.8")
_Group = tuple[Decimal | None, list[PositionView]]  # (cross wallet or None, positions)


def reached(maint: Decimal, margin_balance: Decimal, level: Decimal) -> bool:
    """maint / balance ≥ level, with a balance at or under zero counting as past any level."""
    return maint > 0 and maint >= level * margin_balance


def check_margin_calls(
    account: Account, views: Mapping[Venue, VenueView], now: int, level: Decimal
) -> None:
    """Record a call for every pool / isolated position newly at or above ``level``; re-arm
    those back under it. ``views``: the account valued at the marks now, per venue."""
    for venue, view in views.items():
        venue_account = account.venue(venue)
        at_level = _at_level(view, level)
        for key, (cross_wallet, members) in sorted(at_level.items()):
            if key in venue_account.margin_called:
                continue
            positions = [_position(member) for member in members]
            call = MarginCall(time=now, cross_wallet=cross_wallet, positions=positions)
            venue_account.margin_calls.append(call)
        venue_account.margin_called = sorted(at_level)


def _at_level(view: VenueView, level: Decimal) -> dict[str, _Group]:
    groups: dict[str, _Group] = {}
    for position_view in view.positions:
        position = position_view.position
        balance = position.isolated_wallet + position_view.upnl
        if position_view.isolated and reached(position_view.maint_margin, balance, level):
            groups[f"{position.symbol}:{position.position_side}"] = (None, [position_view])
    for pool_name, pool in view.pools.items():
        if not reached(pool.cross_maint, pool.cross_margin_balance, level):
            continue
        members = [
            v
            for v in view.positions
            if not v.isolated and pool_of(v.spec) == pool_name and v.position.amt != 0
        ]
        groups[pool_name] = (pool.cross_wallet, members)
    return groups


def _position(view: PositionView) -> MarginCallPosition:
    position = view.position
    return MarginCallPosition(
        symbol=position.symbol,
        position_side=position.position_side,
        amt=position.amt,
        margin_type="ISOLATED" if view.isolated else "CROSSED",
        isolated_wallet=position.isolated_wallet if view.isolated else Decimal(0),
        mark=view.mark,
        upnl=view.upnl,
        maint=view.maint_margin,
    )
