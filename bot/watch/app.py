"""``hedgebot watch``: refresh the view every ``interval`` seconds until Ctrl-C; a live frame
on a terminal, one frame after another otherwise (a pipe, a log), or one frame (``once``)."""

from __future__ import annotations

import threading
import time
from decimal import Decimal

from rich.console import Console, RenderableType
from rich.live import Live

from bot.config.convert import token_mapping
from bot.config.models import HedgebotConfig
from bot.daemon.wiring import account_name
from bot.watch.model import ViewSettings, build_view
from bot.watch.render import render
from bot.watch.source import WatchSource


def view_settings(config: HedgebotConfig, source: WatchSource, interval: Decimal) -> ViewSettings:
    protect = config.protect
    on = protect is not None and protect.enabled
    return ViewSettings(
        title=f"hedgebot watch: {account_name(config)} ({config.network.value})",
        interval_secs=interval,
        mapping=token_mapping(config),
        trigger_hf=protect.trigger_hf if on and protect else None,
        target_hf=protect.target_hf if on and protect else None,
        metrics_url=source.metrics_url,
    )


def frame(source: WatchSource, settings: ViewSettings) -> RenderableType:
    """One refresh: every read, then the view built from them."""
    readings = source.positions()
    market = source.market()
    cycle = source.journal.cycle()
    events = source.journal.events(source.chain.token_symbols)
    view = build_view(
        settings,
        at_ms=int(time.time() * 1000),
        readings=readings,
        market=market,
        cycle=cycle,
        daemon=source.daemon(),
        events=events,
        journal_note=source.journal.note,
    )
    return render(view)


def run_watch(
    config: HedgebotConfig,
    *,
    interval: Decimal,
    once: bool,
    metrics_url: str | None,
    console: Console,
    stop: threading.Event | None = None,
) -> None:
    """Until ``stop`` is set (or Ctrl-C, which the caller turns into a clean exit)."""
    stop = stop or threading.Event()
    source = WatchSource(config, metrics_url=metrics_url)
    settings = view_settings(config, source, interval)
    try:
        if once:
            console.print(frame(source, settings))
        elif console.is_terminal:
            with Live(frame(source, settings), console=console, auto_refresh=False) as live:
                while not stop.wait(float(interval)):
                    live.update(frame(source, settings), refresh=True)
        else:
            console.print(frame(source, settings))
            while not stop.wait(float(interval)):
                console.print(frame(source, settings))
    finally:
        source.close()


__all__ = ["frame", "run_watch", "view_settings"]
