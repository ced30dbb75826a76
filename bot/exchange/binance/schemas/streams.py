"""WebSocket stream payloads (markPriceUpdate, the user data events) as frozen values.

Field names in comments are Binance's exactly. ``E`` arrives as an int or (older docs, the
``listenKeyExpired`` example) a string: both are accepted. Events hedgebot does not act on
(``TRADE_LITE``, ``ACCOUNT_CONFIG_UPDATE`` with ``ai``, ...) parse to ``None``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import ZERO, MarginType
from bot.exchange.binance.schemas.common import (
    Json,
    WireFormatError,
    dec,
    parse_margin_type,
    text,
)


def millis(raw: Json, key: str) -> int:
    """An event/transaction time in ms, sent as an int or a numeric string."""
    value = raw.get(key)
    if value is None or isinstance(value, bool):
        raise WireFormatError(f"Binance stream event has no {key!r}: {dict(raw)!r:.300}")
    try:
        return int(str(value))
    except ValueError as exc:
        raise WireFormatError(f"Binance stream field {key!r} is not ms: {value!r}") from exc


@dataclass(frozen=True, slots=True, kw_only=True)
class MarkPriceUpdate:
    """``markPriceUpdate`` from ``<symbol>@markPrice@1s``."""

    symbol: str  # s
    event_time_ms: int  # E
    mark_price: Decimal  # p

    @classmethod
    def from_json(cls, raw: Json) -> MarkPriceUpdate:
        return cls(symbol=text(raw, "s"), event_time_ms=millis(raw, "E"), mark_price=dec(raw, "p"))


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamError:
    """What python-binance hands the callback when a socket fails: ``{"e":"error",...}``."""

    kind: str  # type: the exception's class name
    message: str  # m


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionUpdate:
    """``ACCOUNT_UPDATE.a.P[]``: a position's state after the event (absolute, not a delta)."""

    symbol: str  # s
    position_side: str  # ps
    amount: Decimal  # pa: signed
    entry_price: Decimal  # ep
    unrealized_pnl: Decimal  # up
    margin_type: MarginType  # mt: "cross" | "isolated"
    isolated_wallet: Decimal  # iw

    @classmethod
    def from_json(cls, raw: Json) -> PositionUpdate:
        return cls(
            symbol=text(raw, "s"),
            position_side=text(raw, "ps", "BOTH"),
            amount=dec(raw, "pa"),
            entry_price=dec(raw, "ep", ZERO),
            unrealized_pnl=dec(raw, "up", ZERO),
            margin_type=parse_margin_type(text(raw, "mt", "cross")),
            isolated_wallet=dec(raw, "iw", ZERO),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class BalanceUpdate:
    """``ACCOUNT_UPDATE.a.B[]``: a wallet's balance after the event."""

    asset: str  # a
    wallet_balance: Decimal  # wb
    cross_wallet_balance: Decimal  # cw

    @classmethod
    def from_json(cls, raw: Json) -> BalanceUpdate:
        return cls(
            asset=text(raw, "a"),
            wallet_balance=dec(raw, "wb"),
            cross_wallet_balance=dec(raw, "cw", ZERO),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountUpdate:
    """``ACCOUNT_UPDATE``: only the changed positions and balances are listed."""

    event_time_ms: int  # E
    transaction_time_ms: int  # T
    reason: str  # a.m
    balances: tuple[BalanceUpdate, ...]  # a.B
    positions: tuple[PositionUpdate, ...]  # a.P

    @classmethod
    def from_json(cls, raw: Json) -> AccountUpdate:
        body = raw.get("a")
        if not isinstance(body, Mapping):
            raise WireFormatError(f"ACCOUNT_UPDATE has no 'a' object: {dict(raw)!r:.300}")
        return cls(
            event_time_ms=millis(raw, "E"),
            transaction_time_ms=millis(raw, "T") if "T" in raw else millis(raw, "E"),
            reason=text(body, "m", ""),
            balances=tuple(BalanceUpdate.from_json(b) for b in body.get("B") or ()),
            positions=tuple(PositionUpdate.from_json(p) for p in body.get("P") or ()),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderTradeUpdate:
    """``ORDER_TRADE_UPDATE``: one order's state after an execution event."""

    event_time_ms: int  # E
    transaction_time_ms: int  # T
    symbol: str  # o.s
    client_order_id: str  # o.c
    order_id: int  # o.i
    execution_type: str  # o.x: NEW, TRADE, CANCELED, EXPIRED, CALCULATED, AMENDMENT
    status: str  # o.X
    last_filled_qty: Decimal  # o.l
    cumulative_filled_qty: Decimal  # o.z
    trade_id: int  # o.t (0 on non-trade events)

    @property
    def key(self) -> tuple[int, str, Decimal, int]:
        """Identifies the event: the same order update delivered twice has the same key."""
        return (self.order_id, self.execution_type, self.cumulative_filled_qty, self.trade_id)

    @classmethod
    def from_json(cls, raw: Json) -> OrderTradeUpdate:
        order = raw.get("o")
        if not isinstance(order, Mapping):
            raise WireFormatError(f"ORDER_TRADE_UPDATE has no 'o' object: {dict(raw)!r:.300}")
        return cls(
            event_time_ms=millis(raw, "E"),
            transaction_time_ms=millis(raw, "T") if "T" in raw else millis(raw, "E"),
            symbol=text(order, "s"),
            client_order_id=text(order, "c"),
            order_id=int(dec(order, "i")),
            execution_type=text(order, "x"),
            status=text(order, "X"),
            last_filled_qty=dec(order, "l", ZERO),
            cumulative_filled_qty=dec(order, "z", ZERO),
            trade_id=int(dec(order, "t", ZERO)),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class LeverageUpdate:
    """``ACCOUNT_CONFIG_UPDATE`` with ``ac``: a symbol's leverage changed."""

    event_time_ms: int  # E
    symbol: str  # ac.s
    leverage: int  # ac.l


@dataclass(frozen=True, slots=True, kw_only=True)
class MarginCallPosition:
    """``MARGIN_CALL.p[]``: a position of the called pool (or the isolated position)."""

    symbol: str  # s
    position_side: str  # ps
    amount: Decimal  # pa: signed
    margin_type: MarginType  # mt: "CROSSED" | "ISOLATED"
    isolated_wallet: Decimal  # iw
    mark_price: Decimal  # mp
    unrealized_pnl: Decimal  # up
    maintenance_margin: Decimal  # mm: required

    @classmethod
    def from_json(cls, raw: Json) -> MarginCallPosition:
        return cls(
            symbol=text(raw, "s"),
            position_side=text(raw, "ps", "BOTH"),
            amount=dec(raw, "pa"),
            margin_type=parse_margin_type(text(raw, "mt", "CROSSED")),
            isolated_wallet=dec(raw, "iw", ZERO),
            mark_price=dec(raw, "mp"),
            unrealized_pnl=dec(raw, "up", ZERO),
            maintenance_margin=dec(raw, "mm"),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MarginCall:
    """``MARGIN_CALL``: the margin ratio of a cross pool or an isolated position is high
    (Binance: "risk guidance", sent before liquidation, at a level it does not publish)."""

    event_time_ms: int  # E
    cross_wallet_balance: Decimal | None  # cw: only for a cross margin call
    positions: tuple[MarginCallPosition, ...]  # p

    @classmethod
    def from_json(cls, raw: Json) -> MarginCall:
        rows = raw.get("p") or ()
        if not isinstance(rows, list | tuple) or not all(isinstance(r, Mapping) for r in rows):
            raise WireFormatError(f"MARGIN_CALL 'p' is not a list of objects: {dict(raw)!r:.300}")
        return cls(
            event_time_ms=millis(raw, "E"),
            cross_wallet_balance=dec(raw, "cw") if "cw" in raw else None,
            positions=tuple(MarginCallPosition.from_json(r) for r in rows),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class ListenKeyExpired:
    """``listenKeyExpired``: nothing more arrives on this key; a new one is needed."""

    event_time_ms: int  # E (int, or a string in the 2025 docs)


UserEvent = (
    AccountUpdate | OrderTradeUpdate | LeverageUpdate | MarginCall | ListenKeyExpired | StreamError
)
MarketEvent = MarkPriceUpdate | StreamError


def _error(raw: Json) -> StreamError:
    return StreamError(kind=text(raw, "type", "unknown"), message=text(raw, "m", ""))


def parse_market_message(raw: object) -> MarketEvent | None:
    """A mark socket's message: the combined wrapper ``{"stream","data"}`` or a bare event."""
    if not isinstance(raw, Mapping):
        return None
    if raw.get("e") == "error":
        return _error(raw)
    data = raw.get("data", raw)
    if not isinstance(data, Mapping) or data.get("e") != "markPriceUpdate":
        return None
    return MarkPriceUpdate.from_json(data)


def parse_user_message(raw: object) -> UserEvent | None:
    if not isinstance(raw, Mapping):
        return None
    kind = raw.get("e")
    if kind == "error":
        return _error(raw)
    if kind == "ACCOUNT_UPDATE":
        return AccountUpdate.from_json(raw)
    if kind == "ORDER_TRADE_UPDATE":
        return OrderTradeUpdate.from_json(raw)
    if kind == "MARGIN_CALL":
        return MarginCall.from_json(raw)
    if kind == "listenKeyExpired":
        return ListenKeyExpired(event_time_ms=millis(raw, "E"))
    config = raw.get("ac")
    if kind == "ACCOUNT_CONFIG_UPDATE" and isinstance(config, Mapping):
        return LeverageUpdate(
            event_time_ms=millis(raw, "E"),
            symbol=text(config, "s"),
            leverage=int(dec(config, "l")),
        )
    return None
