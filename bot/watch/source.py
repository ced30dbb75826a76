"""Where ``hedgebot watch`` reads from, read-only: each position through the daemon's own reader
(one multicall snapshot per refresh, plus the reserve tokens' balances), the exchange's public
mark endpoint (no API key is given to the client, so nothing signed can be sent), the journal
(opened read-only, tailed for news) and the daemon's ``/metrics``."""

from __future__ import annotations

import time

from bot.chain.protocol import LendingProtocol
from bot.chain.rpc import ChainError
from bot.config.models import HedgebotConfig, PositionConfig
from bot.daemon.guard.read import ReserveWallet
from bot.daemon.status import loops_state
from bot.daemon.wiring import account_name, live_exchange, reader_for
from bot.exchange.binance.adapter import BinanceFutures
from bot.exchange.errors import ExchangeError
from bot.journal import Journal, JournalUnavailable
from bot.redact import scrub
from bot.watch.events import (
    is_repay,
    move_decided_text,
    move_stage_text,
    order_text,
    tx_text,
)
from bot.watch.journal_ro import open_read_only
from bot.watch.journal_tail import CycleView, JournalTail
from bot.watch.loops import LoopsReading, scrape
from bot.watch.model import MARKS_PUBLIC, MarketReading, PositionReading, WatchEvent

KEPT_EVENTS = 200  # news kept between refreshes (the view shows the latest few)


def metrics_url_of(config: HedgebotConfig) -> str:
    """The daemon's /metrics from its config ("" when the port is chosen at start: port 0)."""
    m = config.metrics
    return "" if m.port == 0 else f"http://{m.host}:{m.port}/metrics"


class ChainSide:
    """Each position's reader, started on first use and again after a failure."""

    def __init__(self, config: HedgebotConfig) -> None:
        self._config = config
        self._readers: dict[str, LendingProtocol] = {}
        self._reserves: dict[str, ReserveWallet] = {}
        self.token_symbols: dict[str, str] = {}  # token address (lower case) -> symbol

    def _reader(self, position: PositionConfig) -> LendingProtocol:
        reader = self._readers.get(position.name)
        if reader is None:
            reader = reader_for(position)
            info = reader.start()
            self._readers[position.name] = reader
            self.token_symbols.update({r.asset.lower(): r.symbol for r in info.reserves})
            protect = self._config.protect
            if protect is not None:
                self._reserves[position.name] = ReserveWallet(
                    reader,
                    owner=protect.reserve_wallet or position.wallet,
                    tokens=protect.reserve_tokens,
                )
        return reader

    def read(self, position: PositionConfig) -> PositionReading:
        try:
            reader = self._reader(position)
            snapshot = reader.snapshot(position.wallet, now=int(time.time()))
            wallet = self._reserves.get(position.name)
            reserve = None if wallet is None else {b.symbol: b.balance for b in wallet.balances()}
        except ChainError as exc:
            self._readers.pop(position.name, None)
            urls = [str(u) for u in position.rpc_urls]
            return PositionReading(name=position.name, snapshot=None, error=scrub(str(exc), urls))
        return PositionReading(name=position.name, snapshot=snapshot, reserve=reserve)


class JournalSide:
    """The journal, read-only: the operator's switches, the latest cycle and the news."""

    def __init__(self, config: HedgebotConfig) -> None:
        self._config = config
        self._journal: Journal | None = None
        self._tail = JournalTail(config.journal.url)
        self._events: list[WatchEvent] = []
        self.note = ""

    def journal(self) -> Journal | None:
        if self._journal is None:
            try:
                self._journal = open_read_only(self._config.journal.url)
            except JournalUnavailable as exc:
                self.note = scrub(str(exc), [self._config.journal.url])
                return None
            if self._journal is None:
                self.note = "no journal yet (the daemon creates it when it starts)"
        return self._journal

    def cycle(self) -> CycleView | None:
        return self._tail.latest_cycle()

    def events(self, token_symbols: dict[str, str]) -> list[WatchEvent]:
        news = [
            WatchEvent(at_ms=o.recorded_ms, kind="order", text=order_text(o))
            for o in self._tail.new_orders()
        ]
        for tx in self._tail.new_txs():
            symbol = token_symbols.get((tx.asset or "").lower(), tx.asset or "?")
            kind = "repay" if is_repay(tx) else "tx"
            news.append(WatchEvent(at_ms=tx.updated_ms, kind=kind, text=tx_text(tx, symbol)))
        for record, new in self._tail.new_moves():
            kind = record.intent.kind.value.replace("withdraw", "withdrawal")
            if new:
                at = int(record.created_at.timestamp() * 1000)
                news.append(WatchEvent(at_ms=at, kind=kind, text=move_decided_text(record)))
            at = int(record.updated_at.timestamp() * 1000)
            news.append(WatchEvent(at_ms=at, kind=kind, text=move_stage_text(record)))
        news += [
            WatchEvent(at_ms=n.at_ms, kind=n.kind, text=n.text) for n in self._tail.new_notes()
        ]
        self._events = sorted(self._events + news, key=lambda e: e.at_ms)[-KEPT_EVENTS:]
        return list(self._events)

    def close(self) -> None:
        self._tail.close()
        if self._journal is not None:
            self._journal.close()


class WatchSource:
    def __init__(self, config: HedgebotConfig, *, metrics_url: str | None = None) -> None:
        self.config = config
        self.metrics_url = metrics_url_of(config) if metrics_url is None else metrics_url
        self.chain = ChainSide(config)
        self.journal = JournalSide(config)
        self._public: BinanceFutures | None = None

    def positions(self) -> list[PositionReading]:
        journal = self.journal.journal()
        out = []
        for position in self.config.positions:
            reading = self.chain.read(position)
            if journal is not None:
                loops = loops_state(self.config, position.name, journal)
                reading = PositionReading(
                    name=reading.name,
                    snapshot=reading.snapshot,
                    error=reading.error,
                    loops=loops,
                    reserve=reading.reserve,
                )
            out.append(reading)
        return out

    def market(self) -> MarketReading:
        symbols = dict(self.config.hedge.symbols)
        try:
            if self._public is None:
                self._public = live_exchange(self.config, None, live=False)
            marks = {s: self._public.mark_price(s) for s in sorted(set(symbols.values()))}
        except (ExchangeError, OSError) as exc:
            why = (
                f"mark endpoint not reachable ({type(exc).__name__}): shadow HF as the "
                "hedger's latest cycle saw it"
            )
            return MarketReading(marks={}, source=why, symbols=symbols)
        return MarketReading(marks=marks, source=MARKS_PUBLIC, symbols=symbols)

    def daemon(self) -> LoopsReading | None:
        if not self.metrics_url:
            return None
        return scrape(self.metrics_url, account_name(self.config))

    def close(self) -> None:
        self.journal.close()


__all__ = ["ChainSide", "JournalSide", "WatchSource", "metrics_url_of"]
