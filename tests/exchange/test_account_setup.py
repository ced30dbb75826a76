"""Account-setup planning: what changes, in which order, and what is refused."""

from __future__ import annotations

from decimal import Decimal

import pytest

from bot.core.model import MarginType, Venue
from bot.exchange.account_setup import (
    AccountState,
    ActionKind,
    SymbolSettings,
    plan_account_setup,
)
from bot.exchange.base import AccountSetup, SymbolSetup
from bot.exchange.errors import AccountSetupError
from tests.exchange.specs import BNB_SETUP, SPECS

FUNDED = {(Venue.USDM, "BNB"): Decimal(1), (Venue.COINM, "BNB"): Decimal(1)}


def state(**overrides: object) -> AccountState:
    values: dict[str, object] = {
        "dual_side": {Venue.USDM: False, Venue.COINM: False},
        "multi_assets": False,
        "symbol_configs": {
            "BNBUSDT": SymbolSettings(
                symbol="BNBUSDT", margin_type=MarginType.ISOLATED, leverage=20
            ),
            "BNBUSD_PERP": SymbolSettings(
                symbol="BNBUSD_PERP", margin_type=MarginType.CROSS, leverage=3
            ),
        },
        "balances": FUNDED,
    }
    values.update(overrides)
    return AccountState(**values)  # type: ignore[arg-type]


def test_fresh_account_plan_goes_cross_then_multi_assets_then_leverage() -> None:
    plan = plan_account_setup(BNB_SETUP, SPECS, state(dual_side={Venue.USDM: True}))

    assert [(a.kind, a.symbol, a.value) for a in plan] == [
        (ActionKind.POSITION_MODE, None, "false"),
        (ActionKind.MARGIN_TYPE, "BNBUSDT", "CROSSED"),
        (ActionKind.MULTI_ASSETS, None, "true"),
        (ActionKind.LEVERAGE, "BNBUSDT", "5"),
    ]
    assert plan[0].description == "usdm: position mode hedge -> one-way"


def test_account_already_set_up_needs_nothing() -> None:
    done = state(
        multi_assets=True,
        symbol_configs={
            "BNBUSDT": SymbolSettings(symbol="BNBUSDT", margin_type=MarginType.CROSS, leverage=5),
            "BNBUSD_PERP": SymbolSettings(
                symbol="BNBUSD_PERP", margin_type=MarginType.CROSS, leverage=3
            ),
        },
    )

    assert plan_account_setup(BNB_SETUP, SPECS, done) == []


def test_hedge_mode_with_positions_is_refused_with_what_to_do() -> None:
    hedged = state(dual_side={Venue.USDM: True}, open_positions=frozenset({"ETHUSDT"}))

    with pytest.raises(AccountSetupError, match=r"hedge \(dual-side\) mode.*ETHUSDT.*by hand"):
        plan_account_setup(BNB_SETUP, SPECS, hedged)


def test_zero_bnb_is_refused_naming_the_wallet() -> None:
    empty = state(balances={(Venue.COINM, "BNB"): Decimal(1)})

    with pytest.raises(AccountSetupError, match="usdm futures wallet holds no BNB"):
        plan_account_setup(BNB_SETUP, SPECS, empty)


def test_coinm_symbol_of_another_coin_is_refused() -> None:
    btc_margin = AccountSetup(
        symbols=BNB_SETUP.symbols,
        multi_assets_margin=True,
        usdm_margin_asset="BNB",
        coinm_margin_asset="BTC",
    )

    with pytest.raises(AccountSetupError, match=r"BNBUSD_PERP is margined in BNB.*BTCUSD_PERP"):
        plan_account_setup(btc_margin, SPECS, state())


def test_isolated_under_multi_assets_and_bnb_without_multi_assets_are_refused() -> None:
    isolated = AccountSetup(
        symbols=(SymbolSetup(symbol="BNBUSDT", leverage=5, margin_type=MarginType.ISOLATED),),
        multi_assets_margin=True,
        usdm_margin_asset="BNB",
    )
    single = AccountSetup(
        symbols=isolated.symbols[:0] + BNB_SETUP.symbols[:1], usdm_margin_asset="BNB"
    )

    with pytest.raises(AccountSetupError, match="-4168"):
        plan_account_setup(isolated, SPECS, state())
    with pytest.raises(AccountSetupError, match="only in Multi-Assets Mode"):
        plan_account_setup(single, SPECS, state())


def test_unknown_symbol_is_named() -> None:
    setup = AccountSetup(
        symbols=(SymbolSetup(symbol="DOGEUSDT", leverage=2, margin_type=MarginType.CROSS),)
    )

    with pytest.raises(AccountSetupError, match="DOGEUSDT"):
        plan_account_setup(setup, SPECS, state())
