"""Shared steps of the chain tests: a borrower near liquidation and a funded reserve wallet."""

from __future__ import annotations

import time
from dataclasses import dataclass
from decimal import Decimal

from web3 import Web3

from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.abis import load_abi
from bot.core.model import PositionSnapshot
from bot.core.repay import ProtectAction, ReserveBalance, decide
from bot.core.repay_math import find_asset
from bot.core.repay_params import ProtectParams
from bot.devnet.devnet import Devnet
from tests.protect.conftest import BORROWER, RESERVE, make_reader

PARAMS = ProtectParams(trigger_hf=Decimal("1.3"), target_hf=Decimal("1.6"))


@dataclass
class Scene:
    devnet: Devnet
    reader: AaveV3Reader
    borrower: str
    reserve_wallet: str

    def snapshot(self) -> PositionSnapshot:
        return self.reader.snapshot(self.borrower, now=int(time.time()))

    def token(self, symbol: str) -> object:
        address = self.devnet.deployment.token(symbol).underlying
        return self.devnet.w3.eth.contract(
            address=Web3.to_checksum_address(address), abi=load_abi("ERC20")
        )

    def reserve_raw(self, symbol: str = "USDC") -> int:
        return int(self.token(symbol).functions.balanceOf(self.reserve_wallet).call())  # type: ignore[attr-defined]

    def reserves(self, symbols: tuple[str, ...] = ("USDC",)) -> list[ReserveBalance]:
        out = []
        for symbol in symbols:
            tok = self.devnet.deployment.token(symbol)
            out.append(
                ReserveBalance(
                    symbol=symbol,
                    address=tok.underlying,
                    decimals=tok.decimals,
                    balance=Decimal(self.reserve_raw(symbol)).scaleb(-tok.decimals),
                )
            )
        return out

    def debt_raw(self, symbol: str = "USDC") -> int:
        asset = find_asset(self.snapshot(), symbol)
        assert asset is not None
        return int(asset.debt.scaleb(asset.decimals))

    def hf_wad(self) -> int:
        return self.devnet.account_data(self.borrower)[5]

    def action(self, params: ProtectParams = PARAMS, spent: Decimal = Decimal(0)) -> ProtectAction:
        decision = decide(
            self.snapshot(), params=params, reserves=self.reserves(), spent_today_usd=spent
        )
        assert decision.action is not None, decision.reason
        return decision.action


def scene(devnet: Devnet, *, reserve_usdc: Decimal, btc_price: Decimal | None = None) -> Scene:
    """1.5 WBTC supplied, 50 000 USDC borrowed (HF 1.404 at 60 000 USD/BTC); the reserve
    wallet (a different account) holds ``reserve_usdc``."""
    borrower, reserve_wallet = devnet.account(BORROWER), devnet.account(RESERVE)
    devnet.open_position(
        borrower, collateral={"WBTC": Decimal("1.5")}, debt={"USDC": Decimal(50000)}
    )
    devnet.fund(reserve_wallet, "USDC", reserve_usdc)
    if btc_price is not None:
        devnet.set_price("WBTC", btc_price)
    return Scene(
        devnet=devnet, reader=make_reader(devnet), borrower=borrower, reserve_wallet=reserve_wallet
    )
