"""A minimal Decimal paper futures account for backtests, one isolated short per symbol.

Position math (fills, entry averaging, realised PnL, funding, liquidation price) is the
project's paper exchange math, ``bot.exchange.paper_book``; this module only keeps the wallets,
applies slippage, and books the costs a report needs. Fills happen at the given price moved
against us by ``slippage``; margin is checked and liquidated on the MARK price.

The account holds a free balance (``free``: USD-M wallet money backing no position) and each
short's isolated margin. Margin moves from the free balance into a short only as the planner's
distance floor asks (``allocate``); money leaves only through ``withdraw``, never more than
``movable_usd`` (Binance's ``maxWithdrawAmount``: unrealised profit does not leave).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal

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
    free: Decimal = ZERO  # wallet balance backing no position (cross, USD-M)
    deposited: Decimal = ZERO  # credited from the reserve wallet
    withdrawn: Decimal = ZERO  # gross, sent to the reserve wallet
    realised: Decimal = ZERO  # realised PnL of every fill, before fees
    liquidation_loss: Decimal = ZERO
    margin_lost: Decimal = ZERO  # isolated margin gone with liquidated shorts
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
        """Free balance plus every short's margin and unrealised PnL."""
        return self.free + sum(
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
        self.realised += res.realized_pnl
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
        self.margin_lost += acc.wallet
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

    def allocate(self, symbol: str, mark: Decimal, min_distance: Decimal) -> Decimal:
        """Move free balance into the short's isolated margin, up to what keeps its liquidation
        ``min_distance`` away (the planner's top-up, an internal move); returns the amount."""
        acc = self.account(symbol)
        if acc.position.quantity >= 0:
            return ZERO
        move = min(
            max(self.required_wallet(symbol, mark, min_distance) - acc.wallet, ZERO), self.free
        )
        acc.wallet += move
        self.free -= move
        return move

    def credit(self, symbol: str, amount: Decimal) -> None:
        """A deposit from the reserve: into the short's margin (it was sized for it), or the
        free balance when there is no short."""
        acc = self.account(symbol)
        if acc.position.quantity < 0:
            acc.wallet += amount
        else:
            self.free += amount
        self.deposited += amount

    def movable_usd(self, symbol: str, mark: Decimal) -> Decimal:
        """Binance's ``maxWithdrawAmount``, as the reference states it: wallet balance plus
        unrealised PnL only when negative (profit never leaves), less initial margin."""
        acc = self.account(symbol)
        upnl = pb.unrealized_pnl(acc.spec, acc.position, mark)
        im = -acc.position.quantity * mark / self.leverage
        return max(self.free + acc.wallet + min(upnl, ZERO) - im, ZERO)

    def withdraw(self, symbol: str, amount: Decimal) -> None:
        """Send ``amount`` off the exchange: from the free balance first, then the margin the
        short holds above what it needs (the caller sized it within ``movable_usd``)."""
        if amount > self.free + self.account(symbol).wallet:
            raise ValueError(f"withdrawal of {amount} is more than the account holds")
        from_free = min(amount, self.free)
        self.free -= from_free
        self.account(symbol).wallet -= amount - from_free
        self.withdrawn += amount

    def realise(self, symbol: str, price: Decimal, profit_usd: Decimal) -> Decimal:
        """Realise about ``profit_usd`` of the short's unrealised profit: buy back that share
        of the short and sell it again at ``price`` (fee and slippage twice on that share).
        Returns the quantity turned over (0 when the short is not in profit)."""
        acc = self.account(symbol)
        q = -acc.position.quantity
        upnl = pb.unrealized_pnl(acc.spec, acc.position, price)
        if q <= 0 or upnl <= 0 or profit_usd <= 0:
            return ZERO
        step = acc.spec.step_size
        share = min(profit_usd / upnl, Decimal(1))
        qty = min((q * share / step).to_integral_value(rounding=ROUND_CEILING) * step, q)
        for side, reduce in ((Side.BUY, True), (Side.SELL, False)):
            self.fill(
                OrderIntent(
                    symbol=symbol,
                    side=side,
                    quantity=qty,
                    reduce_only=reduce,
                    client_order_id=f"bt-realise-{side.value.lower()}",
                    reason="realise hedge profit so it can be withdrawn",
                ),
                price,
            )
        return qty
