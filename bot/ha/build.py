"""The replica's leadership from the config (``ha``) and its journal."""

from __future__ import annotations

import os
import socket

from bot.config.models import HedgebotConfig
from bot.core.ha import LeaseSettings
from bot.ha.leadership import Leadership, OnChange, libpq_url, lock_key
from bot.journal import Journal


def default_replica_id() -> str:
    return f"{socket.gethostname()}-{os.getpid()}"


def lease_settings(config: HedgebotConfig) -> LeaseSettings:
    ha = config.ha
    return LeaseSettings(
        heartbeat_secs=ha.heartbeat_secs, lease_secs=ha.lease_secs, takeover_secs=ha.takeover_secs
    )


def build_leadership(
    config: HedgebotConfig, journal: Journal, *, on_change: OnChange
) -> Leadership:
    """Not started: ``start()`` it once the journal is fenced with it."""
    ha = config.ha
    return Leadership(
        conninfo=libpq_url(config.journal.url),
        key=lock_key(journal.deployment),
        replica_id=ha.replica_id or default_replica_id(),
        settings=lease_settings(config),
        begin_epoch=lambda replica, reason: journal.begin_epoch(replica_id=replica, reason=reason),
        previous_epoch=journal.latest_epoch,
        on_change=on_change,
        connect_timeout_secs=ha.connect_timeout_secs,
    )


__all__ = ["build_leadership", "default_replica_id", "lease_settings"]
