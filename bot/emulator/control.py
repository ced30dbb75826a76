"""Control plane under /_emulator/ (not part of Binance's API): marks, clock, wallets, faults."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from bot.emulator.control_base import Body, ControlError, control_op, decimal_field, str_field
from bot.emulator.control_wallet import wallet_control_routes
from bot.emulator.exchange import Exchange
from bot.emulator.faults import MAX_TIMEOUT_SECS

__all__ = ["Body", "ControlError", "control_routes"]


def control_routes(ex: Exchange) -> list[Route]:
    def op(fn: Callable[[Body], Any]) -> Callable[[Request], Awaitable[Response]]:
        return control_op(ex, fn)

    def set_mark(body: Body) -> None:
        price = decimal_field(body, "price")
        assert price is not None
        ex.set_mark(
            str_field(body, "symbol"),
            price,
            decimal_field(body, "index", required=False),
            decimal_field(body, "last", required=False),
        )

    def set_funding(body: Body) -> None:
        rate = decimal_field(body, "rate")
        assert rate is not None
        ex.set_funding_rate(str_field(body, "symbol"), rate)

    def advance(body: Body) -> Body:
        seconds = decimal_field(body, "seconds")
        assert seconds is not None
        settled = ex.advance_time(float(seconds))
        return {"market_time_ms": ex.market_ms(), "fundings_settled": settled}

    def fund(body: Body) -> Body:
        amount = decimal_field(body, "amount")
        assert amount is not None
        balance = ex.fund(
            str_field(body, "asset"), amount, body.get("venue", "usdm"), body.get("api_key")
        )
        return {"balance": str(balance)}

    def add_fault(body: Body) -> Body:
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise ControlError("field 'params' must be an object")
        if "timeout_secs" in params and not 0 < float(params["timeout_secs"]) <= MAX_TIMEOUT_SECS:
            raise ControlError(f"timeout_secs must be in (0, {MAX_TIMEOUT_SECS}]")
        fault = ex.faults.add(
            str_field(body, "path"),
            str_field(body, "kind"),
            int(body.get("count", 1)),
            params,
            body.get("method"),
        )
        return fault.describe()

    def clear_faults(body: Body) -> None:
        ex.faults.clear()

    def reset(body: Body) -> None:
        ex.reset()

    def snapshot(body: Body) -> Body:
        return ex.snapshot()

    def add_key(body: Body) -> None:
        ex.add_api_key(str_field(body, "api_key"), str_field(body, "api_secret"))

    def configure(body: Body) -> None:
        ex.configure(body)

    return [
        Route("/_emulator/mark", op(set_mark), methods=["POST"]),
        Route("/_emulator/funding-rate", op(set_funding), methods=["POST"]),
        Route("/_emulator/advance-time", op(advance), methods=["POST"]),
        Route("/_emulator/fund", op(fund), methods=["POST"]),
        Route("/_emulator/faults", op(add_fault), methods=["POST"]),
        Route("/_emulator/faults", op(clear_faults), methods=["DELETE"]),
        Route("/_emulator/reset", op(reset), methods=["POST"]),
        Route("/_emulator/snapshot", op(snapshot), methods=["GET"]),
        Route("/_emulator/api-keys", op(add_key), methods=["POST"]),
        Route("/_emulator/config", op(configure), methods=["POST"]),
        *wallet_control_routes(ex),
    ]
