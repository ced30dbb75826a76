"""Funding settlement every 8 h and liquidation at margin ratio 100 %."""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal

from bot.emulator import fills, margin
from bot.emulator.accounting import PositionView, VenueView, pool_of, venue_view
from bot.emulator.decimals import ZERO
from bot.emulator.markets import FUNDING_INTERVAL_MS, SPECS, VENUES, Venue
from bot.emulator.orders import OPEN_STATUSES
from bot.emulator.state import Account, EmulatorState, FundingRecord, Order


def next_funding_time(now_ms: int) -> int:
    return (now_ms // FUNDING_INTERVAL_MS + 1) * FUNDING_INTERVAL_MS


def settle_funding(state: EmulatorState, now_ms: int) -> int:
    """Settle every funding time in (funding_checked_ms, now_ms]; returns how many."""
    count = 0
    boundary = next_funding_time(state.funding_checked_ms)
    while boundary <= now_ms:
        _settle_at(state, boundary)
        count += 1
        boundary += FUNDING_INTERVAL_MS
    state.funding_checked_ms = max(state.funding_checked_ms, now_ms)
    return count


def funding_fee(symbol: str, amt: Decimal, mark: Decimal, rate: Decimal) -> Decimal:
    """What the position pays (positive) or receives (negative): longs pay when rate > 0."""
    spec = SPECS[symbol]
    if spec.contract_size is None:
        return amt * mark * rate
    return amt * spec.contract_size / mark * rate


def _settle_at(state: EmulatorState, funding_time: int) -> None:
    for symbol, market in state.markets.items():
        state.funding_history.append(
            FundingRecord(
                symbol=symbol,
                funding_time=funding_time,
                funding_rate=market.funding_rate,
                mark=market.mark,
            )
        )
    for account in state.accounts.values():
        for venue in VENUES:
            venue_account = account.venue(venue)
            for position in venue_account.positions.values():
                if position.amt == 0:
                    continue
                market = state.markets[position.symbol]
                fee = funding_fee(position.symbol, position.amt, market.mark, market.funding_rate)
                asset = fills.settle_asset(SPECS[position.symbol])
                fills.credit(venue_account, asset, -fee)
                if venue_account.isolated.get(position.symbol, False):
                    position.isolated_wallet -= fee
                fills.add_income(
                    state,
                    venue_account,
                    symbol=position.symbol,
                    income_type="FUNDING_FEE",
                    amount=-fee,
                    asset=asset,
                    now=funding_time,
                )


def check_liquidations(
    state: EmulatorState,
    account: Account,
    now: int,
    views: Mapping[Venue, VenueView] | None = None,
) -> list[str]:
    """Liquidate isolated positions / cross pools whose maintenance ≥ margin balance.
    ``views``: the account already valued at the marks now (else valued here)."""
    liquidated: list[str] = []
    for venue in VENUES:
        view = views[venue] if views is not None else venue_view(account, venue, state.markets)
        for position_view in view.positions:
            balance = position_view.position.isolated_wallet + position_view.upnl
            if position_view.isolated and position_view.maint_margin >= balance:
                _liquidate(state, account, venue, position_view, now)
                liquidated.append(position_view.spec.symbol)
        for pool_name, pool in view.pools.items():
            if pool.cross_maint <= 0 or pool.cross_maint < pool.cross_margin_balance:
                continue
            for position_view in view.positions:
                if pool_of(position_view.spec) == pool_name and not position_view.isolated:
                    _liquidate(state, account, venue, position_view, now)
                    liquidated.append(position_view.spec.symbol)
    return liquidated


def _liquidate(
    state: EmulatorState, account: Account, venue: Venue, view: PositionView, now: int
) -> None:
    """Close at mark (no taker fee) and charge the clearance fee as INSURANCE_CLEAR."""
    spec, position = view.spec, view.position
    venue_account = account.venue(venue)
    for order in venue_account.orders.values():
        if order.symbol == spec.symbol and order.status in OPEN_STATUSES:
            order.status, order.update_time = "CANCELED", now
    qty = abs(position.amt)
    isolated_before = position.isolated_wallet
    order = Order(
        order_id=fills.next_id(state),
        client_order_id=f"autoclose-{now}",
        symbol=spec.symbol,
        side="SELL" if position.amt > 0 else "BUY",
        position_side=position.position_side,
        type="LIQUIDATION",
        orig_type="LIQUIDATION",
        time_in_force="IOC",
        price=view.mark,
        orig_qty=qty,
        reduce_only=True,
        time=now,
        update_time=now,
    )
    venue_account.orders[order.order_id] = order
    realized = fills.execute(
        state,
        account,
        venue,
        spec,
        order,
        qty=qty,
        price=view.mark,
        maker=False,
        now=now,
        fee_rate=ZERO,
    )
    fee = margin.notional(spec, qty=qty, price=view.mark) * spec.liquidation_fee
    if view.isolated:
        fee = max(ZERO, min(fee, isolated_before + realized))
    if fee > 0:
        asset = fills.settle_asset(spec)
        fills.credit(venue_account, asset, -fee)
        fills.add_income(
            state,
            venue_account,
            symbol=spec.symbol,
            income_type="INSURANCE_CLEAR",
            amount=-fee,
            asset=asset,
            now=now,
        )
