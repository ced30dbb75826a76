"""Linear and inverse contract math."""

from __future__ import annotations

from decimal import Decimal

import pytest
from core_builders import inverse_spec, linear_spec
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.futures import (
    INFINITE_DISTANCE,
    estimated_liquidation_price,
    hedge_delta_usd,
    hedge_pnl_usd,
    initial_margin_usd,
    inverse_pnl_coin,
    liquidation_distance,
    margin_for_liquidation_distance,
    notional_usd,
    quantity_for_usd,
)
from bot.core.model import ContractSpec, MarginType

D = Decimal
ISO, CROSS = MarginType.ISOLATED, MarginType.CROSS


def test_binance_reference_rows() -> None:
    """The two ccxt rows binance-futures.md checks its formulas against."""
    long = estimated_liquidation_price(
        linear_spec(), D("0.009"), D("67445.9"), 20, CROSS, wallet_margin=D("25.7247")
    )
    assert long is not None
    assert abs(long - D("64846.9875")) < D("0.01")
    short = estimated_liquidation_price(
        inverse_spec(), D(-3), D(68911), 20, CROSS, wallet_margin=D("0.00023156")
    )
    assert short is not None
    assert abs(short - D("72491.1688")) < D("0.5")
    assert abs(
        inverse_pnl_coin(inverse_spec(), D(-3), D("68234.2"), D(68911)) - D("0.00004318")
    ) < D("1e-8")


def test_20x_short_dies_on_a_4_to_5_percent_rally() -> None:
    for spec in (linear_spec(), inverse_spec()):
        quantity = -quantity_for_usd(spec, D(10000), D(50000))
        liq = estimated_liquidation_price(spec, quantity, D(50000), 20, ISO)
        distance = liquidation_distance(quantity, D(50000), liq)
        assert D("0.04") < distance < D("0.05"), spec.symbol


def test_fully_coin_margined_inverse_short_cannot_be_liquidated() -> None:
    spec = inverse_spec()
    assert estimated_liquidation_price(spec, D(-10), D(50000), 1, ISO) is None
    assert liquidation_distance(D(-10), D(50000), None) == INFINITE_DISTANCE


def test_article_margins() -> None:
    assert initial_margin_usd(D(1250), 20) == D("62.5")
    assert initial_margin_usd(D(1000), 10) == D(100)
    with pytest.raises(ValueError, match="leverage"):
        initial_margin_usd(D(1), 0)


@pytest.mark.parametrize("spec", [linear_spec(), inverse_spec()], ids=["linear", "inverse"])
def test_margin_for_distance_puts_liquidation_exactly_there(spec: ContractSpec) -> None:
    mark = D(40000)
    quantity = -quantity_for_usd(spec, D(5000), mark)
    margin = margin_for_liquidation_distance(spec, quantity, mark, D("0.30"))
    wallet = margin / mark if spec.inverse else margin
    liq = estimated_liquidation_price(spec, quantity, mark, 3, ISO, wallet_margin=wallet)
    assert liq is not None
    assert abs(liquidation_distance(quantity, mark, liq) - D("0.30")) < D("1e-20")


positive = st.decimals(min_value=D("0.01"), max_value=D(200000), places=2)
contracts = st.integers(min_value=1, max_value=100000).map(D)


@settings(max_examples=200, deadline=None)
@given(n=contracts, entry=positive, mark=positive)
def test_inverse_identities(n: Decimal, entry: Decimal, mark: Decimal) -> None:
    spec = inverse_spec()
    face = spec.contract_size
    short = -n
    assert hedge_delta_usd(spec, short, mark, entry) == -n * face * mark / entry
    assert hedge_pnl_usd(spec, short, mark, entry) == short * face * (mark / entry - 1)
    assert abs(hedge_pnl_usd(spec, short, mark, entry) - n * face * (1 - mark / entry)) < D("1e-40")
    coin = inverse_pnl_coin(spec, short, mark, entry)
    assert abs(coin - n * face * (1 / mark - 1 / entry)) < D("1e-40")
    # The coin PnL is the USD PnL valued at the mark.
    assert abs(coin * mark - hedge_pnl_usd(spec, short, mark, entry)) < D("1e-30")
    assert notional_usd(spec, short, mark) == n * face
    # Delta is the mark-derivative of the USD value of the position + its coin PnL.
    assert hedge_delta_usd(spec, short, mark, entry) < 0
    assert hedge_delta_usd(spec, n, mark, entry) > 0


@settings(max_examples=200, deadline=None)
@given(
    q=st.decimals(min_value=D("0.001"), max_value=D(1000), places=3), entry=positive, mark=positive
)
def test_linear_identities(q: Decimal, entry: Decimal, mark: Decimal) -> None:
    spec = linear_spec()
    assert hedge_delta_usd(spec, -q, mark) == -q * mark
    assert hedge_pnl_usd(spec, -q, mark, entry) == q * (entry - mark)
    assert notional_usd(spec, -q, mark) == q * mark
    assert quantity_for_usd(spec, -q * mark, mark) == -q
    # PnL over a small move equals delta x relative move.
    assert (
        hedge_pnl_usd(spec, -q, mark, entry)
        == hedge_delta_usd(spec, -q, mark) * (mark - entry) / mark
    )
    with pytest.raises(ValueError, match="linear"):
        inverse_pnl_coin(spec, -q, mark, entry)
