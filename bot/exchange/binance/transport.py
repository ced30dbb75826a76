"""Every request the adapter makes goes through ``Transport``: error translation, retries,
rate-limit waits, the 418 ban, server-time sync and used-weight tracking.

python-binance itself does none of this: it raises ``BinanceAPIException`` for any non-2xx,
lets ``requests`` timeouts through unwrapped, and keeps the last response in ``client.response``.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable
from typing import Any

import requests
from binance.client import Client
from binance.exceptions import BinanceAPIException, BinanceRequestException

from bot.exchange.binance.codes import CLOCK_CODES
from bot.exchange.binance.retry import RetryPolicy, backoff_delay, retry_after_secs
from bot.exchange.errors import (
    ClockSkew,
    ExchangeError,
    IpBanned,
    OrderRejected,
    RateLimited,
    TransientExchangeError,
)

log = logging.getLogger(__name__)

Sleep = Callable[[float], None]
Clock = Callable[[], float]
Alert = Callable[[str], None]


def translate(exc: BinanceAPIException, retry_after: float) -> ExchangeError:
    """Binance's answer -> what the caller should do next (``bot.exchange.errors``)."""
    status, code = int(exc.status_code), exc.code
    message = f"HTTP {status} code {code}: {exc.message}"
    if status == 418:
        return IpBanned(message, retry_after_secs=retry_after, code=code)
    if status == 429:
        return RateLimited(message, retry_after_secs=retry_after, code=code)
    if code in CLOCK_CODES:
        return ClockSkew(message, code=code)
    if status >= 500 or status == 408:
        return TransientExchangeError(message, code=code)
    return OrderRejected(message, code=code)


class Transport:
    """Calls python-binance methods by name, with the resilience python-binance lacks."""

    def __init__(
        self,
        client: Client,
        *,
        time_method: str = "futures_time",
        policy: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
        alert: Alert | None = None,
    ) -> None:
        self.client = client
        self.policy = policy or RetryPolicy()
        self._time_method = time_method
        self._sleep = sleep
        self._clock = clock
        self._rng = rng or random.Random(0)
        self._alert = alert
        self._banned_until: float | None = None
        self._synced = False
        self.used_weight_1m: int | None = None
        self.order_count_10s: int | None = None
        self.order_count_1m: int | None = None
        self.time_offset_ms = 0
        self.resyncs = 0
        self.rate_limit_waits = 0

    # -- state -------------------------------------------------------------------------------

    @property
    def banned_until(self) -> float | None:
        """``clock()`` value until which every request is refused locally (HTTP 418)."""
        return self._banned_until

    def metrics(self) -> dict[str, float]:
        out = {"time_offset_ms": float(self.time_offset_ms), "resyncs": float(self.resyncs)}
        out["rate_limit_waits"] = float(self.rate_limit_waits)
        for name in ("used_weight_1m", "order_count_10s", "order_count_1m"):
            value = getattr(self, name)
            if value is not None:
                out[name] = float(value)
        if self._banned_until is not None:
            out["ip_ban_remaining_secs"] = max(0.0, self._banned_until - self._clock())
        return out

    def _record_headers(self, response: Any) -> None:
        headers = getattr(response, "headers", None)
        if headers is None:
            return
        for header, name in (
            ("X-MBX-USED-WEIGHT-1M", "used_weight_1m"),
            ("X-MBX-ORDER-COUNT-10S", "order_count_10s"),
            ("X-MBX-ORDER-COUNT-1M", "order_count_1m"),
        ):
            value = headers.get(header)
            if value is not None and str(value).isdigit():
                setattr(self, name, int(value))

    def _check_ban(self) -> None:
        if self._banned_until is None:
            return
        remaining = self._banned_until - self._clock()
        if remaining > 0:
            raise IpBanned(
                f"IP banned by Binance (HTTP 418): no request until the ban ends in "
                f"{remaining:.1f}s",
                retry_after_secs=remaining,
            )
        self._banned_until = None

    # -- requests ----------------------------------------------------------------------------

    def sync_time(self) -> int:
        """Measure the server clock against the one python-binance stamps requests with."""
        before = time.time()
        server = self.call_once(self._time_method, _sync=False)
        after = time.time()
        offset = int(int(server["serverTime"]) - (before + after) * 500)
        self.client.timestamp_offset = offset
        self.time_offset_ms = offset
        self._synced = True
        return offset

    def call_once(self, method: str, _sync: bool = True, **params: Any) -> Any:
        """One request, translated into ``bot.exchange.errors``; no retries."""
        self._check_ban()
        if _sync and not self._synced:
            self.sync_time()
        try:
            result = getattr(self.client, method)(**params)
        except requests.RequestException as exc:  # timeouts, refused or dropped connections
            raise TransientExchangeError(f"{method}: {type(exc).__name__}: {exc}") from exc
        except BinanceRequestException as exc:
            raise TransientExchangeError(f"{method}: {exc.message}") from exc
        except BinanceAPIException as exc:
            self._record_headers(exc.response)
            headers = getattr(exc.response, "headers", None)
            wait = retry_after_secs(headers, self.policy.default_retry_after_secs, time.time())
            error = translate(exc, wait)
            if isinstance(error, IpBanned):
                self._banned_until = self._clock() + wait
                message = f"Binance banned this IP for {wait:.0f}s; all requests halted: {error}"
                log.error(message)
                if self._alert is not None:
                    self._alert(message)
            raise error from exc
        self._record_headers(self.client.response)
        return result

    def call(self, method: str, **params: Any) -> Any:
        """A request that is safe to repeat: retried on timeouts/5xx with backoff, on 429 after
        Retry-After, once after a -1021 clock resync. 418 and rejections are raised at once."""
        transient = waits = resyncs = 0
        while True:
            try:
                return self.call_once(method, **params)
            except ClockSkew:
                if resyncs:
                    raise
                resyncs += 1
                self.resync()
            except IpBanned:
                raise
            except RateLimited as exc:
                waits += 1
                if waits > self.policy.max_rate_limit_waits:
                    raise
                self.wait_rate_limit(exc)
            except TransientExchangeError:
                if transient + 1 >= self.policy.max_attempts:
                    raise
                self.backoff(transient)
                transient += 1

    def resync(self) -> None:
        self.resyncs += 1
        offset = self.sync_time()
        log.warning("Binance -1021: server time offset re-measured: %d ms", offset)

    def wait_rate_limit(self, exc: RateLimited) -> None:
        self.rate_limit_waits += 1
        log.warning("Binance 429: waiting %.1fs (Retry-After)", exc.retry_after_secs)
        self._sleep(exc.retry_after_secs)

    def backoff(self, attempt: int) -> None:
        self._sleep(backoff_delay(self.policy, attempt, self._rng.random()))
