"""``hedgebot run``: build a guard per position and the exchange account's hedger from the
config, then run them.

The guards are built first: they need the chain and the wallet only, so a config that cannot
protect (no wallet key) is refused before anything else, and an exchange that cannot be reached
at start delays the hedgers, never the guards.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import partial
from typing import TYPE_CHECKING

import structlog

from bot import __version__
from bot.alerts import AlertDispatcher
from bot.alerts import events as alert_events
from bot.config.models import HedgebotConfig
from bot.config.secrets import binance_credentials
from bot.core.ha import HaState, Role
from bot.daemon.board import MarketBoard
from bot.daemon.capital.build import build_capital
from bot.daemon.guard.build import build_guard
from bot.daemon.ha_gate import LeaderOnly
from bot.daemon.hedger.build import build_hedger, first_contact
from bot.daemon.hedger.venue import VenueGate
from bot.daemon.loops import Loop
from bot.daemon.margin_call import MarginCallRelay
from bot.daemon.service import Daemon, utc_now
from bot.daemon.streams_loop import StreamsLoop
from bot.daemon.wake import BlockWake, build_block_wake
from bot.daemon.wiring import (
    TradingMode,
    account_name,
    account_setup,
    alert_dispatcher,
    journal_for,
    live_exchange,
    paper_exchange,
    streamed_exchange,
    trading_mode,
)
from bot.exchange.base import Exchange
from bot.exchange.binance.schemas.streams import MarginCall
from bot.exchange.binance.streams import StreamedExchange
from bot.exchange.cached import AccountCache
from bot.ha.build import build_leadership
from bot.ha.leadership import Leadership
from bot.journal import Journal, PauseState
from bot.metrics import HealthTracker, HedgebotMetrics, MetricsServer

if TYPE_CHECKING:  # the feed reads status, which imports this module
    from bot.dashboard.feed import DashboardFeed

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class Services:
    """What every loop shares."""

    journal: Journal
    alerts: AlertDispatcher
    metrics: HedgebotMetrics
    health: HealthTracker
    board: MarketBoard
    # Set on SIGTERM/SIGINT (the daemon's stop event): a plan in progress sends no more orders.
    stopping: threading.Event = field(default_factory=threading.Event)


def build_exchange(
    config: HedgebotConfig,
    journal: Journal,
    *,
    dry_run: bool,
    live: bool,
    read_only: bool = False,
    alerts: AlertDispatcher | None = None,
    streams: list[StreamedExchange] | None = None,
    on_margin_call: Callable[[MarginCall], None] | None = None,
) -> Exchange:
    """``streams``: when given (the daemon) and enabled, marks and the account come from the
    WebSocket streams; the streamed exchange is appended there for the caller to start, and
    ``on_margin_call`` is told of the user stream's margin calls."""
    credentials = None if dry_run else binance_credentials()
    public = live_exchange(config, credentials, live=live)
    source: Exchange = public
    if streams is not None and config.hedge.streams.enabled:
        streams.append(
            streamed_exchange(config, public, credentials, on_margin_call=on_margin_call)
        )
        source = streams[-1]
    if dry_run:
        return paper_exchange(
            config, journal, public, marks=source, read_only=read_only, alerts=alerts
        )  # public marks from the mark stream when it runs
    if source is not public:
        return source  # REST checks the stream state itself: no AccountCache
    refresh = config.hedge.account_refresh_secs
    return AccountCache(public, refresh_secs=refresh) if refresh > 0 else public


def build_loops(
    config: HedgebotConfig,
    mode: TradingMode,
    *,
    live: bool,
    services: Services,
    now: datetime,
    on_margin_call: Callable[[MarginCall], None] | None = None,
) -> tuple[list[Loop], Exchange]:
    """The loops, and the exchange the hedger trades on (the dashboard reads through it)."""
    s = services
    loops: list[Loop] = [
        build_guard(
            config, index, journal=s.journal, alerts=s.alerts, metrics=s.metrics,
            health=s.health, board=s.board, dry_run=mode.dry_run,
        )
        for index in range(len(config.positions))
    ]  # fmt: skip
    streams: list[StreamedExchange] = []
    exchange = build_exchange(
        config, s.journal, dry_run=mode.dry_run, live=live, alerts=s.alerts, streams=streams,
        on_margin_call=on_margin_call,
    )  # fmt: skip
    for streamed in streams:
        streamed.start()
        loops.append(StreamsLoop(streamed, s.metrics))
    venue = VenueGate(
        exchange,
        account_setup(config),
        journal=s.journal,
        symbols=dict(config.hedge.symbols),
        on_unexplained=config.hedge.on_unexplained_position,
    )
    if not config.ha.enabled:  # a replica readies the venue once it leads (ha_gate)
        first_contact(venue, now)
    # One hedger for the exchange account: its positions' targets are summed into one plan.
    hedger = build_hedger(
        config, exchange=exchange, venue=venue, journal=s.journal, alerts=s.alerts,
        metrics=s.metrics, health=s.health, board=s.board, stopping=s.stopping,
    )  # fmt: skip
    # Without protect there is no reserve wallet to refill (the config refuses an enabled
    # capital section then; a disabled one is left out).
    if config.capital is not None and config.protect is not None and config.protect.enabled:
        loops.append(
            build_capital(
                config, journal=s.journal, alerts=s.alerts, metrics=s.metrics,
                health=s.health, board=s.board, dry_run=mode.dry_run, live=live,
            )
        )  # fmt: skip
    return [*loops, hedger], exchange


def run_daemon(
    config: HedgebotConfig,
    *,
    dry_run: bool,
    live: bool,
    max_cycles: int | None = None,
    clock: Callable[[], datetime] = utc_now,
) -> int:
    mode = trading_mode(config, credentials=binance_credentials(), dry_run_flag=dry_run, live=live)
    log.warning("trading mode", mode=mode.label, why=mode.reason, network=config.network.value)
    services = _services(config)
    server, feed = _metrics_server(config, services)
    # Imported here: the listener's /status reaches back into this module (build_exchange).
    from bot.daemon.telegram.build import command_listener

    listener = None
    wakers: list[Callable[[], None]] = []
    leadership = _replica(config, services, wakers)
    if leadership is not None:
        replica = leadership
        feed.show_replica(replica.replica_id, lambda: replica.state().role.value)
    try:
        margin_calls = _margin_call_relay(config, services, clock)
        loops, exchange = build_loops(
            config, mode, live=live, services=services, now=clock(), on_margin_call=margin_calls
        )
        if not mode.dry_run:  # the paper book is the hedger's alone: status builds its own view
            feed.read_account_through(exchange)
        if leadership is not None:
            loops = _gated(loops, leadership, services)
        # Its own thread and journal connection: a Telegram outage never reaches a loop.
        listener = command_listener(config, dry_run=mode.dry_run, live=live)
        if listener is not None:
            listener.start()
        port = server.start()
        log.info("metrics", url=f"http://{config.metrics.host}:{port}/metrics")
        daemon = Daemon(
            loops,
            misfire_grace_secs=config.schedule.misfire_grace_secs,
            clock=clock,
            max_cycles=max_cycles,
            stop_event=services.stopping,
        )
        margin_calls.attach(daemon.wake, (loop.name for loop in loops))
        wake = build_block_wake(config, loops, daemon.wake)
        wakers.extend(partial(daemon.wake, loop.name) for loop in loops)
        return _serve(daemon, config, mode, services.alerts, wake)
    finally:
        if listener is not None:
            listener.stop()
        if leadership is not None:
            leadership.stop()
        services.alerts.close(timeout=5.0)
        server.stop()
        services.journal.close()
        log.info("daemon stopped")


def _services(config: HedgebotConfig) -> Services:
    metrics = HedgebotMetrics()
    journal = journal_for(config)
    return Services(
        journal=journal,
        alerts=alert_dispatcher(config, on_delivery=metrics.count_alert, journal=journal),
        metrics=metrics,
        health=HealthTracker(max_missed=3),
        board=MarketBoard(),
    )


def _metrics_server(
    config: HedgebotConfig, services: Services
) -> tuple[MetricsServer, DashboardFeed]:
    from bot.dashboard.feed import dashboard_for  # it reads status, which imports this module

    feed, token = dashboard_for(config, services.board)
    server = MetricsServer(
        services.metrics, services.health, host=config.metrics.host, port=config.metrics.port,
        dashboard=feed, dashboard_token=token,
    )  # fmt: skip
    return server, feed


def _margin_call_relay(
    config: HedgebotConfig, services: Services, clock: Callable[[], datetime]
) -> MarginCallRelay:
    """Told by the streams of each margin call; it wakes the loops once the daemon exists."""
    return MarginCallRelay(
        services.alerts, services.board, account=account_name(config), clock=clock
    )


def _replica(
    config: HedgebotConfig, services: Services, wakers: list[Callable[[], None]]
) -> Leadership | None:
    """With ``ha`` on: this replica's leadership, started, the journal fenced with it; the
    loops are woken as soon as it leads (they tick as followers meanwhile)."""
    if not config.ha.enabled:
        return None

    def changed(old: HaState, new: HaState) -> None:
        leads = new.role is Role.LEADER
        services.metrics.set_ha_leader(leads)
        if leads or old.role is Role.LEADER:
            services.alerts.submit(
                alert_events.leadership_changed(
                    replica=leadership.replica_id, leads=leads, epoch=new.epoch or old.epoch,
                    reason=new.reason, paused=_inherited_pause(services) if leads else None,
                )
            )  # fmt: skip
        if leads:
            for wake in list(wakers):
                wake()

    leadership = build_leadership(config, services.journal, on_change=changed)
    services.metrics.set_ha_leader(False)
    services.journal.fence_with(leadership)
    leadership.start()
    log.warning("replica started: it acts only while it leads", replica=leadership.replica_id)
    return leadership


def _inherited_pause(services: Services) -> PauseState | None:
    """The journal's pause, for the alert of a new leader (None when it cannot be read: the
    alert goes anyway)."""
    try:
        return services.journal.pause_state()
    except Exception:  # the database may be what changed the leadership
        log.warning("pause state unreadable for the leadership alert", exc_info=True)
        return None


def _gated(loops: list[Loop], leadership: Leadership, services: Services) -> list[Loop]:
    """Every loop acts only while leading, except the streams' (they only read)."""
    return [
        loop
        if isinstance(loop, StreamsLoop)
        else LeaderOnly(loop, leadership=leadership, health=services.health)
        for loop in loops
    ]


def _serve(
    daemon: Daemon,
    config: HedgebotConfig,
    mode: TradingMode,
    alerts: AlertDispatcher,
    wake: BlockWake,
) -> int:
    daemon.install_signal_handlers()
    alerts.submit(
        alert_events.daemon_started(
            version=__version__,
            positions=tuple(p.name for p in config.positions),
            mode=mode.label,
        )
    )
    daemon.start()
    _start_wake(wake)
    try:
        daemon.wait()
    finally:
        wake.stop()
        daemon.shutdown()
        alerts.submit(alert_events.daemon_stopped(reason="stopped"))
    return 0


def _start_wake(wake: BlockWake) -> None:
    """Heads only shorten the loops' waits: without them the intervals still run."""
    try:
        wake.start()
    except Exception as exc:
        log.error(
            "block wake off: the loops run on their intervals only",
            error=f"{type(exc).__name__}: {exc}",
        )
