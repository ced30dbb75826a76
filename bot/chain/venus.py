"""Venus core pool reader: start-up resolution, one ``eth_call`` per snapshot, batched health.

What it reads, and why those values: the comptroller's liquidation check
(``getAccountLiquidity``, ``liquidateBorrowAllowed``) iterates ``getAssetsIn(account)`` and, per
market, takes ``vToken.getAccountSnapshot(account)`` (vToken balance, ``borrowBalanceStored``,
``exchangeRateStored``), the spot price ``oracle.getUnderlyingPrice(vToken)`` and the account's
effective liquidation threshold ``getEffectiveLtvFactor(account, vToken, 1)`` (its e-mode pool's
value when it has one), then adds ``vaiController.getVAIRepayAmount(account)``. A snapshot reads
exactly those, for every listed market, in one Multicall3 ``aggregate3`` pinned to one block, so
``bot.core.venus_math`` reproduces ``getAccountLiquidity`` to the unit (the snapshot carries
the chain's own answer too, and a mismatch is logged).

Interest: views do not accrue. ``borrowBalanceStored`` and ``exchangeRateStored`` are as of
each market's last accrual (``accrualBlockNumber``, usually a few blocks ago on BNB Chain), and
that is what the comptroller's view computes with, so the snapshot uses them unchanged and its
HF equals the chain's view. A liquidation accrues the markets it touches first, so in its
block the debt is slightly higher than read; the guard's ``target_buffer_hf`` covers that
drift for repay sizing, as it covers the blocks between a snapshot and a repay on Aave.

vBNB has no underlying token: its market is listed as symbol ``BNB`` (not WBNB), 18 decimals,
address ``NATIVE_ADDRESS``. VAI debt, when the account has any, is an asset ``VAI`` at 1 USD.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from eth_utils.address import to_checksum_address
from web3.types import BlockIdentifier

from bot.chain import venus_position as vp
from bot.chain.batch import aggregate, need
from bot.chain.freshness import BlockGuard, EncodedRequests
from bot.chain.multicall import MULTICALL3_ADDRESS, Call, fn
from bot.chain.protocol import AccountData, ReaderInfo, ReserveInfo
from bot.chain.rpc import ChainError, RpcPool
from bot.core.model import AssetPosition, PositionSnapshot
from bot.core.venus_math import account_liquidity

log = logging.getLogger(__name__)
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"
USD_WAD = 10**18  # liquidity and shortfall are USD x 1e18

MC_BLOCK = fn("Multicall3", "getBlockNumber")
MC_TIME = fn("Multicall3", "getCurrentBlockTimestamp")
ALL_MARKETS = fn("VenusComptroller", "getAllMarkets")
ORACLE = fn("VenusComptroller", "oracle")
VAI_CONTROLLER = fn("VenusComptroller", "vaiController")
LENS = fn("VenusComptroller", "comptrollerLens")
MARKETS = fn("VenusComptroller", "markets")
ASSETS_IN = fn("VenusComptroller", "getAssetsIn")
LIQUIDITY = fn("VenusComptroller", "getAccountLiquidity")
LTV_FACTOR = fn("VenusComptroller", "getEffectiveLtvFactor")
INCENTIVE = fn("VenusComptroller", "getEffectiveLiquidationIncentive")
ACCOUNT_SNAPSHOT = fn("VToken", "getAccountSnapshot")
UNDERLYING = fn("VToken", "underlying")
V_SYMBOL = fn("VToken", "symbol")
PRICE = fn("VenusOracle", "getUnderlyingPrice")
VAI_REPAY = fn("VAIController", "getVAIRepayAmount")
VAI_ADDRESS = fn("VAIController", "getVAIAddress")
SYMBOL = fn("ERC20", "symbol")
DECIMALS = fn("ERC20", "decimals")


@dataclass(frozen=True, slots=True, kw_only=True)
class VenusInfo:
    """What ``start()`` learned beyond ``ReaderInfo``: the markets and the VAI controller."""

    reader: ReaderInfo
    markets: tuple[vp.MarketInfo, ...]
    vai_controller: str | None  # None when the comptroller has none (no VAI debt to add)
    vai_token: str | None


class VenusCoreReader:
    """``reader.start()`` once, then ``reader.snapshot(wallet, now=...)`` per cycle.

    ``ReaderInfo`` fields for Venus: ``addresses_provider`` and ``pool`` are the comptroller
    (Unitroller), ``oracle`` is ``comptroller.oracle()`` (ResilientOracle), ``data_provider``
    the ComptrollerLens, ``pool_revision`` 0 (an Aave notion), ``base_currency_unit`` 1e18
    (liquidity is USD x 1e18); each ``ReserveInfo`` is a market: ``asset`` the underlying
    (``NATIVE_ADDRESS`` for vBNB), ``a_token`` and ``variable_debt_token`` both the vToken,
    ``reserve_id`` its index in ``getAllMarkets``.
    """

    protocol = "venus-core"

    def __init__(
        self,
        rpc: RpcPool,
        comptroller: str,
        chain_id: int,
        *,
        max_block_age_secs: int = 60,
        batch_gas_budget: int = 25_000_000,
        gas_per_market: int = 60_000,
    ) -> None:
        if rpc.chain_id != chain_id:
            raise ValueError(f"RpcPool is for chain {rpc.chain_id}, reader for chain {chain_id}")
        self.rpc = rpc
        self.chain_id = chain_id
        self.comptroller = to_checksum_address(comptroller)
        self._batch_gas_budget = batch_gas_budget
        self._gas_per_market = gas_per_market
        self._venus: VenusInfo | None = None
        self._fresh = BlockGuard(max_block_age_secs)
        self._requests = EncodedRequests()

    @property
    def venus(self) -> VenusInfo:
        if self._venus is None:
            raise ChainError("VenusCoreReader.start() was not called")
        return self._venus

    @property
    def info(self) -> ReaderInfo:
        return self.venus.reader

    # --- start-up --------------------------------------------------------------------------
    def start(self) -> ReaderInfo:
        """Check chain ids; read the comptroller's markets, oracle, lens and VAI controller;
        resolve each market's underlying (vBNB: native BNB), symbol and decimals."""
        self.rpc.check_chain_ids()
        c = self.comptroller
        got = aggregate(
            self.rpc,
            [Call(c, ALL_MARKETS), Call(c, ORACLE), Call(c, VAI_CONTROLLER), Call(c, LENS),
             Call(MULTICALL3_ADDRESS, MC_BLOCK)],
            what="resolve comptroller",
        )  # fmt: skip
        v_tokens = [to_checksum_address(v) for v in need(got[0], f"getAllMarkets at {c}")[0]]
        oracle = to_checksum_address(need(got[1], f"comptroller {c}: oracle()")[0])
        vai = _address_or_none(got[2])
        lens = _address_or_none(got[3]) or ZERO_ADDRESS
        block = int(need(got[4], "Multicall3.getBlockNumber")[0])
        if not v_tokens:
            raise ChainError(f"comptroller {c} on chain {self.chain_id} lists no markets")
        if oracle == ZERO_ADDRESS:
            raise ChainError(f"comptroller {c} has no oracle set: no price, no health factor")
        markets = self._resolve_markets(v_tokens, block)
        vai_token = None
        if vai is not None:
            got = aggregate(self.rpc, [Call(vai, VAI_ADDRESS)], block, "VAI token")
            vai_token = _address_or_none(got[0]) or vai
        reader = ReaderInfo(
            protocol=self.protocol, chain_id=self.chain_id, addresses_provider=c, pool=c,
            oracle=oracle, data_provider=lens, pool_revision=0, base_currency_unit=USD_WAD,
            reserves=tuple(
                ReserveInfo(symbol=m.symbol, asset=m.underlying, reserve_id=i,
                            a_token=m.v_token, variable_debt_token=m.v_token,
                            stable_debt_token=None)
                for i, m in enumerate(markets)
            ),
            emode_categories=(), block_number=block,
        )  # fmt: skip
        log.info("venus-core comptroller %s: %d markets, oracle %s, VAI controller %s",
                 c, len(markets), oracle, vai)  # fmt: skip
        self._venus = VenusInfo(
            reader=reader, markets=markets, vai_controller=vai, vai_token=vai_token
        )
        return reader

    def _resolve_markets(self, v_tokens: Sequence[str], block: int) -> tuple[vp.MarketInfo, ...]:
        c = self.comptroller
        calls = []
        for v in v_tokens:
            calls += [Call(v, UNDERLYING), Call(v, V_SYMBOL), Call(c, MARKETS, (v,))]
        got = aggregate(self.rpc, calls, block, "markets")
        underlyings: list[str | None] = []
        v_symbols: list[str] = []
        for i, v in enumerate(v_tokens):
            v_symbols.append(str(need(got[3 * i + 1], f"{v}.symbol()")[0]))
            if not need(got[3 * i + 2], f"comptroller.markets({v})")[0]:
                log.warning("market %s (%s) is not listed: read anyway", v, v_symbols[-1])
            # vBNB has no underlying() (the old contract reverts, the new one returns zero).
            underlyings.append(_address_or_none(got[3 * i]))
        tokens = [u for u in underlyings if u is not None]
        got = aggregate(
            self.rpc,
            [Call(t, f) for t in tokens for f in (SYMBOL, DECIMALS)],
            block,
            "underlying tokens",
        )
        details = {
            t: (str(need(got[2 * i], f"{t}.symbol()")[0]),
                int(need(got[2 * i + 1], f"{t}.decimals()")[0]))
            for i, t in enumerate(tokens)
        }  # fmt: skip
        markets: list[vp.MarketInfo] = []
        for v, v_symbol, u in zip(v_tokens, v_symbols, underlyings, strict=True):
            symbol, decimals = (
                details[u] if u is not None else (vp.NATIVE_SYMBOL, vp.NATIVE_DECIMALS)
            )
            if any(m.symbol == symbol for m in markets):
                # Two markets of one symbol (a legacy and a new vToken): the later is named by
                # its vToken so repay sizing and token mappings can tell them apart.
                log.warning("two Venus markets for %s: the one at %s is %s", symbol, v, v_symbol)
                symbol = v_symbol
            markets.append(vp.MarketInfo(
                v_token=v, v_symbol=v_symbol, symbol=symbol,
                underlying=u if u is not None else vp.NATIVE_ADDRESS, decimals=decimals,
            ))  # fmt: skip
        return tuple(markets)

    # --- per cycle -----------------------------------------------------------------------------
    def snapshot(self, wallet: str, *, now: int, block: int | None = None) -> PositionSnapshot:
        """Every value from one block in one ``eth_call`` (at ``block``, default the head)."""
        venus = self.venus
        user = to_checksum_address(wallet)
        calls, layout, data = self._requests.get(
            venus, user, lambda: self._snapshot_calls(venus, user)
        )
        at: BlockIdentifier = "latest" if block is None else block
        out = aggregate(self.rpc, calls, at, "position snapshot", data)
        listed = [to_checksum_address(v) for v in need(out[layout["markets"]], "getAllMarkets")[0]]
        oracle = to_checksum_address(need(out[layout["oracle"]], "comptroller.oracle()")[0])
        if listed != [m.v_token for m in venus.markets] or oracle != venus.reader.oracle:
            # a market listed (or dropped) or the oracle replaced since start-up: learn the
            # comptroller again, then read again, so the snapshot holds what the comptroller counts
            log.warning("the Venus comptroller changed since start-up: re-reading its markets")
            self.start()
            return self.snapshot(wallet, now=now)
        return self._build_snapshot(venus, user, out, layout, now)

    def _snapshot_calls(self, venus: VenusInfo, user: str) -> tuple[list[Call], dict[str, int]]:
        calls = [Call(MULTICALL3_ADDRESS, MC_BLOCK), Call(MULTICALL3_ADDRESS, MC_TIME),
                 Call(self.comptroller, ALL_MARKETS), Call(self.comptroller, ORACLE),
                 Call(self.comptroller, LIQUIDITY, (user,))]  # fmt: skip
        layout = {"block": 0, "time": 1, "markets": 2, "oracle": 3, "liquidity": 4}
        layout.update(self._price_calls(venus, calls))
        layout.update(self._account_calls(venus, user, calls))
        return calls, layout

    def _price_calls(self, venus: VenusInfo, calls: list[Call]) -> dict[str, int]:
        layout = {}
        for m in venus.markets:
            layout[f"{m.v_token}_price"] = len(calls)
            calls.append(Call(venus.reader.oracle, PRICE, (m.v_token,)))
        return layout

    def _account_calls(self, venus: VenusInfo, user: str, calls: list[Call]) -> dict[str, int]:
        """The per-account reads, appended to ``calls``; keys are prefixed by the account."""
        c = self.comptroller
        layout = {f"{user}_assets_in": len(calls)}
        calls.append(Call(c, ASSETS_IN, (user,)))
        if venus.vai_controller is not None:
            layout[f"{user}_vai"] = len(calls)
            calls.append(Call(venus.vai_controller, VAI_REPAY, (user,)))
        for m in venus.markets:
            v = m.v_token
            for key, call in (
                ("snap", Call(v, ACCOUNT_SNAPSHOT, (user,))),
                ("lt", Call(c, LTV_FACTOR, (user, v, vp.WEIGHT_LIQUIDATION_THRESHOLD))),
                ("cf", Call(c, LTV_FACTOR, (user, v, vp.WEIGHT_COLLATERAL_FACTOR))),
                ("li", Call(c, INCENTIVE, (user, v))),
            ):
                layout[f"{user}_{v}_{key}"] = len(calls)
                calls.append(call)
        return layout

    def _reads(
        self, user: str, m: vp.MarketInfo, out: list[Any], layout: dict[str, int], entered: bool
    ) -> vp.MarketReads | None:
        """The market's reads for ``user``; None when the account has nothing to do with it
        (then a failed threshold or price read of that market does not matter)."""

        def get(key: str, what: str) -> tuple[Any, ...]:
            return need(out[layout[f"{user}_{m.v_token}_{key}"]], f"{what} of {m.v_symbol}")

        err, v_balance, borrow, rate = (int(x) for x in get("snap", "getAccountSnapshot"))
        if err:
            raise ChainError(f"{m.v_symbol}.getAccountSnapshot({user}) returned error {err}")
        if not (entered or v_balance or borrow):
            return None
        price = out[layout[f"{m.v_token}_price"]]
        if price is None or int(price[0]) <= 0:
            raise ChainError(
                f"the Venus oracle on chain {self.chain_id} has no price for {m.symbol} "
                f"({m.v_token}): its sources fail or disagree; the liquidity cannot be "
                "computed, nothing is decided on it"
            )
        return vp.MarketReads(
            v_balance=v_balance, borrow=borrow, exchange_rate=rate, price=int(price[0]),
            liquidation_threshold=int(get("lt", "getEffectiveLtvFactor(LT)")[0]),
            collateral_factor=int(get("cf", "getEffectiveLtvFactor(CF)")[0]),
            liquidation_incentive=int(get("li", "getEffectiveLiquidationIncentive")[0]),
            entered=entered,
        )  # fmt: skip

    def _account_assets(
        self, venus: VenusInfo, user: str, out: list[Any], layout: dict[str, int]
    ) -> list[AssetPosition]:
        entered = {to_checksum_address(a) for a in need(out[layout[f"{user}_assets_in"]],
                                                        f"getAssetsIn({user})")[0]}  # fmt: skip
        assets = []
        for m in venus.markets:
            reads = self._reads(user, m, out, layout, m.v_token in entered)
            if reads is not None:
                assets.append(vp.asset_position(m, reads))
        if venus.vai_controller is not None and venus.vai_token is not None:
            repay = int(need(out[layout[f"{user}_vai"]], f"getVAIRepayAmount({user})")[0])
            if repay:
                assets.append(vp.vai_position(venus.vai_token, repay))
        return assets

    def _build_snapshot(
        self, venus: VenusInfo, user: str, out: list[Any], layout: dict[str, int], now: int
    ) -> PositionSnapshot:
        block = int(need(out[layout["block"]], "Multicall3.getBlockNumber")[0])
        ts = int(need(out[layout["time"]], "Multicall3.getCurrentBlockTimestamp")[0])
        reason = self._fresh.check(
            block=block, timestamp=ts, now=now, wallet=user, chain_id=self.chain_id
        )
        snapshot = PositionSnapshot(
            protocol=self.protocol, chain_id=self.chain_id, wallet=user, block_number=block,
            block_timestamp=ts, assets=tuple(self._account_assets(venus, user, out, layout)),
            stale_reason=reason,
        )  # fmt: skip
        self._cross_check(snapshot, out[layout["liquidity"]])
        return snapshot

    @staticmethod
    def _cross_check(snapshot: PositionSnapshot, chain: tuple[Any, ...] | None) -> None:
        # The chain's own getAccountLiquidity from the same call: a mismatch means the model
        # and the deployed comptroller differ (an upgrade), which the exact HF must not hide.
        if chain is None or int(chain[0]) != 0:
            log.warning("getAccountLiquidity(%s) failed at block %d: %s",
                        snapshot.wallet, snapshot.block_number, chain)  # fmt: skip
            return
        ours = account_liquidity(snapshot)
        theirs = (int(chain[1]), int(chain[2]))
        if ours != theirs:
            log.error("Venus model disagrees with getAccountLiquidity(%s) at block %d: "
                      "(liquidity, shortfall) model %s, chain %s",
                      snapshot.wallet, snapshot.block_number, ours, theirs)  # fmt: skip

    # --- many wallets ------------------------------------------------------------------------
    def account_data_batch(
        self, wallets: Sequence[str], *, block: int | None = None
    ) -> dict[str, AccountData]:
        """Health of every wallet at one block, from the same reads as a snapshot, in
        gas-bounded aggregate3 calls; the first call learns the head, the others are pinned."""
        venus = self.venus
        users = [to_checksum_address(w) for w in wallets]
        per_wallet_gas = self._gas_per_market * (4 * len(venus.markets) + 2)
        per_call = max(1, self._batch_gas_budget // per_wallet_gas)
        result: dict[str, AccountData] = {}
        pinned: int | None = block
        for start in range(0, len(users), per_call):
            chunk = users[start : start + per_call]
            calls = [Call(MULTICALL3_ADDRESS, MC_BLOCK), Call(MULTICALL3_ADDRESS, MC_TIME)]
            layout = {"block": 0, "time": 1, **self._price_calls(venus, calls)}
            for user in chunk:
                layout.update(self._account_calls(venus, user, calls))
            out = aggregate(self.rpc, calls, "latest" if pinned is None else pinned, "batch")
            pinned = int(need(out[0], "Multicall3.getBlockNumber")[0])
            ts = int(need(out[1], "Multicall3.getCurrentBlockTimestamp")[0])
            for user in chunk:
                snapshot = PositionSnapshot(
                    protocol=self.protocol, chain_id=self.chain_id, wallet=user,
                    block_number=pinned, block_timestamp=ts,
                    assets=tuple(self._account_assets(venus, user, out, layout)),
                )  # fmt: skip
                result[user] = vp.account_data(snapshot)
        return result


def _address_or_none(value: tuple[Any, ...] | None) -> str | None:
    if value is None:
        return None
    address = to_checksum_address(value[0])
    return None if address == ZERO_ADDRESS else address
