"""The demo on Aave v3: anvil with the cached real deployment (``bot.devnet.start_devnet``).

``config/demo.yaml`` is written for this chain: only the deployment's addresses provider is
filled in. The borrower supplies 1 WBTC and 10 WETH ($90,000).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal

from bot.demo.liquidator import Liquidator, LiquidatorBot
from bot.demo.protocols import AAVE_WORDS, ChainWords, OnDevnet
from bot.devnet import Devnet, start_devnet
from bot.devnet.anvil import LOOPBACK


@dataclass(slots=True)
class AaveDemoChain(OnDevnet):
    dn: Devnet
    words: ChainWords = AAVE_WORDS
    file_tag: str = ""  # the files keep the names they had before Venus
    collateral: dict[str, Decimal] = field(
        default_factory=lambda: {"WBTC": Decimal(1), "WETH": Decimal(10)}
    )
    oracle_tokens: dict[str, str] = field(
        default_factory=lambda: {"BTC": "WBTC", "ETH": "WETH", "BNB": "WBNB"}
    )

    def token(self, symbol: str) -> tuple[str, int]:
        token = self.dn.deployment.token(symbol)
        return token.underlying, token.decimals

    def token_symbols(self) -> dict[str, str]:
        return {t.underlying.lower(): t.symbol for t in self.dn.deployment.tokens}

    def supply_collateral(self, wallet: str) -> None:
        for symbol, amount in self.collateral.items():
            self.dn.supply(wallet, symbol, amount)  # Aave uses a first supply as collateral

    def weighted_collateral_usd(self, wallet: str) -> Decimal:
        data = self.dn.account_data(wallet)
        total_collateral_base, lt_bps = data[0], data[3]
        return Decimal(total_collateral_base) / 10**8 * Decimal(lt_bps) / 10_000

    def arm_liquidator(self, liquidator: str, symbol: str, amount: Decimal) -> None:
        self.dn.fund(liquidator, symbol, amount)
        self.dn.approve_pool(liquidator, symbol)

    def liquidator(self, *, liquidator: str, borrower: str, debt: str) -> LiquidatorBot:
        return Liquidator(
            rpc_url=self.dn.rpc_url,
            deployment=self.dn.deployment,
            liquidator=liquidator,
            borrower=borrower,
            collaterals=tuple(self.collateral),
            debt=debt,
        )

    def position_overrides(self) -> dict[str, str]:
        return {"HEDGEBOT__POSITIONS__0__ADDRESSES_PROVIDER": self.dn.deployment.addresses_provider}


@contextmanager
def aave_chain(*, host: str = LOOPBACK, port: int | None = None) -> Iterator[AaveDemoChain]:
    with start_devnet(host=host, port=port) as dn:
        yield AaveDemoChain(dn)


__all__ = ["AaveDemoChain", "aave_chain"]
