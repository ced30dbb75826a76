"""The dispatcher: retries, Retry-After, rate limits, deduplication, isolation between sinks,
and secrets kept out of every log line."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Iterator
from functools import partial
from pathlib import Path

import httpx
import pytest
import respx
from structlog.testing import capture_logs

from bot.alerts import (
    Alert,
    AlertDispatcher,
    AlertKind,
    DeliveryOutcome,
    RateLimit,
    Severity,
    SlackSink,
    TelegramSink,
    WebhookSink,
)
from bot.daemon.wiring import journal_alert
from bot.journal import Journal

TOKEN = "987654321:AAFakeTokenForTestsOnly_abcdefghijkl"
TELEGRAM_URL = f"https://api.telegram.org/bot{TOKEN}/sendMessage"
SLACK_URL = "https://hooks.slack.com/services/T111/B222/YYYYYYYYYYYYYYYYYYYYYYYY"
WEBHOOK_URL = "https://receiver.example.com/hook/Zx9-private-path"
HEADER_SECRET = "Bearer very-secret-header-value"


class FakeMonotonic:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class SleepRecorder:
    def __init__(self) -> None:
        self.calls: list[float] = []

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)


def alert(n: int = 0, severity: Severity = Severity.WARNING, key: str | None = None) -> Alert:
    return Alert(
        kind=AlertKind.STALE_DATA,
        severity=severity,
        title=f"alert {n}",
        text=f"text {n}",
        dedupe_key=key or f"key-{n}",
    )


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


@pytest.fixture
def make_dispatcher() -> Iterator[Callable[..., AlertDispatcher]]:
    made: list[AlertDispatcher] = []

    def make(sinks: list[object], **kwargs: object) -> AlertDispatcher:
        kwargs.setdefault("backoff_s", 0.0)
        dispatcher = AlertDispatcher(sinks, **kwargs)  # type: ignore[arg-type]
        made.append(dispatcher)
        return dispatcher

    yield make
    for dispatcher in made:
        dispatcher.close(timeout=5)


slack = SlackSink(url=SLACK_URL)


# --- retries ------------------------------------------------------------------------------------


def test_server_errors_are_retried_until_delivered(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    route = router.post(SLACK_URL).mock(
        side_effect=[httpx.Response(500), httpx.Response(502), httpx.Response(200, text="ok")]
    )
    sleeps = SleepRecorder()
    dispatcher = make_dispatcher([slack], backoff_s=0.5, sleep=sleeps)

    dispatcher.submit(alert())
    assert dispatcher.flush(5)

    assert route.call_count == 3
    assert sleeps.calls == [0.5, 1.0]  # exponential backoff
    stats = dispatcher.stats().sinks["slack"]
    assert (stats.sent, stats.retried, stats.failed) == (1, 2, 0)


def test_timeouts_are_retried(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    route = router.post(SLACK_URL).mock(
        side_effect=[httpx.ReadTimeout("timed out"), httpx.Response(200, text="ok")]
    )
    dispatcher = make_dispatcher([slack])

    dispatcher.submit(alert())
    assert dispatcher.flush(5)

    assert route.call_count == 2
    assert dispatcher.stats().sinks["slack"].sent == 1


def test_an_alert_is_given_up_after_max_attempts(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    route = router.post(SLACK_URL).respond(503)
    dispatcher = make_dispatcher([slack], max_attempts=3)

    dispatcher.submit(alert())
    assert dispatcher.flush(5)

    assert route.call_count == 3
    assert dispatcher.stats().sinks["slack"].failed == 1


def test_client_errors_are_not_retried(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    route = router.post(SLACK_URL).respond(404, text="no_service")
    dispatcher = make_dispatcher([slack])

    dispatcher.submit(alert())
    assert dispatcher.flush(5)

    assert route.call_count == 1
    assert dispatcher.stats().sinks["slack"].failed == 1


def test_a_429_waits_for_retry_after(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    route = router.post(TELEGRAM_URL).mock(
        side_effect=[
            httpx.Response(429, json={"ok": False, "parameters": {"retry_after": 3}}),
            httpx.Response(200, json={"ok": True}),
        ]
    )
    sleeps = SleepRecorder()
    dispatcher = make_dispatcher([TelegramSink(token=TOKEN, chat_id="1")], sleep=sleeps)

    dispatcher.submit(alert())
    assert dispatcher.flush(5)

    assert route.call_count == 2
    assert sleeps.calls == [3.0]
    assert dispatcher.stats().sinks["telegram"].sent == 1


def test_a_429_asking_for_too_long_a_wait_gives_up_at_once(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    route = router.post(SLACK_URL).respond(429, headers={"Retry-After": "600"})
    sleeps = SleepRecorder()
    dispatcher = make_dispatcher([slack], sleep=sleeps, max_retry_after_s=30)

    dispatcher.submit(alert())
    assert dispatcher.flush(5)

    assert route.call_count == 1
    assert sleeps.calls == []
    assert dispatcher.stats().sinks["slack"].failed == 1


# --- rate limiting and deduplication ------------------------------------------------------------


def test_alerts_over_the_rate_limit_are_suppressed_then_reported(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    route = router.post(SLACK_URL).respond(200, text="ok")
    clock = FakeMonotonic()
    dispatcher = make_dispatcher(
        [slack], rate_limit=RateLimit(per_minute=6, burst=2), monotonic=clock
    )

    for n in range(5):
        dispatcher.submit(alert(n))
    assert dispatcher.flush(5)

    assert route.call_count == 2
    assert dispatcher.stats().sinks["slack"].suppressed == 3

    clock.now += 10  # 6 per minute: one token back
    dispatcher.submit(alert(99))
    assert dispatcher.flush(5)

    assert route.call_count == 3
    last_text = route.calls[-1].request.content.decode()
    assert "alert 99" in last_text
    assert "3 earlier alerts suppressed by rate limit" in last_text


def test_critical_alerts_pass_the_rate_limit(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    route = router.post(SLACK_URL).respond(200, text="ok")
    dispatcher = make_dispatcher(
        [slack], rate_limit=RateLimit(per_minute=1, burst=1), monotonic=FakeMonotonic()
    )

    dispatcher.submit(alert(0))
    dispatcher.submit(alert(1))  # suppressed
    dispatcher.submit(alert(2, severity=Severity.CRITICAL))
    assert dispatcher.flush(5)

    assert route.call_count == 2
    assert "alert 2" in route.calls[-1].request.content.decode()


def test_a_flood_of_one_kind_does_not_silence_another(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    route = router.post(SLACK_URL).respond(200, text="ok")
    dispatcher = make_dispatcher(
        [slack], rate_limit=RateLimit(per_minute=1, burst=2), monotonic=FakeMonotonic()
    )
    for n in range(5):
        dispatcher.submit(alert(n))  # stale-data alerts: two go out, three are suppressed
    repaid = Alert(
        kind=AlertKind.REPAY_EXECUTED,
        severity=Severity.WARNING,
        title="repaid 9000 USDC",
        text="",
        dedupe_key="repay:0xabc",
    )
    dispatcher.submit(repaid)
    assert dispatcher.flush(5)

    assert route.call_count == 3
    assert "repaid 9000 USDC" in route.calls[-1].request.content.decode()


def test_the_same_dedupe_key_is_sent_once_per_window(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    route = router.post(SLACK_URL).respond(200, text="ok")
    clock = FakeMonotonic()
    dispatcher = make_dispatcher([slack], dedupe_window_s=300, monotonic=clock)

    assert dispatcher.submit(alert(1, key="stale:main")) is True
    assert dispatcher.submit(alert(2, key="stale:main")) is False
    assert dispatcher.submit(alert(3, key="stale:other")) is True
    clock.now += 301
    assert dispatcher.submit(alert(4, key="stale:main")) is True
    assert dispatcher.flush(5)

    assert route.call_count == 3
    assert dispatcher.stats().deduplicated == 1


# --- isolation ----------------------------------------------------------------------------------


def test_a_hanging_sink_does_not_hold_up_the_others_or_the_caller(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    release = threading.Event()

    def hang(request: httpx.Request) -> httpx.Response:
        release.wait(10)
        return httpx.Response(500)

    router.post(WEBHOOK_URL).mock(side_effect=hang)
    slack_route = router.post(SLACK_URL).respond(200, text="ok")
    dispatcher = make_dispatcher([WebhookSink(url=WEBHOOK_URL), slack], max_attempts=1)

    for n in range(3):
        assert dispatcher.submit(alert(n)) is True  # returns while the webhook hangs

    deadline = time.monotonic() + 10
    while slack_route.call_count < 3 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert slack_route.call_count == 3
    assert not release.is_set()  # the webhook is still stuck on its first alert

    release.set()
    assert dispatcher.flush(10)
    stats = dispatcher.stats().sinks
    assert (stats["slack"].sent, stats["webhook"].failed) == (3, 3)


def test_a_full_queue_drops_new_alerts_instead_of_blocking(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    release = threading.Event()

    def hang(request: httpx.Request) -> httpx.Response:
        release.wait(10)
        return httpx.Response(200, text="ok")

    router.post(SLACK_URL).mock(side_effect=hang)
    dispatcher = make_dispatcher([slack], queue_size=1)

    for n in range(5):
        dispatcher.submit(alert(n))
    release.set()
    assert dispatcher.flush(10)

    stats = dispatcher.stats().sinks["slack"]
    assert stats.dropped >= 3  # one in flight, at most one queued
    assert stats.sent + stats.dropped == 5


def test_a_broken_sink_never_raises_into_the_caller(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    class BrokenSink(SlackSink):
        def request(self, alert: Alert) -> object:  # type: ignore[override]
            raise RuntimeError("renderer bug")

    slack_route = router.post(SLACK_URL).respond(200, text="ok")
    dispatcher = make_dispatcher([BrokenSink(url="https://broken.invalid/x", name="broken"), slack])

    assert dispatcher.submit(alert()) is True
    assert dispatcher.flush(5)

    stats = dispatcher.stats().sinks
    assert (stats["broken"].failed, stats["slack"].sent, slack_route.call_count) == (1, 1, 1)


def test_delivery_outcomes_reach_the_callback(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher]
) -> None:
    router.post(SLACK_URL).mock(side_effect=[httpx.Response(500), httpx.Response(200)])
    seen: list[tuple[str, DeliveryOutcome]] = []
    lock = threading.Lock()

    def record(sink: str, outcome: DeliveryOutcome) -> None:
        with lock:
            seen.append((sink, outcome))

    dispatcher = make_dispatcher([slack], on_delivery=record)
    dispatcher.submit(alert(1, key="k"))
    dispatcher.submit(alert(2, key="k"))
    assert dispatcher.flush(5)

    assert sorted(seen) == sorted(
        [
            ("*", DeliveryOutcome.DEDUPLICATED),
            ("slack", DeliveryOutcome.RETRIED),
            ("slack", DeliveryOutcome.SENT),
        ]
    )


def test_the_journal_learns_what_became_of_each_alert(
    router: respx.MockRouter, make_dispatcher: Callable[..., AlertDispatcher], tmp_path: Path
) -> None:
    """Sent, failed, suppressed and deduplicated alerts are all in the journal, per sink."""
    router.post(SLACK_URL).mock(return_value=httpx.Response(200))
    router.post(WEBHOOK_URL).mock(return_value=httpx.Response(403))
    journal = Journal.open(f"sqlite:///{tmp_path / 'journal.db'}")
    webhook = WebhookSink(url=WEBHOOK_URL)
    dispatcher = make_dispatcher([slack, webhook], record=partial(journal_alert, journal))
    dispatcher.submit(alert(1, key="k"))
    dispatcher.submit(alert(2, key="k"))
    assert dispatcher.flush(5)
    rows = journal.alerts_since(0)
    journal.close()
    assert sorted((r.title, r.sinks, r.outcome) for r in rows) == [
        ("alert 1", ("slack",), "sent"),
        ("alert 1", ("webhook",), "failed"),
        ("alert 2", ("*",), "deduplicated"),
    ]


def test_without_a_sink_the_journal_still_keeps_the_alert(tmp_path: Path) -> None:
    journal = Journal.open(f"sqlite:///{tmp_path / 'journal.db'}")
    with AlertDispatcher([], record=partial(journal_alert, journal)) as dispatcher:
        dispatcher.submit(alert(7, Severity.CRITICAL))
    (row,) = journal.alerts_since(0)
    journal.close()
    assert (row.title, row.severity, row.sinks, row.outcome) == (
        "alert 7",
        "critical",
        (),
        "unsent",
    )


def test_alerts_after_close_are_refused(router: respx.MockRouter) -> None:
    dispatcher = AlertDispatcher([slack])
    dispatcher.close()
    assert dispatcher.submit(alert()) is False


def test_sink_names_must_be_unique() -> None:
    with pytest.raises(ValueError, match="unique"):
        AlertDispatcher([slack, SlackSink(url=SLACK_URL)])


# --- secrets ------------------------------------------------------------------------------------


def test_tokens_and_webhook_urls_never_reach_the_logs(
    router: respx.MockRouter,
    make_dispatcher: Callable[..., AlertDispatcher],
    caplog: pytest.LogCaptureFixture,
) -> None:
    router.post(TELEGRAM_URL).mock(
        side_effect=[httpx.ConnectError(f"cannot reach {TELEGRAM_URL}"), httpx.Response(500)]
    )
    router.post(SLACK_URL).respond(403, text="invalid_token")
    router.post(WEBHOOK_URL).mock(
        side_effect=[httpx.Response(429, headers={"Retry-After": "0"}), httpx.Response(200)]
    )
    sinks = [
        TelegramSink(token=TOKEN, chat_id="1"),
        slack,
        WebhookSink(url=WEBHOOK_URL, headers=(("Authorization", HEADER_SECRET),)),
    ]
    caplog.set_level(logging.DEBUG, logger="httpx")

    with capture_logs() as logs:
        dispatcher = make_dispatcher(sinks, max_attempts=2)
        dispatcher.submit(alert())
        assert dispatcher.flush(5)

    assert any(entry["event"] == "alert not delivered" for entry in logs)
    assert any("HTTP Request" in message for message in caplog.messages)  # httpx did log
    everything = repr(logs) + caplog.text
    for secret in (TOKEN, SLACK_URL, WEBHOOK_URL, "Zx9-private-path", HEADER_SECRET):
        assert secret not in everything


def test_every_alert_is_in_the_log_once_even_without_a_sink(
    make_dispatcher: Callable[..., AlertDispatcher],
) -> None:
    """An operator with no Telegram or webhook set up reads the daemon's output: a breaker
    that holds the hedger must show there, not only in the journal."""
    dispatcher = make_dispatcher([])
    with capture_logs() as logs:
        dispatcher.submit(alert(1, Severity.CRITICAL))
        dispatcher.submit(alert(1, Severity.CRITICAL))  # the same, deduplicated
        dispatcher.submit(alert(2, Severity.INFO))

    said = [(e["log_level"], e["title"]) for e in logs if e["event"] == "alert"]
    assert said == [("warning", "alert 1"), ("info", "alert 2")]
    assert all("text 1" not in repr(e) for e in logs)  # the title, not the text
