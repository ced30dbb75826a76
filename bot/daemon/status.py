"""``hedgebot status``: each position as a user wants to see it, as a table or as JSON, with its
share of the exchange account's hedge when several positions share it."""

from __future__ import annotations

import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from decimal import Decimal

from bot.chain.protocol import LendingProtocol
from bot.config.models import HedgebotConfig, PositionConfig
from bot.config.secrets import binance_credentials
from bot.core.account import AccountAssessment, assess_account
from bot.core.hedger import HedgerSettings
from bot.core.margin_need import MarginNeed, margin_need
from bot.core.model import PositionSnapshot
from bot.core.reserve import CrashReserve, reserve_for_crash, worst_fall_for
from bot.core.totals import position_totals
from bot.daemon.app import build_exchange
from bot.daemon.status_report import LoopsState, StatusReport, leadership_view
from bot.daemon.wiring import hedger_settings, reader_for, reading_journal
from bot.exchange.base import Exchange
from bot.journal import Journal


def loops_state(config: HedgebotConfig, position: str, journal: Journal) -> LoopsState:
    switch = journal.guard_switch(position)
    pause = journal.pause_state()
    if config.protect is None or not config.protect.enabled:
        guard, why = (
            "off",
            ("protect.enabled: false" if config.protect else "no protect section")
            + ": the guard watches and alerts, it repays nothing",
        )
    elif switch.stopped:
        guard, why = "STOPPED", f"by {switch.actor}: {switch.reason}"
    else:
        guard, why = "on", "repays from the reserve under protect.trigger_hf"
    return LoopsState(
        guard=guard,
        guard_reason=why,
        hedger="paused" if pause.paused else "running",
        hedger_reason=pause.reason if pause.paused else "",
    )


RECENT_ACTIONS = 10  # operator actions status lists

# Without a measured fall for the collateral (an underlying the shipped data lacks).
FALLBACK_CRASH = Decimal("0.4")


def crash_basis(
    settings: HedgerSettings, snapshot: PositionSnapshot, crash_pct: float | None
) -> tuple[Decimal, str]:
    """The crash to size the reserve for: ``crash_pct`` when given, else the deepest fall of
    the collateral's underlyings measured on the shipped data."""
    if crash_pct is not None:
        fraction = Decimal(str(crash_pct)) / 100
        return fraction, f"a {fraction:.0%} crash"
    held = sorted(
        {
            settings.mapping[a.symbol].underlying
            for a in snapshot.assets
            if a.collateral > 0 and a.symbol in settings.mapping
        }
        - {"USD"}
    )
    fall = worst_fall_for(held)
    if fall is None:
        what = ", ".join(held) or "this collateral"
        return FALLBACK_CRASH, f"a {FALLBACK_CRASH:.0%} crash (no measured fall for {what})"
    return fall.fraction, fall.words()


def reserve_warning(config: HedgebotConfig, need: CrashReserve | None, basis: str) -> str | None:
    """A configured reserve target under what the crash needs."""
    if need is None or not need.amount_usd > 0:
        return None
    target = config.capital.reserve_target_usd if config.capital else None
    if target is None and config.protect is not None:
        target = config.protect.reserve_target_usd
    if target is None or target >= need.amount_usd:
        return None
    return (
        f"the configured reserve target ${target:,.2f} is ${need.amount_usd - target:,.2f} "
        f"short of the ${need.amount_usd:,.2f} {basis} needs: a fall like it would liquidate"
    )


def _reserve(
    config: HedgebotConfig, settings: HedgerSettings, snapshot: PositionSnapshot, crash: Decimal
) -> CrashReserve | None:
    stables = [t for t, m in settings.mapping.items() if m.underlying == "USD"]
    debts = [x.symbol for x in snapshot.assets if x.debt > 0 and x.symbol in stables]
    if not debts:
        return None
    preferred = [t for t in (config.protect.reserve_tokens if config.protect else []) if t in debts]
    return reserve_for_crash(
        snapshot,
        crash_fraction=crash,
        repay_symbol=(preferred or debts)[0],
        stable_symbols=stables,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusSources:
    """What a running daemon lends the reads of its dashboard, every few seconds while a page is
    open: started readers (no start-up reads per look) and its own exchange (on the streams:
    no request weight; else its account cache)."""

    readers: Mapping[str, LendingProtocol] = field(default_factory=dict)
    exchange: Exchange | None = None


def account_status(
    config: HedgebotConfig, *, crash_pct: float | None, sources: StatusSources | None = None
) -> list[StatusReport]:
    """Every position, planned together as the daemon's hedger plans the account."""
    lent = sources or StatusSources()
    snapshots = {p.name: _read_snapshot(p, lent.readers.get(p.name)) for p in config.positions}
    settings = hedger_settings(config)
    journal = reading_journal(config)
    try:
        dry = binance_credentials() is None
        exchange = lent.exchange or build_exchange(
            config, journal, dry_run=dry, live=False, read_only=True
        )
        account, margin = _assess(
            settings, snapshots, exchange, config.hedge.min_short_liq_distance
        )
        loops = {p.name: loops_state(config, p.name, journal) for p in config.positions}
        since = datetime.now(UTC) - timedelta(hours=24)
        moves = tuple(journal.moves_since(since, account=settings.name))
        funding = tuple(journal.funding_income(since=since))
        alerts = tuple(journal.alerts_since(since))
        actions = tuple(journal.operator_actions(limit=RECENT_ACTIONS))
        leadership = leadership_view(journal.latest_epoch()) if config.ha.enabled else None
    finally:
        journal.close()
    reports = []
    for name, snapshot in snapshots.items():
        crash, basis = crash_basis(settings, snapshot, crash_pct)
        need = _reserve(config, settings, snapshot, crash)
        reports.append(
            StatusReport(
                position=name,
                mode="paper" if dry else "live",
                snapshot=snapshot,
                assessment=account.positions[name],
                reserve=need,
                loops=loops[name],
                account=settings.name,
                lines=account.lines if len(snapshots) > 1 else (),
                moves=moves,
                reserve_basis=basis,
                reserve_warning=reserve_warning(config, need, basis),
                margin=margin,
                totals=position_totals(snapshot, settings.mapping),
                funding=funding,
                leadership=leadership,
                alerts=alerts,
                actions=actions,
            )
        )
    return reports


def _read_snapshot(position: PositionConfig, reader: LendingProtocol | None) -> PositionSnapshot:
    if reader is None:
        reader = reader_for(position)
        reader.start()
    return reader.snapshot(position.wallet, now=int(time.time()))


def _assess(
    settings: HedgerSettings,
    snapshots: dict[str, PositionSnapshot],
    exchange: Exchange,
    min_short_liq_distance: Decimal,
) -> tuple[AccountAssessment, MarginNeed]:
    symbols = sorted(set(settings.symbol_for_underlying.values()))
    balances, specs = exchange.balances(), exchange.contract_specs()
    marks = {s: exchange.mark_price(s) for s in symbols}
    account = assess_account(
        snapshots=snapshots,
        mapping=settings.mapping,
        hedges=exchange.positions(),
        balances=balances,
        specs=specs,
        marks=marks,
        symbol_for_underlying=settings.symbol_for_underlying,
        policy=settings.policy,
        rules=settings.rules,
        account=settings.name,
        cycle_id="status",
        use_shadow_hf=settings.use_shadow_hf,
        count_margin_as_exposure=settings.count_margin_as_exposure,
    )
    need = margin_need(
        shorts_usd={line.symbol: line.target.short_usd for line in account.lines},
        specs=specs,
        marks=marks,
        balances=balances,
        distance=min_short_liq_distance,
    )
    return account, need
