"""The backtest's reserve wallet, its repays and its transfers, decided by the daemon's own
pure functions: ``bot.core.repay.decide`` (the guard, with its per-action and per-day caps) and
``bot.core.capital.decide_money_move`` (the capital loop). Money as Decimal.

Time inside an hour. Candles give four prices, not their order, so the price is assumed to go
open -> high -> low -> close in an hour that closes down and open -> low -> high -> close in one
that closes up (the high first when it falls: the pessimistic order for a short), at constant
speed along that path: ``touch_fraction`` says when a price is first reached, as a fraction of
the hour. A transfer sent at hour time ``t`` arrives at ``t + delay``; it is credited before a
short's liquidation or a repay at that price only if it arrived by then, otherwise at the close.
So with a 10-minute delay a withdrawal sent at a close can pay a repay from the next hour's
first 10 minutes on, and one sent when the trigger is crossed inside an hour is there at that
hour's close if at least 10 minutes remain; a 60-minute delay is never usable before the next
hour's close.
"""

from __future__ import annotations

import itertools
from collections import Counter
from dataclasses import dataclass
from decimal import ROUND_FLOOR, Decimal

from bot.core import repay
from bot.core.capital import (
    AlertReason,
    CapitalRules,
    CapitalView,
    Direction,
    MoneyMove,
    PendingTransfer,
    decide_money_move,
    margin_to_restore_usd,
)
from bot.core.model import ZERO, PositionSnapshot
from bot.exchange import paper_book as pb
from bot.sim.backtest_params import BacktestParams
from bot.sim.candles import Bar
from bot.sim.lending import LendingPosition
from bot.sim.paper_ledger import PaperLedger

DAY_H = 24.0
USDC_STEP = Decimal("1e-6")
EPS = Decimal("1e-9")


def touch_fraction(bar: Bar, price: Decimal) -> float | None:
    """When in the hour ``price`` is first reached (0 = the open, 1 = the close) on the path
    the module docstring states; None when the hour never reaches it."""
    legs = (
        (bar.open, bar.low, bar.high, bar.close)
        if bar.close >= bar.open
        else (bar.open, bar.high, bar.low, bar.close)
    )
    total = sum((abs(b - a) for a, b in itertools.pairwise(legs)), ZERO)
    run = ZERO
    for a, b in itertools.pairwise(legs):
        if min(a, b) <= price <= max(a, b):
            return 0.0 if total == 0 else float((run + abs(price - a)) / total)
        run += abs(b - a)
    return None


@dataclass(frozen=True, slots=True, kw_only=True)
class Transfer:
    direction: Direction
    amount: Decimal  # sent
    received: Decimal  # what reaches the other side (a withdrawal: amount - fee)
    sent_h: float  # hours since the first hour's open
    arrive_h: float


def worth_realising(move: MoneyMove, view: CapitalView, rules: CapitalRules) -> bool:
    """Realise hedge profit only for a withdrawal it unblocks: the decision wants profit
    realised, the rules allow moves, and room plus that profit reaches ``min_transfer_usd``
    (realising for a transfer still refused would only pay fees)."""
    if not rules.enabled or move.direction is not Direction.WITHDRAW:
        return False
    if move.realise_first_usd <= 0 or move.alert_reason not in _SMALL:
        return False
    room = max(view.movable_usd - view.margin_needed_usd, ZERO)
    return room + move.realise_first_usd >= rules.min_transfer_usd


# A withdrawal refused for being too small, which realised profit can make big enough.
_SMALL = (
    None,
    AlertReason.NOTHING_WITHDRAWABLE,
    AlertReason.UNDER_MIN_TRANSFER,
    AlertReason.UNDER_COIN_MINIMUM,
    AlertReason.NOT_ABOVE_FEE,
)


class ReserveLoop:
    """The reserve wallet, the guard that repays from it and the transfers that refill it
    or take margin from it, for one position and one short."""

    def __init__(self, *, params: BacktestParams, reserve: Decimal, start_ms: int) -> None:
        self.p = params
        self.protect = params.protect_params()
        self.rules = params.capital_rules()
        self.reserve = reserve
        self.target = params.reserve_target(reserve)
        self.start_ms = start_ms
        self.pending: Transfer | None = None
        self.history: list[tuple[float, str, Decimal]] = []  # (hour time, kind, USD)
        self.repaid = ZERO
        self.gas = ZERO
        self.withdraw_fees = ZERO
        self.transfers = 0
        self.alerts: Counter[AlertReason] = Counter()

    # --- the guard -----------------------------------------------------------------------
    def _last_day(self, kind: str, now_h: float) -> Decimal:
        return sum((a for t, k, a in self.history if k == kind and t > now_h - DAY_H), ZERO)

    def repay(self, loan: LendingPosition, snapshot: PositionSnapshot, now_h: float) -> Decimal:
        """One guard decision on ``snapshot``; returns the debt repaid (0: no action)."""
        balance = self.reserve.quantize(USDC_STEP, rounding=ROUND_FLOOR)
        decision = repay.decide(
            snapshot,
            params=self.protect,
            reserves=(
                repay.ReserveBalance(
                    symbol="USDC", address="0x" + "22" * 20, decimals=6, balance=balance
                ),
            ),
            spent_today_usd=self._last_day("repay", now_h),
        )
        action = decision.action
        if action is None or action.kind is not repay.ActionKind.REPAY:
            return ZERO
        paid = loan.repay(action.amount)
        self.reserve -= paid
        self.repaid += paid
        self.gas += self.p.repay_gas_usd
        self.history.append((now_h, "repay", action.amount_usd))
        return paid

    # --- the capital loop ----------------------------------------------------------------
    def arrive(self, ledger: PaperLedger, symbol: str, until_h: float) -> Transfer | None:
        """Settle the transfer in flight if it has arrived by ``until_h``."""
        t = self.pending
        if t is None or t.arrive_h > until_h + 1e-9:
            return None
        self.pending = None
        if t.direction is Direction.WITHDRAW:
            self.reserve += t.received
        else:
            ledger.credit(symbol, t.received)
        return t

    def in_flight_usd(self) -> Decimal:
        """What a transfer in flight will deliver: counted in wealth, owned by nobody yet."""
        return ZERO if self.pending is None else self.pending.received

    def view(self, ledger: PaperLedger, symbol: str, mark: Decimal, now_h: float) -> CapitalView:
        acc = ledger.account(symbol)
        pos, spec = acc.position, acc.spec
        restore = self.rules.short_restore_distance
        movable = ledger.movable_usd(symbol, mark)
        # What may leave while the short keeps ``restore`` (and its initial margin): the
        # rest of movable is the margin the hedge needs.
        room = ledger.free + acc.wallet - ledger.required_wallet(symbol, mark, restore)
        distance: Decimal | None = None
        to_restore = ZERO
        if pos.quantity < 0:
            lp = pb.liquidation_price(spec, pos, acc.wallet)
            distance = ZERO if lp is None else max((lp - mark) / mark, ZERO)
            equity = acc.wallet + pb.unrealized_pnl(spec, pos, mark)
            to_restore = margin_to_restore_usd(
                spec=spec, quantity=pos.quantity, mark=mark, equity_usd=equity, distance=restore
            )
        pending = self.pending
        now_ms = self._ms(now_h)
        return CapitalView(
            read_ms=now_ms,
            reserve_usd=self.reserve,
            coin_held=self.reserve,
            reserve_target_usd=self.target,
            reserve_floor_usd=self.p.reserve_floor_usd,
            movable_usd=movable,
            margin_needed_usd=max(movable - max(room, ZERO), ZERO),
            unrealized_pnl_usd=pb.unrealized_pnl(spec, pos, mark),
            short_liq_distance=distance,
            margin_to_restore_usd=max(to_restore - ledger.free, ZERO),
            in_flight=None
            if pending is None
            else PendingTransfer(
                direction=pending.direction,
                amount=pending.amount,
                started_ms=self._ms(pending.sent_h),
            ),
            withdrawn_today_usd=self._last_day(Direction.WITHDRAW, now_h),
            deposited_today_usd=self._last_day(Direction.DEPOSIT, now_h),
            can_move=True,
            network=self.p.network,
        )

    def _ms(self, hours: float) -> int:
        return self.start_ms + round(hours * 3_600_000)

    def may_move(self, ledger: PaperLedger, symbol: str, mark: Decimal) -> bool:
        """False where ``decide_money_move`` can only hold (no transfer in flight, the short
        not under ``short_floor``, the reserve within the band of its target and not under its
        floor): it then neither moves nor alerts, so the call is skipped. A 1e-9 margin on each
        test keeps every case near a boundary going to the core."""
        if self.pending is not None:
            return True
        floor = self.p.reserve_floor_usd
        target = max(self.target, floor)
        if self.reserve < floor or target - self.reserve > self.rules.refill_band_usd - EPS:
            return True
        acc = ledger.account(symbol)
        if acc.position.quantity >= 0:
            return False
        lp = pb.liquidation_price(acc.spec, acc.position, acc.wallet)
        return lp is None or (lp - mark) / mark < self.rules.short_floor + EPS

    def act(
        self, ledger: PaperLedger, symbol: str, *, mark: Decimal, price: Decimal, now_h: float
    ) -> MoneyMove | None:
        """One capital decision at ``now_h``, executed (None: skipped, ``may_move``). Profit
        the exchange holds back as unrealised is realised first (``price``: the fill price) and
        the decision taken again on the new balances, as the daemon's next cycle would."""
        if not self.may_move(ledger, symbol, mark):
            return None
        view = self.view(ledger, symbol, mark, now_h)
        move = decide_money_move(view=view, rules=self.rules, now_ms=self._ms(now_h))
        if worth_realising(move, view, self.rules) and ledger.realise(
            symbol, price, move.realise_first_usd
        ):
            move = decide_money_move(
                view=self.view(ledger, symbol, mark, now_h),
                rules=self.rules,
                now_ms=self._ms(now_h),
            )
        if move.moves:
            self._send(move, ledger, symbol, now_h)
        elif move.alert_reason is not None:
            self.alerts[move.alert_reason] += 1
        return move

    def _send(self, move: MoneyMove, ledger: PaperLedger, symbol: str, now_h: float) -> None:
        assert move.direction is not None  # a MOVE always has one
        if move.direction is Direction.WITHDRAW:
            ledger.withdraw(symbol, move.amount)
            self.withdraw_fees += move.fee
            delay = self.p.transfer_delay_minutes
        else:
            self.reserve -= move.amount
            self.gas += self.p.deposit_gas_usd
            delay = self.p.deposit_credit_minutes
        self.pending = Transfer(
            direction=move.direction,
            amount=move.amount,
            received=move.received,
            sent_h=now_h,
            arrive_h=now_h + delay / 60,
        )
        self.history.append((now_h, move.direction, move.amount))
        self.transfers += 1
