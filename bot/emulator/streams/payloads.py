"""The JSON frames Binance pushes, built from the emulator's state (reference §2.2, §2.4)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bot.emulator import margin
from bot.emulator.decimals import ZERO, fmt8, plain
from bot.emulator.markets import SPECS, SymbolSpec
from bot.emulator.risk import next_funding_time
from bot.emulator.state import MarginCall, MarketState, Order, Position, Trade, VenueAccount

Json = dict[str, Any]


def mark_price_update(spec: SymbolSpec, market: MarketState, now_ms: int) -> Json:
    """``markPriceUpdate``; COIN-M delivery symbols carry ``r`` "" and ``T`` 0."""
    perpetual = spec.venue == "usdm" or spec.symbol.endswith("_PERP")
    payload: Json = {
        "e": "markPriceUpdate",
        "E": now_ms,
        "s": spec.symbol,
        "p": fmt8(market.mark),
        "i": fmt8(market.index),
        "P": fmt8(market.index),  # estimated settle price: the index is the best estimate here
        "r": fmt8(market.funding_rate) if perpetual else "",
        "T": next_funding_time(now_ms) if perpetual else 0,
    }
    if spec.venue == "usdm":
        payload["ap"] = fmt8(market.mark)  # no moving average is kept: the mark itself
        payload["st"] = 1
    return payload


def order_update(
    order: Order,
    *,
    now_ms: int,
    execution: str,
    status: str,
    filled: Decimal,
    average: Decimal,
    trade: Trade | None = None,
) -> Json:
    """``ORDER_TRADE_UPDATE`` for one state change of ``order`` (``trade`` for fills)."""
    spec = SPECS[order.symbol]
    body: Json = {
        "s": order.symbol,
        "c": order.client_order_id,
        "S": order.side,
        "o": order.type,
        "f": order.time_in_force,
        "q": plain(order.orig_qty),
        "p": plain(order.price),
        "ap": plain(average),
        "sp": plain(order.stop_price),
        "x": execution,
        "X": status,
        "i": order.order_id,
        "l": plain(trade.qty) if trade else "0",
        "z": plain(filled),
        "L": plain(trade.price) if trade else "0",
        "N": trade.commission_asset if trade else _settle_asset(spec),
        "n": plain(trade.commission) if trade else "0",
        "T": trade.time if trade else order.update_time,
        "t": trade.id if trade else 0,
        "b": "0",
        "a": "0",
        "m": trade.maker if trade else False,
        "R": order.reduce_only,
        "wt": order.working_type,
        "ot": order.orig_type,
        "ps": order.position_side,
        "cp": order.close_position,
        "pP": order.price_protect,
        "si": 0,
        "ss": 0,
        "rp": plain(trade.realized_pnl) if trade else "0",
        "V": "EXPIRE_TAKER",
        "pm": "NONE",
        "gtd": 0,
        "er": "0",
    }
    if spec.venue == "coinm":
        body["ma"] = spec.margin_asset
    return {"e": "ORDER_TRADE_UPDATE", "E": now_ms, "T": body["T"], "o": body}


def _settle_asset(spec: SymbolSpec) -> str:
    return spec.quote_asset if spec.venue == "usdm" else spec.margin_asset


def balance_entry(venue_account: VenueAccount, asset: str, change: Decimal) -> Json:
    wallet = venue_account.wallets.get(asset, ZERO)
    isolated = sum(
        (
            p.isolated_wallet
            for p in venue_account.positions.values()
            if venue_account.isolated.get(p.symbol, False)
            and _settle_asset(SPECS[p.symbol]) == asset
        ),
        ZERO,
    )
    return {"a": asset, "wb": fmt8(wallet), "cw": fmt8(wallet - isolated), "bc": fmt8(change)}


def position_entry(venue_account: VenueAccount, position: Position, market: MarketState) -> Json:
    spec = SPECS[position.symbol]
    isolated = venue_account.isolated.get(position.symbol, False)
    realized = sum(
        (
            t.realized_pnl
            for t in venue_account.trades
            if t.symbol == position.symbol and t.position_side == position.position_side
        ),
        ZERO,
    )
    upnl = margin.upnl(spec, amt=position.amt, entry=position.entry, mark=market.mark)
    return {
        "s": position.symbol,
        "pa": plain(position.amt),
        "ep": fmt8(position.entry),
        "bep": fmt8(margin.break_even(spec, amt=position.amt, entry=position.entry)),
        "cr": fmt8(realized),
        "up": fmt8(upnl),
        "mt": "isolated" if isolated else "cross",
        "iw": fmt8(position.isolated_wallet if isolated else ZERO),
        "ps": position.position_side,
    }


def account_update(
    reason: str, balances: list[Json], positions: list[Json], now_ms: int, tx_ms: int
) -> Json:
    """``E`` is when the event is sent, ``T`` when the change happened."""
    return {
        "e": "ACCOUNT_UPDATE",
        "E": now_ms,
        "T": tx_ms,
        "a": {"m": reason, "B": balances, "P": positions},
    }


def margin_call(call: MarginCall, now_ms: int) -> Json:
    """``MARGIN_CALL`` (reference §2.4): ``cw`` only for a cross pool's call."""
    payload: Json = {"e": "MARGIN_CALL", "E": now_ms}
    if call.cross_wallet is not None:
        payload["cw"] = fmt8(call.cross_wallet)
    payload["p"] = [
        {
            "s": p.symbol,
            "ps": p.position_side,
            "pa": plain(p.amt),
            "mt": p.margin_type,
            "iw": fmt8(p.isolated_wallet),
            "mp": fmt8(p.mark),
            "up": fmt8(p.upnl),
            "mm": fmt8(p.maint),
        }
        for p in call.positions
    ]
    return payload


def listen_key_expired(listen_key: str, now_ms: int) -> Json:
    return {"e": "listenKeyExpired", "E": now_ms, "listenKey": listen_key}
