"""The one exchange interface the engine knows.

Implementations: ``bot.exchange.binance`` (python-binance against testnet, demo, mainnet or
the local emulator) and ``bot.exchange.paper`` (dry-run). The engine never knows which it holds.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable

from bot.core.model import (
    ContractSpec,
    HedgePosition,
    MarginBalance,
    MarginType,
    OrderFee,
    OrderIntent,
    OrderReport,
)


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolSetup:
    symbol: str
    leverage: int
    margin_type: MarginType


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountSetup:
    """The account state the config asks for; ``Exchange.setup`` makes it so, idempotently."""

    symbols: tuple[SymbolSetup, ...]
    multi_assets_margin: bool = False  # USD-M: BNB (or other coins) as margin for USDT contracts
    one_way_mode: bool = True  # hedgebot refuses hedge (dual-side) mode
    # The USD-M wallet asset that margins the USD-M symbols ("BNB" needs multi_assets_margin);
    # setup refuses to proceed when its balance is zero.
    usdm_margin_asset: str = "USDT"
    # When set, every COIN-M symbol must be margined in this coin ("BNB" -> BNBUSD_PERP).
    coinm_margin_asset: str | None = None
    extra: Mapping[str, str] = field(default_factory=dict)


@runtime_checkable
class Exchange(Protocol):
    """Futures venue operations a hedging bot needs. Quantities follow ``ContractSpec``."""

    @property
    def is_paper(self) -> bool:
        """True for the dry-run paper exchange: nothing reaches a real venue."""
        ...

    @property
    def used_weight_1m(self) -> int | None:
        """The request weight the venue says this IP used in the current minute (None when
        the venue does not say, as the paper exchange)."""
        ...

    def contract_specs(self) -> Mapping[str, ContractSpec]:
        """Filters and contract sizes of the symbols this exchange was built for."""
        ...

    def mark_price(self, symbol: str) -> Decimal: ...

    def positions(self) -> list[HedgePosition]:
        """Open (non-zero) positions of the configured symbols."""
        ...

    def balances(self) -> list[MarginBalance]: ...

    def place(self, intent: OrderIntent, *, first_send: bool = False) -> OrderReport:
        """Place one intent. Never places two orders for one client order id.

        ``first_send``: the caller's journal recorded this intent a moment ago, so no earlier
        attempt can exist and the lookup by client order id before sending may be skipped.

        A rejection is returned as a report with status REJECTED and Binance's code; an
        outcome that stays unknown after lookups raises ``UnknownOrderState``.
        """
        ...

    def order(self, symbol: str, client_order_id: str) -> OrderReport:
        """Look an order up by client order id; status NOT_FOUND when the venue has none."""
        ...

    def cancel(self, symbol: str, client_order_id: str) -> OrderReport: ...

    def order_fees(
        self, symbol: str, exchange_order_ids: Collection[int], *, since_ms: int
    ) -> dict[int, OrderFee]:
        """The commission each of these orders paid, read from the fills since ``since_ms``
        (Binance keeps 7 days); an order without fills there is left out."""
        ...

    def setup(self, setup: AccountSetup) -> list[str]:
        """Bring the account to ``setup``; return a line per change actually made."""
        ...


@dataclass(frozen=True, slots=True, kw_only=True)
class FundingEvent:
    """One funding time the venue settled, as it publishes it."""

    symbol: str
    funding_time_ms: int
    rate: Decimal
    mark: Decimal  # the mark the venue settled at


@runtime_checkable
class FundingFeed(Protocol):
    """The venue's published funding, for the paper exchange to settle as the venue does."""

    def next_funding_ms(self, symbol: str, *, fresh: bool = False) -> int:
        """The venue's next funding time for ``symbol``: from the latest mark read when one
        was read a moment ago (no request), else (or ``fresh``) read now."""
        ...

    def funding_events(self, symbol: str, *, start_ms: int, end_ms: int) -> list[FundingEvent]:
        """Funding times in ``[start_ms, end_ms]`` the venue has settled, oldest first."""
        ...


@runtime_checkable
class AccountRereads(Protocol):
    """An exchange that may answer positions and balances from what it holds (a cache, a
    stream): ``invalidate`` makes its next account read ask the venue."""

    def invalidate(self) -> None: ...
