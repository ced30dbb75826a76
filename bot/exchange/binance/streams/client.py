"""The stream client: mark sockets and user data sockets on one python-binance TWM, restarted
when python-binance gives a socket up.

python-binance reconnects a dropped socket by itself (up to 4 tries); after that it floods
the callback with ``ReadLoopClosed`` errors. The callbacks run on the TWM's loop thread and do
little: parse, apply, and on a fatal error set a flag. A supervisor thread owns the TWM's life:
it builds one, starts the sockets, waits for a restart request, then stops it and builds a
new one (which also takes a new listenKey).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Mapping
from typing import Any, Protocol

import structlog
from binance.enums import FuturesType

from bot.core.model import Venue
from bot.exchange.binance.network import Network
from bot.exchange.binance.schemas.common import WireFormatError
from bot.exchange.binance.schemas.streams import (
    AccountUpdate,
    LeverageUpdate,
    ListenKeyExpired,
    MarginCall,
    MarkPriceUpdate,
    OrderTradeUpdate,
    StreamError,
    parse_market_message,
    parse_user_message,
)
from bot.exchange.binance.streams.account import AccountStreamState
from bot.exchange.binance.streams.marks import MarkBook
from bot.exchange.binance.streams.origins import (
    KEEPALIVE_SECS,
    OriginWebsocketManager,
    StreamOrigins,
)

log = structlog.get_logger(__name__)

# python-binance has given the socket up (or its queue overflowed): only a new socket helps.
FATAL_ERRORS = frozenset(
    {"BinanceWebsocketUnableToConnect", "ReadLoopClosed", "BinanceWebsocketQueueOverflow"}
)
_FUTURES_TYPE = {Venue.USDM: FuturesType.USD_M, Venue.COINM: FuturesType.COIN_M}
_USER_CONN_SUFFIX = {Venue.USDM: "_futures", Venue.COINM: "_coin_futures"}
MAX_RESTART_BACKOFF_SECS = 30.0


class SocketManager(Protocol):
    def start(self) -> None: ...
    def stop(self) -> None: ...
    def join(self, timeout: float | None = None) -> None: ...
    def start_futures_multiplex_socket(
        self, callback: Callable[[Any], None], streams: list[str], futures_type: FuturesType
    ) -> str: ...
    def start_futures_user_socket(self, callback: Callable[[Any], None]) -> str: ...
    def start_coin_futures_user_socket(self, callback: Callable[[Any], None]) -> str: ...
    def connection_states(self) -> dict[str, str]: ...


class StreamClient:
    def __init__(
        self,
        *,
        symbols: Mapping[str, Venue],
        marks: MarkBook,
        account: AccountStreamState | None,
        network: Network = Network.TESTNET,
        origins: StreamOrigins | None = None,
        api_key: str = "",
        api_secret: str = "",
        mark_max_lag_ms: int = 3000,
        keepalive_secs: float = KEEPALIVE_SECS,
        clock: Callable[[], float] = time.monotonic,
        manager_factory: Callable[[], SocketManager] | None = None,
    ) -> None:
        self._symbols = dict(symbols)
        self.marks = marks
        self.account = account
        self._clock = clock
        self._max_lag_ms = mark_max_lag_ms
        if manager_factory is None:
            if origins is None:
                raise ValueError("StreamClient needs origins or a manager_factory")
            resolved = origins

            def manager_factory() -> SocketManager:
                return OriginWebsocketManager(
                    api_key=api_key,
                    api_secret=api_secret,
                    network=network,
                    origins=resolved,
                    keepalive_secs=keepalive_secs,
                )

        self._factory = manager_factory
        self._manager: SocketManager | None = None
        self._restart = threading.Event()
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.restarts = 0
        self._epoch = 0  # which manager's callbacks may still ask for a restart
        self.last_restart_reason = ""
        # called on the socket thread for each MARGIN_CALL (StreamedExchange installs itself)
        self.on_margin_call: Callable[[MarginCall], None] | None = None

    @property
    def venues(self) -> list[Venue]:
        return sorted(set(self._symbols.values()))

    @property
    def symbols(self) -> Mapping[str, Venue]:
        return dict(self._symbols)

    # -- life --------------------------------------------------------------------------------

    def start(self) -> None:
        if self._thread is not None:
            return
        self._thread = threading.Thread(target=self._supervise, name="binance-streams", daemon=True)
        self._thread.start()

    def stop(self, timeout: float = 10.0) -> None:
        self._stopping.set()
        self._restart.set()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def request_restart(self, reason: str, *, epoch: int | None = None) -> None:
        """Ask the supervisor for new sockets; a superseded socket's (flooding) errors are
        ignored."""
        if epoch is not None and epoch != self._epoch:
            return
        if not self._restart.is_set():
            self.last_restart_reason = reason
            self._restart.set()

    def _supervise(self) -> None:
        failures = 0
        while not self._stopping.is_set():
            self._epoch += 1
            manager = self._factory()
            started = self._open(manager)
            self._manager = manager if started else None
            self._restart.wait()
            self._manager = None
            if self.account is not None:
                self.account.gap()
            if self._stopping.is_set():
                self._close(manager)
                return
            # python-binance's stop takes up to its 10 s read timeout: the new sockets do not
            # wait for it (the old manager's user events are ignored by epoch, its marks are
            # still real prices).
            threading.Thread(
                target=self._close, args=(manager,), name="binance-streams-close", daemon=True
            ).start()
            self.restarts += 1
            failures = 0 if started else failures + 1
            log.warning("binance streams restart", reason=self.last_restart_reason)
            self._restart.clear()
            self._stopping.wait(min(MAX_RESTART_BACKOFF_SECS, 2.0**failures - 1))

    def _open(self, manager: SocketManager) -> bool:
        try:
            manager.start()
            for venue in self.venues:
                streams = [
                    f"{s.lower()}@markPrice@1s" for s, v in self._symbols.items() if v is venue
                ]
                manager.start_futures_multiplex_socket(
                    callback=self._mark_callback(venue, self._epoch),
                    streams=streams,
                    futures_type=_FUTURES_TYPE[venue],
                )
            if self.account is not None:
                for venue in self.venues:
                    self._start_user_socket(manager, venue)
        except Exception as exc:  # any failure to start: retry with backoff
            self.request_restart(f"start failed: {type(exc).__name__}: {exc}")
            return False
        return True

    def _start_user_socket(self, manager: SocketManager, venue: Venue) -> None:
        callback = self._user_callback(venue, self._epoch)
        if venue is Venue.USDM:
            manager.start_futures_user_socket(callback=callback)
        else:
            manager.start_coin_futures_user_socket(callback=callback)

    @staticmethod
    def _close(manager: SocketManager) -> None:
        try:
            manager.stop()
            manager.join(timeout=10.0)
        except Exception as exc:  # a failed stop must not stop the restarts
            log.warning("binance streams stop failed", error=f"{type(exc).__name__}: {exc}")

    def user_connected(self, venue: Venue) -> bool:
        """Is the user socket of ``venue`` open right now (python-binance says Streaming)?"""
        manager = self._manager
        if manager is None or self._restart.is_set():
            return False
        states = manager.connection_states()
        suffix = _USER_CONN_SUFFIX[venue]
        for name, state in states.items():
            is_coin = name.endswith("_coin_futures")
            if name.endswith(suffix) and (venue is Venue.COINM or not is_coin):
                return state == "Streaming"
        return False

    # -- callbacks (the TWM loop thread) -----------------------------------------------------

    def _mark_callback(self, venue: Venue, epoch: int) -> Callable[[Any], None]:
        def on_message(raw: Any) -> None:
            try:
                event = parse_market_message(raw)
            except WireFormatError as exc:
                log.warning("mark stream payload refused", venue=venue.value, error=str(exc))
                return
            if isinstance(event, MarkPriceUpdate) and event.symbol in self._symbols:
                self.marks.apply(event, received_at=self._clock(), max_lag_ms=self._max_lag_ms)
            elif isinstance(event, StreamError) and event.kind in FATAL_ERRORS:
                self.request_restart(f"{venue.value} marks: {event.kind}", epoch=epoch)

        return on_message

    def _user_callback(self, venue: Venue, epoch: int) -> Callable[[Any], None]:
        account = self.account
        assert account is not None

        def on_message(raw: Any) -> None:
            if epoch != self._epoch:
                return  # a superseded socket: what it says is about a connection now gone
            try:
                event = parse_user_message(raw)
            except WireFormatError as exc:
                log.warning("user stream payload refused", venue=venue.value, error=str(exc))
                account.gap()  # an event we could not read may have changed the account
                return
            if isinstance(event, AccountUpdate):
                account.apply_account(venue, event)
            elif isinstance(event, OrderTradeUpdate):
                account.apply_order(event)
            elif isinstance(event, LeverageUpdate):
                account.apply_leverage(event)
            elif isinstance(event, MarginCall):
                self._margin_called(venue, event)
            elif isinstance(event, ListenKeyExpired):
                account.gap()
                self.request_restart(f"{venue.value} user stream: listenKeyExpired", epoch=epoch)
            elif isinstance(event, StreamError):
                account.gap()  # the socket dropped: events are not replayed
                if event.kind in FATAL_ERRORS:
                    self.request_restart(f"{venue.value} user stream: {event.kind}", epoch=epoch)

        return on_message

    def _margin_called(self, venue: Venue, event: MarginCall) -> None:
        log.warning(
            "binance margin call",
            venue=venue.value,
            cross_wallet=None
            if event.cross_wallet_balance is None
            else str(event.cross_wallet_balance),
            positions=[
                {
                    "symbol": p.symbol,
                    "amount": str(p.amount),
                    "mark": str(p.mark_price),
                    "maintenance_margin": str(p.maintenance_margin),
                    "unrealized_pnl": str(p.unrealized_pnl),
                }
                for p in event.positions
            ],
        )
        hook = self.on_margin_call
        if hook is None:
            return
        try:
            hook(event)
        except Exception:  # the socket thread must go on reading whatever a hook does
            log.exception("margin call hook failed")
