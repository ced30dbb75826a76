"""Account setup as data: the account's state, the changes it needs, and refusals.

``plan_account_setup`` is pure; the live adapter reads an ``AccountState`` from Binance and
applies the plan, the paper exchange applies it to its own state.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum

from bot.core.model import ZERO, ContractSpec, MarginType, Venue
from bot.exchange.base import AccountSetup
from bot.exchange.errors import AccountSetupError


class ActionKind(StrEnum):
    POSITION_MODE = "position_mode"
    MARGIN_TYPE = "margin_type"
    MULTI_ASSETS = "multi_assets"
    LEVERAGE = "leverage"


@dataclass(frozen=True, slots=True, kw_only=True)
class SymbolSettings:
    symbol: str
    margin_type: MarginType
    leverage: int


@dataclass(frozen=True, slots=True, kw_only=True)
class AccountState:
    """What the account looks like now, as far as setup cares."""

    dual_side: Mapping[Venue, bool]  # hedge mode on, per venue in use
    multi_assets: bool | None  # None when no USD-M symbol is configured
    symbol_configs: Mapping[str, SymbolSettings]  # current margin type and leverage
    open_positions: frozenset[str] = frozenset()  # symbols with a non-zero position (any)
    balances: Mapping[tuple[Venue, str], Decimal] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class SetupAction:
    kind: ActionKind
    venue: Venue
    symbol: str | None
    value: str  # the wanted setting, as Binance spells it
    description: str  # the line ``setup`` reports once the change is made


def _validate(setup: AccountSetup, specs: Mapping[str, ContractSpec], state: AccountState) -> None:
    if not setup.one_way_mode:
        raise AccountSetupError("hedge (dual-side) position mode is not supported: set one-way")
    for wanted in setup.symbols:
        if wanted.symbol not in specs:
            raise AccountSetupError(
                f"setup symbol {wanted.symbol!r} is not one of the configured symbols "
                f"{sorted(specs)}"
            )
        spec = specs[wanted.symbol]
        if (
            spec.venue is Venue.USDM
            and setup.multi_assets_margin
            and wanted.margin_type is MarginType.ISOLATED
        ):
            raise AccountSetupError(
                f"{wanted.symbol}: ISOLATED margin is impossible in Multi-Assets Mode "
                "(Binance -4168); use CROSSED"
            )
        if spec.venue is Venue.COINM and setup.coinm_margin_asset not in (None, spec.margin_asset):
            raise AccountSetupError(
                f"{wanted.symbol} is margined in {spec.margin_asset}, but the config's COIN-M "
                f"margin is {setup.coinm_margin_asset}: use {setup.coinm_margin_asset}USD_PERP"
            )
    hedged = sorted(v.value for v, dual in state.dual_side.items() if dual)
    if hedged and state.open_positions:
        raise AccountSetupError(
            f"the account is in hedge (dual-side) mode on {', '.join(hedged)} with open positions "
            f"{sorted(state.open_positions)}; hedgebot trades one-way only and Binance cannot "
            "switch while positions exist: close them (or switch to one-way) by hand"
        )
    venues = {specs[w.symbol].venue for w in setup.symbols}
    wanted_assets = set()
    if Venue.USDM in venues:
        wanted_assets.add((Venue.USDM, setup.usdm_margin_asset))
    for w in setup.symbols:
        if specs[w.symbol].venue is Venue.COINM:
            wanted_assets.add((Venue.COINM, specs[w.symbol].margin_asset))
    for venue, asset in sorted(wanted_assets):
        if state.balances.get((venue, asset), ZERO) <= ZERO:
            raise AccountSetupError(
                f"{venue.value} futures wallet holds no {asset}, the configured margin asset: "
                f"transfer {asset} to the {venue.value} futures wallet first"
            )
    if (
        Venue.USDM in venues
        and setup.usdm_margin_asset not in ("USDT", "USDC")
        and not setup.multi_assets_margin
    ):
        raise AccountSetupError(
            f"USD-M margin {setup.usdm_margin_asset} counts as margin only in Multi-Assets Mode: "
            "set multi_assets_margin"
        )


def plan_account_setup(
    setup: AccountSetup, specs: Mapping[str, ContractSpec], state: AccountState
) -> list[SetupAction]:
    """The changes that bring the account to ``setup``, in an order Binance accepts:
    one-way mode, CROSSED margin, Multi-Assets Mode, ISOLATED margin, leverage."""
    _validate(setup, specs, state)
    actions = [
        SetupAction(
            kind=ActionKind.POSITION_MODE,
            venue=venue,
            symbol=None,
            value="false",
            description=f"{venue.value}: position mode hedge -> one-way",
        )
        for venue, dual in sorted(state.dual_side.items(), key=lambda kv: kv[0] is not Venue.USDM)
        if dual  # after Binance's CM migration one switch flips both venues: the 2nd says -4059
    ]
    margin_changes: dict[MarginType, list[SetupAction]] = {m: [] for m in MarginType}
    leverage_changes = []
    for wanted in setup.symbols:
        venue = specs[wanted.symbol].venue
        current = state.symbol_configs.get(wanted.symbol)
        if current is None or current.margin_type is not wanted.margin_type:
            was = current.margin_type.value if current else "unknown"
            margin_changes[wanted.margin_type].append(
                SetupAction(
                    kind=ActionKind.MARGIN_TYPE,
                    venue=venue,
                    symbol=wanted.symbol,
                    value=wanted.margin_type.value,
                    description=f"{wanted.symbol}: margin type {was} -> {wanted.margin_type.value}",
                )
            )
        if current is None or current.leverage != wanted.leverage:
            was = str(current.leverage) if current else "unknown"
            leverage_changes.append(
                SetupAction(
                    kind=ActionKind.LEVERAGE,
                    venue=venue,
                    symbol=wanted.symbol,
                    value=str(wanted.leverage),
                    description=f"{wanted.symbol}: leverage {was} -> {wanted.leverage}",
                )
            )
    actions += margin_changes[MarginType.CROSS]
    if state.multi_assets is not None and state.multi_assets != setup.multi_assets_margin:
        on = setup.multi_assets_margin
        actions.append(
            SetupAction(
                kind=ActionKind.MULTI_ASSETS,
                venue=Venue.USDM,
                symbol=None,
                value="true" if on else "false",
                description=f"usdm: Multi-Assets Mode {'off -> on' if on else 'on -> off'}",
            )
        )
    return actions + margin_changes[MarginType.ISOLATED] + leverage_changes
