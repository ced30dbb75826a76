"""Reserve sizing and refill reporting for ``hedgebot status`` and operator alerts (pure).

- ``reserve_for_crash``: the stablecoin amount that, repaid right after a common X % crash of
  every non-stable asset, keeps the position at or above a floor HF (1.0 = not liquidatable,
  or ``target_hf``).
- ``refill_report``: after a crash the reserve is partly spent and the short hedge is in
  profit; how much of that profit can be withdrawn to refill the reserve now, and how much
  more would have to be realised first.
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


@dataclass(frozen=True, slots=True, kw_only=True)
class RefillReport:
    reserve_shortfall_usd: Decimal  # wanted reserve - reserve held (>= 0)
    withdraw_now_usd: Decimal  # realised profit the exchange lets us withdraw, up to the gap
    realise_first_usd: Decimal  # unrealised profit to take (reduce the hedge) to close the rest
    uncovered_usd: Decimal  # what the hedge's profit cannot cover
    message: str


def refill_report(
    *,
    reserve_usd: Decimal,
    reserve_wanted_usd: Decimal,
    realized_pnl_usd: Decimal,
    unrealized_pnl_usd: Decimal,
    max_withdraw_usd: Decimal,
) -> RefillReport:
    """Amounts for the operator alert. Only profit is proposed for withdrawal, never the
    margin the operator deposited: ``realized_pnl_usd`` is the hedge's realised profit since
    the last refill, ``max_withdraw_usd`` the exchange's withdrawable amount (which excludes
    unrealised profit on Binance USD-M)."""
    shortfall = max(reserve_wanted_usd - reserve_usd, ZERO)
    withdraw = min(shortfall, max(min(realized_pnl_usd, max_withdraw_usd), ZERO))
    realise = min(shortfall - withdraw, max(unrealized_pnl_usd, ZERO))
    uncovered = shortfall - withdraw - realise
    if shortfall == 0:
        message = f"reserve {reserve_usd:.2f} USD covers the wanted {reserve_wanted_usd:.2f} USD"
    else:
        message = (
            f"reserve {reserve_usd:.2f} USD is {shortfall:.2f} USD under the wanted "
            f"{reserve_wanted_usd:.2f} USD: withdraw {withdraw:.2f} USD of realised hedge "
            f"profit now"
        )
        if realise > 0:
            message += f"; realise {realise:.2f} USD of unrealised profit to cover more"
        if uncovered > 0:
            message += f"; {uncovered:.2f} USD is not covered by hedge profit (top up by hand)"
    return RefillReport(
        reserve_shortfall_usd=shortfall,
        withdraw_now_usd=withdraw,
        realise_first_usd=realise,
        uncovered_usd=uncovered,
        message=message,
    )
