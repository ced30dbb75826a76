"""Placing, looking up and cancelling orders, with "never two orders for one intent".

Every placement first looks its client order id up (one GET, weight 1), so a repeated intent
(a retry by the executor, a restarted daemon) returns the existing order instead of trading
again; only a caller whose journal recorded the intent a moment ago (``first_send``) skips
it. A new-order request whose outcome is unknown (timeout, dropped connection, 5xx,
-1006/-1007) is settled by looking the order up by its client order id; only when Binance has
no such order is it sent again, with the same id. Rejections come back as REJECTED reports,
not exceptions.

Binance reports a fill's commission only in the trade list (``userTrades``, weight 5), so a
report of a fill says its fee is not known yet; ``fees`` reads it later for many orders in one
request, off the order path.
"""

from __future__ import annotations

import logging
from collections.abc import Collection
from decimal import Decimal
from typing import Any

from bot.core.model import ZERO, OrderFee, OrderIntent, OrderReport, OrderStatus
from bot.exchange.binance.codes import BinanceErrorCode
from bot.exchange.binance.schemas import OrderResponse, Trade, rows
from bot.exchange.binance.transport import Transport
from bot.exchange.binance.venues import VenueMethods
from bot.exchange.errors import (
    ClockSkew,
    ExchangeError,
    IpBanned,
    OrderRejected,
    RateLimited,
    TransientExchangeError,
    UnknownOrderState,
)

log = logging.getLogger(__name__)

TRADES_LIMIT = 1000  # Binance's maximum per userTrades request
_NOT_FOUND_CODES = (BinanceErrorCode.NO_SUCH_ORDER, BinanceErrorCode.UNKNOWN_ORDER_SENT)


def wire_quantity(quantity: Decimal) -> str:
    """Plain decimal notation ("0.001", never "1E-3"): Binance rejects exponents."""
    return format(quantity.normalize(), "f")


def order_params(intent: OrderIntent) -> dict[str, Any]:
    if intent.order_type != "MARKET":
        raise ValueError(f"{intent.client_order_id}: only MARKET intents are supported")
    params: dict[str, Any] = {
        "symbol": intent.symbol,
        "side": intent.side.value,
        "type": intent.order_type,
        "quantity": wire_quantity(intent.quantity),
        "newClientOrderId": intent.client_order_id,
        "newOrderRespType": "RESULT",  # MARKET answers with the final fill, not an ACK
    }
    if intent.reduce_only:
        params["reduceOnly"] = "true"  # str(True) would put "True" on the wire
    return params


def rejected(intent: OrderIntent, error: ExchangeError) -> OrderReport:
    return OrderReport(
        symbol=intent.symbol,
        client_order_id=intent.client_order_id,
        status=OrderStatus.REJECTED,
        side=intent.side,
        quantity=intent.quantity,
        reduce_only=intent.reduce_only,
        error_code=error.code,
        error_message=str(error),
    )


def not_found(symbol: str, client_order_id: str) -> OrderReport:
    return OrderReport(symbol=symbol, client_order_id=client_order_id, status=OrderStatus.NOT_FOUND)


class OrderGateway:
    def __init__(self, transport: Transport) -> None:
        self._t = transport
        self.resends = 0  # new-order requests sent again after a NOT_FOUND lookup

    def place(
        self, intent: OrderIntent, methods: VenueMethods, *, first_send: bool = False
    ) -> OrderReport:
        """Place ``intent`` unless Binance already has its client order id (Binance refuses a
        duplicate id only among OPEN orders: a filled MARKET order's id is accepted again)."""
        params = order_params(intent)
        if not first_send:
            existing = self.lookup(intent.symbol, intent.client_order_id, methods)
            if existing.status is not OrderStatus.NOT_FOUND:
                log.info("%s: already placed; not sending again", intent.client_order_id)
                return existing
        policy = self._t.policy
        sends = waits = resyncs = 0
        while True:
            try:
                raw = self._t.call_once(methods.create_order, **params)
                return OrderResponse.from_json(raw).to_order_report()
            except ClockSkew as exc:  # refused before the engine: safe to resend
                if resyncs:
                    return rejected(intent, exc)
                resyncs += 1
                self._t.resync()
            except IpBanned:
                raise
            except RateLimited as exc:  # 429 orders are refused, not executed
                waits += 1
                if waits > policy.max_rate_limit_waits:
                    raise
                self._t.wait_rate_limit(exc)
            except OrderRejected as exc:
                if exc.code == BinanceErrorCode.CLIENT_ORDER_ID_DUPLICATED:
                    found = self.lookup(intent.symbol, intent.client_order_id, methods)
                    if found.status is not OrderStatus.NOT_FOUND:
                        return found
                return rejected(intent, exc)
            except TransientExchangeError as exc:
                sends += 1
                log.warning("%s: outcome unknown (%s); looking it up", intent.client_order_id, exc)
                self._t.backoff(sends - 1)  # let an in-flight order land before asking
                found = self._lookup_settling(intent, methods, exc)
                if found.status is not OrderStatus.NOT_FOUND:
                    return found
                if sends >= policy.order_send_attempts:
                    raise UnknownOrderState(
                        f"{intent.client_order_id}: {sends} sends ended without an answer and "
                        "Binance has no such order yet; look it up again before re-planning",
                        client_order_id=intent.client_order_id,
                        code=exc.code,
                    ) from exc
                self.resends += 1
                log.warning("%s: not found; sending again, same id", intent.client_order_id)

    def _lookup_settling(
        self, intent: OrderIntent, methods: VenueMethods, cause: ExchangeError
    ) -> OrderReport:
        try:
            return self.lookup(intent.symbol, intent.client_order_id, methods)
        except (TransientExchangeError, RateLimited) as exc:
            raise UnknownOrderState(
                f"{intent.client_order_id}: outcome unknown ({cause}) and the lookup failed: {exc}",
                client_order_id=intent.client_order_id,
                code=cause.code,
            ) from exc

    def lookup(self, symbol: str, client_order_id: str, methods: VenueMethods) -> OrderReport:
        try:
            raw = self._t.call(methods.get_order, symbol=symbol, origClientOrderId=client_order_id)
        except OrderRejected as exc:
            if exc.code in _NOT_FOUND_CODES:
                return not_found(symbol, client_order_id)
            raise
        return OrderResponse.from_json(raw).to_order_report()

    def cancel(self, symbol: str, client_order_id: str, methods: VenueMethods) -> OrderReport:
        try:
            raw = self._t.call(
                methods.cancel_order, symbol=symbol, origClientOrderId=client_order_id
            )
        except OrderRejected as exc:
            if exc.code in _NOT_FOUND_CODES:  # already final, or never existed
                return self.lookup(symbol, client_order_id, methods)
            raise
        return OrderResponse.from_json(raw).to_order_report()

    def fees(
        self, symbol: str, order_ids: Collection[int], since_ms: int, methods: VenueMethods
    ) -> dict[int, OrderFee]:
        wanted = set(order_ids)
        raw = self._t.call(
            methods.account_trades, symbol=symbol, startTime=since_ms, limit=TRADES_LIMIT
        )
        listed = [Trade.from_json(r) for r in rows(raw)]
        trades = [t for t in listed if t.order_id in wanted]
        out: dict[int, OrderFee] = {}
        for trade in trades:
            known = out.get(trade.order_id)
            total = trade.commission + (known.fee if known else ZERO)
            asset = known.fee_asset if known else trade.commission_asset
            out[trade.order_id] = OrderFee(
                exchange_order_id=trade.order_id, fee=total, fee_asset=asset
            )
        if len(listed) >= TRADES_LIMIT:
            # a full page may cut the fills of the orders at either end: ask for them again
            out.pop(listed[0].order_id, None)
            out.pop(listed[-1].order_id, None)
        return out
