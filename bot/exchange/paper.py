"""``PaperExchange``: the dry-run ``Exchange``. Nothing reaches a venue.

MARKET intents fill at the current mark price from an injected ``MarkSource`` (the lead wires
it to Binance's public endpoints, the emulator or the chain oracle), adjusted by a slippage
and charged a taker fee. Positions follow ``ContractSpec`` (linear or inverse), orders are
checked against the same symbol filters as live, and the book is saved after every change
through a ``PaperStateStore`` so a restarted dry-run continues where it stopped.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Collection, Mapping
from datetime import datetime
from decimal import Decimal

from bot.core.model import (
    ONE,
    ZERO,
    ContractSpec,
    HedgePosition,
    MarginBalance,
    MarginType,
    OrderFee,
    OrderIntent,
    OrderReport,
    OrderStatus,
    Side,
    Venue,
)
from bot.exchange.account_setup import (
    AccountState,
    ActionKind,
    SymbolSettings,
    plan_account_setup,
)
from bot.exchange.base import AccountSetup, FundingFeed
from bot.exchange.filters import FilterViolation, check_market_order
from bot.exchange.paper_book import (
    apply_fill,
    funding_payment,
    liquidation_price,
    notional,
    unrealized_pnl,
)
from bot.exchange.paper_funding import PaperFunding, settle_published_funding
from bot.exchange.paper_liquidation import (
    DEFAULT_LIQUIDATION_FEE,
    PaperLiquidation,
    liquidate_underwater,
)
from bot.exchange.paper_margin import (
    DEFAULT_LEVERAGE,
    MULTI_ASSETS_COLLATERAL_RATIO,
    STABLECOINS,
    MarkSource,
    free_margin,
    usd_price,
    wallet_margin,
)
from bot.exchange.paper_state import (
    InMemoryPaperStateStore,
    JournalPaperStateStore,
    PaperState,
    PaperStateStore,
)


class PaperExchange:
    def __init__(
        self,
        *,
        specs: Mapping[str, ContractSpec],
        marks: MarkSource,
        store: PaperStateStore | None = None,
        name: str = "paper",
        initial_balances: Mapping[tuple[Venue, str], Decimal] | None = None,
        taker_fee: Decimal = Decimal("0.0005"),
        slippage: Decimal = ZERO,
        funding_rates: Mapping[str, Decimal] | None = None,
        clock: Callable[[], float] = time.time,
        funding_feed: FundingFeed | None = None,
        on_funding: Callable[[PaperFunding], None] = lambda _paid: None,
        liquidation_fee: Decimal = DEFAULT_LIQUIDATION_FEE,
        on_liquidation: Callable[[PaperLiquidation], None] = lambda _closed: None,
    ) -> None:
        if not ZERO <= slippage < ONE or not ZERO <= taker_fee < ONE:
            raise ValueError(f"paper slippage {slippage} and taker_fee {taker_fee} need [0, 1)")
        self._specs = dict(specs)
        self._marks = marks
        self._store = store if store is not None else InMemoryPaperStateStore()
        self.name = name
        self.taker_fee = taker_fee
        self.slippage = slippage
        self._funding_rates = dict(funding_rates or {})
        self._clock = clock
        # The venue's published funding, settled before every look at the book: without it
        # a dry-run's shorts never paid or earned funding and read better than reality.
        self._funding_feed = funding_feed
        self._on_funding = on_funding
        # Paper positions are liquidated where the venue would liquidate them: without it a
        # dry-run's short survived a rally that would have closed it with a loss.
        self._liquidation_fee = liquidation_fee
        self._on_liquidation = on_liquidation
        saved = self._store.load(name)
        if saved is not None:
            self.state = PaperState.from_json(saved)
        else:
            self.state = PaperState()
            for (venue, asset), amount in (initial_balances or {}).items():
                self.state.credit(Venue(venue), asset, Decimal(amount))
            self._save()

    # -- Exchange --------------------------------------------------------------------------

    @property
    def is_paper(self) -> bool:
        return True

    @property
    def used_weight_1m(self) -> int | None:
        return None  # nothing reaches a venue

    def contract_specs(self) -> Mapping[str, ContractSpec]:
        return self._specs

    def mark_price(self, symbol: str) -> Decimal:
        self._spec(symbol)
        return self._marks(symbol)

    def settle_funding(self, *, before_order_on: str | None = None) -> list[PaperFunding]:
        """Settle the funding times the venue published since the last look."""
        if self._funding_feed is None:
            return []
        before = dict(self.state.funding_next_ms)
        paid = settle_published_funding(
            self.state, self._specs, self._funding_feed, fresh_for=before_order_on
        )
        if paid or before != self.state.funding_next_ms:
            self._save()
        for payment in paid:
            self._on_funding(payment)
        return paid

    def liquidate_underwater(self) -> list[PaperLiquidation]:
        """Close what the venue would have liquidated at today's marks."""
        closed = liquidate_underwater(
            self.state, self._specs, self._marks, fee_rate=self._liquidation_fee
        )
        for close in closed:
            self._record_autoclose(close)
        if closed:
            self._save()
        for close in closed:
            self._on_liquidation(close)
        return closed

    def _record_autoclose(self, close: PaperLiquidation) -> None:
        spec, now_ms = self._specs[close.symbol], self._now_ms()
        report = OrderReport(
            symbol=close.symbol,
            client_order_id=f"autoclose-{now_ms}-{close.symbol}",  # Binance's liquidation id
            status=OrderStatus.FILLED,
            exchange_order_id=self.state.next_order_id,
            side=Side.BUY if close.quantity < ZERO else Side.SELL,
            quantity=abs(close.quantity),
            executed_quantity=abs(close.quantity),
            average_price=close.mark,
            fee=close.fee,
            fee_asset=spec.margin_asset,
            reduce_only=True,
            update_time_ms=now_ms,
            paper=True,
        )
        self.state.next_order_id += 1
        self.state.orders[report.client_order_id] = report

    def _catch_up(self, *, before_order_on: str | None = None) -> None:
        """What the venue did since the last look: funding, then liquidation on the wallet
        funding left."""
        self.settle_funding(before_order_on=before_order_on)
        self.liquidate_underwater()

    def positions(self) -> list[HedgePosition]:
        self._catch_up()
        out = []
        for symbol, book in sorted(self.state.positions.items()):
            if book.quantity == ZERO:
                continue
            spec, mark = self._specs[symbol], self._marks(symbol)
            backing = self._wallet(spec.venue, spec.margin_asset)
            out.append(
                HedgePosition(
                    symbol=symbol,
                    quantity=book.quantity,
                    entry_price=book.entry_price,
                    mark_price=mark,
                    unrealized_pnl=unrealized_pnl(spec, book, mark),
                    leverage=self._leverage(symbol),
                    margin_type=self.state.margin_type.get(symbol, MarginType.CROSS),
                    liquidation_price=liquidation_price(spec, book, backing),
                )
            )
        return out

    def balances(self) -> list[MarginBalance]:
        """Like Binance: in Multi-Assets Mode every USD-M asset's available balance is the
        whole shared pool expressed in that asset, and USDT is listed even when its wallet is
        empty (it carries the pool that margins USDT contracts)."""
        self._catch_up()
        out = []
        shared = self.state.multi_assets
        items = dict(self.state.balances)
        if shared and any(v is Venue.USDM for v, _ in items):
            items.setdefault((Venue.USDM, "USDT"), ZERO)
        for (venue, asset), amount in sorted(items.items()):
            pooled = shared and venue is Venue.USDM
            if amount == ZERO and not pooled:
                continue
            price = self._usd_price(asset)
            if venue is Venue.USDM and asset not in STABLECOINS:
                price *= MULTI_ASSETS_COLLATERAL_RATIO if shared else ZERO
            pool = self._available(venue, asset)
            unit = self._usd_price(asset) if venue is Venue.USDM else ONE
            if unit <= ZERO:
                available = ZERO
            elif pooled:
                available = max(ZERO, pool / unit)
            else:
                available = max(ZERO, min(amount, pool / unit))
            out.append(
                MarginBalance(
                    asset=asset,
                    wallet_balance=amount,
                    available_balance=available,
                    usd_value=amount * price,
                    venue=venue,
                )
            )
        return out

    def place(self, intent: OrderIntent, *, first_send: bool = False) -> OrderReport:
        # On the position held until now, not the one this order leaves.
        self._catch_up(before_order_on=intent.symbol)
        if intent.client_order_id in self.state.orders:  # one order per client order id
            return self.state.orders[intent.client_order_id]
        if intent.symbol not in self._specs:
            return self._rejected(intent, FilterViolation(code=-1121, message="Invalid symbol."))
        if intent.order_type != "MARKET":
            return self._rejected(intent, FilterViolation(code=-1116, message="Invalid orderType."))
        spec, mark = self._specs[intent.symbol], self._marks(intent.symbol)
        violation = check_market_order(
            spec, quantity=intent.quantity, mark_price=mark, reduce_only=intent.reduce_only
        )
        if violation is not None:
            return self._rejected(intent, violation)
        book = self.state.position(intent.symbol)
        sign = ONE if intent.side is Side.BUY else -ONE
        reducible = abs(book.quantity) if book.quantity * sign < ZERO else ZERO
        quantity = intent.quantity
        if intent.reduce_only:
            if reducible == ZERO:
                return self._rejected(
                    intent, FilterViolation(code=-2022, message="ReduceOnly Order is rejected.")
                )
            quantity = min(quantity, reducible)  # Binance trims reduce-only to the position
        price = mark * (ONE + sign * self.slippage)
        increase = max(ZERO, quantity - reducible)
        if increase > ZERO:
            size = notional(spec, increase, price)
            needed = size / self._leverage(intent.symbol) + size * self.taker_fee
            if needed > self._available(spec.venue, spec.margin_asset):
                return self._rejected(
                    intent, FilterViolation(code=-2019, message="Margin is insufficient.")
                )
        fill = apply_fill(spec, book, sign * quantity, price, self.taker_fee)
        self.state.book_fill(intent.symbol, spec.venue, spec.margin_asset, fill)
        report = OrderReport(
            symbol=intent.symbol,
            client_order_id=intent.client_order_id,
            status=OrderStatus.FILLED,
            exchange_order_id=self.state.next_order_id,
            side=intent.side,
            quantity=intent.quantity,
            executed_quantity=quantity,
            average_price=price,
            fee=fill.fee,
            fee_asset=spec.margin_asset,
            reduce_only=intent.reduce_only,
            update_time_ms=self._now_ms(),
            paper=True,
        )
        self.state.next_order_id += 1
        self.state.orders[intent.client_order_id] = report
        self._save()
        return report

    def order(self, symbol: str, client_order_id: str) -> OrderReport:
        found = self.state.orders.get(client_order_id)
        if found is None or found.symbol != symbol:
            return OrderReport(
                symbol=symbol,
                client_order_id=client_order_id,
                status=OrderStatus.NOT_FOUND,
                paper=True,
            )
        return found

    def cancel(self, symbol: str, client_order_id: str) -> OrderReport:
        return self.order(symbol, client_order_id)  # paper MARKET orders are final at once

    def order_fees(
        self, symbol: str, exchange_order_ids: Collection[int], *, since_ms: int
    ) -> dict[int, OrderFee]:
        wanted = set(exchange_order_ids)
        return {
            r.exchange_order_id: OrderFee(
                exchange_order_id=r.exchange_order_id, fee=r.fee, fee_asset=r.fee_asset
            )
            for r in self.state.orders.values()
            if r.symbol == symbol
            and r.exchange_order_id in wanted
            and r.executed_quantity > ZERO
            and r.update_time_ms >= since_ms
        }

    def setup(self, setup: AccountSetup) -> list[str]:
        venues = {s.venue for s in self._specs.values()}
        state = AccountState(
            dual_side={v: False for v in venues},
            multi_assets=self.state.multi_assets if Venue.USDM in venues else None,
            symbol_configs={
                s: SymbolSettings(
                    symbol=s,
                    margin_type=self.state.margin_type.get(s, MarginType.CROSS),
                    leverage=self._leverage(s),
                )
                for s in self._specs
            },
            open_positions=frozenset(s for s, p in self.state.positions.items() if p.quantity),
            balances=dict(self.state.balances),
        )
        lines = []
        for action in plan_account_setup(setup, self._specs, state):
            if action.kind is ActionKind.MARGIN_TYPE and action.symbol:
                self.state.margin_type[action.symbol] = MarginType(action.value)
            elif action.kind is ActionKind.LEVERAGE and action.symbol:
                self.state.leverage[action.symbol] = int(action.value)
            elif action.kind is ActionKind.MULTI_ASSETS:
                self.state.multi_assets = action.value == "true"
            lines.append(f"paper: {action.description}")
        self._save()
        return lines

    # -- paper-only ------------------------------------------------------------------------

    def apply_funding(
        self, now: datetime, rates: Mapping[str, Decimal] | None = None
    ) -> dict[str, Decimal]:
        """Settle one funding time ``now`` for every open position; returns what each symbol
        received (negative: paid). ``rates`` (observed) override the configured ones. A time
        at or before the last settled one is ignored, so a restart never charges twice."""
        if now.tzinfo is None:
            raise ValueError(f"apply_funding needs an aware datetime, got {now!r}")
        now_ms = int(now.timestamp() * 1000)
        if now_ms <= self.state.last_funding_ms:
            return {}
        paid: dict[str, Decimal] = {}
        for symbol, book in sorted(self.state.positions.items()):
            rate = (rates or {}).get(symbol, self._funding_rates.get(symbol))
            if book.quantity == ZERO or rate is None:
                continue
            spec = self._specs[symbol]
            amount = funding_payment(spec, book, self._marks(symbol), rate)
            self.state.credit(spec.venue, spec.margin_asset, amount)
            self.state.add(self.state.funding, symbol, amount)
            paid[symbol] = amount
        self.state.last_funding_ms = now_ms
        self._save()
        return paid

    def realized_pnl(self, symbol: str) -> Decimal:
        """Realised PnL of ``symbol`` so far, before fees and funding, in its margin asset."""
        return self.state.realized_pnl.get(symbol, ZERO)

    # -- internals -------------------------------------------------------------------------

    def _spec(self, symbol: str) -> ContractSpec:
        if symbol not in self._specs:
            raise KeyError(f"paper exchange has no symbol {symbol!r} (have {sorted(self._specs)})")
        return self._specs[symbol]

    def _leverage(self, symbol: str) -> int:
        return self.state.leverage.get(symbol, DEFAULT_LEVERAGE)

    def _usd_price(self, asset: str) -> Decimal:
        return usd_price(asset, self._specs, self._marks)

    def _wallet(self, venue: Venue, asset: str) -> Decimal:
        return wallet_margin(self.state, venue, asset, self._specs, self._marks)

    def _available(self, venue: Venue, asset: str) -> Decimal:
        return free_margin(self.state, venue, asset, self._specs, self._marks)

    def _rejected(self, intent: OrderIntent, violation: FilterViolation) -> OrderReport:
        return OrderReport(
            symbol=intent.symbol,
            client_order_id=intent.client_order_id,
            status=OrderStatus.REJECTED,
            side=intent.side,
            quantity=intent.quantity,
            reduce_only=intent.reduce_only,
            error_code=violation.code,
            error_message=f"paper: {violation.message}",
            update_time_ms=self._now_ms(),
            paper=True,
        )

    def _now_ms(self) -> int:
        return int(self._clock() * 1000)

    def _save(self) -> None:
        self._store.save(self.name, self.state.to_json())


__all__ = [
    "InMemoryPaperStateStore",
    "JournalPaperStateStore",
    "MarkSource",
    "PaperExchange",
    "PaperStateStore",
]
