"""Where alerts go: Telegram, Slack, Discord and a generic JSON webhook.

A sink only knows how to turn an ``Alert`` into one HTTP request and whether the answer means
"delivered"; the dispatcher sends, retries and rate-limits. Tokens and webhook URLs are secrets:
they are excluded from ``repr`` and listed by ``secrets()`` so logs can mask them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any, Protocol

import httpx

from bot.alerts.model import Alert, Severity

TELEGRAM_TEXT_LIMIT = 4096
DISCORD_TITLE_LIMIT = 256
DISCORD_DESCRIPTION_LIMIT = 4096
DISCORD_FIELD_LIMIT = 25
DISCORD_FIELD_VALUE_LIMIT = 1024

_DISCORD_COLOURS = {
    Severity.INFO: 0x3498DB,
    Severity.WARNING: 0xF39C12,
    Severity.CRITICAL: 0xE74C3C,
}


@dataclass(frozen=True, slots=True, kw_only=True)
class SinkRequest:
    url: str
    payload: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


class AlertSink(Protocol):
    @property
    def name(self) -> str: ...

    def request(self, alert: Alert) -> SinkRequest: ...

    def delivered(self, response: httpx.Response) -> bool: ...

    def secrets(self) -> tuple[str, ...]: ...


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _ok_2xx(response: httpx.Response) -> bool:
    return 200 <= response.status_code < 300


@dataclass(frozen=True, slots=True, kw_only=True)
class TelegramSink:
    """Bot API ``sendMessage``; the bot token sits in the URL path."""

    token: str = field(repr=False)
    chat_id: str
    name: str = "telegram"
    api_base: str = "https://api.telegram.org"

    def request(self, alert: Alert) -> SinkRequest:
        return SinkRequest(
            url=f"{self.api_base.rstrip('/')}/bot{self.token}/sendMessage",
            payload={
                "chat_id": self.chat_id,
                "text": _truncate(alert.plain_text(), TELEGRAM_TEXT_LIMIT),
                "disable_web_page_preview": True,
            },
        )

    def delivered(self, response: httpx.Response) -> bool:
        if not _ok_2xx(response):
            return False
        try:
            return bool(response.json().get("ok", False))
        except (json.JSONDecodeError, AttributeError):
            return False

    def secrets(self) -> tuple[str, ...]:
        return (self.token,)


def _slack_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


@dataclass(frozen=True, slots=True, kw_only=True)
class SlackSink:
    """Slack incoming webhook (the URL is the credential)."""

    url: str = field(repr=False)
    name: str = "slack"

    def request(self, alert: Alert) -> SinkRequest:
        lines = [f"*[{alert.severity.value.upper()}] {_slack_escape(alert.title)}*"]
        if alert.text:
            lines.append(_slack_escape(alert.text))
        lines.extend(
            f"• *{_slack_escape(label)}*: {_slack_escape(value)}" for label, value in alert.fields
        )
        return SinkRequest(url=self.url, payload={"text": "\n".join(lines)})

    def delivered(self, response: httpx.Response) -> bool:
        return _ok_2xx(response)

    def secrets(self) -> tuple[str, ...]:
        return (self.url,)


@dataclass(frozen=True, slots=True, kw_only=True)
class DiscordSink:
    """Discord webhook with one embed; mentions are disabled so alerts never ping @everyone."""

    url: str = field(repr=False)
    name: str = "discord"
    username: str = "hedgebot"

    def request(self, alert: Alert) -> SinkRequest:
        embed: dict[str, Any] = {
            "title": _truncate(alert.title, DISCORD_TITLE_LIMIT),
            "description": _truncate(alert.text, DISCORD_DESCRIPTION_LIMIT),
            "color": _DISCORD_COLOURS[alert.severity],
            "fields": [
                {
                    "name": _truncate(label, DISCORD_TITLE_LIMIT),
                    "value": _truncate(value or "-", DISCORD_FIELD_VALUE_LIMIT),
                    "inline": True,
                }
                for label, value in alert.fields[:DISCORD_FIELD_LIMIT]
            ],
        }
        if alert.at is not None:
            embed["timestamp"] = alert.at.isoformat()
        return SinkRequest(
            url=self.url,
            payload={
                "username": self.username,
                "embeds": [embed],
                "allowed_mentions": {"parse": []},
            },
        )

    def delivered(self, response: httpx.Response) -> bool:
        return _ok_2xx(response)

    def secrets(self) -> tuple[str, ...]:
        return (self.url,)


@dataclass(frozen=True, slots=True, kw_only=True)
class WebhookSink:
    """Any HTTP endpoint taking the alert as JSON. Header values (auth) count as secrets."""

    url: str = field(repr=False)
    name: str = "webhook"
    headers: tuple[tuple[str, str], ...] = field(default=(), repr=False)

    def request(self, alert: Alert) -> SinkRequest:
        return SinkRequest(
            url=self.url,
            payload={
                "kind": alert.kind.value,
                "severity": alert.severity.value,
                "title": alert.title,
                "text": alert.text,
                "dedupe_key": alert.dedupe_key,
                "fields": dict(alert.fields),
                "at": None if alert.at is None else alert.at.isoformat(),
            },
            headers=self.headers,
        )

    def delivered(self, response: httpx.Response) -> bool:
        return _ok_2xx(response)

    def secrets(self) -> tuple[str, ...]:
        return (self.url, *(value for _name, value in self.headers))


def retry_after_seconds(response: httpx.Response) -> float | None:
    """How long a 429 asks to wait: the ``Retry-After`` header, else Telegram's
    ``parameters.retry_after`` or Discord's ``retry_after`` in the JSON body."""
    header = response.headers.get("retry-after")
    if header is not None:
        try:
            return max(0.0, float(header))
        except ValueError:
            pass  # an HTTP-date: rare for these APIs; fall back to the body or backoff
    try:
        body = response.json()
    except (json.JSONDecodeError, UnicodeDecodeError):
        return None
    if not isinstance(body, dict):
        return None
    value = body.get("retry_after")
    parameters = body.get("parameters")
    if value is None and isinstance(parameters, dict):
        value = parameters.get("retry_after")
    if isinstance(value, int | float) and not isinstance(value, bool):
        return max(0.0, float(value))
    return None
