"""Control plane under /_emulator/ (not part of Binance's API): marks, clock, wallets, faults."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.emulator.exchange import Exchange
from bot.emulator.faults import MAX_TIMEOUT_SECS

Body = dict[str, Any]


class ControlError(ValueError):
    pass


def _decimal(body: Body, name: str, *, required: bool = True) -> Decimal | None:
    raw = body.get(name)
    if raw is None:
        if required:
            raise ControlError(f"missing field {name!r}")
        return None
    try:
        value = Decimal(str(raw))
    except InvalidOperation:
        raise ControlError(f"field {name!r} is not a number: {raw!r}") from None
    if not value.is_finite():
        raise ControlError(f"field {name!r} must be finite, got {raw!r}")
    return value


def _str(body: Body, name: str) -> str:
    raw = body.get(name)
    if not isinstance(raw, str) or not raw:
        raise ControlError(f"missing or non-string field {name!r}")
    return raw


def control_routes(ex: Exchange) -> list[Route]:
    def op(fn: Callable[[Body], Any]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            raw = await request.body()
            try:
                body = json.loads(raw) if raw else {}
                if not isinstance(body, dict):
                    raise ControlError("request body must be a JSON object")
                result = fn(body)
            except (ControlError, ValueError, TypeError) as exc:
                return JSONResponse({"error": str(exc)}, status_code=400)
            if request.method != "GET":
                ex.save()
            return JSONResponse(result if result is not None else {"ok": True})

        return endpoint

    def set_mark(body: Body) -> None:
        price = _decimal(body, "price")
        assert price is not None
        ex.set_mark(
            _str(body, "symbol"),
            price,
            _decimal(body, "index", required=False),
            _decimal(body, "last", required=False),
        )

    def set_funding(body: Body) -> None:
        rate = _decimal(body, "rate")
        assert rate is not None
        ex.set_funding_rate(_str(body, "symbol"), rate)

    def advance(body: Body) -> Body:
        seconds = _decimal(body, "seconds")
        assert seconds is not None
        settled = ex.advance_time(float(seconds))
        return {"market_time_ms": ex.market_ms(), "fundings_settled": settled}

    def fund(body: Body) -> Body:
        amount = _decimal(body, "amount")
        assert amount is not None
        balance = ex.fund(
            _str(body, "asset"), amount, body.get("venue", "usdm"), body.get("api_key")
        )
        return {"balance": str(balance)}

    def add_fault(body: Body) -> Body:
        params = body.get("params") or {}
        if not isinstance(params, dict):
            raise ControlError("field 'params' must be an object")
        if "timeout_secs" in params and not 0 < float(params["timeout_secs"]) <= MAX_TIMEOUT_SECS:
            raise ControlError(f"timeout_secs must be in (0, {MAX_TIMEOUT_SECS}]")
        fault = ex.faults.add(
            _str(body, "path"),
            _str(body, "kind"),
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
        ex.add_api_key(_str(body, "api_key"), _str(body, "api_secret"))

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
    ]
