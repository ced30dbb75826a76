"""Which request-weight bucket a request charges, and the header that reports it.

- ``/fapi``, ``/dapi``, ``/futures``: the futures IP bucket, ``X-MBX-USED-WEIGHT-1M``;
- ``/api`` (spot): its own IP bucket (6000/min on Binance), same header;
- ``/sapi``: one window per endpoint, per IP (``X-SAPI-USED-IP-WEIGHT-1M``, 12000/min) or, for
  UID-weighted endpoints, per account (``X-SAPI-USED-UID-WEIGHT-1M``, 180000/min), charged once
  the API key is known.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from bot.emulator.ratelimit import RateLimitedError, RateLimiter
from bot.emulator.routing import Endpoint

if TYPE_CHECKING:
    from bot.emulator.exchange import Exchange

MBX_HEADER = "X-MBX-USED-WEIGHT-1M"
SAPI_IP_HEADER = "X-SAPI-USED-IP-WEIGHT-1M"
SAPI_UID_HEADER = "X-SAPI-USED-UID-WEIGHT-1M"


def is_sapi(path: str) -> bool:
    return path.startswith("/sapi/")


def _ip_limiter(ex: Exchange, path: str) -> tuple[RateLimiter, int]:
    if path.startswith("/api/"):
        return ex.spot_limiter, ex.config.limits.spot_weight_per_minute
    return ex.limiter, ex.config.limits.weight_per_minute


def charge_ip(
    ex: Exchange,
    endpoint: Endpoint,
    route: str,
    weight: int,
    now: int,
    headers: dict[str, str],
) -> None:
    """Charge before authentication (everything but SAPI UID weights); ``route`` is
    ``"METHOD /path"``."""
    path = route.split(" ", 1)[1]
    if is_sapi(path):
        if endpoint.uid:
            return
        limit = ex.config.limits.sapi_ip_weight_per_minute
        headers[SAPI_IP_HEADER] = str(ex.sapi_limiter.charge(f"ip {route}", weight, limit, now))
        ex.weight_by_endpoint[route] += weight
        return
    limiter, limit = _ip_limiter(ex, path)
    try:
        headers[MBX_HEADER] = str(limiter.charge(weight, now, limit))
    except RateLimitedError:
        headers[MBX_HEADER] = str(limiter.weight.used)
        raise
    ex.weight_by_endpoint[route] += weight


def charge_uid(
    ex: Exchange,
    endpoint: Endpoint,
    route: str,
    weight: int,
    api_key: str | None,
    now: int,
    headers: dict[str, str],
) -> None:
    if not endpoint.uid or api_key is None:
        return
    limit = ex.config.limits.sapi_uid_weight_per_minute
    used = ex.sapi_limiter.charge(f"uid {api_key} {route}", weight, limit, now)
    headers[SAPI_UID_HEADER] = str(used)
    ex.weight_by_endpoint[route] += weight
