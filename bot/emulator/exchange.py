"""The emulator's engine object: state, clocks, configuration, and the control operations."""

from __future__ import annotations

import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from bot.emulator import algo, fills, margin_calls, orders, persistence, risk, wallet
from bot.emulator.accounting import venue_view
from bot.emulator.chain_link import ChainClient, ChainLinkConfig
from bot.emulator.coins import WalletConfig, coin_from_fields
from bot.emulator.faults import FaultBook
from bot.emulator.markets import SPECS, VENUES, Venue
from bot.emulator.ratelimit import Limits, RateLimiter, SapiLimiter
from bot.emulator.settlement import Settlement
from bot.emulator.state import Account, MarketState, initial_state, new_account
from bot.emulator.streams.hub import StreamHub
from bot.redact import MASK

STREAM_OPTIONS: dict[str, Any] = {
    "listen_key_validity_secs": float,
    "stream_max_lifetime_secs": float,
    "stream_max_incoming_per_sec": int,
    "stream_queue_size": int,
    "stream_push_on_mark_change": bool,
}


@dataclass
class EmulatorConfig:
    server_skew_ms: int = 0
    strict_signatures: bool = False
    allow_coinm_stop_orders: bool = False
    api_keys: list[tuple[str, str]] = field(default_factory=list)
    limits: Limits = field(default_factory=Limits)
    # WebSocket streams (bot/emulator/streams): Binance's values by default
    listen_key_validity_secs: float = 3600.0
    stream_ping_interval_secs: float = 180.0  # read once, when uvicorn starts
    stream_max_lifetime_secs: float = 86400.0
    stream_max_incoming_per_sec: int = 10
    stream_queue_size: int = 1000
    # Binance pushes markPrice on its 1 s / 3 s cadence only, never because the mark moved; the
    # emulator also pushes at once when the control plane moves a mark (tests, benchmarks), so
    # a client must not depend on it: switch it off to check
    stream_push_on_mark_change: bool = True
    # MARGIN_CALL at maintenance / margin balance >= this (Binance's own level is not public)
    margin_call_ratio: Decimal = margin_calls.DEFAULT_MARGIN_CALL_RATIO


class Exchange:
    """The engine. Requests and control calls run on the server's event loop; the chain link's
    settlement thread also changes the state, so every change happens under ``lock``."""

    def __init__(self, config: EmulatorConfig, state_file: Path | None = None) -> None:
        self.config = config
        self.state_file = state_file
        self.lock = threading.RLock()
        self.generation = 0  # bumped by reset: work begun on an older state is dropped
        self.faults = FaultBook()
        self.limiter = RateLimiter(config.limits)
        self.spot_limiter = RateLimiter(config.limits)
        self.sapi_limiter = SapiLimiter()
        self.wallet = WalletConfig()
        self.streams = StreamHub(self)
        self.chain: Settlement | None = None
        self.lenient_signatures = 0
        self.weight_by_endpoint: Counter[str] = Counter()  # "GET /fapi/v3/balance" -> weight
        loaded = persistence.load(state_file) if state_file is not None else None
        self.state = loaded or initial_state(config.api_keys, self.market_ms_for(0))
        for key, secret in config.api_keys:
            if key not in self.state.accounts:
                self.state.accounts[key] = new_account(key, secret)
        self.secrets = {k: a.api_secret for k, a in self.state.accounts.items()}

    # clocks -----------------------------------------------------------------------------
    def server_ms(self) -> int:
        """Wall clock plus the configured skew: what /time returns and timestamps check."""
        return int(time.time() * 1000) + self.config.server_skew_ms

    def market_ms_for(self, offset: int) -> int:
        return int(time.time() * 1000) + self.config.server_skew_ms + offset

    def market_ms(self) -> int:
        """Market clock (funding, record times): server time moved by advance_time."""
        return self.market_ms_for(self.state.clock_offset_ms)

    # engine hooks -------------------------------------------------------------------------
    def tick(self) -> None:
        now = self.market_ms()
        if risk.next_funding_time(self.state.funding_checked_ms) <= now:
            risk.settle_funding(self.state, now)
            self.after_market_move(now)

    def after_market_move(self, now: int) -> None:
        for account in self.state.accounts.values():
            algo.trigger_algos(self.state, account, now)
            for venue in VENUES:
                orders.match_resting(self.state, account, venue, now)
            # One valuation for both checks (a margin call moves nothing). Calls come first: a
            # mark that jumps past liquidation still calls.
            views = {v: venue_view(account, v, self.state.markets) for v in VENUES}
            margin_calls.check_margin_calls(account, views, now, self.config.margin_call_ratio)
            risk.check_liquidations(self.state, account, now, views)

    def account(self, api_key: str | None) -> Account:
        key = api_key or next(iter(self.state.accounts))
        try:
            return self.state.accounts[key]
        except KeyError:
            raise ValueError(f"unknown api_key {key!r}") from None

    def save(self) -> None:
        if self.state_file is not None:
            persistence.save(self.state_file, self.state)

    # control plane ------------------------------------------------------------------------
    def set_mark(
        self, symbol: str, price: Decimal, index: Decimal | None, last: Decimal | None
    ) -> None:
        market = self._market(symbol)
        if price <= 0:
            raise ValueError(f"mark price for {symbol} must be > 0, got {price}")
        market.mark = price
        market.index = index if index is not None else price
        market.last = last if last is not None else price
        self.after_market_move(self.market_ms())

    def set_funding_rate(self, symbol: str, rate: Decimal) -> None:
        self._market(symbol).funding_rate = rate

    def advance_time(self, seconds: float) -> int:
        if seconds < 0:
            raise ValueError(f"advance_time seconds must be >= 0, got {seconds}")
        self.state.clock_offset_ms += int(seconds * 1000)
        now = self.market_ms()
        settled = risk.settle_funding(self.state, now)
        self.after_market_move(now)
        return settled

    def fund(self, asset: str, amount: Decimal, venue: Venue | str, api_key: str | None) -> Decimal:
        account = self.account(api_key)
        if venue == "spot":
            wallet.credit_spot(account, asset, amount, self.market_ms())
            return account.spot[asset]
        if venue not in VENUES:
            raise ValueError(f"venue must be 'usdm', 'coinm' or 'spot', got {venue!r}")
        venue_account = account.venue("usdm" if venue == "usdm" else "coinm")
        fills.credit(venue_account, asset, amount)
        fills.add_income(
            self.state,
            venue_account,
            symbol="",
            income_type="TRANSFER",
            amount=amount,
            asset=asset,
            now=self.market_ms(),
            info="TRANSFER",
        )
        return venue_account.wallets[asset]

    def add_api_key(self, key: str, secret: str) -> None:
        if key not in self.state.accounts:
            self.state.accounts[key] = new_account(key, secret)
        self.secrets[key] = self.state.accounts[key].api_secret

    def reset(self) -> None:
        self.state = initial_state(self.config.api_keys, self.market_ms_for(0))
        self.generation += 1
        self.secrets = {k: a.api_secret for k, a in self.state.accounts.items()}
        self.faults.clear()
        self.streams.reset()
        self.limiter.reset()
        self.spot_limiter.reset()
        self.sapi_limiter.reset()
        if self.chain is not None:
            try:
                self.chain.init_cursor()  # deposits count from now on the fresh state
            except Exception:  # the node is away: the next poll starts at the head instead
                self.state.chain_cursor = None
        self.lenient_signatures = 0
        self.weight_by_endpoint.clear()

    def configure(self, options: dict[str, Any]) -> None:
        for name, value in options.items():
            if hasattr(self.config.limits, name):
                setattr(self.config.limits, name, int(value))
            elif name in ("server_skew_ms",):
                self.config.server_skew_ms = int(value)
            elif name in ("strict_signatures", "allow_coinm_stop_orders"):
                setattr(self.config, name, bool(value))
            elif name == "margin_call_ratio":
                self.config.margin_call_ratio = _positive_decimal(name, value)
            elif name in STREAM_OPTIONS:
                setattr(self.config, name, STREAM_OPTIONS[name](value))
            else:
                raise ValueError(f"unknown emulator option {name!r}")
        self.limiter.limits = self.config.limits
        self.spot_limiter.limits = self.config.limits

    def snapshot(self) -> dict[str, Any]:
        """The state for the control plane, which anyone who reaches the port may read: API
        secrets are masked (accounts stay keyed by API key, which signs nothing)."""
        data: dict[str, Any] = self.state.model_dump(mode="json")
        for account in data["accounts"].values():
            account["api_secret"] = MASK
        data["market_time_ms"] = self.market_ms()
        data["server_time_ms"] = self.server_ms()
        data["faults"] = self.faults.describe()
        data["faults_fired"] = list(self.faults.fired)
        data["lenient_signatures"] = self.lenient_signatures
        data["weight_by_endpoint"] = dict(self.weight_by_endpoint)
        data["wallet"] = self.wallet.describe()
        data["chain"] = None if self.chain is None else self.chain.describe()
        return data

    # chain link -------------------------------------------------------------------------------
    def link_chain(self, config: ChainLinkConfig) -> dict[str, Any]:
        """Link the wallet to a chain (replacing any link): check the RPC, the key and each
        token, configure the coins, whitelist and delay, then settle on a background thread.
        Raises ``ChainLinkError`` / ``ValueError`` with nothing changed."""
        client = ChainClient.connect(config)
        nets = []
        for fields_ in config.coins:
            coin = str(fields_.get("coin", "")).upper()
            network = str(fields_.get("network", "")).upper()
            nets.append(coin_from_fields(fields_, self.wallet.coins.get((coin, network))))
        for net in nets:
            client.check_token(net)
        self.unlink_chain()
        for net in nets:
            self.wallet.upsert(net)
        self.wallet.set_whitelist(None if config.whitelist is None else list(config.whitelist))
        if config.withdraw_delay_secs is not None:
            self.wallet.set_delay(config.withdraw_delay_secs)
        settlement = Settlement(
            self, client, frozenset(n.key for n in nets), config.poll_interval_secs
        )
        settlement.adopt_cursor()
        self.chain = settlement
        settlement.start()
        return settlement.describe()

    def unlink_chain(self) -> None:
        """Stop settling: processing withdrawals stay at status 4, deposits are not watched."""
        chain, self.chain = self.chain, None
        if chain is not None:
            chain.stop(timeout=chain.client_timeout + 1)

    def close(self) -> None:
        self.unlink_chain()

    def _market(self, symbol: str) -> MarketState:
        if symbol not in SPECS:
            raise ValueError(f"unknown symbol {symbol!r}; known: {sorted(SPECS)}")
        return self.state.markets[symbol]


def _positive_decimal(name: str, value: Any) -> Decimal:
    try:
        number = Decimal(str(value))
    except ArithmeticError:
        raise ValueError(f"emulator option {name!r} must be a number, got {value!r}") from None
    if not number.is_finite() or number <= 0:
        raise ValueError(f"emulator option {name!r} must be > 0, got {value!r}")
    return number
