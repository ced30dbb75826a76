"""Alerts: event constructors, HF hysteresis, sinks (Telegram, Slack, Discord, webhook) and a
dispatcher that deduplicates, rate-limits and retries on background threads."""

from __future__ import annotations

from bot.alerts.dispatcher import (
    AlertDispatcher,
    DeliveryOutcome,
    DispatcherStats,
    RateLimit,
    SinkStats,
)
from bot.alerts.hysteresis import HfAlertDecision, HfAlertState, HfThresholds, step_hf_alert
from bot.alerts.model import Alert, AlertKind, Severity
from bot.alerts.sinks import (
    AlertSink,
    DiscordSink,
    SinkRequest,
    SlackSink,
    TelegramSink,
    WebhookSink,
    retry_after_seconds,
)

__all__ = [
    "Alert",
    "AlertDispatcher",
    "AlertKind",
    "AlertSink",
    "DeliveryOutcome",
    "DiscordSink",
    "DispatcherStats",
    "HfAlertDecision",
    "HfAlertState",
    "HfThresholds",
    "RateLimit",
    "Severity",
    "SinkRequest",
    "SinkStats",
    "SlackSink",
    "TelegramSink",
    "WebhookSink",
    "retry_after_seconds",
    "step_hf_alert",
]
