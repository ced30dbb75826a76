"""Build the hedger of the exchange account every position of the config shares."""

from __future__ import annotations

import threading
from datetime import datetime

import structlog

from bot.config.models import HedgebotConfig, PositionConfig
from bot.daemon.board import MarketBoard
from bot.daemon.hedger.loop import HedgerLoop
from bot.daemon.hedger.positions import PositionGuardrail
from bot.daemon.hedger.publish import AlertSubmitter, HedgerPublisher
from bot.daemon.hedger.read import HedgerReads, LoanSource
from bot.daemon.hedger.venue import VenueGate
from bot.daemon.snapshot_reuse import SnapshotReuse
from bot.daemon.wiring import hedger_settings, reader_for
from bot.exchange.base import AccountRereads, Exchange
from bot.exchange.errors import ClockSkew, RateLimited, TransientExchangeError
from bot.journal import Journal
from bot.metrics import HealthTracker, HedgebotMetrics

log = structlog.get_logger(__name__)


def first_contact(venue: VenueGate, now: datetime) -> None:
    """Set the account up at start. An exchange that cannot be reached (or is rate limiting)
    does not stop the daemon: the guards start, and every hedger cycle tries again. A refusal
    (bad keys, an account that cannot be set up, unexplained positions) stops it."""
    try:
        venue.ensure_ready(now)
    except (TransientExchangeError, RateLimited, ClockSkew) as exc:
        log.error(
            "exchange not reachable at start: the guard runs, the hedger retries every cycle",
            error=f"{type(exc).__name__}: {exc}",
        )


def build_hedger(
    config: HedgebotConfig,
    *,
    exchange: Exchange,
    venue: VenueGate,
    journal: Journal,
    alerts: AlertSubmitter,
    metrics: HedgebotMetrics,
    health: HealthTracker,
    board: MarketBoard,
    stopping: threading.Event | None = None,
) -> HedgerLoop:
    settings = hedger_settings(config)
    name = f"{settings.name}:hedger"
    # A hedger held up by the exchange degrades the daemon; only the guard can fail /healthz.
    health.register(name, interval_s=config.schedule.interval_secs, critical=False)
    reads = HedgerReads(
        loans=[_loan(position) for position in config.positions],
        exchange=exchange,
        journal=journal,
        metrics=metrics,
        symbols=list(config.hedge.symbols.values()),
        invalidate=exchange.invalidate if isinstance(exchange, AccountRereads) else lambda: None,
        board=board,
    )
    publisher = HedgerPublisher(
        account=settings.name,
        journal=journal,
        alerts=alerts,
        metrics=metrics,
        board=board,
        symbol_for_underlying=settings.symbol_for_underlying,
    )
    return HedgerLoop(
        settings,
        reads=reads,
        exchange=exchange,
        venue=venue,
        journal=journal,
        alerts=alerts,
        metrics=metrics,
        health=health,
        publisher=publisher,
        positions=PositionGuardrail(
            journal,
            list(config.hedge.symbols.values()),
            adopt=config.hedge.on_unexplained_position == "adopt",
        ),
        stopping=stopping,
    )


def _loan(position: PositionConfig) -> LoanSource:
    reader = reader_for(position)
    reader.start()
    return LoanSource(
        name=position.name,
        wallet=position.wallet,
        reader=reader,
        reuse=SnapshotReuse(
            chain_id=position.chain_id, max_block_age_secs=position.max_block_age_secs
        ),
    )


__all__ = ["build_hedger", "first_contact"]
