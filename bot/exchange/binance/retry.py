"""Retry policy: how long to wait, and how often to try, after each kind of failure. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from email.utils import parsedate_to_datetime
from typing import Any


@dataclass(frozen=True, slots=True, kw_only=True)
class RetryPolicy:
    max_attempts: int = 4  # tries of one request that fails transiently (timeouts, 5xx)
    base_delay_secs: float = 0.25
    max_delay_secs: float = 8.0
    jitter: float = 0.5  # the random share of each delay (0: none, 1: "full jitter")
    default_retry_after_secs: float = 1.0  # a 429/418 without a Retry-After header
    max_rate_limit_waits: int = 3  # 429s one request may wait out before RateLimited escapes
    order_send_attempts: int = 3  # sends of one client order id whose outcome stayed unknown
    lookup_attempts: int = 4  # tries of the lookup that settles an unknown outcome

    def __post_init__(self) -> None:
        if self.max_attempts < 1 or self.order_send_attempts < 1 or self.lookup_attempts < 1:
            raise ValueError("RetryPolicy attempts must be >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError(f"RetryPolicy.jitter must be in [0, 1], got {self.jitter}")


def backoff_delay(policy: RetryPolicy, attempt: int, unit_random: float) -> float:
    """Delay before retry number ``attempt`` (0-based): exponential, capped, with jitter.

    ``unit_random`` in [0, 1) comes from the caller's seeded generator; the delay is in
    ``[(1 - jitter) * d, d]`` with ``d = min(max_delay, base * 2**attempt)``.
    """
    ceiling = min(policy.max_delay_secs, policy.base_delay_secs * (2**attempt))
    return float(ceiling * (1 - policy.jitter + policy.jitter * unit_random))


def retry_after_secs(headers: Any, default: float, now_epoch_secs: float) -> float:
    """Seconds a 429/418 asks us to wait: ``Retry-After`` as seconds or an HTTP date."""
    value = headers.get("Retry-After") if headers is not None else None
    if value is None:
        return default
    value = str(value).strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - now_epoch_secs)
    except (TypeError, ValueError):
        return default
