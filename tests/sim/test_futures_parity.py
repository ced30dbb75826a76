"""Must-show (issue 8): the simulator's inverse and linear hedge math equals the risk core's.

The simulator computes in float64 over arrays; the core in Decimal. Inputs are random floats
converted exactly to Decimal (``Decimal(float)`` is exact), so any difference is float rounding
of the same formula: held to 1e-12 relative.
"""

from __future__ import annotations

from decimal import Decimal

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.core import futures as core
from bot.core.model import ContractSpec, MarginType, Venue
from bot.sim import futures_vec as fv

LINEAR = ContractSpec(
    symbol="BTCUSDT", underlying="BTC", venue=Venue.USDM, inverse=False, contract_size=Decimal(1),
    margin_asset="USDT", step_size=Decimal("0.001"), tick_size=Decimal("0.1"),
    min_qty=Decimal("0.001"), max_qty=Decimal(1000), min_notional=Decimal(100),
)  # fmt: skip
INVERSE = ContractSpec(
    symbol="BNBUSD_PERP", underlying="BNB", venue=Venue.COINM, inverse=True,
    contract_size=Decimal(10), margin_asset="BNB", step_size=Decimal(1), tick_size=Decimal("0.01"),
    min_qty=Decimal(1), max_qty=Decimal(100_000),
)  # fmt: skip
REL = 1e-12


def _close(sim: float, ref: Decimal, scale: float = 0.0) -> bool:
    """Equal to float rounding: relative to the result, or to ``scale`` (the position's size)
    where the result is a small difference of large terms."""
    return abs(sim - float(ref)) <= REL * max(abs(float(ref)), scale, 1e-9)


def _inputs(seed: int, n: int = 300) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {
        "qty": rng.uniform(0.001, 50.0, n),
        "contracts": rng.integers(1, 5000, n).astype(np.float64),
        "entry": rng.uniform(10.0, 120_000.0, n),
        "move": rng.uniform(0.2, 3.0, n),
        "wallet_frac": rng.uniform(0.05, 0.9, n),
        "mmr": rng.choice([0.004, 0.005, 0.01, 0.025], n),
    }


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31))
def test_linear_pnl_and_liquidation_price_equal_the_core(seed: int) -> None:
    x = _inputs(seed)
    mark = x["entry"] * x["move"]
    wallet = x["qty"] * x["entry"] * x["wallet_frac"]
    pnl = fv.linear_short_pnl_usd(x["qty"], x["entry"], mark)
    lp = fv.linear_short_liq_price(x["qty"], x["entry"], wallet, 0.0)  # mmr per row below
    for i in range(len(pnl)):
        q, e, m = Decimal(x["qty"][i]), Decimal(x["entry"][i]), Decimal(mark[i])
        scale = float(x["qty"][i] * (x["entry"][i] + mark[i]))
        assert _close(float(pnl[i]), core.hedge_pnl_usd(LINEAR, -q, m, e), scale)
        mmr = float(x["mmr"][i])
        lp_i = fv.linear_short_liq_price(x["qty"][i], x["entry"][i], wallet[i], mmr)
        ref = core.estimated_liquidation_price(
            LINEAR, -q, e, 3, MarginType.ISOLATED, Decimal(wallet[i]), Decimal(mmr)
        )
        assert ref is not None
        assert _close(float(lp_i), ref)
    assert lp.shape == pnl.shape


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**31))
def test_inverse_pnl_coin_usd_and_liquidation_price_equal_the_core(seed: int) -> None:
    x = _inputs(seed)
    mark = x["entry"] * x["move"]
    face = x["contracts"] * float(INVERSE.contract_size)
    face / x["entry"] * x["wallet_frac"]
    coin = fv.inverse_short_pnl_coin(face, x["entry"], mark)
    usd = fv.inverse_short_pnl_usd(face, x["entry"], mark)
    for i in range(len(coin)):
        n, e, m = Decimal(x["contracts"][i]), Decimal(x["entry"][i]), Decimal(mark[i])
        coin_scale = float(face[i] * (1 / x["entry"][i] + 1 / mark[i]))
        usd_scale = float(face[i] * (1 + mark[i] / x["entry"][i]))
        assert _close(float(coin[i]), core.inverse_pnl_coin(INVERSE, -n, m, e), coin_scale)
        assert _close(float(usd[i]), core.hedge_pnl_usd(INVERSE, -n, m, e), usd_scale)


def test_inverse_short_liquidation_price_equals_the_core_and_binances_example() -> None:
    # binance-futures.md 5.2: short 3 BTCUSD_PERP (B = 300 USD) from 68911, MMR 0.004, wallet
    # 0.00023156 BTC -> liquidation at 72491.17 (a real ccxt row).
    btc = ContractSpec(
        symbol="BTCUSD_PERP", underlying="BTC", venue=Venue.COINM, inverse=True,
        contract_size=Decimal(100), margin_asset="BTC", step_size=Decimal(1),
        tick_size=Decimal("0.1"), min_qty=Decimal(1), max_qty=Decimal(1000),
    )  # fmt: skip
    sim = float(fv.inverse_short_liq_price(np.array([300.0]), 68911.0, 0.00023156, 0.004)[0])
    assert abs(sim - 72491.17) < 1.0
    ref = core.estimated_liquidation_price(
        btc, Decimal(-3), Decimal(68911), 125, MarginType.ISOLATED, Decimal("0.00023156"),
        Decimal("0.004"),
    )  # fmt: skip
    assert ref is not None, "core returned no liquidation price for an under-margined short"
    assert _close(sim, ref)
    x = _inputs(7)
    face = x["contracts"] * float(INVERSE.contract_size)
    wallet_coin = face / x["entry"] * x["wallet_frac"]
    lp = fv.inverse_short_liq_price(face, x["entry"], wallet_coin, 0.005)
    for i in range(len(lp)):
        ref = core.estimated_liquidation_price(
            INVERSE, -Decimal(x["contracts"][i]), Decimal(x["entry"][i]), 3,
            MarginType.ISOLATED, Decimal(wallet_coin[i]), Decimal("0.005"),
        )  # fmt: skip
        assert ref is not None
        assert _close(float(lp[i]), ref)


def test_fully_coin_margined_inverse_short_cannot_be_liquidated_in_both() -> None:
    face, entry = 1000.0, 500.0
    wallet = face / entry  # coin margin equal to the face value: a synthetic dollar
    assert np.isinf(fv.inverse_short_liq_price(np.array([face]), entry, wallet, 0.004))[0]
    ref = core.estimated_liquidation_price(
        INVERSE, Decimal(-100), Decimal(entry), 1, MarginType.ISOLATED, Decimal(wallet)
    )
    assert ref is None
