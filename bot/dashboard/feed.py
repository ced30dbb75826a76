"""Gathers the page's model in the daemon: the same reads ``hedgebot status`` makes (so the page
and ``status --json`` agree), the journal's history, the hedger's latest board note.

One read serves every open page: the model is kept ``refresh_secs`` and rebuilt on the first
request after that, under a lock so two pages never read the chain twice at once. The feed's
readers are started once, and a live daemon lends its own exchange: an open page then costs no
request weight on the streams (a fresh REST view per look would spend ~7 % of Binance's
per-minute budget at the 5 s refresh).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import structlog

from bot.chain.protocol import LendingProtocol
from bot.config.models import HedgebotConfig
from bot.config.secrets import read_secret
from bot.daemon.board import MarketBoard
from bot.daemon.status import StatusSources, account_status
from bot.daemon.status_report import LeadershipView, StatusReport
from bot.daemon.wiring import account_name, reader_for
from bot.dashboard.auth import is_loopback
from bot.dashboard.model import GuardLines, dashboard_model
from bot.exchange.base import Exchange
from bot.journal import Journal

log = structlog.get_logger(__name__)

HISTORY_CYCLES = 500  # the HF chart's points
BOARD_MAX_AGE_SECS = 600.0  # an older hedge view is not shown


class DashboardFeed:
    def __init__(
        self,
        config: HedgebotConfig,
        *,
        board: MarketBoard | None = None,
        refresh_secs: float = 5.0,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self._config = config
        self._board = board
        self._refresh_secs = refresh_secs
        self._clock = clock
        self._lock = threading.Lock()
        self._model: dict[str, Any] | None = None
        self._built = float("-inf")
        self._readers: dict[str, LendingProtocol] = {}
        self._exchange: Exchange | None = None
        # With ``ha``: this replica's id and its role now (the page marks a follower).
        self._replica: tuple[str, Callable[[], str]] | None = None

    def show_replica(self, replica_id: str, role: Callable[[], str]) -> None:
        self._replica = (replica_id, role)

    def read_account_through(self, exchange: Exchange) -> None:
        """Read positions, balances and marks through the daemon's own exchange."""
        self._exchange = exchange

    @property
    def refresh_secs(self) -> float:
        return self._refresh_secs

    def current(self) -> dict[str, Any]:
        """The model, rebuilt when older than ``refresh_secs``; a failed read keeps the last
        model and says why (the page shows it as stale)."""
        with self._lock:
            if time.monotonic() - self._built >= self._refresh_secs or self._model is None:
                self._model = self._rebuilt()
                self._built = time.monotonic()
            return self._model

    def _rebuilt(self) -> dict[str, Any]:
        try:
            return self._build()
        except Exception as e:
            # The type only: a message can carry an RPC URL with its key.
            log.error("dashboard read failed", error=type(e).__name__)
            last = dict(self._model or {})
            last["error"] = f"the latest read failed ({type(e).__name__}); showing the last one"
            return last

    def _build(self) -> dict[str, Any]:
        config = self._config
        reports = account_status(config, crash_pct=None, sources=self._sources())
        now = self._clock()
        # History only: read-only, so a page view never migrates, writes or takes the lock.
        journal = Journal.open_read_only(config.journal.url)
        try:
            cycles = journal.recent_cycles(account_name(config), limit=HISTORY_CYCLES)
            since = now - timedelta(hours=24)
            orders = journal.orders_since(since)
            txs = journal.txs_since(since)
        finally:
            journal.close()
        note = (
            None if self._board is None else self._board.fresh(now, max_age_secs=BOARD_MAX_AGE_SECS)
        )
        protect = config.protect
        return dashboard_model(
            at=now,
            reports=reports,
            lines=GuardLines(
                trigger_hf=protect.trigger_hf if protect else None,
                target_hf=protect.target_hf if protect else None,
            ),
            cycles=cycles,
            orders=orders,
            txs=txs,
            hedges=() if note is None else note.hedges,
            leadership=self._leadership(reports),
        )

    def _sources(self) -> StatusSources:
        for position in self._config.positions:
            if position.name not in self._readers:
                reader = reader_for(position)
                reader.start()  # a failure raises here: the next look starts it again
                self._readers[position.name] = reader
        return StatusSources(readers=dict(self._readers), exchange=self._exchange)

    def _leadership(self, reports: list[StatusReport]) -> LeadershipView | None:
        view = reports[0].leadership if reports else None
        if view is None or self._replica is None:
            return view
        replica_id, role = self._replica
        return replace(view, replica=replica_id, role=role())


def dashboard_for(config: HedgebotConfig, board: MarketBoard) -> tuple[DashboardFeed, str | None]:
    """The daemon's feed and the token (None: not set) from ``metrics.dashboard_token_env``."""
    secret = read_secret(config.metrics.dashboard_token_env)
    token = None if secret is None else secret.reveal()
    if token is None and not is_loopback(config.metrics.host):
        log.warning(
            "dashboard refused to everyone: bound beyond loopback without a token",
            host=config.metrics.host,
            token_env=config.metrics.dashboard_token_env,
        )
    feed = DashboardFeed(config, board=board, refresh_secs=config.metrics.dashboard_refresh_secs)
    return feed, token
