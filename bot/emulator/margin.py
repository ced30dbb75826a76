"""Pure futures math (spec §5): PnL, entry updates, maintenance, liquidation price.

USD-M is linear (PnL in the quote asset); COIN-M is inverse (PnL in coin, size in contracts
of ``contract_size`` USD). ``amt`` is signed: + long, − short.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from bot.emulator.decimals import ZERO
from bot.emulator.markets import Bracket, SymbolSpec


@dataclass(frozen=True, kw_only=True)
class Fill:
    """Position after a fill and the PnL the fill realised."""

    amt: Decimal
    entry: Decimal
    realized: Decimal


def sign(value: Decimal) -> int:
    return (value > 0) - (value < 0)


def linear_upnl(*, amt: Decimal, entry: Decimal, mark: Decimal) -> Decimal:
    return amt * (mark - entry)


def inverse_upnl(*, amt: Decimal, entry: Decimal, mark: Decimal, contract_size: int) -> Decimal:
    if amt == 0 or entry == 0:
        return ZERO
    return amt * contract_size * (1 / entry - 1 / mark)


def upnl(spec: SymbolSpec, *, amt: Decimal, entry: Decimal, mark: Decimal) -> Decimal:
    if spec.contract_size is None:
        return linear_upnl(amt=amt, entry=entry, mark=mark)
    return inverse_upnl(amt=amt, entry=entry, mark=mark, contract_size=spec.contract_size)


def notional(spec: SymbolSpec, *, qty: Decimal, price: Decimal) -> Decimal:
    """Unsigned notional: USD for USD-M, coin for COIN-M (qty in contracts)."""
    if spec.contract_size is None:
        return abs(qty) * price
    return abs(qty) * spec.contract_size / price


def apply_fill(
    spec: SymbolSpec, *, amt: Decimal, entry: Decimal, delta: Decimal, price: Decimal
) -> Fill:
    """New position after a signed fill ``delta`` at ``price``.

    Increases average the entry (arithmetic for linear, harmonic for inverse); reductions keep
    it and realise PnL on the closed part; a flip restarts the entry at ``price``.
    """
    if amt == 0 or sign(amt) == sign(delta):
        new_amt = amt + delta
        if spec.contract_size is None:
            new_entry = (abs(amt) * entry + abs(delta) * price) / abs(new_amt)
        else:
            weight = (abs(amt) / entry if amt != 0 else ZERO) + abs(delta) / price
            new_entry = abs(new_amt) / weight
        return Fill(amt=new_amt, entry=new_entry, realized=ZERO)
    closed = min(abs(delta), abs(amt))
    realized = upnl(spec, amt=closed * sign(amt), entry=entry, mark=price)
    new_amt = amt + delta
    if new_amt == 0:
        return Fill(amt=ZERO, entry=ZERO, realized=realized)
    if sign(new_amt) == sign(amt):
        return Fill(amt=new_amt, entry=entry, realized=realized)
    return Fill(amt=new_amt, entry=price, realized=realized)


def maintenance(spec: SymbolSpec, position_notional: Decimal) -> Decimal:
    bracket = spec.bracket_for(position_notional)
    return max(ZERO, position_notional * bracket.mmr - bracket.cum)


def initial_margin(position_notional: Decimal, leverage: int) -> Decimal:
    return position_notional / leverage


def break_even(spec: SymbolSpec, *, amt: Decimal, entry: Decimal) -> Decimal:
    if amt == 0:
        return ZERO
    return entry * (1 + sign(amt) * spec.taker_fee)


def _linear_lp(
    *,
    wb: Decimal,
    other_mm: Decimal,
    other_upnl: Decimal,
    amt: Decimal,
    entry: Decimal,
    bracket: Bracket,
) -> Decimal | None:
    side = sign(amt)
    size = abs(amt)
    denominator = size * bracket.mmr - side * size
    if denominator == 0:
        return None
    return (wb - other_mm + other_upnl + bracket.cum - side * size * entry) / denominator


def linear_liquidation_price(
    spec: SymbolSpec,
    *,
    wb: Decimal,
    other_mm: Decimal,
    other_upnl: Decimal,
    amt: Decimal,
    entry: Decimal,
) -> Decimal:
    """One-way USD-M liquidation price (Binance FAQ); isolated: wb=isolatedWallet, others 0.

    The bracket is the one that contains the notional *at* the liquidation price, so each
    bracket is tried and the self-consistent one wins.
    """
    if amt == 0:
        return ZERO
    for bracket in spec.brackets:
        price = _linear_lp(
            wb=wb,
            other_mm=other_mm,
            other_upnl=other_upnl,
            amt=amt,
            entry=entry,
            bracket=bracket,
        )
        if price is None or price <= 0:
            continue
        if bracket.floor <= abs(amt) * price <= bracket.cap:
            return price
    fallback = _linear_lp(
        wb=wb,
        other_mm=other_mm,
        other_upnl=other_upnl,
        amt=amt,
        entry=entry,
        bracket=spec.bracket_for(abs(amt) * entry),
    )
    return max(ZERO, fallback or ZERO)


def inverse_liquidation_price(
    spec: SymbolSpec, *, wb: Decimal, amt: Decimal, entry: Decimal
) -> Decimal:
    """One-way COIN-M: LP = (B·MMR + side·B) / (WB + cum + side·B/EP), B = |q|·CS (USD)."""
    if amt == 0 or spec.contract_size is None:
        return ZERO
    side = sign(amt)
    size_usd = abs(amt) * spec.contract_size
    for bracket in spec.brackets:
        denominator = wb + bracket.cum + side * size_usd / entry
        if denominator == 0:
            continue
        price = (size_usd * bracket.mmr + side * size_usd) / denominator
        if price > 0 and bracket.floor <= size_usd / price <= bracket.cap:
            return price
    return ZERO
