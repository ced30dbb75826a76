"""Request-weight and order-count windows with Binance's 429 → 418 escalation."""

from __future__ import annotations

from dataclasses import dataclass

from bot.emulator import errors

MINUTE_MS = 60_000
TEN_SECONDS_MS = 10_000


@dataclass
class Limits:
    weight_per_minute: int = 2400
    orders_per_10s: int = 300
    orders_per_minute: int = 1200
    ban_after_rejections: int = 3  # requests sent while already limited, before a 418
    ban_secs: int = 120
    spot_weight_per_minute: int = 6000  # /api: its own IP bucket on Binance
    sapi_ip_weight_per_minute: int = 12000  # /sapi: per endpoint and IP
    sapi_uid_weight_per_minute: int = 180000  # /sapi: per endpoint and account (UID)


@dataclass
class _Window:
    start: int = 0
    used: int = 0

    def roll(self, now: int, size: int) -> None:
        start = now - now % size
        if start != self.start:
            self.start, self.used = start, 0


class RateLimiter:
    """One IP bucket (the emulator serves loopback) and per-account order counters."""

    def __init__(self, limits: Limits | None = None) -> None:
        self.limits = limits or Limits()
        self.weight = _Window()
        self.orders_10s: dict[str, _Window] = {}
        self.orders_1m: dict[str, _Window] = {}
        self.rejections = 0
        self.banned_until = 0

    def reset(self) -> None:
        self.__init__(self.limits)  # type: ignore[misc]

    def charge(self, weight: int, now: int, limit: int | None = None) -> int:
        """Count ``weight``; raise 429/418 like Binance; returns the minute's used weight.
        ``limit`` replaces ``weight_per_minute`` (the spot bucket)."""
        limit = self.limits.weight_per_minute if limit is None else limit
        if now < self.banned_until:
            raise _retry(errors.banned(self.banned_until), self.banned_until - now)
        self.weight.roll(now, MINUTE_MS)
        if self.weight.used + weight > limit:
            self.rejections += 1
            if self.rejections > self.limits.ban_after_rejections:
                self.banned_until = now + self.limits.ban_secs * 1000
                self.rejections = 0
                raise _retry(errors.banned(self.banned_until), self.limits.ban_secs * 1000)
            wait = self.weight.start + MINUTE_MS - now
            raise _retry(errors.too_many_requests(limit), wait)
        self.weight.used += weight
        self.rejections = 0
        return self.weight.used

    def count_order(self, api_key: str, now: int) -> tuple[int, int]:
        ten = self.orders_10s.setdefault(api_key, _Window())
        minute = self.orders_1m.setdefault(api_key, _Window())
        ten.roll(now, TEN_SECONDS_MS)
        minute.roll(now, MINUTE_MS)
        if ten.used + 1 > self.limits.orders_per_10s:
            raise _retry(errors.too_many_orders(self.limits.orders_per_10s, "10s"), 10_000)
        if minute.used + 1 > self.limits.orders_per_minute:
            raise _retry(errors.too_many_orders(self.limits.orders_per_minute, "1m"), MINUTE_MS)
        ten.used += 1
        minute.used += 1
        return ten.used, minute.used


class SapiLimiter:
    """SAPI weights (reference §1.0): every endpoint has its own minute window, per IP for IP
    weights and per account for UID weights; the key names the bucket."""

    def __init__(self) -> None:
        self.windows: dict[str, _Window] = {}

    def reset(self) -> None:
        self.windows.clear()

    def charge(self, bucket: str, weight: int, limit: int, now: int) -> int:
        window = self.windows.setdefault(bucket, _Window())
        window.roll(now, MINUTE_MS)
        if window.used + weight > limit:
            raise _retry(errors.sapi_too_much_weight(limit), window.start + MINUTE_MS - now)
        window.used += weight
        return window.used


class RateLimitedError(Exception):
    def __init__(self, error: errors.ApiError, retry_after_secs: int) -> None:
        super().__init__(error.msg)
        self.error = error
        self.retry_after_secs = retry_after_secs


def _retry(error: errors.ApiError, wait_ms: int) -> RateLimitedError:
    return RateLimitedError(error, max(1, -(-wait_ms // 1000)))
