"""Realising short profit so it can be withdrawn, and the account margin the capital loop
keeps on the exchange."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from bot.core.capital_account import AccountMargin, account_margin, profit_to_realise
from bot.core.model import MarginBalance, Side, Venue
from bot.core.realise import realise_orders
from tests.core.core_builders import hedge, inverse_spec, linear_spec
from tests.core.test_core_capital import RULES, decide
from tests.core.test_core_capital import view as capital_view

D = Decimal

SPECS = {"BTCUSDT": linear_spec(), "ETHUSDT": linear_spec("ETHUSDT", "ETH")}


def test_a_buy_back_then_a_sale_of_the_same_quantity_books_the_asked_profit() -> None:
    short = hedge("BTCUSDT", "-1.000", entry="60000", mark="42000")
    buy, sell = realise_orders(
        usd=D(5_000), hedges=[short], specs=SPECS, marks={"BTCUSDT": D(42_000)},
        account="alice", cycle_id="c1",
    )  # fmt: skip
    assert (buy.side, sell.side) == (Side.BUY, Side.SELL)
    assert buy.reduce_only
    assert not sell.reduce_only
    assert buy.quantity == sell.quantity == D("0.278")  # 5,000 / 18,000 rounded up to the step
    assert buy.quantity * D(18_000) >= D(5_000)
    assert buy.client_order_id != sell.client_order_id


def test_the_short_with_most_profit_per_unit_is_used_and_never_more_than_it_holds() -> None:
    btc = hedge("BTCUSDT", "-0.010", entry="60000", mark="42000")
    eth = hedge("ETHUSDT", "-5", entry="3000", mark="2900")
    orders = realise_orders(
        usd=D(1_000_000), hedges=[eth, btc], specs=SPECS,
        marks={"BTCUSDT": D(42_000), "ETHUSDT": D(2_900)}, account="a", cycle_id="c",
    )  # fmt: skip
    assert [o.symbol for o in orders] == ["BTCUSDT", "BTCUSDT"]
    assert orders[0].quantity == D("0.010")


def test_nothing_is_realised_from_a_losing_short_an_inverse_one_or_under_the_minimums() -> None:
    losing = hedge("BTCUSDT", "-1", entry="40000", mark="42000")
    marks = {"BTCUSDT": D(42_000), "BNBUSD_PERP": D(300)}
    assert realise_orders(usd=D(500), hedges=[losing], specs=SPECS, marks=marks,
                          account="a", cycle_id="c") == ()  # fmt: skip
    coin = hedge("BNBUSD_PERP", "-100", entry="600", mark="300")
    specs = {**SPECS, "BNBUSD_PERP": inverse_spec()}
    assert realise_orders(usd=D(500), hedges=[coin], specs=specs, marks=marks,
                          account="a", cycle_id="c") == ()  # fmt: skip
    tiny = hedge("BTCUSDT", "-1", entry="60000", mark="42000")
    # 0.001 BTC is worth 42 USD, under the 100 USD minimum notional.
    assert realise_orders(usd=D(10), hedges=[tiny], specs=SPECS, marks=marks,
                          account="a", cycle_id="c") == ()  # fmt: skip


@given(
    quantity=st.decimals(min_value=D("0.01"), max_value=D(50), places=3),
    entry=st.decimals(min_value=D(1000), max_value=D(100_000), places=1),
    drop=st.decimals(min_value=D("0.01"), max_value=D("0.9"), places=2),
    usd=st.decimals(min_value=D(1), max_value=D(1_000_000), places=2),
)
def test_realised_profit_covers_the_request_or_the_whole_short(
    quantity: Decimal, entry: Decimal, drop: Decimal, usd: Decimal
) -> None:
    mark = (entry * (1 - drop)).quantize(D("0.1"))
    short = hedge("BTCUSDT", -quantity, entry=entry, mark=mark)
    orders = realise_orders(usd=usd, hedges=[short], specs=SPECS, marks={"BTCUSDT": mark},
                            account="a", cycle_id="c")  # fmt: skip
    if not orders:
        return
    buy, sell = orders
    assert buy.quantity == sell.quantity <= quantity
    booked = buy.quantity * (entry - mark)
    assert booked >= usd or buy.quantity == quantity
    # Never more than one step beyond what was asked.
    assert booked - usd < D("0.001") * (entry - mark) or buy.quantity == SPECS["BTCUSDT"].min_qty


def _balance(usd: str) -> MarginBalance:
    return MarginBalance(asset="USDT", wallet_balance=D(usd), available_balance=D(usd),
                         usd_value=D(usd), venue=Venue.USDM)  # fmt: skip


def test_a_withdrawal_leaves_the_margin_that_keeps_the_short_at_its_restore_distance() -> None:
    short = replace(hedge("BTCUSDT", "-1", entry="60000", mark="42000"),
                    unrealized_pnl=D(18_000), liquidation_price=D(70_000))  # fmt: skip
    margin = account_margin(
        hedges=[short], specs=SPECS, balances=[_balance("30000")],
        marks={"BTCUSDT": D(42_000)}, restore_distance=D("0.30"),
    )  # fmt: skip
    assert margin.equity_usd == D(48_000)
    assert margin.nearest_distance == (D(70_000) - D(42_000)) / D(42_000)
    # At 30 % the short needs 42,000 x (1.3 x 1.004 - 1): 12,818.4 of equity.
    assert margin.needed_usd == D("12818.4000")
    spare = margin.equity_usd - margin.needed_usd
    for movable in (D(0), D(10_000), D(30_000), D(50_000)):
        assert movable - margin.must_stay_usd(movable) == min(movable, spare)
    assert margin.to_restore_usd == 0


def test_an_account_under_its_needed_margin_says_how_much_restores_it() -> None:
    short = replace(hedge("BTCUSDT", "-1", entry="30000", mark="42000"),
                    unrealized_pnl=D(-12_000), liquidation_price=D(44_000))  # fmt: skip
    margin = account_margin(
        hedges=[short], specs=SPECS, balances=[_balance("15000")],
        marks={"BTCUSDT": D(42_000)}, restore_distance=D("0.30"),
    )  # fmt: skip
    assert margin.equity_usd == D(3_000)
    assert margin.to_restore_usd == D("12818.4000") - D(3_000)
    assert margin.must_stay_usd(D(2_000)) == D(2_000)


def test_the_margin_is_valued_at_the_marks_given_not_at_an_older_account_read() -> None:
    """The hedger caches the account (``hedge.account_refresh_secs``) but never the marks: a
    short read at 68,000 and valued at 74,000 has lost 4,500 more than the venue said. A
    deposit sized on the venue's figure was 1,373.40 where 5,873.40 restores the short
    (found by tests/daemon/test_backtest_parity.py)."""
    read_at_68k = replace(hedge("BTCUSDT", "-0.75", entry="60000", mark="68000"),
                          unrealized_pnl=D(-6_000), liquidation_price=D(88_300))  # fmt: skip
    margin = account_margin(
        hedges=[read_at_68k], specs=SPECS, balances=[_balance("21565.2")],
        marks={"BTCUSDT": D(74_000)}, restore_distance=D("0.30"),
    )  # fmt: skip
    assert margin.unrealized_pnl_usd == D(-10_500)
    assert margin.equity_usd == D("11065.2")
    # 0.75 x 74,000 x (1.3 x 1.004 - 1) = 16,938.6 keeps the short 30 % from liquidation.
    assert margin.to_restore_usd == D("16938.6") - D("11065.2")


def _margin(equity: str, needed: str) -> AccountMargin:
    return AccountMargin(
        equity_usd=D(equity), needed_usd=D(needed), unrealized_pnl_usd=D(0),
        nearest_distance=None, nearest_symbol=None,
    )  # fmt: skip


def test_profit_is_realised_only_as_far_as_it_can_then_leave_the_account() -> None:
    # Reserve empty (target 25k); 2k may leave now; 30k of unrealised profit; the shorts need
    # 6k of the 40k equity: realising 32k more could free at most 40 - 6 - 2 = 32k.
    v = capital_view(reserve_usd=D(0), movable_usd=D(8_000), unrealized_pnl_usd=D(30_000))
    move = decide(v)
    assert move.limited_by == "movable"
    wanted = profit_to_realise(move=move, view=v, margin=_margin("40000", "6000"), rules=RULES)
    assert wanted == move.realise_first_usd  # the gap less what can leave now, all useful
    # Equity close to what the shorts need: realising more would not let more leave.
    tight = profit_to_realise(move=move, view=v, margin=_margin("10000", "6000"), rules=RULES)
    assert tight == D(4_000) - D(2_000)


def test_no_profit_is_realised_under_a_day_cap_or_where_money_cannot_move() -> None:
    capped = capital_view(
        reserve_usd=D(0),
        movable_usd=D(30_000),
        unrealized_pnl_usd=D(30_000),
        withdrawn_today_usd=RULES.max_withdraw_per_day_usd - D(1_000),
    )
    move = decide(capped)
    assert move.limited_by == "max_withdraw_per_day_usd"
    assert profit_to_realise(move=move, view=capped, margin=_margin("60000", "6000"),
                             rules=RULES) == 0  # fmt: skip
    testnet = capital_view(reserve_usd=D(0), unrealized_pnl_usd=D(30_000), can_move=False)
    assert profit_to_realise(move=decide(testnet), view=testnet,
                             margin=_margin("40000", "6000"), rules=RULES) == 0  # fmt: skip
