"""``StreamedExchange``: an ``Exchange`` that answers marks, positions and balances from the
WebSocket streams (zero request weight) and keeps REST as the fallback and the check.

- ``mark_price``: the streamed mark if it arrived less than ``mark_max_age_secs`` ago, else a
  REST read (counted). A mark older than the limit is never returned.
- ``positions``/``balances``: the user-stream state once a REST read has seeded it after the
  socket (re)connected; REST otherwise. Every ``account_check_secs`` REST is read again, the
  state corrected from it, and a disagreement logged.
- Orders go to REST as before; their fills reach the positions through ``ACCOUNT_UPDATE``.
- ``MARGIN_CALL``: the next account read goes to REST, then ``on_margin_call`` is told (on the
  socket thread: it must be quick).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass, replace
from decimal import Decimal

import structlog

from bot.core.futures import hedge_pnl_usd, inverse_pnl_coin
from bot.core.model import (
    ContractSpec,
    HedgePosition,
    MarginBalance,
    OrderFee,
    OrderIntent,
    OrderReport,
    Venue,
)
from bot.exchange.base import AccountSetup, Exchange
from bot.exchange.binance.schemas.streams import MarginCall
from bot.exchange.binance.streams.account import AccountView
from bot.exchange.binance.streams.client import StreamClient

log = structlog.get_logger(__name__)

STREAMING = "streaming"
REST_FALLBACK = "rest-fallback"


@dataclass(frozen=True, slots=True, kw_only=True)
class StreamStatus:
    stream: str  # "marks-usdm", "user-coinm", ...
    state: str  # STREAMING | REST_FALLBACK
    age_secs: float | None  # the oldest mark's age (marks); None for the user stream


class StreamedExchange:
    def __init__(
        self,
        inner: Exchange,
        streams: StreamClient,
        *,
        mark_max_age_secs: float = 3.0,
        account_check_secs: float = 60.0,
        clock: Callable[[], float] = time.monotonic,
        on_margin_call: Callable[[MarginCall], None] | None = None,
    ) -> None:
        if mark_max_age_secs <= 0:
            raise ValueError(f"mark_max_age_secs must be > 0, got {mark_max_age_secs}")
        self.inner = inner
        self.streams = streams
        self._max_age = mark_max_age_secs
        self._check_secs = account_check_secs
        self._clock = clock
        self._lock = threading.Lock()
        self._venues = streams.symbols
        self._last_check: float | None = None
        self._states: dict[str, str] = {}
        self.mark_fallbacks = 0
        self.account_reads = 0
        self.account_disagreements = 0
        self.margin_calls = 0
        self._on_margin_call = on_margin_call
        streams.on_margin_call = self._margin_called

    @property
    def is_paper(self) -> bool:
        return self.inner.is_paper

    @property
    def used_weight_1m(self) -> int | None:
        return self.inner.used_weight_1m

    def start(self) -> None:
        self.streams.start()

    def stop(self) -> None:
        self.streams.stop()

    def contract_specs(self) -> Mapping[str, ContractSpec]:
        return self.inner.contract_specs()

    def invalidate(self) -> None:
        """The next account read seeds from REST (a reading the hedger doubts is read again
        from the venue, not from the stream state that gave it)."""
        self._last_check = None

    def _margin_called(self, event: MarginCall) -> None:
        """The venue says a margin ratio is high: its balances and positions moved without an
        ``ACCOUNT_UPDATE`` (marks only), so the next reading comes from REST."""
        self.invalidate()
        with self._lock:
            self.margin_calls += 1
        if self._on_margin_call is not None:
            self._on_margin_call(event)

    # -- marks -------------------------------------------------------------------------------

    def mark_price(self, symbol: str) -> Decimal:
        streamed = self.streams.marks.fresh(symbol, now=self._clock(), max_age_secs=self._max_age)
        venue = self._venues.get(symbol)
        stream = f"marks-{venue.value if venue else '?'}"
        if streamed is not None:
            self._note(stream, STREAMING)
            return streamed
        self._note(stream, REST_FALLBACK)
        with self._lock:
            self.mark_fallbacks += 1
        return self.inner.mark_price(symbol)

    # -- account -----------------------------------------------------------------------------

    def positions(self) -> list[HedgePosition]:
        view = self._account_view()
        if view is None:
            return self._rest_positions()
        return [self._at_mark(p) for p in view.positions]

    def _at_mark(self, position: HedgePosition) -> HedgePosition:
        """Binance pushes no position row when only the mark moves: the mark and the PnL of a
        streamed position are those of its last fill until valued at today's mark here."""
        spec = self.inner.contract_specs()[position.symbol]
        mark = self.mark_price(position.symbol)
        quantity, entry = position.quantity, position.entry_price
        pnl = (
            inverse_pnl_coin(spec, quantity, mark, entry)
            if spec.inverse
            else hedge_pnl_usd(spec, quantity, mark, entry)
        )
        return replace(position, mark_price=mark, unrealized_pnl=pnl)

    def balances(self) -> list[MarginBalance]:
        view = self._account_view()
        return list(view.balances) if view is not None else self._rest_balances()

    def _account_view(self) -> AccountView | None:
        """The stream state, after a REST (re)seed when it is due; None = answer from REST."""
        account = self.streams.account
        if account is None:
            return None
        connected = all(self.streams.user_connected(v) for v in self.streams.venues)
        due = self._last_check is None or self._clock() - self._last_check >= self._check_secs
        view = account.view() if connected else None
        if connected and (view is None or due):
            self._seed(disagreement_check=view is not None)
            if view is None:  # a (re)connect or a gap: the state is REST's read from here
                log.info("binance user stream seeded from REST", synced=account.synced)
            view = account.view()
        for venue in self.streams.venues:
            self._note(f"user-{venue.value}", STREAMING if view is not None else REST_FALLBACK)
        return view

    def _seed(self, *, disagreement_check: bool) -> None:
        account = self.streams.account
        assert account is not None
        before = account.view()
        token = account.begin_seed()
        positions, balances = self._rest_positions(), self._rest_balances()
        self._last_check = self._clock()
        if disagreement_check and before is not None:
            self._log_disagreement(before, positions, balances)
        account.finish_seed(token, positions, balances, specs=self.inner.contract_specs())

    def _log_disagreement(
        self, held: AccountView, positions: list[HedgePosition], balances: list[MarginBalance]
    ) -> None:
        streamed = {p.symbol: p.quantity for p in held.positions}
        rest = {p.symbol: p.quantity for p in positions}
        streamed_wallets = {(b.venue, b.asset): b.wallet_balance for b in held.balances}
        rest_wallets = {(b.venue, b.asset): b.wallet_balance for b in balances}
        if streamed != rest or streamed_wallets != rest_wallets:
            self.account_disagreements += 1
            log.warning(
                "user stream state disagreed with REST; corrected",
                stream_positions={k: str(v) for k, v in streamed.items()},
                rest_positions={k: str(v) for k, v in rest.items()},
                stream_wallets={f"{v.value}:{a}": str(b) for (v, a), b in streamed_wallets.items()},
                rest_wallets={f"{v.value}:{a}": str(b) for (v, a), b in rest_wallets.items()},
            )

    def _rest_positions(self) -> list[HedgePosition]:
        with self._lock:
            self.account_reads += 1
        return self.inner.positions()

    def _rest_balances(self) -> list[MarginBalance]:
        return self.inner.balances()

    # -- orders and setup: REST as before ----------------------------------------------------

    def place(self, intent: OrderIntent, *, first_send: bool = False) -> OrderReport:
        return self.inner.place(intent, first_send=first_send)

    def order(self, symbol: str, client_order_id: str) -> OrderReport:
        return self.inner.order(symbol, client_order_id)

    def cancel(self, symbol: str, client_order_id: str) -> OrderReport:
        return self.inner.cancel(symbol, client_order_id)

    def order_fees(
        self, symbol: str, exchange_order_ids: Collection[int], *, since_ms: int
    ) -> dict[int, OrderFee]:
        return self.inner.order_fees(symbol, exchange_order_ids, since_ms=since_ms)

    def setup(self, setup: AccountSetup) -> list[str]:
        changes = self.inner.setup(setup)
        if self.streams.account is not None:
            for symbol in setup.symbols:
                self.streams.account.set_leverage(symbol.symbol, symbol.leverage)
            self.streams.account.gap()  # re-read once the account is as asked
        return changes

    # -- status ------------------------------------------------------------------------------

    def _note(self, stream: str, state: str) -> None:
        with self._lock:
            previous = self._states.get(stream)
            self._states[stream] = state
        if previous != state:
            log.info("binance stream state", stream=stream, state=state, was=previous)

    def status(self) -> list[StreamStatus]:
        now = self._clock()
        out = []
        for venue in self.streams.venues:
            ages = [
                self.streams.marks.age_secs(s, now=now)
                for s, v in self._venues.items()
                if v is venue
            ]
            known = [a for a in ages if a is not None]
            oldest = max(known) if known and len(known) == len(ages) else None
            fresh = oldest is not None and oldest < self._max_age
            out.append(
                StreamStatus(
                    stream=f"marks-{venue.value}",
                    state=STREAMING if fresh else REST_FALLBACK,
                    age_secs=oldest,
                )
            )
            if self.streams.account is not None:
                synced = self.streams.account.synced and self.streams.user_connected(venue)
                out.append(
                    StreamStatus(
                        stream=f"user-{venue.value}",
                        state=STREAMING if synced else REST_FALLBACK,
                        age_secs=None,
                    )
                )
        return out


def venue_symbols(specs: Mapping[str, ContractSpec]) -> dict[str, Venue]:
    return {s: spec.venue for s, spec in specs.items()}
