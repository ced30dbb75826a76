"""Send alerts to several sinks without ever holding up a cycle.

``submit(alert)`` only deduplicates and enqueues; it never blocks on the network and never
raises. Each sink has its own worker thread and bounded queue, so a slow or failing sink
(timeouts, retries) delays only itself. Per sink:

- rate limit: a token bucket (``RateLimit``); non-critical alerts over the limit are suppressed
  and counted, and the next delivered message says how many were suppressed. Critical alerts
  always go out (the venue's own 429 then paces them).
- retries: timeouts, connection errors, 5xx and 429 are retried up to ``max_attempts`` with
  exponential backoff; a 429's Retry-After is honoured when it is at most ``max_retry_after_s``,
  otherwise the alert is given up (a long wait would leave the queue stale). Other 4xx are
  final.
- a full queue drops the new alert (counted and logged).

Logs name the sink, alert kind, status code and error type, never a URL, token or header; the
``httpx`` logger (which logs request URLs at INFO) gets a filter masking every sink secret.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from enum import StrEnum

import httpx
import structlog

from bot.alerts.model import Alert, AlertKind, Severity
from bot.alerts.sinks import AlertSink, retry_after_seconds

log = structlog.get_logger(__name__)

MASK = "***"
_HTTPX_LOGGERS = ("httpx", "httpcore")


class DeliveryOutcome(StrEnum):
    SENT = "sent"
    FAILED = "failed"  # every attempt failed, or a permanent error
    RETRIED = "retried"  # one failed attempt that will be retried
    SUPPRESSED = "suppressed"  # over the sink's rate limit
    DROPPED = "dropped"  # the sink's queue was full
    DEDUPLICATED = "deduplicated"  # same dedupe key inside the window (not per sink: "*")
    UNSENT = "unsent"  # no sink is configured: only the journal keeps it


@dataclass(frozen=True, slots=True, kw_only=True)
class RateLimit:
    """At most ``burst`` alerts of one kind at once per sink, refilled at ``per_minute`` per
    minute."""

    per_minute: float = 20.0
    burst: int = 5

    def __post_init__(self) -> None:
        if self.per_minute <= 0 or self.burst < 1:
            raise ValueError(
                f"rate limit needs per_minute > 0 and burst >= 1, got {self.per_minute}, "
                f"{self.burst}"
            )


@dataclass(slots=True, kw_only=True)
class SinkStats:
    sent: int = 0
    failed: int = 0
    retried: int = 0
    suppressed: int = 0
    dropped: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class DispatcherStats:
    deduplicated: int
    sinks: dict[str, SinkStats] = field(default_factory=dict)


class _TokenBucket:
    def __init__(self, limit: RateLimit, now: float) -> None:
        self._limit = limit
        self._tokens = float(limit.burst)
        self._updated = now

    def take(self, now: float) -> bool:
        elapsed = max(0.0, now - self._updated)
        self._updated = now
        self._tokens = min(
            float(self._limit.burst), self._tokens + elapsed * self._limit.per_minute / 60.0
        )
        if self._tokens >= 1.0:
            self._tokens -= 1.0
            return True
        return False


class _SecretFilter(logging.Filter):
    """Masks sink secrets in stdlib log records (httpx logs every request URL)."""

    def __init__(self, secrets: Sequence[str]) -> None:
        super().__init__()
        self._secrets = tuple(sorted({s for s in secrets if s}, key=len, reverse=True))

    def mask(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, MASK)
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        masked = self.mask(message)
        if masked != message:
            record.msg = masked
            record.args = ()
        return True


class AlertDispatcher:
    """Fan alerts out to ``sinks`` on background threads. Close it (or use ``with``)."""

    def __init__(
        self,
        sinks: Sequence[AlertSink],
        *,
        client: httpx.Client | None = None,
        dedupe_window_s: float = 300.0,
        rate_limit: RateLimit | None = None,
        max_attempts: int = 3,
        backoff_s: float = 0.5,
        max_backoff_s: float = 5.0,
        max_retry_after_s: float = 30.0,
        timeout_s: float = 5.0,
        queue_size: int = 100,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] | None = None,
        on_delivery: Callable[[str, DeliveryOutcome], None] | None = None,
        record: Callable[[Alert, str, DeliveryOutcome], None] | None = None,
    ) -> None:
        names = [sink.name for sink in sinks]
        if len(set(names)) != len(names):
            raise ValueError(f"alert sink names must be unique, got {names}")
        if max_attempts < 1:
            raise ValueError(f"max_attempts must be >= 1, got {max_attempts}")
        self._sinks = tuple(sinks)
        self._owns_client = client is None
        self._client = client or httpx.Client(timeout=timeout_s)
        self._timeout_s = timeout_s
        self._dedupe_window_s = dedupe_window_s
        self._rate_limit = rate_limit or RateLimit()
        self._max_attempts = max_attempts
        self._backoff_s = backoff_s
        self._max_backoff_s = max_backoff_s
        self._max_retry_after_s = max_retry_after_s
        self._monotonic = monotonic
        self._stop = threading.Event()
        self._sleep = sleep or self._interruptible_sleep
        self._on_delivery = on_delivery
        # What became of each alert (sent, failed, dropped...), for the journal: the operator
        # reads there what was sent to them and what never reached them.
        self._record_hook = record

        self._lock = threading.Lock()
        self._idle = threading.Condition(self._lock)
        self._in_flight = 0
        self._last_seen: dict[str, float] = {}
        self._deduplicated = 0
        self._stats = {sink.name: SinkStats() for sink in self._sinks}
        self._suppressed_since_sent = {sink.name: 0 for sink in self._sinks}
        # One bucket per sink and alert kind: a flood of hedge changes must not use up the
        # tokens a repay or a stalled guard needs.
        self._buckets: dict[tuple[str, AlertKind], _TokenBucket] = {}
        # ``None`` is the stop sentinel: it wakes a worker waiting on an empty queue.
        self._queues: dict[str, queue.Queue[Alert | None]] = {
            sink.name: queue.Queue(maxsize=queue_size) for sink in self._sinks
        }

        self._secret_filter = _SecretFilter([s for sink in self._sinks for s in sink.secrets()])
        for name in _HTTPX_LOGGERS:
            logging.getLogger(name).addFilter(self._secret_filter)

        self._threads = [
            threading.Thread(
                target=self._run, args=(sink,), name=f"alerts-{sink.name}", daemon=True
            )
            for sink in self._sinks
        ]
        for thread in self._threads:
            thread.start()

    # --- caller side -------------------------------------------------------------------------

    def submit(self, alert: Alert) -> bool:
        """Queue ``alert`` for every sink; False if deduplicated or closed. Never raises."""
        try:
            return self._submit(alert)
        except Exception as e:
            log.error("alert submit failed", kind=alert.kind.value, error=type(e).__name__)
            return False

    def _submit(self, alert: Alert) -> bool:
        if self._stop.is_set():
            log.warning("alert after dispatcher close", kind=alert.kind.value)
            return False
        now = self._monotonic()
        with self._lock:
            last = self._last_seen.get(alert.dedupe_key)
            if last is not None and now - last < self._dedupe_window_s:
                self._deduplicated += 1
                duplicate = True
            else:
                duplicate = False
                self._last_seen[alert.dedupe_key] = now
                if len(self._last_seen) > 1024:
                    self._forget_old_keys(now)
        if duplicate:
            log.debug("alert deduplicated", kind=alert.kind.value, dedupe_key=alert.dedupe_key)
            self._notify("*", DeliveryOutcome.DEDUPLICATED)
            self._record(alert, "*", DeliveryOutcome.DEDUPLICATED)
            return False
        # The log says it too: an operator reading the daemon's output (no sink set up, or a
        # sink down) sees every alert there. An alert carries no secret by construction.
        said = log.info if alert.severity is Severity.INFO else log.warning
        said("alert", kind=alert.kind.value, severity=alert.severity.value, title=alert.title)
        if not self._sinks:
            self._record(alert, "", DeliveryOutcome.UNSENT)
        for sink in self._sinks:
            with self._lock:
                self._in_flight += 1
            try:
                self._queues[sink.name].put_nowait(alert)
            except queue.Full:
                self._done()
                self._count(sink.name, DeliveryOutcome.DROPPED, alert)
                log.warning("alert queue full, alert dropped", sink=sink.name, kind=alert.kind)
        return True

    def _forget_old_keys(self, now: float) -> None:
        self._last_seen = {
            key: seen for key, seen in self._last_seen.items() if now - seen < self._dedupe_window_s
        }

    def flush(self, timeout: float) -> bool:
        """Wait until every queued alert was delivered or given up; False on timeout."""
        deadline = time.monotonic() + timeout
        with self._idle:
            while self._in_flight > 0:
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    return False
                self._idle.wait(remaining)
            return True

    def close(self, timeout: float = 5.0) -> None:
        """Deliver what is queued (up to ``timeout``), then stop the workers."""
        flushed = self.flush(timeout)
        if not flushed:
            log.warning("alert dispatcher closed with undelivered alerts")
        self._stop.set()
        for inbox in self._queues.values():
            # A full queue: the worker sees the stop flag after its current alert.
            with contextlib.suppress(queue.Full):
                inbox.put_nowait(None)
        for thread in self._threads:
            thread.join(timeout=max(1.0, self._timeout_s))
        for name in _HTTPX_LOGGERS:
            logging.getLogger(name).removeFilter(self._secret_filter)
        if self._owns_client:
            self._client.close()

    def __enter__(self) -> AlertDispatcher:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def stats(self) -> DispatcherStats:
        with self._lock:
            return DispatcherStats(
                deduplicated=self._deduplicated,
                sinks={
                    name: SinkStats(
                        sent=s.sent,
                        failed=s.failed,
                        retried=s.retried,
                        suppressed=s.suppressed,
                        dropped=s.dropped,
                    )
                    for name, s in self._stats.items()
                },
            )

    # --- worker side -------------------------------------------------------------------------

    def _run(self, sink: AlertSink) -> None:
        inbox = self._queues[sink.name]
        while not self._stop.is_set():
            try:
                alert = inbox.get(timeout=1.0)
            except queue.Empty:
                continue
            if alert is None:
                return
            try:
                self._deliver(sink, alert)
            except Exception as e:  # a bug here must not kill the worker
                self._count(sink.name, DeliveryOutcome.FAILED, alert)
                log.error(
                    "alert delivery crashed",
                    sink=sink.name,
                    kind=alert.kind.value,
                    error=type(e).__name__,
                    detail=self._secret_filter.mask(str(e)),
                )
            finally:
                self._done()

    def _deliver(self, sink: AlertSink, alert: Alert) -> None:
        # Critical alerts take a token when one is left but go out regardless.
        now = self._monotonic()
        bucket = self._buckets.setdefault(
            (sink.name, alert.kind), _TokenBucket(self._rate_limit, now)
        )
        has_token = bucket.take(now)
        if not has_token and alert.severity is not Severity.CRITICAL:
            with self._lock:
                self._suppressed_since_sent[sink.name] += 1
            self._count(sink.name, DeliveryOutcome.SUPPRESSED, alert)
            log.info("alert suppressed by rate limit", sink=sink.name, kind=alert.kind.value)
            return
        with self._lock:
            suppressed = self._suppressed_since_sent[sink.name]
        if suppressed:
            alert = _with_suppressed_note(alert, suppressed)
        request = sink.request(alert)
        headers = dict(request.headers)
        for attempt in range(1, self._max_attempts + 1):
            delay = min(self._max_backoff_s, self._backoff_s * 2 ** (attempt - 1))
            try:
                response = self._client.post(
                    request.url, json=request.payload, headers=headers, timeout=self._timeout_s
                )
            except httpx.HTTPError as e:
                problem = f"{type(e).__name__}: {self._secret_filter.mask(str(e))}"
            else:
                if sink.delivered(response):
                    with self._lock:
                        self._suppressed_since_sent[sink.name] -= suppressed
                    self._count(sink.name, DeliveryOutcome.SENT, alert)
                    log.debug("alert sent", sink=sink.name, kind=alert.kind.value)
                    return
                status = response.status_code
                problem = f"HTTP {status}"
                if status == 429:
                    wait = retry_after_seconds(response)
                    if wait is not None and wait > self._max_retry_after_s:
                        self._give_up(sink, alert, f"{problem}, retry after {wait:g} s")
                        return
                    delay = delay if wait is None else wait
                elif status < 500:
                    self._give_up(sink, alert, problem)
                    return
            if attempt == self._max_attempts:
                self._give_up(sink, alert, f"{problem} after {attempt} attempts")
                return
            self._count(sink.name, DeliveryOutcome.RETRIED)
            log.info(
                "alert delivery failed, retrying",
                sink=sink.name,
                kind=alert.kind.value,
                attempt=attempt,
                problem=problem,
                retry_in_s=delay,
            )
            self._sleep(delay)
            if self._stop.is_set():
                self._give_up(sink, alert, "dispatcher closed")
                return

    def _give_up(self, sink: AlertSink, alert: Alert, problem: str) -> None:
        self._count(sink.name, DeliveryOutcome.FAILED, alert)
        log.warning(
            "alert not delivered",
            sink=sink.name,
            kind=alert.kind.value,
            dedupe_key=alert.dedupe_key,
            problem=problem,
        )

    def _interruptible_sleep(self, seconds: float) -> None:
        self._stop.wait(seconds)

    def _done(self) -> None:
        with self._idle:
            self._in_flight -= 1
            if self._in_flight <= 0:
                self._idle.notify_all()

    def _count(self, sink_name: str, outcome: DeliveryOutcome, alert: Alert | None = None) -> None:
        with self._lock:
            stats = self._stats[sink_name]
            setattr(stats, outcome.value, getattr(stats, outcome.value) + 1)
        self._notify(sink_name, outcome)
        if alert is not None:
            self._record(alert, sink_name, outcome)

    def _record(self, alert: Alert, sink_name: str, outcome: DeliveryOutcome) -> None:
        if self._record_hook is None:
            return
        try:
            self._record_hook(alert, sink_name, outcome)
        except Exception as e:  # the journal down must not stop the alert going out
            log.error("alert record failed", kind=alert.kind.value, error=type(e).__name__)

    def _notify(self, sink_name: str, outcome: DeliveryOutcome) -> None:
        if self._on_delivery is None:
            return
        try:
            self._on_delivery(sink_name, outcome)
        except Exception as e:
            log.error("alert delivery callback failed", error=type(e).__name__)


def _with_suppressed_note(alert: Alert, suppressed: int) -> Alert:
    note = f"({suppressed} earlier alert{'s' if suppressed > 1 else ''} suppressed by rate limit)"
    return replace(alert, text=f"{alert.text}\n{note}" if alert.text else note)
