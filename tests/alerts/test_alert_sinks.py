"""Each sink's wire request (URL, JSON payload), checked on the real httpx traffic with respx."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime
from decimal import Decimal

import httpx
import pytest
import respx

from bot.alerts import (
    Alert,
    AlertDispatcher,
    AlertKind,
    DiscordSink,
    Severity,
    SlackSink,
    TelegramSink,
    WebhookSink,
    events,
    retry_after_seconds,
)
from bot.core.model import OrderReport, OrderStatus, Side
from bot.journal import PauseState

TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawQ"
SLACK_URL = "https://hooks.slack.com/services/T000/B000/XXXXXXXXXXXXXXXXXXXXXXXX"
DISCORD_URL = "https://discord.com/api/webhooks/123456789012/abcDEF-ghi_jkl"
WEBHOOK_URL = "https://alerts.example.com/hedgebot?key=s3cr3t-query"

ALERT = Alert(
    kind=AlertKind.HF_LOW,
    severity=Severity.CRITICAL,
    title="main: oracle HF 1.0800 under 1.1000",
    text="The oracle health factor is under the critical threshold <now>.",
    dedupe_key="hf:main:oracle:critical:1",
    fields=(("position", "main"), ("health factor", "1.0800")),
    at=datetime(2025, 6, 1, 12, 0, tzinfo=UTC),
)


@pytest.fixture
def router() -> Iterator[respx.MockRouter]:
    with respx.mock(assert_all_called=False) as mock:
        yield mock


def send(sink: object, alert: Alert = ALERT) -> None:
    with AlertDispatcher([sink], backoff_s=0.0) as dispatcher:  # type: ignore[list-item]
        assert dispatcher.submit(alert)
        assert dispatcher.flush(5)


def body(route: respx.Route, index: int = -1) -> dict[str, object]:
    request = route.calls[index].request
    return json.loads(request.content)  # type: ignore[no-any-return]


def test_telegram_posts_send_message_with_the_token_in_the_path(
    router: respx.MockRouter,
) -> None:
    route = router.post(f"https://api.telegram.org/bot{TOKEN}/sendMessage").respond(
        200, json={"ok": True, "result": {"message_id": 1}}
    )

    send(TelegramSink(token=TOKEN, chat_id="-100200300"))

    assert route.call_count == 1
    payload = body(route)
    assert payload["chat_id"] == "-100200300"
    assert payload["disable_web_page_preview"] is True
    assert payload["text"] == (
        "[CRITICAL] main: oracle HF 1.0800 under 1.1000\n"
        "The oracle health factor is under the critical threshold <now>.\n"
        "\n"
        "position: main\n"
        "health factor: 1.0800"
    )


def test_telegram_text_is_cut_to_the_api_limit(router: respx.MockRouter) -> None:
    route = router.post(f"https://api.telegram.org/bot{TOKEN}/sendMessage").respond(
        200, json={"ok": True}
    )
    long_alert = Alert(
        kind=AlertKind.STALE_DATA,
        severity=Severity.WARNING,
        title="stale",
        text="x" * 10_000,
        dedupe_key="stale",
    )

    send(TelegramSink(token=TOKEN, chat_id="1"), long_alert)

    assert len(body(route)["text"]) == 4096  # type: ignore[arg-type]


def test_telegram_ok_false_is_not_a_delivery(router: respx.MockRouter) -> None:
    route = router.post(f"https://api.telegram.org/bot{TOKEN}/sendMessage").respond(
        200, json={"ok": False, "description": "chat not found"}
    )
    sink = TelegramSink(token=TOKEN, chat_id="1")

    with AlertDispatcher([sink], backoff_s=0.0) as dispatcher:
        dispatcher.submit(ALERT)
        dispatcher.flush(5)
        stats = dispatcher.stats().sinks["telegram"]

    assert route.call_count == 1
    assert (stats.sent, stats.failed) == (0, 1)


def test_slack_posts_escaped_mrkdwn_text(router: respx.MockRouter) -> None:
    route = router.post(SLACK_URL).respond(200, text="ok")

    send(SlackSink(url=SLACK_URL))

    assert route.call_count == 1
    assert body(route) == {
        "text": "*[CRITICAL] main: oracle HF 1.0800 under 1.1000*\n"
        "The oracle health factor is under the critical threshold &lt;now&gt;.\n"
        "• *position*: main\n"
        "• *health factor*: 1.0800"
    }


def test_discord_posts_one_embed_without_mentions(router: respx.MockRouter) -> None:
    route = router.post(DISCORD_URL).respond(204)

    send(DiscordSink(url=DISCORD_URL))

    assert route.call_count == 1
    assert body(route) == {
        "username": "hedgebot",
        "allowed_mentions": {"parse": []},
        "embeds": [
            {
                "title": "main: oracle HF 1.0800 under 1.1000",
                "description": "The oracle health factor is under the critical threshold <now>.",
                "color": 0xE74C3C,
                "fields": [
                    {"name": "position", "value": "main", "inline": True},
                    {"name": "health factor", "value": "1.0800", "inline": True},
                ],
                "timestamp": "2025-06-01T12:00:00+00:00",
            }
        ],
    }


def test_webhook_posts_the_alert_as_json_with_its_headers(router: respx.MockRouter) -> None:
    route = router.post(WEBHOOK_URL).respond(202)

    send(WebhookSink(url=WEBHOOK_URL, headers=(("Authorization", "Bearer hook-secret"),)))

    assert route.call_count == 1
    request = route.calls[0].request
    assert request.headers["authorization"] == "Bearer hook-secret"
    assert request.headers["content-type"] == "application/json"
    assert body(route) == {
        "kind": "hf_low",
        "severity": "critical",
        "title": "main: oracle HF 1.0800 under 1.1000",
        "text": "The oracle health factor is under the critical threshold <now>.",
        "dedupe_key": "hf:main:oracle:critical:1",
        "fields": {"position": "main", "health factor": "1.0800"},
        "at": "2025-06-01T12:00:00+00:00",
    }


def test_sink_reprs_hide_their_secrets() -> None:
    sinks = [
        TelegramSink(token=TOKEN, chat_id="1"),
        SlackSink(url=SLACK_URL),
        DiscordSink(url=DISCORD_URL),
        WebhookSink(url=WEBHOOK_URL, headers=(("Authorization", "Bearer hook-secret"),)),
    ]
    text = repr(sinks)
    for secret in (TOKEN, SLACK_URL, DISCORD_URL, WEBHOOK_URL, "hook-secret"):
        assert secret not in text


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (httpx.Response(429, headers={"Retry-After": "7"}), 7.0),
        (httpx.Response(429, json={"ok": False, "parameters": {"retry_after": 12}}), 12.0),
        (httpx.Response(429, json={"message": "rate limited", "retry_after": 0.75}), 0.75),
        (httpx.Response(429, text="slow down"), None),
        (httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}), None),
    ],
)
def test_retry_after_is_read_from_header_or_body(
    response: httpx.Response, expected: float | None
) -> None:
    assert retry_after_seconds(response) == expected


EVENT_ALERTS = [
    events.hedge_changed(
        position="main",
        underlying="BNB",
        from_short_usd=Decimal("2400"),
        to_short_usd=Decimal("2500.5"),
        reason="BNB collateral grew",
    ),
    events.order_rejected(
        position="main",
        report=OrderReport(
            symbol="BNBUSD_PERP",
            client_order_id="hb-1",
            status=OrderStatus.REJECTED,
            side=Side.SELL,
            quantity=Decimal("25"),
            error_code=-2019,
            error_message="Margin is insufficient.",
        ),
    ),
    events.liquidation_distance_low(
        position="main", symbol="BTCUSDT", distance=Decimal("0.04"), floor=Decimal("0.1")
    ),
    events.stale_data(position="main", reason="block 12 s old", block_number=48_000_000),
    events.exchange_banned(
        detail="418 until 12:30", until=datetime(2025, 6, 1, 12, 30, tzinfo=UTC)
    ),
    events.daemon_started(version="0.1.0", positions=("main",), mode="live"),
    events.daemon_stopped(reason="SIGTERM"),
    events.repay_executed(
        position="main",
        amount=Decimal("1500"),
        asset="USDT",
        tx_hash="0x" + "ab" * 32,
        hf_before=Decimal("1.04"),
        hf_after=Decimal("1.21"),
    ),
    events.repay_failed(position="main", amount=Decimal("1500"), asset="USDT", error="reverted"),
    events.reserve_refill_needed(
        position="main", asset="USDT", balance=Decimal("100"), minimum=Decimal("1000")
    ),
    events.circuit_breaker_tripped(position="main", reason="5 consecutive failed cycles"),
]


@pytest.mark.parametrize("alert", EVENT_ALERTS, ids=lambda a: a.kind.value)
def test_every_event_reaches_every_sink(router: respx.MockRouter, alert: Alert) -> None:
    routes = [
        router.post(f"https://api.telegram.org/bot{TOKEN}/sendMessage").respond(
            200, json={"ok": True}
        ),
        router.post(SLACK_URL).respond(200, text="ok"),
        router.post(DISCORD_URL).respond(204),
        router.post(WEBHOOK_URL).respond(200),
    ]
    sinks = [
        TelegramSink(token=TOKEN, chat_id="1"),
        SlackSink(url=SLACK_URL),
        DiscordSink(url=DISCORD_URL),
        WebhookSink(url=WEBHOOK_URL),
    ]

    with AlertDispatcher(sinks, backoff_s=0.0) as dispatcher:
        dispatcher.submit(alert)
        dispatcher.flush(5)

    assert [route.call_count for route in routes] == [1, 1, 1, 1]
    assert alert.title in body(routes[0])["text"]  # type: ignore[operator]
    assert body(routes[3])["kind"] == alert.kind.value


def test_a_new_leader_says_the_hedger_it_inherits_is_paused(router: respx.MockRouter) -> None:
    """The pause lives in the shared journal: a breaker the old leader tripped holds here too."""
    route = router.post(f"https://api.telegram.org/bot{TOKEN}/sendMessage").respond(
        200, json={"ok": True}
    )
    paused = PauseState(
        paused=True, reason="breaker: 5 consecutive failed cycles", actor="replica a",
        changed_at=datetime(2025, 6, 1, 12, 0, tzinfo=UTC),
    )  # fmt: skip
    lead = events.leadership_changed(
        replica="b", leads=True, epoch=7, reason="previous leader's lock released", paused=paused
    )
    calm = events.leadership_changed(replica="b", leads=True, epoch=8, reason="start")

    send(TelegramSink(token=TOKEN, chat_id="1"), lead)
    send(TelegramSink(token=TOKEN, chat_id="1"), calm)

    said, quiet = (str(body(route, i)["text"]) for i in (0, 1))
    assert "replica b leads (epoch 7)" in said
    assert (
        "paused by replica a: breaker: 5 consecutive failed cycles; `hedgebot resume` resumes it"
        in said
    )
    assert "paused" not in quiet
