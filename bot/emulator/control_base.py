"""What every control-plane endpoint shares: the JSON-in/JSON-out wrapper that runs under the
engine lock, and typed access to body fields with errors that name the field."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from decimal import Decimal, InvalidOperation
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bot.emulator.exchange import Exchange

Body = dict[str, Any]


class ControlError(ValueError):
    pass


def decimal_field(body: Body, name: str, *, required: bool = True) -> Decimal | None:
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


def str_field(body: Body, name: str) -> str:
    raw = body.get(name)
    if not isinstance(raw, str) or not raw:
        raise ControlError(f"missing or non-string field {name!r}")
    return raw


def control_op(ex: Exchange, fn: Callable[[Body], Any]) -> Callable[[Request], Awaitable[Response]]:
    """A control endpoint: JSON body in, ``fn`` under the engine lock, state saved after a
    change, JSON out; a bad request is a 400 with the reason."""

    async def endpoint(request: Request) -> Response:
        raw = await request.body()
        try:
            body = json.loads(raw) if raw else {}
            if not isinstance(body, dict):
                raise ControlError("request body must be a JSON object")
            with ex.lock, ex.streams.observing():  # the chain link's thread changes it too
                result = fn(body)
                if request.method != "GET":
                    ex.save()
        except (ControlError, ValueError, TypeError) as exc:
            return JSONResponse({"error": str(exc)}, status_code=400)
        return JSONResponse(result if result is not None else {"ok": True})

    return endpoint
