"""What the commands do, through the same functions as the CLI's: ``account_status`` for
/status, the journal's pause flag for /pause and /resume, ``flatten_all`` for /flatten, the
guard's switch as ``status`` reads it for /guard."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from bot.config.models import HedgebotConfig
from bot.daemon.operator import flatten_all, set_pause
from bot.daemon.status import account_status, loops_state
from bot.daemon.status_report import LoopsState, StatusReport
from bot.daemon.wiring import journal_for


class Operator(Protocol):
    def status(self) -> Sequence[StatusReport]: ...

    def set_paused(self, paused: bool, *, reason: str, actor: str) -> None: ...

    def flatten(self, *, actor: str, now: datetime) -> Sequence[str]: ...

    def guard_states(self) -> Sequence[tuple[str, LoopsState]]: ...


class DaemonOperator:
    """The running daemon's config and trading mode: /flatten trades where the daemon does."""

    def __init__(self, config: HedgebotConfig, *, dry_run: bool, live: bool) -> None:
        self._config = config
        self._dry_run = dry_run
        self._live = live

    def status(self) -> list[StatusReport]:
        return account_status(self._config, crash_pct=None)

    def set_paused(self, paused: bool, *, reason: str, actor: str) -> None:
        set_pause(self._config, paused=paused, reason=reason, actor=actor)

    def flatten(self, *, actor: str, now: datetime) -> list[str]:
        return flatten_all(
            self._config, dry_run=self._dry_run, live=self._live, now=now, actor=actor
        )

    def guard_states(self) -> list[tuple[str, LoopsState]]:
        journal = journal_for(self._config)
        try:
            return [
                (p.name, loops_state(self._config, p.name, journal)) for p in self._config.positions
            ]
        finally:
            journal.close()
