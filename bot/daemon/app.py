"""``hedgebot run``: build everything from the config, check it, then run the daemon."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol

import structlog

from bot import __version__
from bot.alerts import events as alert_events
from bot.chain.aave_v3 import AaveV3Reader
from bot.config.models import HedgebotConfig
from bot.config.secrets import binance_credentials
from bot.daemon.cycle import PositionCycle, Protector
from bot.daemon.executor import reconcile_pending
from bot.daemon.service import Daemon, UnexplainedPositionError, unexplained_positions, utc_now
from bot.daemon.wiring import (
    account_setup,
    alert_dispatcher,
    journal_for,
    live_exchange,
    paper_exchange,
    position_settings,
    reader_for,
    trading_mode,
)
from bot.exchange.base import Exchange
from bot.exchange.cached import AccountCache
from bot.journal import Journal
from bot.metrics import HealthTracker, HedgebotMetrics, MetricsServer

log = structlog.get_logger(__name__)


class ProtectorFactory(Protocol):
    def __call__(
        self,
        config: HedgebotConfig,
        index: int,
        reader: AaveV3Reader,
        journal: Journal,
        *,
        dry_run: bool,
        alerts: Any,
    ) -> Protector | None: ...


def build_exchange(
    config: HedgebotConfig, journal: Journal, *, dry_run: bool, live: bool
) -> Exchange:
    credentials = None if dry_run else binance_credentials()
    public = live_exchange(config, credentials, live=live)
    if dry_run:
        return paper_exchange(config, journal, public)
    refresh = config.hedge.account_refresh_secs
    return AccountCache(public, refresh_secs=refresh) if refresh > 0 else public


def run_daemon(
    config: HedgebotConfig,
    *,
    dry_run: bool,
    live: bool,
    max_cycles: int | None = None,
    clock: Callable[[], datetime] = utc_now,
    protector_factory: ProtectorFactory | None = None,
) -> int:
    mode = trading_mode(config, credentials=binance_credentials(), dry_run_flag=dry_run, live=live)
    log.warning("trading mode", mode=mode.label, why=mode.reason, network=config.network.value)
    journal = journal_for(config)
    metrics = HedgebotMetrics()
    health = HealthTracker(max_missed=3)
    alerts = alert_dispatcher(config, on_delivery=metrics.count_alert)
    server = MetricsServer(metrics, health, host=config.metrics.host, port=config.metrics.port)
    try:
        exchange = build_exchange(config, journal, dry_run=mode.dry_run, live=live)
        for change in exchange.setup(account_setup(config)):
            log.info("account setup", change=change)
        cycles = []
        for index, position in enumerate(config.positions):
            settled = reconcile_pending(
                exchange=exchange, journal=journal, position=position.name, now=clock()
            )
            if settled:
                log.info("reconciled pending intents", count=len(settled))
            reader = reader_for(position)
            info = reader.start()
            log.info(
                "lending market",
                protocol=info.protocol,
                chain_id=info.chain_id,
                pool_revision=info.pool_revision,
                base_unit=info.base_currency_unit,
                reserves=len(info.reserves),
            )
            settings = position_settings(config, position)
            health.register(position.name, interval_s=config.schedule.interval_secs)
            protector = None
            if protector_factory is not None:
                protector = protector_factory(
                    config, index, reader, journal, dry_run=mode.dry_run, alerts=alerts
                )
            cycles.append(
                PositionCycle(
                    settings,
                    reader=reader,
                    exchange=exchange,
                    journal=journal,
                    alerts=alerts,
                    metrics=metrics,
                    health=health,
                    protector=protector,
                )
            )
        mismatches = unexplained_positions(
            exchange, journal, symbols=sorted(config.hedge.symbols.values())
        )
        for symbol, actual, explained in mismatches:
            log.warning(
                "position not explained by the journal",
                symbol=symbol,
                on_exchange=str(actual),
                journal=str(explained),
                policy=config.hedge.on_unexplained_position,
            )
        if mismatches and config.hedge.on_unexplained_position == "refuse":
            raise UnexplainedPositionError(
                "the exchange holds positions the journal does not explain: "
                + ", ".join(f"{s} {a} (journal {e})" for s, a, e in mismatches)
                + "; close them, or set hedge.on_unexplained_position: adopt"
            )
        port = server.start()
        log.info("metrics", url=f"http://{config.metrics.host}:{port}/metrics")
        daemon = Daemon(
            cycles,
            misfire_grace_secs=config.schedule.misfire_grace_secs,
            clock=clock,
            max_cycles=max_cycles,
        )
        daemon.install_signal_handlers()
        alerts.submit(
            alert_events.daemon_started(
                version=__version__,
                positions=tuple(p.name for p in config.positions),
                mode=mode.label,
            )
        )
        daemon.start()
        try:
            daemon.wait()
        finally:
            daemon.shutdown()
            alerts.submit(alert_events.daemon_stopped(reason="stopped"))
        return 0
    finally:
        alerts.close(timeout=5.0)
        server.stop()
        journal.close()
        log.info("daemon stopped")
