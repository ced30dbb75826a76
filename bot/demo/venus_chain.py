"""The demo on the Venus core pool: anvil with the cached real deployment
(``bot.devnet.start_venus_devnet``).

The borrower supplies native BNB (vBNB), BTCB and ETH ($90,000, as on Aave) and enters those
markets. ``config/demo.yaml``'s position becomes a ``venus-core`` one on the deployment's
Unitroller, and its token mapping Venus's symbols (BTCB -> BTC, ETH -> ETH, BNB -> BNB): the
hedge, the reserve (USDT) and the capital loop stay as the file has them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from bot.chain.venus_position import NATIVE_ADDRESS
from bot.demo.liquidator import LiquidatorBot
from bot.demo.protocols import ChainWords, OnDevnet
from bot.demo.venus_liquidator import VenusLiquidator
from bot.devnet import VenusDevnet, start_venus_devnet
from bot.devnet.anvil import LOOPBACK

VENUS_WORDS = ChainWords(
    protocol="Venus core pool",
    oracle="Venus oracle",
    liquidation_call="liquidateBorrow",
    refused="refused",
    refused_why="no shortfall: a nonzero code, nothing sent",
)
STABLES = ("USDT", "USDC")


@dataclass(slots=True)
class VenusDemoChain(OnDevnet):
    dn: VenusDevnet
    words: ChainWords = VENUS_WORDS
    file_tag: str = "venus-"
    collateral: dict[str, Decimal] = field(
        default_factory=lambda: {"BTCB": Decimal(1), "ETH": Decimal(5), "BNB": Decimal(25)}
    )
    oracle_tokens: dict[str, str] = field(
        default_factory=lambda: {"BTC": "BTCB", "ETH": "ETH", "BNB": "BNB"}
    )

    def token(self, symbol: str) -> tuple[str, int]:
        market = self.dn.deployment.market(symbol)
        if market.underlying is None:
            raise KeyError(f"{market.v_symbol} is the native market: it has no ERC-20")
        return market.underlying, market.decimals

    def token_symbols(self) -> dict[str, str]:
        return {
            (m.underlying or NATIVE_ADDRESS).lower(): m.symbol for m in self.dn.deployment.markets
        }

    def supply_collateral(self, wallet: str) -> None:
        for symbol, amount in self.collateral.items():
            self.dn.supply(wallet, symbol, amount)
        # A Venus supply counts as collateral only in a market the account entered.
        self.dn.enter_markets(wallet, list(self.collateral))

    def weighted_collateral_usd(self, wallet: str) -> Decimal:
        # Without debt, getAccountLiquidity's liquidity is the collateral at the liquidation
        # thresholds (the path liquidations use), USD x 1e18.
        _err, liquidity, _shortfall = self.dn.account_liquidity(wallet)
        return Decimal(liquidity).scaleb(-18)

    def arm_liquidator(self, liquidator: str, symbol: str, amount: Decimal) -> None:
        self.dn.fund(liquidator, symbol, amount)
        self.dn.approve_market(liquidator, symbol)

    def liquidator(self, *, liquidator: str, borrower: str, debt: str) -> LiquidatorBot:
        return VenusLiquidator(
            rpc_url=self.dn.rpc_url,
            deployment=self.dn.deployment,
            liquidator=liquidator,
            borrower=borrower,
            collaterals=tuple(self.collateral),
            debt=debt,
        )

    def position_overrides(self) -> dict[str, str]:
        tokens = {token: {"underlying": u} for u, token in self.oracle_tokens.items()}
        tokens.update({s: {"underlying": "USD"} for s in STABLES})
        return {
            "HEDGEBOT__POSITIONS__0__PROTOCOL": "venus-core",
            "HEDGEBOT__POSITIONS__0__ADDRESSES_PROVIDER": "null",
            "HEDGEBOT__POSITIONS__0__COMPTROLLER": self.dn.deployment.comptroller,
            "HEDGEBOT__TOKENS": json.dumps(tokens),  # JSON is YAML: the whole mapping
        }


@contextmanager
def venus_chain(*, host: str = LOOPBACK, port: int | None = None) -> Iterator[VenusDemoChain]:
    with start_venus_devnet(host=host, port=port) as dn:
        yield VenusDemoChain(dn)


__all__ = ["VENUS_WORDS", "VenusDemoChain", "venus_chain"]
