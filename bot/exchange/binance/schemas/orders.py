"""Orders, their fills (userTrades) and income rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import ZERO, OrderReport, OrderStatus, Side
from bot.exchange.binance.schemas.common import STATUS, Json, WireFormatError, dec, text


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderResponse:
    """New/query/cancel order object (``cumQuote`` on USD-M, ``cumBase`` on COIN-M: unused)."""

    order_id: int  # orderId
    client_order_id: str  # clientOrderId
    symbol: str  # symbol
    status: OrderStatus  # status
    side: Side  # side
    orig_qty: Decimal  # origQty
    executed_qty: Decimal  # executedQty
    avg_price: Decimal  # avgPrice (absent in ACK answers and some docs examples)
    reduce_only: bool  # reduceOnly
    update_time_ms: int  # updateTime

    @classmethod
    def from_json(cls, raw: Json) -> OrderResponse:
        status = text(raw, "status")
        if status not in STATUS:
            raise WireFormatError(f"unknown order status {status!r}")
        return cls(
            order_id=int(raw["orderId"]),
            client_order_id=text(raw, "clientOrderId"),
            symbol=text(raw, "symbol"),
            status=STATUS[status],
            side=Side(text(raw, "side")),
            orig_qty=dec(raw, "origQty"),
            executed_qty=dec(raw, "executedQty", ZERO),
            avg_price=dec(raw, "avgPrice", ZERO),
            reduce_only=bool(raw.get("reduceOnly", False)),
            update_time_ms=int(raw.get("updateTime") or raw.get("time") or 0),
        )

    def to_order_report(self) -> OrderReport:
        return OrderReport(
            symbol=self.symbol,
            client_order_id=self.client_order_id,
            status=self.status,
            exchange_order_id=self.order_id,
            side=self.side,
            quantity=self.orig_qty,
            executed_quantity=self.executed_qty,
            average_price=self.avg_price,
            fee_known=self.executed_qty <= ZERO,  # a fill's fee is in the trade list only
            reduce_only=self.reduce_only,
            update_time_ms=self.update_time_ms,
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Trade:
    """``userTrades`` row: where the commission of a fill is reported."""

    order_id: int  # orderId
    price: Decimal  # price
    qty: Decimal  # qty (base units or contracts)
    commission: Decimal  # commission
    commission_asset: str  # commissionAsset
    realized_pnl: Decimal  # realizedPnl

    @classmethod
    def from_json(cls, raw: Json) -> Trade:
        return cls(
            order_id=int(raw["orderId"]),
            price=dec(raw, "price"),
            qty=dec(raw, "qty"),
            commission=dec(raw, "commission", ZERO),
            commission_asset=text(raw, "commissionAsset", ""),
            realized_pnl=dec(raw, "realizedPnl", ZERO),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Income:
    """``income`` row; ``FUNDING_FEE`` rows carry funding paid (<0) or received (>0)."""

    symbol: str  # symbol ("" for transfers)
    income_type: str  # incomeType
    income: Decimal  # income, signed, in ``asset``
    asset: str  # asset
    time_ms: int  # time

    @classmethod
    def from_json(cls, raw: Json) -> Income:
        return cls(
            symbol=text(raw, "symbol", ""),
            income_type=text(raw, "incomeType"),
            income=dec(raw, "income"),
            asset=text(raw, "asset"),
            time_ms=int(raw.get("time") or 0),
        )
