"""The demo's scripted market (pure): exchange mark paths and an oracle that follows them.

Marks move first. Each oracle feed publishes the mark it saw ``lag_secs`` earlier, and only when
that price deviates from its last answer by ``deviation`` or its ``heartbeat_secs`` ran out, as
Chainlink's deviation-threshold feeds do. Times are scenario seconds (wall seconds x speed).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from decimal import ROUND_HALF_EVEN, Decimal

ORACLE_STEP = Decimal("0.00000001")  # Aave oracle prices have 8 decimals (Venus has more)
MARK_STEP = Decimal("0.01")


@dataclass(frozen=True, slots=True, kw_only=True)
class PricePath:
    """Piecewise-linear path of the price as a fraction of its start, by scenario second."""

    points: tuple[tuple[Decimal, Decimal], ...]  # (t, fraction), t increasing from 0

    def __post_init__(self) -> None:
        if not self.points or self.points[0][0] != 0:
            raise ValueError("a price path starts at t=0")
        times = [t for t, _ in self.points]
        if any(b <= a for a, b in itertools.pairwise(times)):
            raise ValueError(f"price path times must increase: {times}")
        if any(f <= 0 for _, f in self.points):
            raise ValueError("price path fractions must be positive")

    def fraction_at(self, t: Decimal) -> Decimal:
        if t <= 0:
            return self.points[0][1]
        for (t0, f0), (t1, f1) in itertools.pairwise(self.points):
            if t <= t1:
                return f0 + (f1 - f0) * (t - t0) / (t1 - t0)
        return self.points[-1][1]

    @property
    def low(self) -> Decimal:
        return min(f for _, f in self.points)


@dataclass(frozen=True, slots=True, kw_only=True)
class Asset:
    """One underlying as the demo moves it, and its exchange symbol (the lending token the
    oracle prices it by is the chain's: ``DemoChain.oracle_tokens``)."""

    underlying: str  # "BTC"
    symbol: str  # "BTCUSDT" on USD-M
    start_usd: Decimal
    path: PricePath

    def mark_at(self, t: Decimal) -> Decimal:
        return (self.start_usd * self.path.fraction_at(t)).quantize(
            MARK_STEP, rounding=ROUND_HALF_EVEN
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class OracleRule:
    deviation: Decimal = Decimal("0.005")  # publish when the price moved 0.5 %
    heartbeat_secs: Decimal = Decimal(30)  # or when the last answer is this old
    lag_secs: Decimal = Decimal("1.5")  # the feed reports what the market did this long ago


@dataclass(frozen=True, slots=True, kw_only=True)
class FeedState:
    price: Decimal
    updated_at: Decimal


def next_feed(state: FeedState, *, observed: Decimal, now: Decimal, rule: OracleRule) -> FeedState:
    """The feed after one look at the (lagged) market: a new answer, or the same state."""
    moved = abs(observed - state.price) / state.price
    if moved >= rule.deviation or now - state.updated_at >= rule.heartbeat_secs:
        if observed == state.price:
            return replace(state, updated_at=now)
        return FeedState(
            price=observed.quantize(ORACLE_STEP, rounding=ROUND_HALF_EVEN), updated_at=now
        )
    return state


@dataclass(frozen=True, slots=True, kw_only=True)
class Scenario:
    assets: tuple[Asset, ...]
    phases: tuple[tuple[Decimal, str], ...]  # (start t, label), sorted
    duration_secs: Decimal
    oracle: OracleRule = field(default_factory=OracleRule)

    def asset(self, underlying: str) -> Asset:
        for a in self.assets:
            if a.underlying == underlying:
                return a
        raise KeyError(
            f"no asset {underlying!r} in the scenario: {[a.underlying for a in self.assets]}"
        )

    def marks_at(self, t: Decimal) -> dict[str, Decimal]:
        """Exchange mark per underlying at scenario second ``t``."""
        return {a.underlying: a.mark_at(t) for a in self.assets}

    def phase_at(self, t: Decimal) -> str:
        label = self.phases[0][1]
        for start, name in self.phases:
            if t >= start:
                label = name
        return label

    @property
    def worst_drop(self) -> Decimal:
        """The deepest fall of any asset, as a fraction (0.45 = 45 %)."""
        return max(1 - a.path.low for a in self.assets)

    def initial_feeds(self) -> dict[str, FeedState]:
        return {
            a.underlying: FeedState(price=a.start_usd, updated_at=Decimal(0)) for a in self.assets
        }

    def step_feeds(
        self, feeds: Mapping[str, FeedState], t: Decimal
    ) -> tuple[dict[str, FeedState], dict[str, Decimal]]:
        """Advance every feed to ``t``. Returns the new states and the answers that changed."""
        seen = max(Decimal(0), t - self.oracle.lag_secs)
        out: dict[str, FeedState] = {}
        changed: dict[str, Decimal] = {}
        for a in self.assets:
            before = feeds[a.underlying]
            after = next_feed(before, observed=a.mark_at(seen), now=t, rule=self.oracle)
            out[a.underlying] = after
            if after.price != before.price:
                changed[a.underlying] = after.price
        return out, changed


def _path(*points: tuple[float | int, str]) -> PricePath:
    return PricePath(points=tuple((Decimal(str(t)), Decimal(f)) for t, f in points))


def crash_scenario() -> Scenario:
    """100 scenario seconds: calm, a first leg down, a dead-cat bounce, a capitulation to
    -45 % for BTC and ETH (-25 % for BNB), a relief rally, and a settle at -40 %."""
    btc = _path(
        (0, "1"),
        (10, "1"),
        (22, "0.86"),
        (27, "0.90"),
        (45, "0.68"),
        (52, "0.76"),
        (68, "0.55"),
        (80, "0.64"),
        (90, "0.60"),
        (100, "0.60"),
    )
    eth = _path(
        (0, "1"),
        (10, "1"),
        (22, "0.85"),
        (27, "0.90"),
        (45, "0.67"),
        (52, "0.75"),
        (68, "0.55"),
        (80, "0.65"),
        (90, "0.60"),
        (100, "0.60"),
    )
    bnb = _path(
        (0, "1"),
        (10, "1"),
        (22, "0.93"),
        (27, "0.95"),
        (45, "0.84"),
        (52, "0.88"),
        (68, "0.75"),
        (80, "0.80"),
        (90, "0.78"),
        (100, "0.78"),
    )
    return Scenario(
        assets=(
            Asset(
                underlying="BTC",
                symbol="BTCUSDT",
                start_usd=Decimal(60000),
                path=btc,
            ),
            Asset(
                underlying="ETH",
                symbol="ETHUSDT",
                start_usd=Decimal(3000),
                path=eth,
            ),
            Asset(
                underlying="BNB",
                symbol="BNBUSDT",
                start_usd=Decimal(600),
                path=bnb,
            ),
        ),
        phases=(
            (Decimal(0), "calm: the daemon opens its hedges"),
            (Decimal(10), "first leg down"),
            (Decimal(22), "dead-cat bounce"),
            (Decimal(27), "second leg down"),
            (Decimal(45), "relief bounce"),
            (Decimal(52), "capitulation to -45 %"),
            (Decimal(68), "relief rally"),
            (Decimal(80), "settling"),
        ),
        duration_secs=Decimal(100),
    )


__all__ = [
    "Asset",
    "FeedState",
    "OracleRule",
    "PricePath",
    "Scenario",
    "crash_scenario",
    "next_feed",
]
