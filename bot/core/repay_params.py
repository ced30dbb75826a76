"""The protect stage's parameters: one frozen value the config's ``protect:`` section maps onto.

Field names match ``bot.config.models.ProtectConfig``; the extra fields (with defaults) are
tuning knobs the config does not expose yet. Units live in the names: ``*_usd`` is US dollars
valued at the Aave oracle price, ``*_gwei`` is 1e9 wei, ``*_secs`` is seconds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum

from bot.wallet.fees import FeePolicy, gwei_to_wei

DEFAULT_STABLE_SYMBOLS = ("USDC", "USDT", "DAI", "FDUSD", "USDC.e", "USDbC", "GHO", "PYUSD")


class HfSource(StrEnum):
    ORACLE = "oracle"  # HF at the Aave oracle's prices (what liquidators see)
    SHADOW = "shadow"  # HF at exchange mark prices (where the oracle is heading)


@dataclass(frozen=True, slots=True, kw_only=True)
class ProtectParams:
    """When to act, how much, and with what limits. Checked on construction."""

    enabled: bool = True
    trigger_hf: Decimal = Decimal("1.3")  # act when the deciding HF is strictly below this
    target_hf: Decimal = Decimal("1.6")  # restore at least this HF
    reserve_tokens: tuple[str, ...] = ("USDC", "USDT")  # symbols, in order of preference
    reserve_wallet: str | None = None  # None: the watched wallet holds the reserve
    max_per_action_usd: Decimal = Decimal(50_000)
    max_per_day_usd: Decimal = Decimal(200_000)
    max_fee_gwei: Decimal = Decimal(50)
    max_priority_fee_gwei: Decimal = Decimal(3)
    require_confirmation: bool = False
    use_shadow_hf: bool = False
    # Not in the config yet:
    allow_supply: bool = True  # supply the reserve as collateral when no repay is possible
    # Aim a little above target_hf: interest accrues between the snapshot block and the block
    # that includes the repay, which lowers the HF the chain computes by a few 1e-9 per second.
    target_buffer_hf: Decimal = Decimal("0.001")
    stable_symbols: tuple[str, ...] = DEFAULT_STABLE_SYMBOLS  # unaffected by a "crash"
    gas_margin: Decimal = Decimal("1.25")  # gas limit = estimate x this
    receipt_timeout_secs: float = 180.0
    replace_after_secs: float = 30.0  # no receipt after this long: bump the fee, same nonce
    receipt_poll_secs: float = 0.1  # how often the wallet thread asks for a receipt

    def __post_init__(self) -> None:
        if self.trigger_hf <= 1:
            raise ValueError(f"protect.trigger_hf must be above 1 (got {self.trigger_hf})")
        if self.target_hf <= self.trigger_hf:
            raise ValueError(
                f"protect.target_hf ({self.target_hf}) must be above "
                f"protect.trigger_hf ({self.trigger_hf})"
            )
        if not self.reserve_tokens:
            raise ValueError("protect.reserve_tokens must name at least one token")
        for name in ("max_per_action_usd", "max_per_day_usd", "max_fee_gwei"):
            if getattr(self, name) <= 0:
                raise ValueError(f"protect.{name} must be positive (got {getattr(self, name)})")
        if self.max_priority_fee_gwei < 0 or self.max_priority_fee_gwei > self.max_fee_gwei:
            raise ValueError(
                f"protect.max_priority_fee_gwei ({self.max_priority_fee_gwei}) must be between "
                f"0 and protect.max_fee_gwei ({self.max_fee_gwei})"
            )
        if self.target_buffer_hf < 0:
            raise ValueError(f"protect.target_buffer_hf must be >= 0 (got {self.target_buffer_hf})")
        if self.gas_margin < 1:
            raise ValueError(f"protect.gas_margin must be >= 1 (got {self.gas_margin})")

    @property
    def hf_source(self) -> HfSource:
        return HfSource.SHADOW if self.use_shadow_hf else HfSource.ORACLE

    @property
    def aim_hf(self) -> Decimal:
        """The HF the planner solves for: ``target_hf`` plus the interest buffer."""
        return self.target_hf + self.target_buffer_hf

    def fee_policy(self) -> FeePolicy:
        return FeePolicy(
            max_fee_per_gas_wei=gwei_to_wei(self.max_fee_gwei),
            max_priority_fee_per_gas_wei=gwei_to_wei(self.max_priority_fee_gwei),
            gas_margin=self.gas_margin,
            receipt_timeout_secs=self.receipt_timeout_secs,
            replace_after_secs=self.replace_after_secs,
            poll_interval_secs=self.receipt_poll_secs,
        )
