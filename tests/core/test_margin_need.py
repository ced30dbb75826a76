"""The margin a wanted short needs to stay ``min_short_liq_distance`` from its liquidation."""

from __future__ import annotations

from decimal import Decimal

import pytest
from core_builders import inverse_spec, linear_spec
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core.futures import estimated_liquidation_price, liquidation_distance, quantity_for_usd
from bot.core.margin_need import margin_for_short_usd, margin_need, short_margin_fraction
from bot.core.model import ContractSpec, MarginBalance, MarginType, Venue

D = Decimal
usd = st.decimals(min_value=D(100), max_value=D(10_000_000), places=2)
price = st.decimals(min_value=D(1), max_value=D(200_000), places=2)
distance = st.decimals(min_value=D("0.05"), max_value=D("0.9"), places=2)


@settings(max_examples=200, deadline=None)
@given(short=usd, mark=price, d=distance, inverse=st.booleans())
def test_the_short_funded_with_the_need_liquidates_exactly_that_far_up(
    short: Decimal, mark: Decimal, d: Decimal, inverse: bool
) -> None:
    spec = inverse_spec() if inverse else linear_spec()
    margin = margin_for_short_usd(spec, short, mark, d)
    quantity = -quantity_for_usd(spec, short, mark)
    wallet = margin / mark if spec.inverse else margin
    liq = estimated_liquidation_price(spec, quantity, mark, 1, MarginType.ISOLATED, wallet)
    assert liq is not None
    assert abs(liquidation_distance(quantity, mark, liq) - d) < D("1e-18")
    if not inverse:  # linear: a fixed fraction of the notional, whatever the price
        fraction = short_margin_fraction(d, spec.maint_margin_rate)
        assert abs(margin - short * fraction) < D("1e-18")


@pytest.mark.parametrize("spec", [linear_spec(), inverse_spec()], ids=["linear", "inverse"])
def test_no_short_needs_no_margin(spec: ContractSpec) -> None:
    assert margin_for_short_usd(spec, D(0), D(50_000), D("0.3")) == 0


def _balance(asset: str, usd_value: str, venue: Venue) -> MarginBalance:
    value = D(usd_value)
    return MarginBalance(
        asset=asset, wallet_balance=value, available_balance=value, usd_value=value, venue=venue
    )


def test_need_sums_the_symbols_and_counts_only_the_wallets_that_back_them() -> None:
    lin, inv = linear_spec(), inverse_spec()
    balances = [
        _balance("USDT", "1000", Venue.USDM),
        _balance("BNB", "2000", Venue.USDM),  # Multi-Assets: backs USD-M shorts too
        _balance(inv.margin_asset, "500", Venue.COINM),
        _balance("ETH", "700", Venue.COINM),  # backs only ETH's inverse contracts
    ]
    need = margin_need(
        shorts_usd={lin.symbol: D(10_000), inv.symbol: D(10_000), "XRPUSDT": D(5)},
        specs={lin.symbol: lin, inv.symbol: inv},
        marks={lin.symbol: D(50_000), inv.symbol: D(50_000)},
        balances=balances,
        distance=D("0.3"),
    )
    assert set(need.by_symbol) == {lin.symbol, inv.symbol}  # XRP: no spec, cannot trade
    assert need.need_usd == sum(need.by_symbol.values())
    assert need.have_usd == D(3500)
    assert need.shortfall_usd == max(need.need_usd - D(3500), D(0))
