"""The Venus reader against an in-memory comptroller answering Multicall3 at the wire level:
what it asks, in how many requests, and how the answers become a snapshot."""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from typing import Any

import pytest
from eth_abi.abi import decode, encode
from eth_utils.address import to_checksum_address

from bot.chain import venus_position as vp
from bot.chain.multicall import MULTICALL3_ADDRESS, Fn, fn
from bot.chain.rpc import ChainError
from bot.chain.venus import VenusCoreReader
from bot.core.health import exact_health_factor
from bot.core.liquidation import liquidation_price
from bot.core.venus_math import account_liquidity

D = Decimal
EXP = 10**18


def addr(n: int) -> str:
    return to_checksum_address(f"0x{n:040x}")


COMPTROLLER, ORACLE, VAI_CTRL, VAI_TOKEN, LENS = addr(1), addr(2), addr(3), addr(4), addr(5)
USER, OTHER = addr(0xA11CE), addr(0xB0B)


@dataclass
class FakeMarket:
    v_token: str
    v_symbol: str
    underlying: str | None  # None: vBNB
    symbol: str
    decimals: int
    price: int
    lt: int
    cf: int
    li: int = 11 * 10**17


@dataclass
class FakeVenus:
    """Answers the view calls the reader makes, from these tables."""

    markets: list[FakeMarket]
    balances: dict[tuple[str, str], tuple[int, int, int]] = field(default_factory=dict)
    entered: dict[str, list[str]] = field(default_factory=dict)
    vai: dict[str, int] = field(default_factory=dict)
    block: int = 1000
    timestamp: int = 1_700_000_000
    broken_prices: set[str] = field(default_factory=set)
    chain_liquidity: dict[str, tuple[int, int, int]] = field(default_factory=dict)

    def handlers(self) -> dict[tuple[str, bytes], tuple[Fn, Callable[..., tuple[Any, ...]]]]:
        by_v = {m.v_token: m for m in self.markets}
        table: dict[tuple[str, bytes], tuple[Fn, Callable[..., tuple[Any, ...]]]] = {}

        def on(target: str, f: Fn, answer: Callable[..., tuple[Any, ...]]) -> None:
            table[(target, f.selector)] = (f, answer)

        on(MULTICALL3_ADDRESS, fn("Multicall3", "getBlockNumber"), lambda: (self.block,))
        on(MULTICALL3_ADDRESS, fn("Multicall3", "getCurrentBlockTimestamp"),
           lambda: (self.timestamp,))  # fmt: skip
        comptroller = {
            "getAllMarkets": lambda: ([m.v_token for m in self.markets],),
            "oracle": lambda: (ORACLE,),
            "vaiController": lambda: (VAI_CTRL,),
            "comptrollerLens": lambda: (LENS,),
            "markets": lambda v: (True, by_v[v].cf, False, by_v[v].lt, by_v[v].li, 0, True),
            "getAssetsIn": lambda u: (self.entered.get(u, []),),
            "getEffectiveLtvFactor": lambda u, v, w: (by_v[v].lt if w == 1 else by_v[v].cf,),
            "getEffectiveLiquidationIncentive": lambda u, v: (by_v[v].li,),
            "getAccountLiquidity": self._liquidity,
        }
        for name, answer in comptroller.items():
            on(COMPTROLLER, fn("VenusComptroller", name), answer)
        on(VAI_CTRL, fn("VAIController", "getVAIRepayAmount"), lambda u: (self.vai.get(u, 0),))
        on(VAI_CTRL, fn("VAIController", "getVAIAddress"), lambda: (VAI_TOKEN,))
        on(ORACLE, fn("VenusOracle", "getUnderlyingPrice"), self._price)
        for m in self.markets:
            on(m.v_token, fn("VToken", "symbol"), lambda m=m: (m.v_symbol,))
            if m.underlying is not None:  # vBNB: the call reverts, as on mainnet
                on(m.v_token, fn("VToken", "underlying"), lambda m=m: (m.underlying,))
                on(m.underlying, fn("ERC20", "symbol"), lambda m=m: (m.symbol,))
                on(m.underlying, fn("ERC20", "decimals"), lambda m=m: (m.decimals,))
            on(m.v_token, fn("VToken", "getAccountSnapshot"),
               lambda u, m=m: (0, *self.balances.get((u, m.v_token), (0, 0, EXP))))  # fmt: skip
        return table

    def _price(self, v: str) -> tuple[Any, ...]:
        if v in self.broken_prices:
            raise RuntimeError("no price")
        return (next(m.price for m in self.markets if m.v_token == v),)

    def _liquidity(self, u: str) -> tuple[Any, ...]:
        return self.chain_liquidity.get(u, (0, 0, 0))


class FakeEth:
    def __init__(self, chain: FakeVenus, requests: list[Any]) -> None:
        self.chain = chain
        self.requests = requests

    def call(self, tx: dict[str, Any], block: Any) -> bytes:
        self.requests.append(block)
        assert tx["to"] == MULTICALL3_ADDRESS
        data = bytes.fromhex(tx["data"][2:])
        agg = fn("Multicall3", "aggregate3")
        assert data[:4] == agg.selector
        (calls,) = decode(list(agg.input_types), data[4:])
        handlers = self.chain.handlers()
        results = []
        for target, _allow, calldata in calls:
            entry = handlers.get((to_checksum_address(target), bytes(calldata[:4])))
            if entry is None:
                results.append((False, b""))
                continue
            f, answer = entry
            args = [to_checksum_address(a) if isinstance(a, str) else a
                    for a in decode(list(f.input_types), bytes(calldata[4:]))]  # fmt: skip
            try:
                out = answer(*args)
            except RuntimeError:
                results.append((False, b""))
                continue
            results.append((True, encode(list(f.output_types), list(out))))
        return encode(list(agg.output_types), [results])


class FakeRpc:
    chain_id = 56

    def __init__(self, chain: FakeVenus) -> None:
        self.requests: list[Any] = []
        self.w3 = type("W3", (), {"eth": FakeEth(chain, self.requests)})()

    @property
    def request_count(self) -> int:
        return len(self.requests)

    def check_chain_ids(self) -> None:
        pass

    def call(self, what: str, run: Callable[[Any], Any]) -> Any:
        return run(self.w3)


BNB = FakeMarket(addr(0x10), "vBNB", None, "BNB", 18, 600 * EXP, 8 * 10**17, 75 * 10**16)
USDT = FakeMarket(addr(0x20), "vUSDT", addr(0x21), "USDT", 18, EXP, 9 * 10**17, 8 * 10**17)
BTC = FakeMarket(addr(0x30), "vBTC", addr(0x31), "BTCB", 18, 60_000 * EXP, 8 * 10**17,
                 7 * 10**17, 11 * 10**17)  # fmt: skip


def chain() -> FakeVenus:
    return FakeVenus(
        markets=[BNB, USDT, BTC],
        balances={
            (USER, BNB.v_token): (50 * 10**8, 0, 2 * 10**26),  # 1 BNB
            (USER, USDT.v_token): (0, 400 * EXP, 10**28),
            (USER, BTC.v_token): (5 * 10**8, 0, 2 * 10**26),  # 0.1 BTCB, not entered
        },
        entered={USER: [BNB.v_token, USDT.v_token]},
        vai={USER: 30 * EXP},
    )


def started(fake: FakeVenus) -> tuple[VenusCoreReader, FakeRpc]:
    rpc = FakeRpc(fake)
    reader = VenusCoreReader(rpc, COMPTROLLER, 56)  # type: ignore[arg-type]
    reader.start()
    return reader, rpc


def test_start_resolves_markets_and_names_vbnb_native_bnb() -> None:
    reader, _ = started(chain())
    info = reader.info
    assert info.protocol == "venus-core"
    assert (info.pool, info.oracle, info.data_provider) == (COMPTROLLER, ORACLE, LENS)
    assert [(r.symbol, r.asset, r.a_token) for r in info.reserves] == [
        ("BNB", vp.NATIVE_ADDRESS, BNB.v_token),
        ("USDT", USDT.underlying, USDT.v_token),
        ("BTCB", BTC.underlying, BTC.v_token),
    ]
    assert reader.venus.vai_token == VAI_TOKEN


def test_snapshot_is_one_pinned_request_and_matches_the_model() -> None:
    fake = chain()
    fake.chain_liquidity[USER] = (0, 50 * EXP, 0)  # 480 - 400 - 30
    reader, rpc = started(fake)
    before = rpc.request_count
    snap = reader.snapshot(USER, now=fake.timestamp + 3, block=fake.block)
    assert rpc.request_count - before == 1
    assert rpc.requests[-1] == fake.block
    by_symbol = {a.symbol: a for a in snap.assets}
    assert set(by_symbol) == {"BNB", "USDT", "BTCB", "VAI"}
    bnb = by_symbol["BNB"]
    assert (bnb.collateral, bnb.price_usd, bnb.liquidation_threshold) == (D(1), D(600), D("0.8"))
    assert (bnb.ltv, bnb.liquidation_bonus, bnb.collateral_enabled) == (D("0.75"), D("0.1"), True)
    assert by_symbol["BTCB"].collateral == D("0.1")
    assert not by_symbol["BTCB"].collateral_enabled  # supplied but not entered: not collateral
    assert by_symbol["VAI"].debt == D(30)
    assert account_liquidity(snap) == (50 * EXP, 0)
    assert exact_health_factor(snap) == (D(480) / D(430)).quantize(D("1e-18"), ROUND_FLOOR)
    assert liquidation_price(snap, "BNB") == D(430) / D("0.8")
    assert snap.stale_reason is None


def test_a_model_chain_mismatch_is_logged(caplog: pytest.LogCaptureFixture) -> None:
    fake = chain()
    fake.chain_liquidity[USER] = (0, 49 * EXP, 0)
    reader, _ = started(fake)
    with caplog.at_level(logging.ERROR):
        reader.snapshot(USER, now=fake.timestamp)
    assert "disagrees with getAccountLiquidity" in caplog.text


def test_a_market_listed_after_start_is_learnt_before_the_snapshot() -> None:
    fake = chain()
    reader, _ = started(fake)
    eth = FakeMarket(addr(0x40), "vETH", addr(0x41), "ETH", 18, 3000 * EXP, 8 * 10**17, 7 * 10**17)
    fake.markets.append(eth)
    fake.balances[(USER, eth.v_token)] = (10 * 10**8, 0, 2 * 10**26)
    fake.entered[USER].append(eth.v_token)
    snap = reader.snapshot(USER, now=fake.timestamp)
    assert {a.symbol for a in snap.assets} >= {"ETH"}
    assert [r.symbol for r in reader.info.reserves][-1] == "ETH"


def test_no_price_for_a_counted_market_is_an_error_naming_it() -> None:
    fake = chain()
    reader, _ = started(fake)
    fake.broken_prices.add(USDT.v_token)
    with pytest.raises(ChainError, match="no price for USDT"):
        reader.snapshot(USER, now=fake.timestamp)
    other = reader.snapshot(OTHER, now=fake.timestamp)  # a market it does not touch: fine
    assert other.assets == ()


def test_stale_block_is_flagged() -> None:
    fake = chain()
    reader, _ = started(fake)
    snap = reader.snapshot(USER, now=fake.timestamp + 61)
    assert snap.stale_reason is not None
    assert "61s old" in snap.stale_reason


def test_account_data_batch_agrees_with_snapshots() -> None:
    fake = chain()
    fake.balances[(OTHER, USDT.v_token)] = (1000 * 10**8, 0, 10**28)  # 1000 USDT supplied
    fake.entered[OTHER] = [USDT.v_token]
    reader, rpc = started(fake)
    before = rpc.request_count
    data = reader.account_data_batch([USER, OTHER, addr(0xDEAD)])
    assert rpc.request_count - before == 1
    user = data[USER]
    assert user.health_factor == exact_health_factor(reader.snapshot(USER, now=fake.timestamp))
    assert user.total_collateral_usd == D(600)  # BTCB is not entered
    assert user.total_debt_usd == D(430)
    assert user.liquidation_threshold == D("0.8")
    assert user.ltv == D("0.75")
    assert user.available_borrows_usd == D(20)  # 450 - 430, at spot prices
    assert data[OTHER].health_factor == D("Infinity")
    assert data[OTHER].total_collateral_usd == D(1000)
    assert data[addr(0xDEAD)].total_collateral_usd == 0
