"""The Monte Carlo's vectorised hedge policies (``bot.sim.policies_vec``) decide as the daemon's
``bot.core.policy.evaluate``: the same short per underlying and path, on random loans and
policies (hypothesis), the ladder over random HF sequences with its state carried both sides.

The core side is built as the backtest's core bridge builds it (``bot.sim.core_bridge``): an
exact snapshot, ``exposures`` (coin margin counted or not), the chain's exact HF and
``liquidation_price_for_underlying`` at the underlying's price. The Monte Carlo's domain: long
collateral (one token per underlying, beta 1) against a USDC debt, coin margin >= 0.

Two-underlying snapshots use the v3.5 pool math: v3.0 floors the average LT of several
collateral reserves to a whole basis point, a lending-model rounding the Monte Carlo (readable
HF) does not have and no policy difference. What is left is float rounding (held to 1e-12 of
the delta) and the exact model's rounding to 1e-8 USD and to the oracle's 1e-8 price grid,
which moves the core's HF and liquidation price off the readable formula the Monte Carlo
computes: allowed as the target's slope in that input times the rounding.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.core.exposure import exposures
from bot.core.health import exact_health_factor
from bot.core.liquidation import liquidation_price_for_underlying
from bot.core.model import (
    INFINITE_HF,
    ZERO,
    AssetPosition,
    MarginBalance,
    PositionSnapshot,
    TokenMapping,
    Venue,
)
from bot.core.policy import (
    HealthTargetPolicy,
    HedgePolicy,
    LadderPolicy,
    LadderState,
    LossFractionPolicy,
    NoHedgePolicy,
    PolicyContext,
    RatioPolicy,
    evaluate,
)
from bot.sim import policies_vec as pv
from bot.sim.hedge_book import HedgeBook
from bot.sim.lending_vec import LoanBook
from bot.sim.params import HedgeModel, LoanModel, PolicySpec

UNDERLYINGS = ("BTC", "ETH")
TOKENS = {"BTC": ("WBTC", 8), "ETH": ("WETH", 18)}
MAPPING = {
    "WBTC": TokenMapping(token="WBTC", underlying="BTC"),
    "WETH": TokenMapping(token="WETH", underlying="ETH"),
    "USDC": TokenMapping(token="USDC", underlying="USD"),
}
V3_5 = 9  # Pool.POOL_REVISION of Aave v3.5
REL = 1e-12
# The exact model's rounding: a position's sums lose at most a base unit (1e-8 USD) per
# collateral reserve and half of one to the LT weighting; the core's liquidation price lands
# on the oracle's 1e-8 grid.
CHAIN_USD = 3e-8
PRICE_STEP = 1e-8


def dec(lo: str, hi: str, places: int) -> st.SearchStrategy[Decimal]:
    return st.decimals(min_value=Decimal(lo), max_value=Decimal(hi), places=places, allow_nan=False)


@dataclass(frozen=True, slots=True)
class Path:
    """One path's position: per underlying collateral units, price and coin margin."""

    units: tuple[Decimal, ...]
    prices: tuple[Decimal, ...]
    margin: tuple[Decimal, ...]
    debt: Decimal


@dataclass(frozen=True, slots=True)
class Book:
    """Paths sharing what the Monte Carlo shares: the reserves' LTs and the margin rule."""

    lts: tuple[Decimal, ...]
    count_margin: bool
    paths: tuple[Path, ...]


def rarely(draw: st.DrawFn, one_in: int = 6) -> bool:
    """True about once in ``one_in``: edge cases present, the usual loan most of the time."""
    return draw(st.integers(0, one_in - 1)) == 0


@st.composite
def paths(draw: st.DrawFn, lts: Sequence[Decimal], collateral: bool) -> Path:
    """``collateral``: the first underlying's units > 0 (some HF can be set by the debt)."""
    prices = tuple(draw(dec("1", "120000", 8)) for _ in lts)
    units = tuple(
        ZERO
        if (i > 0 or not collateral) and rarely(draw)
        else (draw(dec("100", "2000000", 2)) / price).quantize(Decimal("1e-8"))  # >= $100
        for i, price in enumerate(prices)
    )
    margin = tuple(ZERO if rarely(draw) else draw(dec("0", "5", 8)) for _ in lts)
    weighted = sum((u * p * lt for u, p, lt in zip(units, prices, lts, strict=True)), ZERO)
    # Debt set by a drawn HF (the ladder's and health_target's range), sometimes none.
    if rarely(draw):
        debt = ZERO
    elif weighted == 0:
        debt = draw(dec("1", "50000", 6))
    else:
        debt = (weighted / draw(dec("0.8", "4", 4))).quantize(Decimal("1e-6"))
    return Path(units=units, prices=prices, margin=margin, debt=debt)


@st.composite
def books(draw: st.DrawFn, collateral: bool = False) -> Book:
    lts = tuple(draw(dec("0.05", "0.95", 4)) for _ in range(draw(st.sampled_from([1, 2]))))
    found = draw(st.lists(paths(lts, collateral), min_size=1, max_size=4))
    return Book(lts=lts, count_margin=draw(st.booleans()), paths=tuple(found))


@st.composite
def policies(draw: st.DrawFn) -> tuple[PolicySpec, HedgePolicy]:
    """The same policy both ways (the sim's floats are the Decimals' exact values)."""
    kind = draw(st.sampled_from(["health_target", "ladder", "ratio", "loss_fraction", "none"]))
    if kind == "ratio":
        r = draw(dec("0", "1", 4))
        return PolicySpec(kind="ratio", r=float(r)), RatioPolicy(r=r)
    if kind == "loss_fraction":
        f = draw(dec("0", "1", 4))
        return PolicySpec(kind="loss_fraction", f=float(f)), LossFractionPolicy(f=f)
    if kind == "health_target":
        t, r_max = draw(dec("1.01", "3", 4)), draw(dec("0", "1", 4))
        spec = PolicySpec(kind="health_target", target_hf=float(t), r_max=float(r_max))
        return spec, HealthTargetPolicy(target_hf=t, r_max=r_max)
    if kind == "ladder":
        return draw(ladders())
    return PolicySpec(kind="none"), NoHedgePolicy()


@st.composite
def ladders(draw: st.DrawFn) -> tuple[PolicySpec, LadderPolicy]:
    r_lo, r_hi = sorted((draw(dec("0", "1", 4)), draw(dec("0", "1", 4))))
    hf_low = draw(dec("1", "2.5", 4))
    hf_high = hf_low + draw(dec("0.05", "1.5", 4))
    hysteresis = draw(st.one_of(st.just(ZERO), dec("0", "0.3", 4)))
    spec = PolicySpec(
        kind="ladder",
        r_min=float(r_lo),
        r_max=float(r_hi),
        hf_low=float(hf_low),
        hf_high=float(hf_high),
        hysteresis_hf=float(hysteresis),
    )
    policy = LadderPolicy(
        r_min=r_lo, r_max=r_hi, hf_low=hf_low, hf_high=hf_high, hysteresis=hysteresis
    )
    return spec, policy


# Core side ------------------------------------------------------------------------------------
def snapshot(book: Book, path: Path) -> PositionSnapshot:
    assets = [
        AssetPosition(
            symbol=TOKENS[u][0],
            address=f"0x{i + 1:040x}",
            decimals=TOKENS[u][1],
            collateral=units,
            debt=ZERO,
            price_usd=price,
            liquidation_threshold=lt,
        )
        for i, (u, units, price, lt) in enumerate(
            zip(UNDERLYINGS, path.units, path.prices, book.lts, strict=False)
        )
    ]
    usdc = AssetPosition(
        symbol="USDC",
        address="0x" + "22" * 20,
        decimals=6,
        collateral=ZERO,
        debt=path.debt,
        price_usd=Decimal(1),
        liquidation_threshold=Decimal("0.78"),
    )
    return PositionSnapshot(
        protocol="aave-v3",
        chain_id=56,
        wallet="0x" + "b0" * 20,
        block_number=1,
        block_timestamp=0,
        assets=(*assets, usdc),
        pool_revision=None if len(book.lts) == 1 else V3_5,
    )


def core_contexts(
    book: Book, path: Path, policy: HedgePolicy, hf: Decimal | None = None
) -> list[PolicyContext]:
    """One context per underlying, as the core bridge builds them; ``hf`` overrides the
    exact HF (the ladder's sequences feed their own)."""
    snap = snapshot(book, path)
    marks = dict(zip(UNDERLYINGS, path.prices, strict=False))
    balances = [
        MarginBalance(asset=u, wallet_balance=m, available_balance=m, usd_value=m * p,
                      venue=Venue.COINM)
        for u, m, p in zip(UNDERLYINGS, path.margin, path.prices, strict=False)
    ]  # fmt: skip
    found = exposures(snap, MAPPING, (), {}, marks, balances, book.count_margin)
    decision_hf = exact_health_factor(snap) if hf is None else hf
    out = []
    for u, price in marks.items():
        liq = None
        if isinstance(policy, HealthTargetPolicy):
            liq = liquidation_price_for_underlying(snap, u, MAPPING, underlying_price=price)
        out.append(
            PolicyContext(
                exposure=found[u],
                snapshot=snap,
                mapping=MAPPING,
                decision_hf=decision_hf,
                liquidation_price=liq,
                underlying_price=price,
            )
        )
    return out


# Monte Carlo side -----------------------------------------------------------------------------
def vec_inputs(
    book: Book, debt: Sequence[float] | None = None
) -> tuple[LoanBook, pv.F64, HedgeBook]:
    """The paths as the Monte Carlo holds them: a ``LoanBook``, prices (n_underlyings,
    n_paths) and an inverse ``HedgeBook`` whose coin wallets are the margins."""
    n, k = len(book.lts), len(book.paths)
    loan = LoanBook(
        LoanModel(
            collateral_units=(0.0,) * n,
            liquidation_threshold=tuple(float(lt) for lt in book.lts),
            liquidation_bonus=(0.05,) * n,
            debt_usd=0.0,
        ),
        k,
    )
    loan.coll[:] = [[float(p.units[i]) for p in book.paths] for i in range(n)]
    loan.debt[:] = [float(p.debt) for p in book.paths] if debt is None else debt
    s = np.array([[float(p.prices[i]) for p in book.paths] for i in range(n)])
    hedges = HedgeBook(HedgeModel(venue="inverse", count_margin_delta=book.count_margin), n, k)
    hedges.wallet[:] = [[float(p.margin[i]) for p in book.paths] for i in range(n)]
    return loan, s, hedges


def chain_allowance(policy: HedgePolicy, ctx: PolicyContext) -> float:
    """How far the chain's exact integers (the core's HF and liquidation price) may move the
    core's target from the readable formula the Monte Carlo computes: the target's slope in
    that input times the input's rounding. 0 for the policies that read neither."""
    snap = ctx.snapshot
    debt = float(sum((a.debt * a.price_usd for a in snap.assets), ZERO))
    delta = float(ctx.exposure.unhedged_delta_usd)
    if isinstance(policy, LadderPolicy) and debt > 0:
        slope = float((policy.r_max - policy.r_min) / (policy.hf_high - policy.hf_low))
        return slope * CHAIN_USD / debt * delta
    p, s = ctx.liquidation_price, ctx.underlying_price
    if not isinstance(policy, HealthTargetPolicy) or p is None or s is None or not 0 < p < s:
        return 0.0
    u = ctx.exposure.underlying
    token = TOKENS[u][0]
    units = sum(a.collateral * a.liquidation_threshold for a in snap.assets if a.symbol == token)
    gap = PRICE_STEP + CHAIN_USD / float(units)
    room = float(s - p) - gap
    if room <= gap:
        return math.inf  # the exact crossing is about at the price: capped both ways or not
    wanted = debt * float(1 - 1 / policy.target_hf) * float(s) / room
    return wanted / room * gap


def assert_close(got: float, ref: Decimal, scale: Decimal, allowance: float, what: object) -> None:
    """Equal to float rounding, relative to the target or to the delta it is a fraction of,
    plus what the chain's rounding allows."""
    tol = REL * max(abs(float(ref)), float(scale), 1e-6) + allowance
    assert abs(got - float(ref)) <= tol, (got, ref, scale, allowance, what)


@settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=books(), pair=policies())
def test_every_policy_targets_what_the_core_targets(
    book: Book, pair: tuple[PolicySpec, HedgePolicy]
) -> None:
    spec, policy = pair
    loan, s, hedges = vec_inputs(book)
    ladder = pv.LadderState(len(book.paths)) if spec.kind == "ladder" else None
    got = pv.target_short_usd(spec, loan, s, hedges.margin_delta_usd(s), ladder)
    assert got.shape == s.shape
    for j, path in enumerate(book.paths):
        for i, ctx in enumerate(core_contexts(book, path, policy)):
            ref = evaluate(policy, ctx).target
            scale = ctx.exposure.unhedged_delta_usd
            allow = chain_allowance(policy, ctx)
            assert_close(float(got[i, j]), ref.short_usd, scale, allow, (i, j, ref.reason))


@st.composite
def hf_walks(draw: st.DrawFn, k: int) -> list[list[Decimal]]:
    """Per step, each of ``k`` paths' HF: a walk in moves small enough for the hysteresis
    band to matter, now and then with no debt (infinite HF)."""
    hf = [draw(dec("0.8", "3", 4)) for _ in range(k)]
    rows = []
    for _ in range(draw(st.integers(1, 30))):
        hf = [max(Decimal("0.5"), h + draw(dec("-0.15", "0.15", 4))) for h in hf]
        rows.append([INFINITE_HF if rarely(draw, 20) else h for h in hf])
    return rows


def debt_for(book: Book, hfs: Sequence[Decimal]) -> list[float]:
    """Per path, the debt at which the Monte Carlo's HF is ``hf`` (none for an infinite one)."""
    debt = []
    for path, hf in zip(book.paths, hfs, strict=True):
        lts = book.lts
        weighted = sum(
            float(u * p * lt) for u, p, lt in zip(path.units, path.prices, lts, strict=True)
        )
        debt.append(0.0 if hf.is_infinite() else weighted / float(hf))
    return debt


@settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(book=books(collateral=True), pair=ladders(), data=st.data())
def test_ladder_follows_the_core_over_hf_sequences(
    book: Book, pair: tuple[PolicySpec, LadderPolicy], data: st.DataObject
) -> None:
    """Each path its own HF sequence (the loan's debt set to give it), the ladder's state
    carried both sides (the core's per underlying); every step's targets equal."""
    spec, policy = pair
    k = len(book.paths)
    ladder = pv.LadderState(k)
    states: dict[tuple[int, int], LadderState | None] = {}
    for step, hfs in enumerate(data.draw(hf_walks(k))):
        loan, s, hedges = vec_inputs(book, debt_for(book, hfs))
        got = pv.target_short_usd(spec, loan, s, hedges.margin_delta_usd(s), ladder)
        for j, (path, hf) in enumerate(zip(book.paths, hfs, strict=True)):
            for i, ctx in enumerate(core_contexts(book, path, policy, hf)):
                state = states.get((i, j))
                decision = evaluate(policy, replace(ctx, ladder_state=state))
                states[i, j] = decision.ladder_state
                scale = ctx.exposure.unhedged_delta_usd
                what = (step, i, j, decision.target.reason)
                assert_close(float(got[i, j]), decision.target.short_usd, scale, 0.0, what)
