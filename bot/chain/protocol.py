"""What the rest of the bot sees of a lending protocol, whatever the protocol."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Protocol

from bot.chain.rpc import RpcPool
from bot.core.model import PositionSnapshot


@dataclass(frozen=True, slots=True, kw_only=True)
class ReserveInfo:
    """One listed reserve, resolved at start-up (addresses do not change per cycle)."""

    symbol: str
    asset: str
    reserve_id: int  # bit position in the user configuration bitmap
    a_token: str
    variable_debt_token: str
    stable_debt_token: str | None  # None from Aave v3.2 on (stable debt removed)


@dataclass(frozen=True, slots=True, kw_only=True)
class ReaderInfo:
    """What ``start()`` learned and checked about the market.

    Named after Aave; another protocol's reader documents what each field holds for it
    (``bot.chain.venus.VenusCoreReader``: ``pool`` is the comptroller, a reserve is a market).
    """

    protocol: str
    chain_id: int
    addresses_provider: str
    pool: str
    oracle: str
    data_provider: str
    pool_revision: int
    base_currency_unit: int
    reserves: tuple[ReserveInfo, ...]
    emode_categories: tuple[int, ...]
    block_number: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountData:
    """``getUserAccountData`` of one wallet, in USD and fractions (Decimal, exact)."""

    wallet: str
    block_number: int
    total_collateral_usd: Decimal
    total_debt_usd: Decimal
    available_borrows_usd: Decimal
    liquidation_threshold: Decimal  # collateral-weighted average, fraction
    ltv: Decimal  # fraction
    health_factor: Decimal  # Infinity when there is no debt
    health_factor_wad: int  # as the chain returned it (2**256-1 when there is no debt)


class LendingProtocol(Protocol):
    """A reader of one lending market on one chain."""

    protocol: str  # PositionSnapshot.protocol of its snapshots: "aave-v3", "venus-core"
    rpc: RpcPool

    @property
    def info(self) -> ReaderInfo:
        """What ``start()`` learned; raises ``ChainError`` before it."""
        ...

    def start(self) -> ReaderInfo:
        """Resolve addresses, check chain id and base currency; call once before reading."""
        ...

    def snapshot(self, wallet: str, *, now: int) -> PositionSnapshot:
        """The wallet's position, every value from one block, in one RPC call. ``now`` (unix
        seconds) feeds the stale-data guard; a stale snapshot has ``stale_reason`` set."""
        ...

    def account_data_batch(self, wallets: Sequence[str]) -> dict[str, AccountData]:
        """Health of many wallets at one block, in a few gas-bounded calls."""
        ...
