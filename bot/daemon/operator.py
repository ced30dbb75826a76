"""Operator actions outside the daemon: pause, resume and flatten act on the hedger only;
stopping a position's guard is its own command (``hedgebot guard stop``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.config.models import HedgebotConfig
from bot.config.secrets import binance_credentials
from bot.core.model import HedgePosition, OrderIntent, Side
from bot.daemon.app import build_exchange
from bot.daemon.hedger.executor import execute, reconcile_pending
from bot.daemon.service import utc_now
from bot.daemon.wiring import journal_for, trading_mode


def set_pause(
    config: HedgebotConfig, *, paused: bool, reason: str, actor: str = "operator"
) -> None:
    journal = journal_for(config)
    try:
        journal.set_paused(paused, reason=reason, actor=actor)
    finally:
        journal.close()


def set_guard_stopped(
    config: HedgebotConfig, *, stopped: bool, reason: str, positions: Sequence[str] = ()
) -> list[str]:
    """Stop or restart the guard of ``positions`` (all when empty); the daemon obeys at its
    next guard tick and alerts. Unknown position names are an error naming them."""
    known = [p.name for p in config.positions]
    unknown = [p for p in positions if p not in known]
    if unknown:
        raise ValueError(f"no position named {', '.join(unknown)} (known: {', '.join(known)})")
    journal = journal_for(config)
    try:
        for name in positions or known:
            journal.set_guard_stopped(name, stopped, reason=reason, actor="operator")
    finally:
        journal.close()
    return list(positions or known)


def flatten_intents(positions: Sequence[HedgePosition], *, now: datetime) -> list[OrderIntent]:
    """Reduce-only market orders that close every open position."""
    stamp = f"{int(now.timestamp() * 1000):x}"
    return [
        OrderIntent(
            symbol=p.symbol,
            side=Side.BUY if p.quantity < 0 else Side.SELL,
            quantity=abs(p.quantity),
            reduce_only=True,
            client_order_id=f"flat-{p.symbol}-{stamp}"[:36],
            reason="operator flatten: close the hedge",
        )
        for p in positions
        if p.quantity != 0
    ]


def flatten_all(
    config: HedgebotConfig,
    *,
    dry_run: bool,
    live: bool,
    now: datetime | None = None,
    actor: str = "operator",
) -> list[str]:
    """Pause first (so a running daemon stops trading), then close every position."""
    now = now or utc_now()
    mode = trading_mode(config, credentials=binance_credentials(), dry_run_flag=dry_run, live=live)
    journal = journal_for(config)
    lines = [f"mode: {mode.label}"]
    try:
        journal.set_paused(True, reason="flatten", actor=actor, now=now)
        exchange = build_exchange(config, journal, dry_run=mode.dry_run, live=live)
        name = config.positions[0].name
        reconcile_pending(exchange=exchange, journal=journal, position=name, now=now)
        intents = flatten_intents(exchange.positions(), now=now)
        result = execute(
            intents, exchange=exchange, journal=journal, position=name, cycle_id=None, now=now
        )
        for r in result.reports:
            lines.append(f"{r.symbol}: {r.side} {r.executed_quantity} reduce-only -> {r.status}")
        for coid in result.unknown:
            lines.append(f"{coid}: outcome unknown; the daemon reconciles it by client order id")
        if not intents:
            lines.append("no open hedge positions")
        left = [p for p in exchange.positions() if p.quantity]
        lines.append(
            "flat; hedger paused (hedgebot resume to continue); the guard keeps protecting"
            if not left
            else f"still open: {', '.join(f'{p.symbol} {p.quantity}' for p in left)}"
        )
        return lines
    finally:
        journal.close()
