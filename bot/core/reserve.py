"""Reserve sizing for ``hedgebot status`` and the config advice (pure).

``reserve_for_crash``: the stablecoin amount that, repaid right after a common X % crash of
every non-stable asset, keeps the position at or above a floor HF (1.0 = not liquidatable, or
``target_hf``). Refilling the reserve from hedge profit is ``bot.core.capital``'s.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from bot.core.model import ONE, ZERO, PositionSnapshot
from bot.core.repay_math import (
    HfModel,
    default_hf_model,
    find_asset,
    min_repay,
    wad_to_hf,
    with_crash,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class HistoricalFall:
    """The worst fall of one underlying's mark from any hour to its lowest low within the
    next ``horizon_days``, in the shipped hourly data."""

    underlying: str
    fraction: Decimal  # 0.75 = the low was 75 % under the starting close
    peak_hour: str  # ISO-8601 UTC, the starting hour
    low_hour: str
    horizon_days: int

    def words(self) -> str:
        return (
            f"the worst {self.horizon_days}-day fall in the 2020-2026 data ({self.underlying} "
            f"-{self.fraction:.0%}, {self.peak_hour[:10]} -> {self.low_hour[:10]})"
        )


# Measured on bot/sim/data/rolling_*USDT_mark (2020-01 to 2026-05, every hour a start);
# tests/sim/test_worst_falls.py recomputes them from those files. No hedge profit is counted
# against them: on the same data the hedge's gains did not reach the reserve in time to
# replace any of it (the issue 16 tables).
WORST_90D_FALLS = {
    f.underlying: f
    for f in (
        HistoricalFall(
            underlying="BTC",
            fraction=Decimal("0.6363"),
            peak_hour="2020-02-13T06:00:00Z",
            low_hour="2020-03-13T02:00:00Z",
            horizon_days=90,
        ),
        HistoricalFall(
            underlying="ETH",
            fraction=Decimal("0.7516"),
            peak_hour="2022-04-03T22:00:00Z",
            low_hour="2022-06-18T20:00:00Z",
            horizon_days=90,
        ),
        HistoricalFall(
            underlying="BNB",
            fraction=Decimal("0.7639"),
            peak_hour="2020-02-13T00:00:00Z",
            low_hour="2020-03-13T02:00:00Z",
            horizon_days=90,
        ),
    )
}


def worst_fall_for(underlyings: Iterable[str]) -> HistoricalFall | None:
    """The deepest measured fall among ``underlyings`` (a common crash takes them all that
    far); None when none of them was measured."""
    known = [WORST_90D_FALLS[u] for u in underlyings if u in WORST_90D_FALLS]
    return max(known, key=lambda f: f.fraction, default=None)


def reserve_fraction_for_fall(
    *, liquidation_threshold: Decimal, start_hf: Decimal, fall: Decimal
) -> Decimal:
    """The reserve, as a fraction of one collateral's value, that repaid at the bottom of a
    ``fall`` keeps a loan starting at ``start_hf`` at HF >= 1: debt - LT x collateral x
    (1 - fall), with debt = LT x collateral / start_hf (interest not counted)."""
    return max(liquidation_threshold * (ONE / start_hf - (ONE - fall)), ZERO)


@dataclass(frozen=True, slots=True, kw_only=True)
class CrashReserve:
    crash_fraction: Decimal  # 0.3 = every non-stable price 30 % lower
    symbol: str  # the debt token the reserve would repay
    amount: Decimal  # whole tokens to repay after the crash (0 if none is needed)
    amount_usd: Decimal
    hf_after_crash: Decimal  # without any repay
    hf_after_repay: Decimal
    floor_hf: Decimal
    feasible: bool  # False: repaying all of this debt still leaves HF under the floor


def reserve_for_crash(
    snapshot: PositionSnapshot,
    *,
    crash_fraction: Decimal,
    repay_symbol: str,
    stable_symbols: Iterable[str],
    floor_hf: Decimal = ONE,
    hf_model: HfModel | None = None,
) -> CrashReserve:
    """The least ``repay_symbol`` to hold so that, after the crash, repaying it keeps the exact
    HF >= ``floor_hf``."""
    if not 0 <= crash_fraction < 1:
        raise ValueError(f"crash_fraction must be in [0, 1) (got {crash_fraction})")
    model = hf_model or default_hf_model()
    crashed = with_crash(snapshot, crash_fraction, stable_symbols)
    asset = find_asset(crashed, repay_symbol)
    hf_crashed = wad_to_hf(model(crashed))
    if asset is None or asset.debt == 0:
        return CrashReserve(
            crash_fraction=crash_fraction,
            symbol=repay_symbol,
            amount=ZERO,
            amount_usd=ZERO,
            hf_after_crash=hf_crashed,
            hf_after_repay=hf_crashed,
            floor_hf=floor_hf,
            feasible=hf_crashed >= floor_hf,
        )
    solution = min_repay(crashed, repay_symbol, floor_hf, hf_model=model)
    return CrashReserve(
        crash_fraction=crash_fraction,
        symbol=repay_symbol,
        amount=solution.amount,
        amount_usd=solution.amount * asset.price_usd,
        hf_after_crash=hf_crashed,
        hf_after_repay=wad_to_hf(solution.hf_after_wad),
        floor_hf=floor_hf,
        feasible=solution.reaches,
    )


def reserve_table(
    snapshot: PositionSnapshot,
    *,
    crash_fractions: Sequence[Decimal],
    reserve_tokens: Sequence[str],
    stable_symbols: Iterable[str],
    floor_hf: Decimal = ONE,
    hf_model: HfModel | None = None,
) -> tuple[CrashReserve, ...]:
    """``reserve_for_crash`` for each crash size, repaying the first reserve token the position
    owes (the first reserve token when it owes none of them)."""
    owed = [s for s in reserve_tokens if (a := find_asset(snapshot, s)) and a.debt > 0]
    symbol = owed[0] if owed else reserve_tokens[0]
    stables = tuple(stable_symbols)
    return tuple(
        reserve_for_crash(
            snapshot,
            crash_fraction=f,
            repay_symbol=symbol,
            stable_symbols=stables,
            floor_hf=floor_hf,
            hf_model=hf_model,
        )
        for f in crash_fractions
    )
