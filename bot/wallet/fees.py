"""EIP-1559 fee arithmetic under the operator's caps (pure; all amounts in wei).

- first attempt: ``maxPriorityFeePerGas = min(suggested tip, cap / 1.125²)`` and
  ``maxFeePerGas = min(2 x base fee + tip, max(base fee + tip, max fee cap / 1.125²))`` (the
  room left under the caps is for two replacements); a base fee already above the cap is
  refused (:class:`FeeCapError`) rather than sent to sit unmined.
- replacement (same nonce): both fees raised by at least 12.5 % (the bump geth and anvil require
  to accept a replacement), and at least to what the current base fee asks for, still within the
  caps; when the caps leave no room for that bump, there is no replacement.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_CEILING, ROUND_FLOOR, Decimal

GWEI = 10**9
MIN_REPLACEMENT_BUMP = Decimal("0.125")


class FeeCapError(RuntimeError):
    """The network asks for more than the configured fee caps allow."""


@dataclass(frozen=True, slots=True, kw_only=True)
class FeePolicy:
    max_fee_per_gas_wei: int
    max_priority_fee_per_gas_wei: int
    gas_margin: Decimal = Decimal("1.25")  # gas limit = ceil(estimate x margin)
    replacement_bump: Decimal = MIN_REPLACEMENT_BUMP
    receipt_timeout_secs: float = 180.0
    replace_after_secs: float = 30.0
    poll_interval_secs: float = 0.5
    # A node behind a load balancer (or the next RPC after a failover) can report the nonce as
    # used a moment before it serves the receipt: only this long after the nonce moved with no
    # receipt is the transaction called dropped.
    drop_grace_secs: float = 5.0

    def __post_init__(self) -> None:
        if self.max_fee_per_gas_wei <= 0:
            raise ValueError(f"max_fee_per_gas_wei must be positive ({self.max_fee_per_gas_wei})")
        if not 0 <= self.max_priority_fee_per_gas_wei <= self.max_fee_per_gas_wei:
            raise ValueError(
                f"max_priority_fee_per_gas_wei ({self.max_priority_fee_per_gas_wei}) must be "
                f"between 0 and max_fee_per_gas_wei ({self.max_fee_per_gas_wei})"
            )
        if self.replacement_bump < MIN_REPLACEMENT_BUMP:
            raise ValueError(
                f"replacement_bump ({self.replacement_bump}) is below the 12.5 % nodes require"
            )
        if self.gas_margin < 1:
            raise ValueError(f"gas_margin must be >= 1 ({self.gas_margin})")


@dataclass(frozen=True, slots=True, kw_only=True)
class Fees:
    max_fee_per_gas: int
    max_priority_fee_per_gas: int


def gwei_to_wei(gwei: Decimal) -> int:
    return int((gwei * GWEI).to_integral_value(rounding=ROUND_FLOOR))


def gas_limit(estimate: int, margin: Decimal) -> int:
    """The gas limit to send: the node's estimate with a safety margin, rounded up."""
    return int((Decimal(estimate) * margin).to_integral_value(rounding=ROUND_CEILING))


def initial_fees(*, base_fee: int, suggested_tip: int, policy: FeePolicy) -> Fees:
    """Fees for a first attempt, given the latest block's base fee."""
    # Leave room under the caps for two replacements' bumps.
    headroom = (1 + policy.replacement_bump) ** 2
    tip_room = int(Decimal(policy.max_priority_fee_per_gas_wei) / headroom)
    fee_room = int(Decimal(policy.max_fee_per_gas_wei) / headroom)
    tip = min(max(suggested_tip, 0), tip_room)
    if base_fee + tip > policy.max_fee_per_gas_wei:
        raise FeeCapError(
            f"base fee {base_fee} wei + tip {tip} wei is above the max fee cap "
            f"{policy.max_fee_per_gas_wei} wei: raise protect.max_fee_gwei or wait"
        )
    max_fee = min(2 * base_fee + tip, max(base_fee + tip, fee_room))
    return Fees(max_fee_per_gas=max_fee, max_priority_fee_per_gas=tip)


def _bumped(value: int, bump: Decimal) -> int:
    # +1 so that a zero tip still moves and rounding never lands exactly on the minimum
    return int((Decimal(value) * (1 + bump)).to_integral_value(rounding=ROUND_CEILING)) + 1


def replacement_fees(*, previous: Fees, base_fee: int, policy: FeePolicy) -> Fees | None:
    """Fees for a same-nonce replacement, or None when the caps leave no room for the bump."""
    tip = _bumped(previous.max_priority_fee_per_gas, policy.replacement_bump)
    max_fee = max(_bumped(previous.max_fee_per_gas, policy.replacement_bump), 2 * base_fee + tip)
    max_fee = min(max_fee, policy.max_fee_per_gas_wei)
    if tip > policy.max_priority_fee_per_gas_wei:
        return None
    if max_fee < _bumped(previous.max_fee_per_gas, policy.replacement_bump) or max_fee < tip:
        return None
    return Fees(max_fee_per_gas=max_fee, max_priority_fee_per_gas=tip)
