"""The seam between the risk core and a lending protocol's own arithmetic.

Health factor, liquidation prices and repay sizing are the same questions on every protocol, but
the answer that matters is the one the protocol's contract computes, with its own integer units
and truncations. Each protocol implements ``AccountModel`` once (Aave v3: ``AaveMath``; Venus core
pool: ``VenusMath``); the snapshot says which protocol it came from and ``account_model`` picks
the model by that name from a table. Nothing in the core branches on the protocol.
"""

from __future__ import annotations

from collections.abc import Callable, Collection, Sequence
from decimal import Decimal
from typing import Protocol

from bot.core.aave_math import AaveMath
from bot.core.model import AssetPosition, PositionSnapshot
from bot.core.venus_math import VENUS_CORE

__all__ = ["AccountModel", "account_model", "protocols"]


class AccountModel(Protocol):
    """A protocol's exact account arithmetic, on a snapshot's exact decimal values."""

    def health_factor_wad(self, snapshot: PositionSnapshot) -> int:
        """HF x 1e18 as the protocol rounds it (``2**256 - 1`` with no debt); >= 1e18 exactly
        when the position cannot be liquidated. Raises ``ValueError`` naming the asset when a
        value is not the exact decimal form of the chain's integer."""
        ...

    def price_step(self, asset: AssetPosition) -> Decimal:
        """The oracle's price resolution for ``asset``, in USD per whole token."""
        ...

    def with_supply(self, asset: AssetPosition, raw: int) -> AssetPosition:
        """``asset`` after supplying ``raw`` units of it, as the protocol books a supply."""
        ...

    def price_crossing(self, snapshot: PositionSnapshot, indexes: Sequence[int]) -> Decimal | None:
        """The oracle price (USD per whole token) of the assets at ``indexes`` (one token) at
        which HF crosses 1, others fixed: safe there and further on the safe side, liquidatable
        one ``price_step`` the adverse way. None when no price liquidates; 0 when every does."""
        ...

    def factor_crossing(
        self, snapshot: PositionSnapshot, moving: Collection[int], readable: Decimal
    ) -> Decimal | None:
        """The factor on the prices at ``moving`` at which HF crosses 1 (1e-15 resolution),
        searched around the readable answer ``readable``."""
        ...


# Protocol name in ``PositionSnapshot.protocol`` -> its model for that snapshot.
_MODELS: dict[str, Callable[[PositionSnapshot], AccountModel]] = {
    "aave-v3": lambda snapshot: AaveMath.for_revision(snapshot.pool_revision),
    "venus-core": lambda snapshot: VENUS_CORE,
}


def protocols() -> tuple[str, ...]:
    """The protocol names the core has an exact model for."""
    return tuple(_MODELS)


def account_model(snapshot: PositionSnapshot) -> AccountModel:
    """The exact model of the protocol ``snapshot`` was read from."""
    factory = _MODELS.get(snapshot.protocol)
    if factory is None:
        raise ValueError(
            f"no exact account model for protocol {snapshot.protocol!r} "
            f"(known: {', '.join(_MODELS)})"
        )
    return factory(snapshot)
