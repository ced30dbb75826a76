"""The hand-over from the engine (sync, under ``ex.lock``, any thread) to the sockets (asyncio,
uvicorn's loop): one bounded queue per connection, filled with ``loop.call_soon_threadsafe`` so
the engine never waits for a socket. A full queue disconnects that client, as Binance drops slow
consumers; per account, frames keep the order the state changed in."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from bot.emulator.markets import SPECS, Venue
from bot.emulator.streams import journal, payloads
from bot.emulator.streams.faults import Kind, StreamFaults, kinds_of
from bot.emulator.streams.listen_keys import ListenKeyBook

if TYPE_CHECKING:
    from bot.emulator.exchange import Exchange

Frame = tuple[str | None, Any]  # (stream name for the combined wrapper, payload)
POLICY_VIOLATION = 1008
GOING_AWAY = 1001


@dataclass(eq=False, kw_only=True)
class Subscriber:
    """One open socket: its queue lives on ``loop``; every method but ``offer`` and friends
    may be called from any thread."""

    kind: Kind
    venue: Venue
    loop: asyncio.AbstractEventLoop
    queue: asyncio.Queue[Frame]
    api_key: str | None = None
    listen_key: str | None = None
    streams: set[str] = field(default_factory=set)
    combined: bool = False
    silent: bool = False  # a legacy USD-M path: handshake, then nothing (like Binance)
    expired: bool = False
    closing: asyncio.Event = field(default_factory=asyncio.Event)
    close_code: int = 1000
    close_reason: str = ""

    def offer(self, frames: list[Frame]) -> None:
        """Loop thread only."""
        for frame in frames:
            try:
                self.queue.put_nowait(frame)
            except asyncio.QueueFull:
                self.close_now(POLICY_VIOLATION, "client too slow: send queue full")
                return

    def close_now(self, code: int, reason: str) -> None:
        """Loop thread only."""
        if not self.closing.is_set():
            self.close_code, self.close_reason = code, reason
            self.closing.set()

    def announce_expiry(self, now_ms: int) -> None:
        """Loop thread only: push ``listenKeyExpired`` once, then nothing more."""
        if not self.expired and self.listen_key is not None:
            self.offer([(None, payloads.listen_key_expired(self.listen_key, now_ms))])
            self.expired = True

    def send_later(self, frames: list[Frame]) -> None:
        self.loop.call_soon_threadsafe(self.offer, frames)

    def close_later(self, code: int, reason: str) -> None:
        self.loop.call_soon_threadsafe(self.close_now, code, reason)

    def mark_streams_for(self, symbol: str) -> list[str]:
        lower = symbol.lower()
        return sorted(s for s in self.streams if s.startswith(f"{lower}@markPrice"))

    def wants_all_marks(self) -> list[str]:
        return sorted(s for s in self.streams if s.startswith("!markPrice@arr"))


class StreamHub:
    def __init__(self, ex: Exchange) -> None:
        self.ex = ex
        self.keys = ListenKeyBook()
        self.faults = StreamFaults()
        self._lock = threading.Lock()
        self._subs: set[Subscriber] = set()

    # connections ---------------------------------------------------------------------------
    def add(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.add(sub)

    def remove(self, sub: Subscriber) -> None:
        with self._lock:
            self._subs.discard(sub)

    def subscribers(self, kind: Kind | None = None) -> list[Subscriber]:
        with self._lock:
            return [s for s in self._subs if kind is None or s.kind == kind]

    def open_counts(self) -> dict[str, int]:
        subs = self.subscribers()
        return {k: sum(1 for s in subs if s.kind == k) for k in ("user", "market")}

    # engine side (caller holds ex.lock) ----------------------------------------------------
    @contextmanager
    def observing(self) -> Iterator[None]:
        """Wrap one locked operation: publish the user events and mark moves it caused."""
        users = self.subscribers("user")
        owners = {(s.api_key, s.venue) for s in users if s.api_key is not None and not s.expired}
        before = journal.capture(self.ex.state, owners) if owners else {}
        marks = self._marks() if self._pushes_on_mark_change() else None
        generation = self.ex.generation
        try:
            yield
        finally:
            if self.ex.generation == generation:
                self._publish_changes(before, marks)

    def _pushes_on_mark_change(self) -> bool:
        return self.ex.config.stream_push_on_mark_change and bool(self.subscribers("market"))

    def _marks(self) -> dict[str, tuple[Decimal, Decimal, Decimal]]:
        return {s: (m.mark, m.index, m.funding_rate) for s, m in self.ex.state.markets.items()}

    def _publish_changes(
        self,
        before: dict[tuple[str, Venue], journal.VenueCapture],
        marks: dict[str, tuple[Decimal, Decimal, Decimal]] | None,
    ) -> None:
        now = self.ex.market_ms()
        for (api_key, venue), captured in before.items():
            account = self.ex.state.accounts.get(api_key)
            if account is None:
                continue
            events = journal.venue_events(self.ex.state, account.venue(venue), captured, now)
            if events:
                self.publish_user(api_key, venue, events)
        if marks is not None:
            moved = [s for s, values in self._marks().items() if marks.get(s) != values]
            if moved:
                self.publish_marks(moved, now)

    def publish_user(self, api_key: str, venue: Venue, events: list[Any]) -> None:
        frames: list[Frame] = [(None, event) for event in events]
        for sub in self.subscribers("user"):
            if sub.api_key == api_key and sub.venue == venue and not sub.expired:
                sub.send_later(frames)

    def mark_frames(
        self, sub: Subscriber, symbols: list[str], now_ms: int, *, due: set[str] | None = None
    ) -> list[Frame]:
        """Frames for ``sub``'s mark streams about ``symbols`` (only streams in ``due`` if
        given). Caller holds ex.lock."""
        frames: list[Frame] = []
        rows = []
        for symbol in symbols:
            spec = SPECS[symbol]
            if spec.venue != sub.venue:
                continue
            payload = payloads.mark_price_update(spec, self.ex.state.markets[symbol], now_ms)
            rows.append(payload)
            for stream in sub.mark_streams_for(symbol):
                if due is None or stream in due:
                    frames.append((stream, payload))
        for stream in sub.wants_all_marks():
            if rows and (due is None or stream in due):
                frames.append((stream, rows))
        return frames

    def publish_marks(self, symbols: list[str], now_ms: int) -> None:
        for sub in self.subscribers("market"):
            if sub.silent:
                continue
            frames = self.mark_frames(sub, symbols, now_ms)
            if frames:
                sub.send_later(frames)

    # faults and lifecycle --------------------------------------------------------------------
    def drop(self, scope: str) -> int:
        kinds = kinds_of(scope)
        dropped = [s for s in self.subscribers() if s.kind in kinds]
        for sub in dropped:
            sub.close_later(GOING_AWAY, "emulator fault stream_drop")
        return len(dropped)

    def expire_keys(self, api_key: str | None) -> list[str]:
        now = self.ex.server_ms()
        expired = set(self.keys.expire(api_key, now))
        for sub in self.subscribers("user"):
            if sub.listen_key in expired:
                sub.loop.call_soon_threadsafe(sub.announce_expiry, self.ex.market_ms())
        return sorted(expired)

    def reset(self) -> None:
        """A fresh emulator state: no keys, no faults, no sockets from before."""
        self.keys.clear()
        self.faults.clear()
        self.drop("all")
