"""Capital moves: withdraw hedge profit to refill the reserve, deposit margin for a short near
its own liquidation, or say exactly why not. Examples per rule, then properties of the math."""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest
from core_builders import D, inverse_spec, linear_spec
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.capital import (
    CENT,
    AlertReason,
    CapitalRules,
    CapitalView,
    CoinNetwork,
    Direction,
    MoneyMove,
    PendingTransfer,
    Verdict,
    decide_money_move,
    margin_to_restore_usd,
)
from bot.core.futures import (
    estimated_liquidation_price,
    hedge_pnl_usd,
    inverse_pnl_coin,
    liquidation_distance,
    quantity_for_usd,
)
from bot.core.model import ZERO, ContractSpec, MarginType
from bot.sim.backtest_params import bsc_stablecoin

NOW_MS = 1_750_000_000_000
USDT_BSC = bsc_stablecoin("USDT", withdraw_max=D(1_000_000), withdraw_multiple=D("0.01"))
RULES = CapitalRules(
    refill_band_usd=D(500),
    min_transfer_usd=D(100),
    max_withdraw_per_transfer_usd=D(50_000),
    max_withdraw_per_day_usd=D(80_000),
    max_deposit_per_transfer_usd=D(20_000),
    max_deposit_per_day_usd=D(30_000),
)


def view(**changes: object) -> CapitalView:
    """A calm account: reserve at its 25k target (floor 20k), 6k of margin kept for the
    hedge, the short 45 % from its liquidation. ``coin_held`` follows ``reserve_usd``."""
    values: dict[str, object] = {
        "read_ms": NOW_MS - 5_000,
        "reserve_usd": D(25_000),
        "reserve_target_usd": D(25_000),
        "reserve_floor_usd": D(20_000),
        "movable_usd": D(8_000),
        "margin_needed_usd": D(6_000),
        "unrealized_pnl_usd": D(0),
        "short_liq_distance": D("0.45"),
        "margin_to_restore_usd": D(0),
        "in_flight": None,
        "withdrawn_today_usd": D(0),
        "deposited_today_usd": D(0),
        "can_move": True,
        "network": USDT_BSC,
    }
    values.update(changes)
    values.setdefault("coin_held", values["reserve_usd"])
    return CapitalView(**values)  # type: ignore[arg-type]


def decide(v: CapitalView, rules: CapitalRules = RULES, now_ms: int = NOW_MS) -> MoneyMove:
    return decide_money_move(view=v, rules=rules, now_ms=now_ms)


def crash_view(**changes: object) -> CapitalView:
    """After a crash: the guard spent the reserve down to 2,510 USD and the short's profit,
    realised by the hedger as it shrank, left 21,300 USD withdrawable above the margin."""
    values: dict[str, object] = {
        "reserve_usd": D(2_510),
        "movable_usd": D(27_300),
        "short_liq_distance": D("0.80"),
    }
    values.update(changes)
    return view(**values)


# Withdrawals


def test_after_a_crash_withdraws_all_that_can_leave_and_says_what_to_realise() -> None:
    move = decide(crash_view(unrealized_pnl_usd=D(4_000)))
    assert (move.verdict, move.direction) == (Verdict.MOVE, Direction.WITHDRAW)
    assert move.wanted == D("22490.8")  # the 22,490 gap plus the 0.8 fee
    assert move.amount == D("21300.00")
    assert (move.fee, move.received) == (D("0.8"), D("21299.20"))
    assert move.limited_by == "movable"
    assert move.shortfall_usd == D("1190.80")
    assert move.realise_first_usd == D("1190.8")  # of the 4,000 unrealised profit
    assert move.alert_reason is None
    assert move.message == (
        "reserve 2,510.00 USD is 22,490.00 USD under its target 25,000.00 USD: withdraw "
        "21,300.00 USDT on BSC (fee 0.8 USDT, the reserve receives 21,299.20 USDT), limited by "
        "movable (22,490.8 USDT wanted); 1,190.80 USD of the gap stays open; realise 1,190.80 "
        "USD of unrealised hedge profit to withdraw more"
    )


def test_withdraws_the_gap_plus_the_fee_so_the_reserve_lands_on_its_target() -> None:
    move = decide(crash_view(reserve_usd=D(22_000)))
    assert (move.verdict, move.amount, move.received) == (Verdict.MOVE, D("3000.80"), D(3000))
    assert move.limited_by is None
    assert move.shortfall_usd == 0
    assert D(22_000) + move.received == D(25_000)


def test_rounds_down_to_the_withdrawal_multiple() -> None:
    whole = replace(USDT_BSC, withdraw_multiple=D(1))
    move = decide(crash_view(reserve_usd=D(22_000), network=whole))
    assert (move.amount, move.received) == (D(3000), D("2999.2"))
    assert move.shortfall_usd == D("0.8")  # the reserve ends a fee's worth under target


@pytest.mark.parametrize(
    ("changes", "rules", "amount", "limit"),
    [
        (
            {},
            replace(RULES, max_withdraw_per_transfer_usd=D(10_000)),
            D(10_000),
            "max_withdraw_per_transfer_usd",
        ),
        ({"withdrawn_today_usd": D(74_000)}, RULES, D(6_000), "max_withdraw_per_day_usd"),
        (
            {"network": replace(USDT_BSC, withdraw_max=D("9999.99"))},
            RULES,
            D("9999.99"),
            "withdraw_max",
        ),
    ],
    ids=["per-transfer", "per-day", "coin-max"],
)
def test_every_cap_cuts_the_withdrawal(
    changes: dict[str, object], rules: CapitalRules, amount: Decimal, limit: str
) -> None:
    move = decide(crash_view(**changes), rules)
    assert (move.verdict, move.amount, move.limited_by) == (Verdict.MOVE, amount, limit)
    assert move.received == amount - D("0.8")
    assert f"limited by {limit}" in move.message


def test_day_cap_used_up_is_an_alert() -> None:
    move = decide(crash_view(withdrawn_today_usd=D(80_000)))
    assert (move.verdict, move.alert_reason) == (Verdict.ALERT, AlertReason.DAY_CAP_USED)
    assert move.amount == 0
    assert "max_withdraw_per_day_usd 80,000.00 USD is used up" in move.message


def test_band_keeps_small_gaps_and_a_gap_past_it_refills_to_the_target() -> None:
    held = decide(crash_view(reserve_usd=D(24_500)))  # exactly the band
    assert held.verdict is Verdict.HOLD
    assert "reserve 24,500.00 USD is within 500.00 USD of its target 25,000.00 USD" in held.message
    over = decide(crash_view(reserve_usd=D(31_000)))
    assert over.verdict is Verdict.HOLD
    assert "reserve 31,000.00 USD is at or above its target 25,000.00 USD" in over.message
    move = decide(crash_view(reserve_usd=D("24499.99")))
    assert (move.verdict, move.received) == (Verdict.MOVE, D("500.01"))


def test_profit_still_unrealised_is_an_alert_saying_how_much_to_realise() -> None:
    move = decide(crash_view(movable_usd=D(3_000), unrealized_pnl_usd=D(21_300)))
    assert (move.verdict, move.direction) == (Verdict.ALERT, Direction.WITHDRAW)
    assert move.alert_reason is AlertReason.NOTHING_WITHDRAWABLE
    assert (move.amount, move.received, move.shortfall_usd) == (ZERO, ZERO, D(22_490))
    assert move.realise_first_usd == D(21_300)
    assert move.message.endswith(
        "not sent: nothing can leave the exchange: 3,000.00 USD withdrawable and 6,000.00 USD "
        "needed as the hedge's margin; the profit is unrealised: realise 21,300.00 USD first"
    )


@pytest.mark.parametrize(
    ("room", "network", "reason", "words"),
    [
        (D("9.5"), USDT_BSC, AlertReason.UNDER_COIN_MINIMUM, "minimum withdrawal 10 USDT"),
        (
            D(5),
            replace(USDT_BSC, withdraw_min=D(0), withdraw_fee=D(5)),
            AlertReason.NOT_ABOVE_FEE,
            "not more than the fee 5 USDT",
        ),
        (D(50), USDT_BSC, AlertReason.UNDER_MIN_TRANSFER, "under min_transfer_usd 100.00 USD"),
    ],
    ids=["coin-min", "fee", "min-transfer"],
)
def test_a_withdrawal_too_small_to_send_is_an_alert_with_its_amounts(
    room: Decimal, network: CoinNetwork, reason: AlertReason, words: str
) -> None:
    move = decide(crash_view(movable_usd=D(6_000) + room, network=network))
    assert (move.verdict, move.alert_reason, move.amount) == (Verdict.ALERT, reason, room)
    assert move.limited_by == "movable"
    assert words in move.message


def test_under_the_floor_the_band_does_not_wait() -> None:
    v = crash_view(reserve_usd=D(19_800), reserve_target_usd=D(20_000))
    move = decide(v)
    assert (move.verdict, move.amount, move.received) == (Verdict.MOVE, D("200.80"), D(200))


def test_a_target_under_the_floor_refills_to_the_floor() -> None:
    move = decide(crash_view(reserve_usd=D(10_000), reserve_target_usd=D(15_000)))
    assert move.received == D(10_000)
    assert "under its floor (above its target) 20,000.00 USD" in move.message


def test_calm_account_holds() -> None:
    move = decide(view())
    assert (move.verdict, move.direction, move.amount) == (Verdict.HOLD, None, ZERO)
    assert "the nearest short is 45.0% from it" in move.message


# Deposits


def rally_view(**changes: object) -> CapitalView:
    """A rally: the short is 15 % from its liquidation; 4,000 USD brings it back to 30 %."""
    values: dict[str, object] = {
        "short_liq_distance": D("0.15"),
        "margin_to_restore_usd": D(4_000),
        "movable_usd": D(0),
    }
    values.update(changes)
    return view(**values)


def test_short_near_its_liquidation_gets_margin_from_the_reserve() -> None:
    move = decide(rally_view())
    assert (move.verdict, move.direction) == (Verdict.MOVE, Direction.DEPOSIT)
    assert (move.amount, move.fee, move.received) == (D("4000.00"), ZERO, D("4000.00"))
    assert (move.limited_by, move.shortfall_usd) == (None, ZERO)
    assert move.message == (
        "the nearest short is 15.0% from its liquidation, under the floor 20%: deposit "
        "4,000.00 USDT on BSC from the reserve (4,000.00 USD of margin brings it back to 30%)"
    )


@pytest.mark.parametrize(
    ("need", "amount"),
    [(D("1234.561"), D("1234.57")), (D("37.123"), D("100.00")), (D(0), D("100.00"))],
    ids=["cent-up", "min-transfer", "nothing-sized"],
)
def test_deposit_rounds_up_to_the_cent_and_to_a_transfer_worth_making(
    need: Decimal, amount: Decimal
) -> None:
    move = decide(rally_view(margin_to_restore_usd=need))
    assert (move.verdict, move.amount, move.shortfall_usd) == (Verdict.MOVE, amount, ZERO)


def test_deposit_stops_at_the_reserve_floor_and_names_the_rest() -> None:
    move = decide(rally_view(reserve_usd=D(21_000)))
    assert (move.verdict, move.amount, move.limited_by) == (
        Verdict.MOVE,
        D("1000.00"),
        "reserve_floor",
    )
    assert move.shortfall_usd == D(3_000)
    assert move.message.endswith("; 3,000.00 USD more is needed: top it up by hand")


def test_reserve_at_its_floor_deposits_nothing_and_gives_the_exact_shortfall() -> None:
    move = decide(rally_view(reserve_usd=D(20_000)))
    assert (move.verdict, move.alert_reason) == (Verdict.ALERT, AlertReason.RESERVE_AT_FLOOR)
    assert (move.direction, move.amount, move.shortfall_usd) == (Direction.DEPOSIT, ZERO, D(4_000))
    assert move.message.endswith(
        "not sent: the reserve 20,000.00 USD is not above the 20,000.00 USD the guard needs "
        "for its crash: deposit 4,000.00 USD by hand"
    )


def test_a_deposit_cut_under_the_minimum_transfer_is_an_alert() -> None:
    move = decide(rally_view(reserve_usd=D("20050.5")))
    assert (move.verdict, move.alert_reason) == (Verdict.ALERT, AlertReason.UNDER_MIN_TRANSFER)
    assert (move.amount, move.limited_by, move.shortfall_usd) == (
        D("50.50"),
        "reserve_floor",
        D("3949.50"),
    )


def test_a_deposit_under_the_coins_dust_is_never_sent() -> None:
    dusty = replace(USDT_BSC, deposit_min=D(200))
    rules = replace(RULES, min_transfer_usd=D(0))
    move = decide(rally_view(reserve_usd=D(20_150), network=dusty), rules)
    assert (move.alert_reason, move.amount) == (AlertReason.UNDER_COIN_MINIMUM, D(150))
    assert "minimum deposit 200 USDT, never credited" in move.message


@pytest.mark.parametrize(
    ("changes", "amount", "limit"),
    [
        ({"margin_to_restore_usd": D(26_000)}, D(20_000), "max_deposit_per_transfer_usd"),
        ({"deposited_today_usd": D(28_500)}, D(1_500), "max_deposit_per_day_usd"),
        ({"coin_held": D(1_500)}, D(1_500), "coin_held"),
    ],
    ids=["per-transfer", "per-day", "coin-held"],
)
def test_every_cap_cuts_the_deposit(
    changes: dict[str, object], amount: Decimal, limit: str
) -> None:
    move = decide(rally_view(reserve_usd=D(60_000), **changes))
    assert (move.verdict, move.amount, move.limited_by) == (Verdict.MOVE, amount, limit)


def test_no_coin_in_the_reserve_wallet_is_an_alert() -> None:
    move = decide(rally_view(coin_held=D(0)))
    assert move.alert_reason is AlertReason.NO_COIN_HELD
    assert "the reserve wallet holds no USDT" in move.message


def test_the_short_takes_priority_over_the_refill_even_when_it_cannot_be_helped() -> None:
    both = rally_view(reserve_usd=D(2_510), movable_usd=D(27_300))
    move = decide(both)
    assert (move.direction, move.alert_reason) == (Direction.DEPOSIT, AlertReason.RESERVE_AT_FLOOR)


def test_a_short_above_its_floor_lets_the_refill_run() -> None:
    move = decide(crash_view(short_liq_distance=D("0.20"), margin_to_restore_usd=D(2_000)))
    assert (move.verdict, move.direction) == (Verdict.MOVE, Direction.WITHDRAW)


def test_a_short_past_its_liquidation_estimate_still_gets_margin() -> None:
    move = decide(rally_view(short_liq_distance=D("-0.01")))
    assert (move.verdict, move.direction) == (Verdict.MOVE, Direction.DEPOSIT)


# Gates: clock, in-flight transfers, switches


def test_stale_readings_move_nothing() -> None:
    move = decide(crash_view(read_ms=NOW_MS - 121_000))
    assert move.verdict is Verdict.HOLD
    assert "readings are 121 s old" in move.message
    assert decide(crash_view(read_ms=NOW_MS - 120_000)).verdict is Verdict.MOVE


def test_a_transfer_in_flight_holds_then_alerts_when_overdue() -> None:
    pending = PendingTransfer(
        direction=Direction.WITHDRAW, amount=D("21300.00"), started_ms=NOW_MS - 600_000
    )
    held = decide(rally_view(in_flight=pending))
    assert (held.verdict, held.direction) == (Verdict.HOLD, None)
    assert held.message == (
        "a withdrawal of 21,300.00 USDT sent 600 s ago has not settled: nothing new moves until "
        "it does"
    )
    later_ms = NOW_MS + 3_001_000
    late = decide(rally_view(in_flight=pending, read_ms=later_ms), now_ms=later_ms)
    assert (late.verdict, late.alert_reason) == (Verdict.ALERT, AlertReason.IN_FLIGHT_OVERDUE)
    assert (late.direction, late.amount) == (Direction.WITHDRAW, D("21300.00"))
    assert late.message.startswith("a withdrawal of 21,300.00 USDT sent 3601 s ago has not settled")


@pytest.mark.parametrize(
    ("v", "rules", "reason", "words"),
    [
        (crash_view(), replace(RULES, enabled=False), AlertReason.DISABLED, "disabled"),
        (crash_view(can_move=False), RULES, AlertReason.NO_WALLET_API, "no wallet API"),
        (
            crash_view(network=replace(USDT_BSC, withdraw_enabled=False)),
            RULES,
            AlertReason.NETWORK_SUSPENDED,
            "suspended USDT withdrawals on BSC",
        ),
        (rally_view(can_move=False), RULES, AlertReason.NO_WALLET_API, "no wallet API"),
        (
            rally_view(network=replace(USDT_BSC, deposit_enabled=False)),
            RULES,
            AlertReason.NETWORK_SUSPENDED,
            "suspended USDT deposits on BSC",
        ),
    ],
    ids=["disabled", "testnet-withdraw", "withdraw-suspended", "testnet-deposit", "deposit-off"],
)
def test_a_blocked_transfer_is_an_alert_with_the_same_amounts(
    v: CapitalView, rules: CapitalRules, reason: AlertReason, words: str
) -> None:
    allowed = decide(replace(v, can_move=True, network=USDT_BSC), RULES)
    blocked = decide(v, rules)
    assert allowed.verdict is Verdict.MOVE
    assert (blocked.verdict, blocked.alert_reason) == (Verdict.ALERT, reason)
    assert replace(blocked, verdict=Verdict.MOVE, alert_reason=None, message="") == replace(
        allowed, message=""
    )
    assert blocked.message.startswith(allowed.message + "; not sent: ")
    assert words in blocked.message


def test_a_suspended_withdrawal_network_does_not_stop_a_deposit() -> None:
    move = decide(rally_view(network=replace(USDT_BSC, withdraw_enabled=False)))
    assert move.verdict is Verdict.MOVE


# Values are checked on construction


@pytest.mark.parametrize(
    ("build", "words"),
    [
        (lambda: replace(USDT_BSC, coin="BNB"), "only dollar stablecoins"),
        (lambda: replace(USDT_BSC, withdraw_multiple=D(0)), "withdraw_multiple must be > 0"),
        (lambda: replace(USDT_BSC, withdraw_fee=D(-1)), "withdraw_fee must be >= 0"),
        (lambda: view(reserve_usd=D(-1)), "reserve_usd must be >= 0"),
        (lambda: view(coin_held=D(25_001)), "more than the whole reserve"),
        (lambda: CapitalRules(short_floor=D("0.3")), "short_floor"),
        (lambda: CapitalRules(max_deposit_per_day_usd=D(0)), "max_deposit_per_day_usd"),
        (lambda: CapitalRules(min_transfer_usd=D(-1)), "min_transfer_usd"),
    ],
)
def test_bad_values_are_refused(build: object, words: str) -> None:
    with pytest.raises(ValueError, match=words):
        build()  # type: ignore[operator]


# margin_to_restore_usd: the deposit that puts a short's liquidation back where it belongs

ISO, CROSS = MarginType.ISOLATED, MarginType.CROSS


def _distance_after(
    spec: ContractSpec,
    quantity: Decimal,
    entry: Decimal,
    mark: Decimal,
    wallet_usd: Decimal,
    margin_type: MarginType = ISO,
    **others: Decimal,
) -> Decimal:
    """The short's liquidation distance at ``mark`` with ``wallet_usd`` (valued at the mark)
    behind it, by the core's Binance formula."""
    wallet = wallet_usd / mark if spec.inverse else wallet_usd
    liq = estimated_liquidation_price(
        spec, quantity, entry, 3, margin_type, wallet_margin=wallet, **others
    )
    return liquidation_distance(quantity, mark, liq)


def test_restores_a_linear_short_after_a_rally() -> None:
    spec = linear_spec()
    short, entry, mark = D("-0.5"), D(40_000), D(52_000)
    wallet = D("0.5") * entry / 3  # opened at 3x with its initial margin
    assert _distance_after(spec, short, entry, mark, wallet) < D("0.03")
    equity = wallet + hedge_pnl_usd(spec, short, mark, entry)
    restore = margin_to_restore_usd(
        spec=spec, quantity=short, mark=mark, equity_usd=equity, distance=D("0.30")
    )
    # LP = (W + 20,000) / 0.502 = 67,600 needs W = 13,935.2; the wallet holds 6,666.67.
    assert abs(restore - (D("13935.2") - wallet)) < D("1e-40")
    after = _distance_after(spec, short, entry, mark, wallet + restore)
    assert abs(after - D("0.30")) < D("1e-40")


def test_restores_an_inverse_short_in_coin_valued_at_the_mark() -> None:
    spec = inverse_spec()
    short, entry, mark = D(-50), D(40_000), D(52_000)
    wallet_coin = D(5_000) / (entry * 3)
    equity = (wallet_coin + inverse_pnl_coin(spec, short, mark, entry)) * mark
    restore = margin_to_restore_usd(
        spec=spec, quantity=short, mark=mark, equity_usd=equity, distance=D("0.30")
    )
    assert restore > 0
    after = _distance_after(spec, short, entry, mark, wallet_coin * mark + restore)
    assert abs(after - D("0.30")) < D("1e-30")


def test_cross_margin_counts_the_other_positions() -> None:
    spec = linear_spec()
    short, entry, mark = D(-1), D(40_000), D(50_000)
    other_mm, other_upnl = D(300), D(-1_200)
    wallet = D(15_000)
    equity = wallet + hedge_pnl_usd(spec, short, mark, entry) - other_mm + other_upnl
    restore = margin_to_restore_usd(
        spec=spec, quantity=short, mark=mark, equity_usd=equity, distance=D("0.25")
    )
    after = _distance_after(
        spec,
        short,
        entry,
        mark,
        wallet + restore,
        CROSS,
        other_maint_margin=other_mm,
        other_unrealized_pnl=other_upnl,
    )
    assert abs(after - D("0.25")) < D("1e-40")


def test_a_short_already_far_enough_needs_nothing() -> None:
    spec = linear_spec()
    restore = margin_to_restore_usd(
        spec=spec, quantity=D(-1), mark=D(30_000), equity_usd=D(30_000), distance=D("0.30")
    )
    assert restore == 0


@pytest.mark.parametrize(
    ("quantity", "distance", "words"),
    [(D(1), D("0.3"), "is for shorts"), (D(-1), D(0), "distance must be > 0")],
)
def test_restore_is_for_shorts_and_a_positive_distance(
    quantity: Decimal, distance: Decimal, words: str
) -> None:
    with pytest.raises(ValueError, match=words):
        margin_to_restore_usd(
            spec=linear_spec(), quantity=quantity, mark=D(1), equity_usd=D(0), distance=distance
        )


prices = st.decimals(min_value=D(100), max_value=D(200_000), places=1)


@settings(max_examples=300, deadline=None)
@given(
    inverse=st.booleans(),
    notional=st.decimals(min_value=D(1_000), max_value=D(500_000), places=0),
    entry=prices,
    rally=st.decimals(min_value=D("0.5"), max_value=D("1.6"), places=3),
    leverage_wallet=st.decimals(min_value=D("0.05"), max_value=D(1), places=3),
    distance=st.decimals(min_value=D("0.05"), max_value=D("0.9"), places=3),
)
def test_restored_short_sits_exactly_at_the_distance(
    inverse: bool,
    notional: Decimal,
    entry: Decimal,
    rally: Decimal,
    leverage_wallet: Decimal,
    distance: Decimal,
) -> None:
    spec = inverse_spec() if inverse else linear_spec()
    short = -quantity_for_usd(spec, notional, entry)
    mark = entry * rally
    wallet_usd = notional * leverage_wallet  # at entry: 1/leverage of the notional
    if inverse:
        wallet_coin = wallet_usd / entry
        wallet_usd = wallet_coin * mark  # the same coin, valued at the mark now
        pnl = inverse_pnl_coin(spec, short, mark, entry) * mark
    else:
        pnl = hedge_pnl_usd(spec, short, mark, entry)
    restore = margin_to_restore_usd(
        spec=spec, quantity=short, mark=mark, equity_usd=wallet_usd + pnl, distance=distance
    )
    after = _distance_after(spec, short, entry, mark, wallet_usd + restore)
    if restore > 0:
        assert abs(after - distance) < D("1e-30")
    else:
        assert after >= distance - D("1e-30")


# Properties

money = st.decimals(min_value=D(0), max_value=D(120_000), places=2)
small = st.decimals(min_value=D(0), max_value=D(600), places=2)
# Mostly the everyday case, so that transfers get sized and sent, not only refused.
mostly_true = st.sampled_from([True, True, True, False])
used_today = st.just(D(0)) | money
caps = st.just(D(50_000)) | money.map(lambda m: m + 1)
networks = st.builds(
    CoinNetwork,
    coin=st.sampled_from(["USDT", "USDC"]),
    network=st.just("BSC"),
    withdraw_fee=st.decimals(min_value=D(0), max_value=D(5), places=2),
    withdraw_min=st.decimals(min_value=D(0), max_value=D(50), places=2),
    withdraw_max=st.just(D(1_000_000)) | st.decimals(min_value=D(1), max_value=D(10**6), places=2),
    withdraw_multiple=st.sampled_from([D("0.00000001"), D("0.01"), D("0.1"), D(1), D(5)]),
    deposit_min=st.decimals(min_value=D(0), max_value=D(300), places=2),
    withdraw_enabled=mostly_true,
    deposit_enabled=mostly_true,
)
pending = st.builds(
    PendingTransfer,
    direction=st.sampled_from(Direction),
    amount=money,
    started_ms=st.integers(min_value=NOW_MS - 10_000_000, max_value=NOW_MS),
)
rules_strategy = st.builds(
    CapitalRules,
    enabled=mostly_true,
    refill_band_usd=small,
    min_transfer_usd=small,
    max_withdraw_per_transfer_usd=caps,
    max_withdraw_per_day_usd=caps,
    max_deposit_per_transfer_usd=caps,
    max_deposit_per_day_usd=caps,
)


@st.composite
def views(draw: st.DrawFn) -> CapitalView:
    """Any view: every branch, refusals included."""
    reserve = draw(money)
    stale = draw(st.sampled_from([False] * 9 + [True]))
    age_ms = draw(st.integers(min_value=120_001, max_value=600_000) if stale else st.just(0))
    return CapitalView(
        read_ms=NOW_MS - age_ms,
        reserve_usd=reserve,
        coin_held=draw(st.just(reserve) | st.decimals(min_value=D(0), max_value=reserve, places=2)),
        reserve_target_usd=draw(money),
        reserve_floor_usd=draw(money),
        movable_usd=draw(money),
        margin_needed_usd=draw(money),
        unrealized_pnl_usd=draw(st.decimals(min_value=D(-50_000), max_value=D(50_000), places=2)),
        short_liq_distance=draw(
            st.none() | st.decimals(min_value=D("-0.1"), max_value=D(1), places=4)
        ),
        margin_to_restore_usd=draw(money),
        in_flight=draw(st.integers(0, 9).flatmap(lambda i: pending if i == 0 else st.none())),
        withdrawn_today_usd=draw(used_today),
        deposited_today_usd=draw(used_today),
        can_move=draw(mostly_true),
        network=draw(networks),
    )


def _part(whole: Decimal) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=D(0), max_value=whole, places=2)


@st.composite
def busy_views(draw: st.DrawFn) -> CapitalView:
    """A fresh view with a need: the reserve spent under its target, or a short near its
    liquidation, and room to act, so that many transfers are actually sized and sent."""
    target = draw(st.decimals(min_value=D(1_000), max_value=D(100_000), places=2))
    floor = draw(_part(target))
    reserve = draw(_part(target + 20_000))
    needed = draw(_part(D(20_000)))
    restore = draw(_part(D(30_000)))
    return CapitalView(
        read_ms=NOW_MS - draw(st.integers(min_value=0, max_value=120_000)),
        reserve_usd=reserve,
        coin_held=reserve,
        reserve_target_usd=target,
        reserve_floor_usd=floor,
        movable_usd=needed + draw(_part(D(60_000))),
        margin_needed_usd=needed,
        unrealized_pnl_usd=draw(_part(D(30_000))),
        short_liq_distance=draw(st.none() | _part(D("0.6"))),
        margin_to_restore_usd=restore,
        in_flight=None,
        withdrawn_today_usd=draw(_part(D(10_000))),
        deposited_today_usd=draw(_part(D(10_000))),
        can_move=True,
        network=draw(networks),
    )


any_views = views() | busy_views()


def _sized(move: MoneyMove) -> bool:
    """A transfer that was sized now (sent or refused), not one already in flight."""
    return move.direction is not None and move.alert_reason is not AlertReason.IN_FLIGHT_OVERDUE


@settings(max_examples=600, deadline=None)
@given(v=any_views, rules=rules_strategy)
def test_every_amount_keeps_every_limit(v: CapitalView, rules: CapitalRules) -> None:
    move = decide(v, rules)
    net = v.network
    assert move.amount >= 0
    assert move.shortfall_usd >= 0
    if not _sized(move):
        return
    assert move.received == max(move.amount - move.fee, D(0))
    # Caps are hard on every path: a refused transfer reports no more than could have gone.
    if move.direction is Direction.WITHDRAW:
        assert move.amount % net.withdraw_multiple == 0
        assert move.amount <= net.withdraw_max
        assert move.amount <= rules.max_withdraw_per_transfer_usd
        assert move.amount <= max(rules.max_withdraw_per_day_usd - v.withdrawn_today_usd, D(0))
        assert move.amount <= max(v.movable_usd - v.margin_needed_usd, D(0))
        assert move.fee == net.withdraw_fee
        # The reserve never ends above what it aims at.
        target = max(v.reserve_target_usd, v.reserve_floor_usd)
        assert v.reserve_usd + move.received <= target
    else:
        assert move.amount % CENT == 0
        assert move.fee == 0
        assert move.amount <= rules.max_deposit_per_transfer_usd
        assert move.amount <= max(rules.max_deposit_per_day_usd - v.deposited_today_usd, D(0))
        assert move.amount <= v.coin_held
        assert v.reserve_usd - move.amount >= min(v.reserve_floor_usd, v.reserve_usd)
    if move.moves:
        assert move.amount >= rules.min_transfer_usd
        if move.direction is Direction.WITHDRAW:
            assert net.withdraw_min <= move.amount
            assert move.amount > move.fee
            assert move.received == move.amount - move.fee
        else:
            assert move.amount >= net.deposit_min
            assert v.reserve_usd - move.amount >= v.reserve_floor_usd


@settings(max_examples=400, deadline=None)
@given(v=any_views, rules=rules_strategy)
def test_one_direction_at_most_and_the_verdict_fits_the_fields(
    v: CapitalView, rules: CapitalRules
) -> None:
    move = decide(v, rules)
    assert (move.verdict is Verdict.HOLD) == (move.direction is None)
    assert (move.verdict is Verdict.ALERT) == (move.alert_reason is not None)
    if move.verdict is Verdict.HOLD:
        assert (move.amount, move.received, move.wanted) == (ZERO, ZERO, ZERO)
    distance = v.short_liq_distance
    if _sized(move) and distance is not None and distance < rules.short_floor:
        assert move.direction is Direction.DEPOSIT  # never a withdrawal while the short is near
    assert move.message


@settings(max_examples=300, deadline=None)
@given(v=any_views, rules=rules_strategy)
def test_same_input_same_decision(v: CapitalView, rules: CapitalRules) -> None:
    assert decide(v, rules) == decide(v, rules)


@settings(max_examples=400, deadline=None)
@given(v=any_views, rules=rules_strategy)
def test_in_flight_or_disabled_moves_nothing(v: CapitalView, rules: CapitalRules) -> None:
    if v.in_flight is not None or not rules.enabled:
        assert not decide(v, rules).moves
    off = decide(v, replace(rules, enabled=False))
    assert not off.moves
    in_flight = PendingTransfer(direction=Direction.DEPOSIT, amount=D(1), started_ms=NOW_MS)
    assert not decide(replace(v, in_flight=in_flight), rules).moves


@settings(max_examples=400, deadline=None)
@given(v=any_views, rules=rules_strategy)
def test_no_wallet_api_never_moves_and_alerts_what_would_have_moved(
    v: CapitalView, rules: CapitalRules
) -> None:
    testnet = decide(replace(v, can_move=False), rules)
    assert not testnet.moves
    live = decide(replace(v, can_move=True), rules)
    if live.moves:
        assert testnet.verdict is Verdict.ALERT
        assert (testnet.direction, testnet.amount, testnet.received) == (
            live.direction,
            live.amount,
            live.received,
        )
        assert rules.enabled is False or testnet.alert_reason is AlertReason.NO_WALLET_API
