"""``BinanceFutures``: the live ``Exchange`` over python-binance's sync ``Client``.

One instance serves a fixed set of symbols on USD-M and/or COIN-M; each symbol's venue picks
the python-binance methods from ``VENUE_METHODS``. All I/O goes through ``Transport``.
"""

from __future__ import annotations

import difflib
import random
import time
from collections.abc import Callable, Collection, Mapping, Sequence
from decimal import Decimal

from binance.client import Client

from bot.core.model import (
    ONE,
    STABLECOIN_ASSETS,
    ZERO,
    ContractSpec,
    HedgePosition,
    MarginBalance,
    OrderFee,
    OrderIntent,
    OrderReport,
    Venue,
)
from bot.exchange.account_setup import (
    AccountState,
    ActionKind,
    SetupAction,
    SymbolSettings,
    plan_account_setup,
)
from bot.exchange.base import AccountSetup, FundingEvent
from bot.exchange.binance.codes import NO_CHANGE_CODES
from bot.exchange.binance.network import Network, make_client
from bot.exchange.binance.orders import OrderGateway
from bot.exchange.binance.retry import RetryPolicy
from bot.exchange.binance.schemas import (
    Balance,
    FundingRateRow,
    Income,
    PositionRisk,
    PremiumIndex,
    SymbolConfig,
    SymbolInfo,
    rows,
)
from bot.exchange.binance.transport import Alert, Clock, Sleep, Transport
from bot.exchange.binance.venues import VENUE_METHODS, VenueMethods
from bot.exchange.errors import AccountSetupError, ExchangeError, OrderRejected

STABLECOINS = STABLECOIN_ASSETS
SYMBOL_CONFIG_TTL_SECS = 300.0
# Collateral (BNB) is valued at a mark read this recently instead of asking again.
VALUATION_MARK_MAX_AGE_SECS = 1.0
# fundingRate's maximum page: 333 days of 8-hour funding, more than any restart gap.
FUNDING_HISTORY_LIMIT = 1000
# Multi-Assets Mode values non-stable USD-M collateral at index x this ratio (Binance FAQ).
DEFAULT_COLLATERAL_RATIOS: Mapping[str, Decimal] = {
    "BNB": Decimal("0.95"),
    "BTC": Decimal("0.95"),
    "ETH": Decimal("0.95"),
}


class BinanceFutures:
    """Live Binance Futures for ``symbols`` (symbol -> venue)."""

    def __init__(
        self,
        *,
        symbols: Mapping[str, Venue | str],
        api_key: str = "",
        api_secret: str = "",
        network: Network | str = Network.TESTNET,
        base_url: str | None = None,
        allow_mainnet: bool = False,
        recv_window_ms: int = 5000,
        request_timeout_secs: float = 10.0,
        retry: RetryPolicy | None = None,
        sleep: Sleep = time.sleep,
        clock: Clock = time.monotonic,
        rng: random.Random | None = None,
        alert: Alert | None = None,
        collateral_ratios: Mapping[str, Decimal] = DEFAULT_COLLATERAL_RATIOS,
        client: Client | None = None,
    ) -> None:
        if not symbols:
            raise ValueError("BinanceFutures needs at least one symbol")
        self._venues = {s: Venue(v) for s, v in symbols.items()}
        self.network = Network(network)
        if client is None:
            client = make_client(
                network=self.network,
                api_key=api_key,
                api_secret=api_secret,
                base_url=base_url,
                allow_mainnet=allow_mainnet,
                recv_window_ms=recv_window_ms,
                request_timeout_secs=request_timeout_secs,
            )
        first_venue = sorted(set(self._venues.values()))[0]
        self.transport = Transport(
            client,
            time_method=VENUE_METHODS[first_venue].time,
            policy=retry,
            sleep=sleep,
            clock=clock,
            rng=rng,
            alert=alert,
        )
        self._orders = OrderGateway(self.transport)
        self._collateral_ratios = dict(collateral_ratios)
        self._specs: dict[str, ContractSpec] | None = None
        self._monotonic = clock
        self._symbol_config_cache: dict[Venue, tuple[float, dict[str, SymbolConfig]]] = {}
        # The latest premiumIndex row per symbol: a cycle's marks, read a moment ago, also
        # value collateral and date the next funding time without another request.
        self._recent_index: dict[str, tuple[float, PremiumIndex]] = {}

    # -- metrics and clock -----------------------------------------------------------------

    @property
    def is_paper(self) -> bool:
        return False

    @property
    def used_weight_1m(self) -> int | None:
        """``X-MBX-USED-WEIGHT-1M`` of the last response: the IP's weight used this minute."""
        return self.transport.used_weight_1m

    def metrics(self) -> dict[str, float]:
        return self.transport.metrics() | {"order_resends": float(self._orders.resends)}

    def sync_time(self) -> int:
        """Measure the server time offset now (it is also measured before the first request)."""
        return self.transport.sync_time()

    @property
    def _venues_in_use(self) -> list[Venue]:
        return sorted(set(self._venues.values()))

    def _methods(self, symbol: str) -> VenueMethods:
        if symbol not in self._venues:
            raise ExchangeError(
                f"symbol {symbol!r} is not configured (have {sorted(self._venues)})"
            )
        return VENUE_METHODS[self._venues[symbol]]

    # -- market data -----------------------------------------------------------------------

    def contract_specs(self) -> Mapping[str, ContractSpec]:
        if self._specs is None:
            specs: dict[str, ContractSpec] = {}
            for venue in self._venues_in_use:
                info = self.transport.call(VENUE_METHODS[venue].exchange_info)
                listed = {str(r.get("symbol")): r for r in info.get("symbols", ())}
                wanted = [s for s, v in self._venues.items() if v is venue]
                _refuse_unlisted(wanted, listed, venue)
                for symbol in wanted:
                    specs[symbol] = SymbolInfo.from_json(listed[symbol]).to_contract_spec(venue)
            self._specs = specs
        return self._specs

    def premium_index(self, symbol: str) -> PremiumIndex:
        raw = self.transport.call(self._methods(symbol).mark_price, symbol=symbol)
        for row in rows(raw):
            if row.get("symbol") == symbol:
                found = PremiumIndex.from_json(row)
                self._recent_index[symbol] = (self._monotonic(), found)
                return found
        raise ExchangeError(f"premiumIndex has no row for {symbol}")

    def _recent_premium_index(self, symbol: str) -> PremiumIndex:
        """The row read a moment ago if there is one, else a fresh read."""
        recent = self._recent_index.get(symbol)
        if recent is not None and self._monotonic() - recent[0] <= VALUATION_MARK_MAX_AGE_SECS:
            return recent[1]
        return self.premium_index(symbol)

    def next_funding_ms(self, symbol: str, *, fresh: bool = False) -> int:
        found = self.premium_index(symbol) if fresh else self._recent_premium_index(symbol)
        return found.next_funding_time_ms

    def funding_events(self, symbol: str, *, start_ms: int, end_ms: int) -> list[FundingEvent]:
        raw = self.transport.call(
            self._methods(symbol).funding_history,
            symbol=symbol,
            startTime=start_ms,
            endTime=end_ms,
            limit=FUNDING_HISTORY_LIMIT,
        )
        found = [FundingRateRow.from_json(r) for r in rows(raw)]
        return [
            FundingEvent(symbol=symbol, funding_time_ms=r.funding_time_ms, rate=r.rate, mark=r.mark)
            for r in sorted(found, key=lambda r: r.funding_time_ms)
            if r.symbol == symbol and start_ms <= r.funding_time_ms <= end_ms and r.mark > 0
        ]

    def mark_price(self, symbol: str) -> Decimal:
        return self.premium_index(symbol).mark_price

    def _valuation_mark(self, symbol: str) -> Decimal:
        """A mark to value collateral with (balances are read right after the marks)."""
        return self._recent_premium_index(symbol).mark_price

    def funding_rate(self, symbol: str) -> Decimal:
        """The rate Binance will apply at the next funding time (``lastFundingRate``)."""
        return self.premium_index(symbol).last_funding_rate

    # -- account ---------------------------------------------------------------------------

    def _position_rows(self, venue: Venue) -> list[PositionRisk]:
        raw = self.transport.call(VENUE_METHODS[venue].positions)
        return [PositionRisk.from_json(r) for r in rows(raw)]

    def _symbol_configs(
        self, venue: Venue, positions: list[PositionRisk]
    ) -> dict[str, SymbolConfig]:
        method = VENUE_METHODS[venue].symbol_config
        if method is None:  # this venue's positionRisk carries leverage and margin type
            return {
                p.symbol: SymbolConfig(
                    symbol=p.symbol, margin_type=p.margin_type, leverage=p.leverage
                )
                for p in positions
                if p.margin_type is not None and p.leverage is not None
            }
        # Leverage and margin type change only through setup() (or an operator in the web UI):
        # re-read them every SYMBOL_CONFIG_TTL_SECS, not on every position read (weight 5).
        cached = self._symbol_config_cache.get(venue)
        now = self._monotonic()
        if cached is not None and now - cached[0] < SYMBOL_CONFIG_TTL_SECS:
            return cached[1]
        configs = {
            c.symbol: c for c in map(SymbolConfig.from_json, rows(self.transport.call(method)))
        }
        self._symbol_config_cache[venue] = (now, configs)
        return configs

    def positions(self) -> list[HedgePosition]:
        out: list[HedgePosition] = []
        for venue in self._venues_in_use:
            risks = [
                p
                for p in self._position_rows(venue)
                if self._venues.get(p.symbol) is venue and p.position_amt != ZERO
            ]
            if not risks:
                continue
            configs = self._symbol_configs(venue, risks)
            out += [p.to_hedge_position(configs.get(p.symbol)) for p in risks]
        return sorted(out, key=lambda p: p.symbol)

    def _balance_rows(self, venue: Venue) -> list[Balance]:
        return [
            Balance.from_json(r) for r in rows(self.transport.call(VENUE_METHODS[venue].balances))
        ]

    def _usd_per_unit(self, asset: str, venue: Venue) -> Decimal:
        if asset in STABLECOINS:
            return ONE
        ratio = self._collateral_ratios.get(asset, ONE) if venue is Venue.USDM else ONE
        for symbol, spec in self.contract_specs().items():
            if spec.underlying == asset:
                return self._valuation_mark(symbol) * ratio
        raw = self.transport.call("futures_mark_price", symbol=f"{asset}USDT")
        return PremiumIndex.from_json(rows(raw)[0]).mark_price * ratio

    def balances(self) -> list[MarginBalance]:
        out: list[MarginBalance] = []
        for venue in self._venues_in_use:
            for row in self._balance_rows(venue):
                # Multi-Assets lists empty wallets too; keep one that carries shared margin
                # (an empty USDT wallet margins USDT contracts from a BNB-only account).
                if row.balance != ZERO:
                    out.append(row.to_margin_balance(venue, self._usd_per_unit(row.asset, venue)))
                elif row.available_balance > ZERO:  # an empty wallet is worth 0 at any price
                    out.append(row.to_margin_balance(venue, ONE))
        return out

    def funding_income(self, symbol: str, start_time_ms: int | None = None) -> list[Income]:
        """``FUNDING_FEE`` income rows of ``symbol`` (positive: received)."""
        params: dict[str, object] = {"symbol": symbol, "incomeType": "FUNDING_FEE"}
        if start_time_ms is not None:
            params["startTime"] = start_time_ms
        raw = self.transport.call(self._methods(symbol).income, **params)
        return [Income.from_json(r) for r in rows(raw)]

    # -- orders ----------------------------------------------------------------------------

    def place(self, intent: OrderIntent, *, first_send: bool = False) -> OrderReport:
        return self._orders.place(intent, self._methods(intent.symbol), first_send=first_send)

    def order(self, symbol: str, client_order_id: str) -> OrderReport:
        return self._orders.lookup(symbol, client_order_id, self._methods(symbol))

    def cancel(self, symbol: str, client_order_id: str) -> OrderReport:
        return self._orders.cancel(symbol, client_order_id, self._methods(symbol))

    def order_fees(
        self, symbol: str, exchange_order_ids: Collection[int], *, since_ms: int
    ) -> dict[int, OrderFee]:
        return self._orders.fees(symbol, exchange_order_ids, since_ms, self._methods(symbol))

    # -- account setup ---------------------------------------------------------------------

    def read_account_state(self) -> AccountState:
        dual: dict[Venue, bool] = {}
        configs: dict[str, SymbolSettings] = {}
        open_positions: set[str] = set()
        balances: dict[tuple[Venue, str], Decimal] = {}
        multi_assets: bool | None = None
        for venue in self._venues_in_use:
            methods = VENUE_METHODS[venue]
            dual[venue] = bool(self.transport.call(methods.get_position_mode)["dualSidePosition"])
            risks = self._position_rows(venue)
            open_positions |= {p.symbol for p in risks if p.position_amt != ZERO}
            configs |= {
                s: SymbolSettings(symbol=s, margin_type=c.margin_type, leverage=c.leverage)
                for s, c in self._symbol_configs(venue, risks).items()
            }
            balances |= {(venue, b.asset): b.balance for b in self._balance_rows(venue)}
            if methods.get_multi_assets_mode is not None:
                answer = self.transport.call(methods.get_multi_assets_mode)
                multi_assets = bool(answer["multiAssetsMargin"])
        return AccountState(
            dual_side=dual,
            multi_assets=multi_assets,
            symbol_configs=configs,
            open_positions=frozenset(open_positions),
            balances=balances,
        )

    def setup(self, setup: AccountSetup) -> list[str]:
        self._symbol_config_cache.clear()
        plan = plan_account_setup(setup, self.contract_specs(), self.read_account_state())
        changes = [action.description for action in plan if self._apply(action)]
        self._symbol_config_cache.clear()
        return changes

    def _apply(self, action: SetupAction) -> bool:
        """Make one change; False when Binance says there was nothing to change."""
        methods = VENUE_METHODS[action.venue]
        calls: dict[ActionKind, Callable[[], object]] = {
            ActionKind.POSITION_MODE: lambda: self.transport.call(
                methods.change_position_mode, dualSidePosition=action.value
            ),
            ActionKind.MARGIN_TYPE: lambda: self.transport.call(
                methods.change_margin_type, symbol=action.symbol, marginType=action.value
            ),
            ActionKind.MULTI_ASSETS: lambda: self.transport.call(
                str(methods.change_multi_assets_mode), multiAssetsMargin=action.value == "true"
            ),
            ActionKind.LEVERAGE: lambda: self.transport.call(
                methods.change_leverage, symbol=action.symbol, leverage=int(action.value)
            ),
        }
        try:
            calls[action.kind]()
        except OrderRejected as exc:
            if exc.code in NO_CHANGE_CODES:
                return False
            raise AccountSetupError(
                f"{action.description}: Binance refused: {exc}", code=exc.code
            ) from exc
        return True


def _refuse_unlisted(wanted: Sequence[str], listed: Mapping[str, object], venue: Venue) -> None:
    """Every configured symbol must be a contract of the venue (exchangeInfo), named with the
    closest listed ones when it is not: a typo is refused at start, not found mid-crash."""
    missing = [s for s in wanted if s not in listed]
    if not missing:
        return
    parts = []
    for symbol in missing:
        close = difflib.get_close_matches(symbol, list(listed), n=3, cutoff=0.6)
        hint = f" (closest listed: {', '.join(close)})" if close else ""
        parts.append(f"{symbol} is not a Binance {venue.value} contract{hint}")
    raise AccountSetupError("; ".join(parts))
