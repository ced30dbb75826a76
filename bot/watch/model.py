"""What ``hedgebot watch`` shows, as values: ``build_view`` turns one refresh's readings (the
chain snapshots, the marks, the journal's latest cycle and news, the daemon's metrics) into a
``WatchView``. Pure: values in, values out; ``bot.watch.render`` draws it."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import PositionSnapshot, TokenMapping
from bot.daemon.status_report import LoopsState
from bot.watch.journal_tail import CycleView
from bot.watch.loops import LoopsReading
from bot.watch.position import ChainView, chain_view

MARKS_PUBLIC = "the exchange's public mark endpoint"


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchEvent:
    at_ms: int
    kind: str  # order, repay, tx, withdrawal, deposit, alert, funding, operator
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionReading:
    """One position at one refresh: its snapshot, or why there is none."""

    name: str
    snapshot: PositionSnapshot | None
    error: str = ""
    loops: LoopsState | None = None  # None: no journal to read the switches from
    reserve: Mapping[str, Decimal] | None = None  # reserve token -> units in the wallet


@dataclass(frozen=True, slots=True, kw_only=True)
class PositionView:
    name: str
    chain: ChainView | None
    error: str
    loops: LoopsState | None
    reserve: tuple[tuple[str, Decimal], ...] | None
    shadow_hf: Decimal | None  # at the marks; else the journal's latest cycle's
    shadow_from_journal: bool


@dataclass(frozen=True, slots=True, kw_only=True)
class HedgeLine:
    underlying: str
    symbol: str
    mark: Decimal | None
    target_usd: Decimal | None  # the hedger's latest wanted short
    held_usd: Decimal | None  # the short it held then

    @property
    def gap_usd(self) -> Decimal | None:
        if self.target_usd is None or self.held_usd is None:
            return None
        return self.target_usd - self.held_usd


@dataclass(frozen=True, slots=True, kw_only=True)
class WatchView:
    title: str
    at_ms: int
    interval_secs: Decimal
    positions: tuple[PositionView, ...]
    hedges: tuple[HedgeLine, ...]
    marks_source: str
    cycle_at_ms: int | None  # when the hedger's latest good cycle finished
    trigger_hf: Decimal | None  # None: repay protection off
    target_hf: Decimal | None
    daemon: LoopsReading | None  # None: the metrics endpoint did not answer
    metrics_url: str
    events: tuple[WatchEvent, ...]  # the latest, oldest first
    journal_note: str  # why journal facts are missing ("" when read)


@dataclass(frozen=True, slots=True, kw_only=True)
class MarketReading:
    """The hedge's side: the marks (symbol -> mark, empty when not read) and where from."""

    marks: Mapping[str, Decimal]
    source: str
    symbols: Mapping[str, str]  # underlying -> exchange symbol


def position_view(
    reading: PositionReading,
    *,
    market: MarketReading,
    mapping: Mapping[str, TokenMapping],
    cycle: CycleView | None,
) -> PositionView:
    by_underlying = {u: market.marks[s] for u, s in market.symbols.items() if s in market.marks}
    chain = None
    if reading.snapshot is not None:
        chain = chain_view(reading.snapshot, marks=by_underlying, mapping=mapping)
    from_journal = not by_underlying and cycle is not None and cycle.shadow_hf is not None
    shadow = chain.shadow_hf if chain is not None else None
    if from_journal and cycle is not None:
        shadow = cycle.shadow_hf
    reserve = None if reading.reserve is None else tuple(sorted(reading.reserve.items()))
    return PositionView(
        name=reading.name,
        chain=chain,
        error=reading.error,
        loops=reading.loops,
        reserve=reserve,
        shadow_hf=shadow,
        shadow_from_journal=from_journal,
    )


def hedge_lines(market: MarketReading, cycle: CycleView | None) -> tuple[HedgeLine, ...]:
    return tuple(
        HedgeLine(
            underlying=u,
            symbol=s,
            mark=market.marks.get(s),
            target_usd=None if cycle is None else cycle.targets_usd.get(u),
            held_usd=None if cycle is None else cycle.current_usd.get(u),
        )
        for u, s in sorted(market.symbols.items())
    )


def latest_events(events: Sequence[WatchEvent], limit: int) -> tuple[WatchEvent, ...]:
    """The ``limit`` newest, oldest first (ties keep the order they were read in)."""
    ordered = sorted(events, key=lambda e: e.at_ms)
    return tuple(ordered[-limit:]) if limit > 0 else ()


@dataclass(frozen=True, slots=True, kw_only=True)
class ViewSettings:
    title: str
    interval_secs: Decimal
    mapping: Mapping[str, TokenMapping]
    trigger_hf: Decimal | None
    target_hf: Decimal | None
    metrics_url: str
    max_events: int = 12


def build_view(
    settings: ViewSettings,
    *,
    at_ms: int,
    readings: Sequence[PositionReading],
    market: MarketReading,
    cycle: CycleView | None,
    daemon: LoopsReading | None,
    events: Sequence[WatchEvent],
    journal_note: str,
) -> WatchView:
    positions = tuple(
        position_view(r, market=market, mapping=settings.mapping, cycle=cycle) for r in readings
    )
    return WatchView(
        title=settings.title,
        at_ms=at_ms,
        interval_secs=settings.interval_secs,
        positions=positions,
        hedges=hedge_lines(market, cycle),
        marks_source=market.source,
        cycle_at_ms=None if cycle is None else cycle.finished_ms,
        trigger_hf=settings.trigger_hf,
        target_hf=settings.target_hf,
        daemon=daemon,
        metrics_url=settings.metrics_url,
        events=latest_events(events, settings.max_events),
        journal_note=journal_note,
    )


__all__ = [
    "MARKS_PUBLIC",
    "HedgeLine",
    "MarketReading",
    "PositionReading",
    "PositionView",
    "ViewSettings",
    "WatchEvent",
    "WatchView",
    "build_view",
    "hedge_lines",
    "latest_events",
    "position_view",
]
