"""Coin and network configuration of the emulator's wallet (what ``config/getall`` lists and
``withdraw/apply`` checks), plus the wallet settings: whitelist, withdrawal delay and policy.

Binance's live fees, minimums and confirmation counts for USDT/USDC on BSC are not documented
(reference §1.5, UNVERIFIED): the defaults below are placeholders of the right shape, and every
field can be set by ``link_chain``, the ``/_emulator/coins`` control call or the CLI.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, fields, replace
from decimal import Decimal, InvalidOperation
from typing import Any, Literal

ADDRESS_REGEX = "^(0x)[0-9A-Fa-f]{40}$"
EVM_ADDRESS = re.compile(ADDRESS_REGEX)
NETWORK_NAMES = {
    "BSC": "BNB Smart Chain (BEP20)",
    "ETH": "Ethereum (ERC20)",
    "ARBITRUM": "Arbitrum One",
    "OPTIMISM": "Optimism",
    "MATIC": "Polygon POS",
}
COIN_NAMES = {"USDT": "TetherUS", "USDC": "USD Coin"}
EXPLORERS = {"BSC": "https://bscscan.com", "ETH": "https://etherscan.io"}
DEFAULT_WITHDRAW_DELAY_SECS = Decimal(30)
WithdrawPolicy = Literal["process", "hold", "reject"]
POLICIES: tuple[WithdrawPolicy, ...] = ("process", "hold", "reject")
Key = tuple[str, str]


@dataclass(frozen=True, kw_only=True)
class CoinNetwork:
    """One coin on one network, in Binance's ``networkList`` terms."""

    coin: str
    network: str
    contract_address: str
    decimals: int
    withdraw_fee: Decimal = Decimal("0.8")
    withdraw_min: Decimal = Decimal(10)
    withdraw_max: Decimal = Decimal(9_999_999)
    withdraw_multiple: Decimal | None = None  # None: the token's smallest unit, at most 1e-8
    withdraw_internal_min: Decimal = Decimal("0.01")
    deposit_dust: Decimal = Decimal("0.01")
    min_confirm: int = 15
    unlock_confirm: int = 0
    withdraw_enable: bool = True
    deposit_enable: bool = True
    is_default: bool = True
    estimated_arrival_time: int = 1
    name: str = ""  # network display name; from NETWORK_NAMES when empty
    coin_name: str = ""

    @property
    def key(self) -> Key:
        return (self.coin, self.network)

    @property
    def multiple(self) -> Decimal:
        if self.withdraw_multiple is not None:
            return self.withdraw_multiple
        return Decimal(1).scaleb(-min(self.decimals, 8))

    @property
    def network_name(self) -> str:
        return self.name or NETWORK_NAMES.get(self.network, self.network)

    @property
    def explorer(self) -> str:
        return EXPLORERS.get(self.network, "https://bscscan.com")

    def validate(self) -> CoinNetwork:
        where = f"coin {self.coin} on {self.network}"
        if not self.coin or not self.network:
            raise ValueError("a coin network needs 'coin' and 'network'")
        if not EVM_ADDRESS.fullmatch(self.contract_address):
            raise ValueError(f"{where}: contract_address is not a 0x + 40 hex address")
        if not 0 <= self.decimals <= 36:
            raise ValueError(f"{where}: decimals must be in [0, 36], got {self.decimals}")
        amounts = {
            "withdraw_fee": self.withdraw_fee,
            "withdraw_min": self.withdraw_min,
            "withdraw_max": self.withdraw_max,
            "withdraw_multiple": self.multiple,
            "deposit_dust": self.deposit_dust,
        }
        for name, value in amounts.items():
            if not value.is_finite() or value < 0:
                raise ValueError(f"{where}: {name} must be a finite number >= 0, got {value}")
        if self.multiple <= 0 or self.withdraw_max < self.withdraw_min:
            raise ValueError(f"{where}: withdraw_multiple must be > 0 and max >= min")
        unit = Decimal(1).scaleb(-self.decimals)
        for name in ("withdraw_fee", "withdraw_multiple"):
            if amounts[name] % unit != 0:
                raise ValueError(
                    f"{where}: {name} {amounts[name]} is finer than the token's "
                    f"{self.decimals} decimals"
                )
        if self.min_confirm < 1 or self.unlock_confirm < 0:
            raise ValueError(f"{where}: min_confirm must be >= 1 and unlock_confirm >= 0")
        return self


_DECIMAL_FIELDS = {
    "withdraw_fee",
    "withdraw_min",
    "withdraw_max",
    "withdraw_multiple",
    "withdraw_internal_min",
    "deposit_dust",
}
_INT_FIELDS = {"decimals", "min_confirm", "unlock_confirm", "estimated_arrival_time"}
_BOOL_FIELDS = {"withdraw_enable", "deposit_enable", "is_default"}
_STR_FIELDS = {"coin", "network", "contract_address", "name", "coin_name"}
FIELD_NAMES = _DECIMAL_FIELDS | _INT_FIELDS | _BOOL_FIELDS | _STR_FIELDS


def _typed(name: str, raw: Any) -> Any:
    if name in _DECIMAL_FIELDS:
        try:
            value = Decimal(str(raw))
        except InvalidOperation:
            raise ValueError(f"{name} is not a number: {raw!r}") from None
        return value
    if name in _INT_FIELDS:
        if isinstance(raw, bool) or not str(raw).lstrip("-").isdigit():
            raise ValueError(f"{name} must be an integer, got {raw!r}")
        return int(raw)
    if name in _BOOL_FIELDS:
        if isinstance(raw, bool):
            return raw
        if str(raw).lower() in ("true", "false"):
            return str(raw).lower() == "true"
        raise ValueError(f"{name} must be true or false, got {raw!r}")
    if not isinstance(raw, str):
        raise ValueError(f"{name} must be a string, got {raw!r}")
    return raw.upper() if name in ("coin", "network") else raw


def coin_from_fields(values: dict[str, Any], base: CoinNetwork | None = None) -> CoinNetwork:
    """A validated ``CoinNetwork`` from control-plane or CLI fields, on top of ``base``."""
    unknown = sorted(set(values) - FIELD_NAMES)
    if unknown:
        raise ValueError(f"unknown coin field(s) {unknown}; known: {sorted(FIELD_NAMES)}")
    typed = {name: _typed(name, raw) for name, raw in values.items()}
    if base is not None:
        return replace(base, **typed).validate()
    missing = [n for n in ("coin", "network", "contract_address", "decimals") if n not in typed]
    if missing:
        raise ValueError(f"a new coin network needs {missing}")
    return CoinNetwork(**typed).validate()


def default_coins() -> dict[Key, CoinNetwork]:
    """USDT and USDC on BSC at their mainnet BEP20 contracts (18 decimals there)."""
    coins = [
        CoinNetwork(
            coin="USDT",
            network="BSC",
            contract_address="0x55d398326f99059ff775485246999027b3197955",
            decimals=18,
        ),
        CoinNetwork(
            coin="USDC",
            network="BSC",
            contract_address="0x8ac76a51cc950d9822d68b83fe1ad97b32cd580d",
            decimals=18,
        ),
    ]
    return {c.key: c for c in coins}


@dataclass
class WalletConfig:
    coins: dict[Key, CoinNetwork] = field(default_factory=default_coins)
    whitelist: tuple[str, ...] | None = None  # lower-case; None: the whitelist is off
    withdraw_delay_secs: Decimal = DEFAULT_WITHDRAW_DELAY_SECS
    policy: WithdrawPolicy = "process"
    policy_info: str = ""

    def networks_of(self, coin: str) -> list[CoinNetwork]:
        return [c for c in self.coins.values() if c.coin == coin]

    def coin_names(self) -> list[str]:
        return sorted({c.coin for c in self.coins.values()})

    def upsert(self, net: CoinNetwork) -> None:
        if net.is_default:  # one default network per coin
            for other in self.networks_of(net.coin):
                if other.network != net.network and other.is_default:
                    self.coins[other.key] = replace(other, is_default=False)
        self.coins[net.key] = net

    def set_whitelist(self, addresses: list[str] | None) -> None:
        if addresses is None:
            self.whitelist = None
            return
        for address in addresses:
            if not isinstance(address, str) or not EVM_ADDRESS.fullmatch(address):
                raise ValueError(f"whitelist entry is not a 0x + 40 hex address: {address!r}")
        self.whitelist = tuple(a.lower() for a in addresses)

    def set_delay(self, seconds: Decimal) -> None:
        if not seconds.is_finite() or seconds < 0:
            raise ValueError(f"withdraw_delay_secs must be >= 0, got {seconds}")
        self.withdraw_delay_secs = seconds

    def set_policy(self, policy: str, info: str = "") -> None:
        chosen = next((p for p in POLICIES if p == policy), None)
        if chosen is None:
            raise ValueError(f"withdraw policy must be one of {POLICIES}, got {policy!r}")
        self.policy = chosen
        self.policy_info = info

    def describe(self) -> dict[str, Any]:
        return {
            "coins": [_describe(c) for c in self.coins.values()],
            "whitelist": list(self.whitelist) if self.whitelist is not None else None,
            "withdraw_delay_secs": str(self.withdraw_delay_secs),
            "withdraw_policy": self.policy,
            "withdraw_policy_info": self.policy_info,
        }


def _describe(net: CoinNetwork) -> dict[str, Any]:
    values = {f.name: getattr(net, f.name) for f in fields(net)}
    values["withdraw_multiple"] = net.multiple
    return {k: str(v) if isinstance(v, Decimal) else v for k, v in values.items()}
