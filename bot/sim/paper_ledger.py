"""A minimal Decimal paper futures account for backtests, one isolated short per symbol.

Position math (fills, entry averaging, realised PnL, funding, liquidation price) is the
project's paper exchange math, ``bot.exchange.paper_book``; this module only keeps the wallet,
applies slippage, and books the costs a report needs. Fills happen at the given price moved
against us by ``slippage``; margin is checked and liquidated on the MARK price.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from bot.core.model import (
    ZERO,
    ContractSpec,
    HedgePosition,
    MarginType,
    OrderIntent,
    OrderReport,
    OrderStatus,
    Side,
)
from bot.exchange import paper_book as pb


@dataclass(slots=True, kw_only=True)
class SymbolAccount:
    spec: ContractSpec
    position: pb.BookPosition = field(default_factory=pb.BookPosition)
    wallet: Decimal = ZERO  # isolated margin, in the margin asset
    liquidated: bool = False


@dataclass(slots=True, kw_only=True)
class PaperLedger:
    specs: dict[str, ContractSpec]
    leverage: int
    taker_fee: Decimal
    slippage: Decimal
    accounts: dict[str, SymbolAccount] = field(default_factory=dict)
    fees: Decimal = ZERO
    slippage_cost: Decimal = ZERO
    funding: Decimal = ZERO  # received (+) / paid (-)
    capital_in: Decimal = ZERO  # outside money deposited as margin
    withdrawn: Decimal = ZERO
    liquidation_loss: Decimal = ZERO
    liquidations: int = 0
    fills: int = 0

    def account(self, symbol: str) -> SymbolAccount:
        if symbol not in self.accounts:
            self.accounts[symbol] = SymbolAccount(spec=self.specs[symbol])
        return self.accounts[symbol]

    def hedge_positions(self, marks: dict[str, Decimal]) -> list[HedgePosition]:
        out = []
        for sym, acc in self.accounts.items():
            if acc.position.quantity == ZERO:
                continue
            out.append(
                HedgePosition(
                    symbol=sym,
                    quantity=acc.position.quantity,
                    entry_price=acc.position.entry_price,
                    mark_price=marks[sym],
                    unrealized_pnl=pb.unrealized_pnl(acc.spec, acc.position, marks[sym]),
                    leverage=self.leverage,
                    margin_type=MarginType.ISOLATED,
                    liquidation_price=pb.liquidation_price(acc.spec, acc.position, acc.wallet),
                    isolated_margin=acc.wallet,
                )
            )
        return out

    def equity(self, marks: dict[str, Decimal]) -> Decimal:
        return sum(
            (
                a.wallet + pb.unrealized_pnl(a.spec, a.position, marks[s])
                for s, a in self.accounts.items()
            ),
            ZERO,
        )

    def fill(self, intent: OrderIntent, price: Decimal) -> OrderReport:
        acc = self.account(intent.symbol)
        sell = intent.side is Side.SELL
        px = price * (1 - self.slippage if sell else 1 + self.slippage)
        delta = -intent.quantity if sell else intent.quantity
        res = pb.apply_fill(acc.spec, acc.position, delta, px, self.taker_fee)
        acc.position = res.position
        acc.wallet += res.realized_pnl - res.fee
        self.fees += res.fee
        self.slippage_cost += pb.notional(acc.spec, delta, price) * self.slippage
        self.fills += 1
        return OrderReport(
            symbol=intent.symbol,
            client_order_id=intent.client_order_id,
            status=OrderStatus.FILLED,
            side=intent.side,
            quantity=intent.quantity,
            executed_quantity=intent.quantity,
            average_price=px,
            fee=res.fee,
            fee_asset=acc.spec.margin_asset,
            reduce_only=intent.reduce_only,
        )

    def fund(self, symbol: str, mark: Decimal, rate: Decimal) -> None:
        acc = self.account(symbol)
        pay = pb.funding_payment(acc.spec, acc.position, mark, rate)
        acc.wallet += pay
        self.funding += pay

    def liquidate_if_hit(self, symbol: str, mark_high: Decimal) -> bool:
        """Liquidate the short if the mark's high reached its liquidation price."""
        acc = self.account(symbol)
        if acc.position.quantity >= ZERO:
            return False
        lp = pb.liquidation_price(acc.spec, acc.position, acc.wallet)
        if lp is None or mark_high < lp:
            return False
        left = acc.wallet + pb.unrealized_pnl(acc.spec, acc.position, lp)
        self.liquidation_loss += max(left, ZERO)
        acc.position, acc.wallet, acc.liquidated = pb.BookPosition(), ZERO, True
        self.liquidations += 1
        return True

    def required_wallet(self, symbol: str, mark: Decimal, min_distance: Decimal) -> Decimal:
        """Margin that keeps initial margin and the short's liq price >= mark * (1 + d)."""
        acc = self.account(symbol)
        q = -acc.position.quantity
        if q <= 0:
            return ZERO
        mmr = acc.spec.maint_margin_rate
        dist = q * mark * (1 + min_distance) * (1 + mmr) - q * acc.position.entry_price
        return max(q * mark / self.leverage, dist)

    def top_up(self, symbol: str, amount: Decimal) -> None:
        if amount > 0:
            self.account(symbol).wallet += amount
            self.capital_in += amount

    def realise_and_withdraw(
        self, symbol: str, mark: Decimal, price: Decimal, min_distance: Decimal
    ) -> Decimal:
        """Close and reopen the short at ``price`` (booking the uPnL, paying costs twice), then
        withdraw the wallet above the required margin. Returns the amount withdrawn."""
        acc = self.account(symbol)
        q = acc.position.quantity
        if q >= 0:
            return ZERO
        # Only worth it if the realised wallet, after both fills' costs, exceeds what the
        # reopened short needs.
        gain = pb.unrealized_pnl(acc.spec, acc.position, price)
        costs = 2 * (self.taker_fee + self.slippage) * -q * price
        reopened = -q * price
        mmr = acc.spec.maint_margin_rate
        need = max(
            reopened / self.leverage,
            reopened * (1 + min_distance) * (1 + mmr) - reopened,
        )
        if acc.wallet + gain - costs <= need:
            return ZERO
        close = OrderIntent(
            symbol=symbol,
            side=Side.BUY,
            quantity=-q,
            reduce_only=True,
            client_order_id="bt-realise-close",
            reason="realise hedge gains for an on-chain repay",
        )
        reopen = OrderIntent(
            symbol=symbol,
            side=Side.SELL,
            quantity=-q,
            reduce_only=False,
            client_order_id="bt-realise-open",
            reason="reopen the hedge after realising",
        )
        self.fill(close, price)
        self.fill(reopen, price)
        excess = acc.wallet - self.required_wallet(symbol, mark, min_distance)
        if excess <= 0:
            return ZERO
        acc.wallet -= excess
        self.withdrawn += excess
        return excess
