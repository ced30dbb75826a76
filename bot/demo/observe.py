"""One look at the whole stack: the lending position on-chain, the hedge on the exchange.

``chain_view`` and ``exchange_view`` are pure (values in, values out); ``Observer`` does the
reads: one multicall snapshot through the daemon's own reader, the reserve balance, and the
emulator's control-plane snapshot (which is not rate-limited, so the daemon's API weight is
left alone).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from bot.chain.protocol import LendingProtocol
from bot.core.model import TokenMapping
from bot.emulator.testing import EmulatorControl
from bot.watch.position import ChainView, chain_view

ZERO = Decimal(0)


@dataclass(frozen=True, slots=True, kw_only=True)
class ExchangeView:
    marks: dict[str, Decimal]  # symbol -> mark
    short_usd: dict[str, Decimal]  # symbol -> short notional at the mark (0 when flat or long)
    wallets: dict[str, Decimal]  # asset -> wallet balance
    realized_pnl_usd: Decimal
    unrealized_pnl_usd: Decimal
    fees_usd: Decimal  # paid, as a positive number
    funding_usd: Decimal  # received (+) or paid (-)
    wallet_usd: Decimal  # wallet balances at marks (USDT at 1)

    @property
    def equity_usd(self) -> Decimal:
        return self.wallet_usd + self.unrealized_pnl_usd


def _usd(asset: str, amount: Decimal, marks: Mapping[str, Decimal]) -> Decimal:
    if asset in ("USDT", "USDC", "FDUSD", "USD"):
        return amount
    return amount * marks.get(f"{asset}USDT", ZERO)


def exchange_view(
    state: Mapping[str, Any], *, api_key: str, symbols: tuple[str, ...]
) -> ExchangeView:
    """From the emulator's control snapshot: the USD-M account of ``api_key``."""
    marks = {s: Decimal(str(state["markets"][s]["mark"])) for s in symbols}
    account = state["accounts"][api_key]["usdm"]
    short: dict[str, Decimal] = dict.fromkeys(symbols, ZERO)
    unrealized = ZERO
    for pos in account["positions"].values():
        symbol = str(pos["symbol"])
        amt, entry = Decimal(str(pos["amt"])), Decimal(str(pos["entry"]))
        if symbol not in marks or amt == 0:
            continue
        unrealized += amt * (marks[symbol] - entry)
        if amt < 0:
            short[symbol] += -amt * marks[symbol]
    realized = fees = funding = ZERO
    for inc in account["income"]:
        kind = str(inc["income_type"])
        value = _usd(str(inc["asset"]), Decimal(str(inc["income"])), marks)
        if kind == "REALIZED_PNL":
            realized += value
        elif kind == "COMMISSION":
            fees -= value
        elif kind == "FUNDING_FEE":
            funding += value
    wallets = {str(a): Decimal(str(v)) for a, v in account["wallets"].items()}
    wallet_usd = sum((_usd(a, v, marks) for a, v in wallets.items()), ZERO)
    return ExchangeView(
        marks=marks,
        short_usd=short,
        wallets=wallets,
        realized_pnl_usd=realized,
        unrealized_pnl_usd=unrealized,
        fees_usd=fees,
        funding_usd=funding,
        wallet_usd=wallet_usd,
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Observation:
    chain: ChainView
    exchange: ExchangeView
    reserve: Decimal  # reserve token units in the wallet


class Observer:
    def __init__(
        self,
        *,
        reader: LendingProtocol,
        wallet: str,
        mapping: Mapping[str, TokenMapping],
        control: EmulatorControl,
        api_key: str,
        symbol_for_underlying: Mapping[str, str],
        reserve_balance: Callable[[], Decimal],
        oracle_price: Callable[[str], Decimal],
        clock: Callable[[], int],
    ) -> None:
        self._reader = reader
        self._wallet = wallet
        self._mapping = mapping
        self._control = control
        self._api_key = api_key
        self._symbols = dict(symbol_for_underlying)
        self._reserve_balance = reserve_balance
        self._oracle_price = oracle_price
        self._clock = clock

    def observe(self) -> Observation:
        state = self._control.snapshot()
        ex = exchange_view(state, api_key=self._api_key, symbols=tuple(self._symbols.values()))
        marks = {u: ex.marks[s] for u, s in self._symbols.items()}
        snapshot = self._reader.snapshot(self._wallet, now=self._clock())
        chain = chain_view(snapshot, marks=marks, mapping=self._mapping)
        for underlying in self._symbols:
            if underlying not in chain.oracle_usd:  # a coin the position does not hold
                chain.oracle_usd[underlying] = self._oracle_price(underlying)
        return Observation(chain=chain, exchange=ex, reserve=self._reserve_balance())


__all__ = [
    "ChainView",
    "ExchangeView",
    "Observation",
    "Observer",
    "chain_view",
    "exchange_view",
]
