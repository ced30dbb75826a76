"""How much to repay (or supply) to bring a position to a target health factor (pure).

The answer is found with the protocol's exact integer model (``bot.core.health``), so it
matches what the Pool (or comptroller) will compute: a closed-form guess from the readable formula
``HF = Σ collateral_usd x LT / Σ debt_usd`` brackets the answer, then bisection over raw token
units (10^-decimals of a token) finds the smallest amount whose exact HF reaches the target.
Because the exact HF never decreases as debt falls or collateral rises, the result is minimal
within one raw unit: ``hf(amount) >= target > hf(amount - 1)``.

Amounts are whole tokens as ``Decimal`` at the edges and raw integers inside.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

from bot.core.account_model import account_model
from bot.core.health import exact_health_factor_wad
from bot.core.model import ZERO, AssetPosition, PositionSnapshot

WAD = 10**18
ORACLE_STEP = Decimal("1e-8")  # Aave's USD base currency has 8 decimals
HfModel = Callable[[PositionSnapshot], int]
"""A snapshot's health factor as the protocol computes it: WAD integer, 2**256-1 without debt."""


def default_hf_model() -> HfModel:
    return exact_health_factor_wad


def hf_to_wad(hf: Decimal) -> int:
    """A readable HF target (1.6) as the smallest WAD integer at or above it."""
    return int((hf * WAD).to_integral_value(rounding=ROUND_CEILING))


def wad_to_hf(wad: int) -> Decimal:
    return Decimal("Infinity") if wad >= 2**255 else Decimal(wad) / WAD


def to_raw(amount: Decimal, decimals: int) -> int:
    """Whole tokens to raw units, rounded down (never more than the amount)."""
    return int((amount * 10**decimals).to_integral_value(rounding=ROUND_FLOOR))


def from_raw(raw: int, decimals: int) -> Decimal:
    return Decimal(raw).scaleb(-decimals)


def find_asset(snapshot: PositionSnapshot, symbol: str) -> AssetPosition | None:
    return next((a for a in snapshot.assets if a.symbol == symbol), None)


def _replace_asset(snapshot: PositionSnapshot, new: AssetPosition) -> PositionSnapshot:
    assets = tuple(new if a.symbol == new.symbol else a for a in snapshot.assets)
    return replace(snapshot, assets=assets)


def with_debt_repaid(snapshot: PositionSnapshot, symbol: str, raw: int) -> PositionSnapshot:
    """The snapshot after repaying ``raw`` units of ``symbol`` debt (floored at zero)."""
    asset = _require(snapshot, symbol)
    debt = max(asset.debt - from_raw(raw, asset.decimals), ZERO)
    return _replace_asset(snapshot, replace(asset, debt=debt))


def with_collateral_supplied(snapshot: PositionSnapshot, symbol: str, raw: int) -> PositionSnapshot:
    """The snapshot after supplying ``raw`` units of ``symbol``, booked as the protocol books a
    supply (Aave: a first supply with a non-zero LTV turns the asset on as collateral)."""
    asset = _require(snapshot, symbol)
    return _replace_asset(snapshot, account_model(snapshot).with_supply(asset, raw))


def with_crash(
    snapshot: PositionSnapshot, fraction: Decimal, stable_symbols: Iterable[str]
) -> PositionSnapshot:
    """Every non-stable asset's price multiplied by ``1 - fraction`` (0.3 = a 30 % crash),
    rounded down to the oracle's step (Aave: 1e-8 USD) so the exact model applies."""
    stables = frozenset(stable_symbols)
    factor = 1 - fraction
    step = account_model(snapshot).price_step
    assets = tuple(
        a
        if a.symbol in stables
        else replace(a, price_usd=(a.price_usd * factor).quantize(step(a), ROUND_FLOOR))
        for a in snapshot.assets
    )
    return replace(snapshot, assets=assets)


def _require(snapshot: PositionSnapshot, symbol: str) -> AssetPosition:
    asset = find_asset(snapshot, symbol)
    if asset is None:
        have = ", ".join(a.symbol for a in snapshot.assets)
        raise ValueError(f"{symbol} is not in the position of {snapshot.wallet} (has: {have})")
    return asset


def _weighted_collateral_usd(snapshot: PositionSnapshot) -> Decimal:
    return sum(
        (
            a.collateral * a.price_usd * a.liquidation_threshold
            for a in snapshot.assets
            if a.collateral_enabled
        ),
        ZERO,
    )


def _debt_usd(snapshot: PositionSnapshot) -> Decimal:
    return sum((a.debt * a.price_usd for a in snapshot.assets), ZERO)


def min_raw_to_reach(
    evaluate: Callable[[int], int], *, target_wad: int, upper: int, guess: int
) -> int | None:
    """The smallest ``x`` in ``[0, upper]`` with ``evaluate(x) >= target_wad``, for an
    ``evaluate`` that never decreases; None when even ``upper`` falls short."""
    if evaluate(0) >= target_wad:
        return 0
    if upper <= 0 or evaluate(upper) < target_wad:
        return None
    lo, hi = 0, upper  # invariant: evaluate(lo) < target <= evaluate(hi)
    guess = min(max(guess, 1), upper)
    step = max(guess >> 16, 1)
    # Gallop outwards from the guess so bisection starts from a narrow bracket.
    if evaluate(guess) >= target_wad:
        hi = guess
        while hi - step > lo and evaluate(hi - step) >= target_wad:
            hi -= step
            step *= 2
        lo = max(lo, hi - step)
    else:
        lo = guess
        while lo + step < hi and evaluate(lo + step) < target_wad:
            lo += step
            step *= 2
        hi = min(hi, lo + step)
    while hi - lo > 1:
        mid = (lo + hi) // 2
        if evaluate(mid) >= target_wad:
            hi = mid
        else:
            lo = mid
    return hi


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    """The smallest amount reaching the target, or (``reaches=False``) the most there is."""

    symbol: str
    raw: int
    decimals: int
    reaches: bool
    hf_after_wad: int

    @property
    def amount(self) -> Decimal:
        return from_raw(self.raw, self.decimals)


def min_repay(
    snapshot: PositionSnapshot, symbol: str, target_hf: Decimal, *, hf_model: HfModel | None = None
) -> Solution:
    """The least ``symbol`` debt to repay for an exact HF >= ``target_hf``. When repaying all
    of that debt is not enough, the solution is the whole debt with ``reaches=False``."""
    model = hf_model or default_hf_model()
    asset = _require(snapshot, symbol)
    upper = to_raw(asset.debt, asset.decimals)
    target_wad = hf_to_wad(target_hf)
    needed_usd = _debt_usd(snapshot) - _weighted_collateral_usd(snapshot) / target_hf
    guess = to_raw(needed_usd / asset.price_usd, asset.decimals) if asset.price_usd > 0 else 1

    def evaluate(raw: int) -> int:
        return model(with_debt_repaid(snapshot, symbol, raw))

    return _least(evaluate, symbol, asset.decimals, target_wad=target_wad, upper=upper, guess=guess)


def min_supply(
    snapshot: PositionSnapshot,
    symbol: str,
    target_hf: Decimal,
    *,
    upper_raw: int,
    hf_model: HfModel | None = None,
) -> Solution:
    """The least ``symbol`` to supply as collateral for an exact HF >= ``target_hf``, at most
    ``upper_raw`` (what the reserve holds); ``reaches=False`` returns ``upper_raw``."""
    model = hf_model or default_hf_model()
    asset = _require(snapshot, symbol)
    target_wad = hf_to_wad(target_hf)
    weight = asset.price_usd * asset.liquidation_threshold
    needed_usd = target_hf * _debt_usd(snapshot) - _weighted_collateral_usd(snapshot)
    guess = to_raw(needed_usd / weight, asset.decimals) if weight > 0 else 1

    def evaluate(raw: int) -> int:
        return model(with_collateral_supplied(snapshot, symbol, raw))

    return _least(
        evaluate, symbol, asset.decimals, target_wad=target_wad, upper=upper_raw, guess=guess
    )


def _least(
    evaluate: Callable[[int], int],
    symbol: str,
    decimals: int,
    *,
    target_wad: int,
    upper: int,
    guess: int,
) -> Solution:
    """The least raw amount up to ``upper`` whose HF reaches ``target_wad``; ``upper`` itself
    with ``reaches=False`` when even that is not enough."""
    raw = min_raw_to_reach(evaluate, target_wad=target_wad, upper=upper, guess=guess)
    chosen = upper if raw is None else raw
    return Solution(
        symbol=symbol,
        raw=chosen,
        decimals=decimals,
        reaches=raw is not None,
        hf_after_wad=evaluate(chosen),
    )
