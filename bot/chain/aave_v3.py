"""Aave v3 position reader: start-up checks, one ``eth_call`` per snapshot, batched health reads."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from eth_utils.address import to_checksum_address
from web3.types import BlockIdentifier

from bot.chain import aave_position as ap
from bot.chain.batch import aggregate, need
from bot.chain.freshness import BlockGuard, EncodedRequests
from bot.chain.multicall import MULTICALL3_ADDRESS, Call, fn
from bot.chain.protocol import AccountData, ReaderInfo, ReserveInfo
from bot.chain.rpc import ChainError, RpcPool
from bot.core.model import PositionSnapshot

log = logging.getLogger(__name__)
EXPECTED_BASE_CURRENCY_UNIT = 10**8
MAX_EMODE_ID = 255
ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"

MC_BLOCK = fn("Multicall3", "getBlockNumber")
MC_TIME = fn("Multicall3", "getCurrentBlockTimestamp")
ACCOUNT_DATA = fn("Pool", "getUserAccountData")
USER_CONFIG = fn("Pool", "getUserConfiguration")
USER_EMODE = fn("Pool", "getUserEMode")
RESERVE_CONFIG = fn("Pool", "getConfiguration")
EMODE_LEGACY = fn("Pool", "getEModeCategoryData")
EMODE_CONFIG = fn("PoolV32", "getEModeCategoryCollateralConfig")
EMODE_BITMAP = fn("PoolV32", "getEModeCategoryCollateralBitmap")
BALANCE_OF = fn("ERC20", "balanceOf")
PRICES = fn("AaveOracle", "getAssetsPrices")
RESERVES_LIST = fn("Pool", "getReservesList")


class AaveV3Reader:
    """``reader.start()`` once, then ``reader.snapshot(wallet, now=...)`` per cycle."""

    protocol = "aave-v3"

    def __init__(
        self,
        rpc: RpcPool,
        addresses_provider: str,
        chain_id: int,
        *,
        max_block_age_secs: int = 60,
        batch_gas_budget: int = 25_000_000,
        gas_per_account: int = 120_000,
    ) -> None:
        if rpc.chain_id != chain_id:
            raise ValueError(f"RpcPool is for chain {rpc.chain_id}, reader for chain {chain_id}")
        self.rpc = rpc
        self.chain_id = chain_id
        self.addresses_provider = to_checksum_address(addresses_provider)
        self._batch_gas_budget = batch_gas_budget
        self._gas_per_account = gas_per_account
        self._info: ReaderInfo | None = None
        self._fresh = BlockGuard(max_block_age_secs)
        self._requests = EncodedRequests()

    @property
    def info(self) -> ReaderInfo:
        if self._info is None:
            raise ChainError("AaveV3Reader.start() was not called")
        return self._info

    # --- one aggregate3 eth_call ---------------------------------------------------------------
    def _aggregate(
        self,
        calls: Sequence[Call],
        block: BlockIdentifier = "latest",
        what: str = "aggregate3",
        data: bytes | None = None,
    ) -> list[tuple[Any, ...] | None]:
        return aggregate(self.rpc, calls, block, what, data)

    @staticmethod
    def _need(value: tuple[Any, ...] | None, what: str) -> tuple[Any, ...]:
        return need(value, what)

    # --- start-up --------------------------------------------------------------------------
    def start(self) -> ReaderInfo:
        """Check chain ids, resolve the market from the addresses provider, read POOL_REVISION
        and BASE_CURRENCY_UNIT (must be 1e8), list reserves and eMode categories."""
        self.rpc.check_chain_ids()
        prov = self.addresses_provider
        got = self._aggregate(
            [Call(prov, fn("PoolAddressesProvider", n)) for n in
             ("getPool", "getPriceOracle", "getPoolDataProvider")],
            what="resolve addresses provider",
        )  # fmt: skip
        pool, oracle, dp = (
            to_checksum_address(self._need(g, f"PoolAddressesProvider {prov}")[0]) for g in got
        )
        got = self._aggregate(
            [Call(pool, fn("Pool", "POOL_REVISION")),
             Call(oracle, fn("AaveOracle", "BASE_CURRENCY_UNIT")),
             Call(pool, fn("Pool", "getReservesList")),
             Call(dp, fn("AaveProtocolDataProvider", "getAllReservesTokens")),
             Call(MULTICALL3_ADDRESS, MC_BLOCK)],
            what="market info",
        )  # fmt: skip
        revision = int(self._need(got[0], f"Pool.POOL_REVISION at {pool}")[0])
        unit = int(self._need(got[1], f"AaveOracle.BASE_CURRENCY_UNIT at {oracle}")[0])
        assets = [to_checksum_address(a) for a in self._need(got[2], "Pool.getReservesList")[0]]
        symbols = {to_checksum_address(a): s for s, a in self._need(got[3], "reserve tokens")[0]}
        block = int(self._need(got[4], "Multicall3.getBlockNumber")[0])
        log.info("aave-v3 pool %s POOL_REVISION=%d BASE_CURRENCY_UNIT=%d", pool, revision, unit)
        if unit != EXPECTED_BASE_CURRENCY_UNIT:
            raise ChainError(
                f"AaveOracle {oracle}: BASE_CURRENCY_UNIT is {unit}, expected 1e8 (USD with 8 "
                "decimals); this market's prices are not USD and the reader refuses it"
            )
        got = self._aggregate(
            [Call(pool, fn("Pool", "getReserveData"), (a,)) for a in assets], block, "reserves"
        )
        reserves = []
        for asset, data in zip(assets, got, strict=True):
            rd = self._need(data, f"Pool.getReserveData({asset})")[0]
            stable = to_checksum_address(rd[9])
            has_stable = revision < ap.LIQUID_EMODE_REVISION and stable != ZERO_ADDRESS
            reserves.append(ReserveInfo(
                symbol=symbols.get(asset, asset), asset=asset, reserve_id=int(rd[7]),
                a_token=to_checksum_address(rd[8]), variable_debt_token=to_checksum_address(rd[10]),
                stable_debt_token=stable if has_stable else None))  # fmt: skip
        self._info = ReaderInfo(
            protocol=self.protocol, chain_id=self.chain_id, addresses_provider=prov, pool=pool,
            oracle=oracle, data_provider=dp, pool_revision=revision, base_currency_unit=unit,
            reserves=tuple(reserves), emode_categories=(), block_number=block,
        )  # fmt: skip
        self._info = self._with_emode_categories(self._info, block)
        return self._info

    def _with_emode_categories(self, info: ReaderInfo, block: BlockIdentifier) -> ReaderInfo:
        liquid = info.pool_revision >= ap.LIQUID_EMODE_REVISION
        probe = EMODE_CONFIG if liquid else EMODE_LEGACY
        ids = range(1, MAX_EMODE_ID + 1)
        got = self._aggregate([Call(info.pool, probe, (i,)) for i in ids], block, "eMode list")
        # an unset category has liquidation threshold 0
        found = tuple(i for i, g in zip(ids, got, strict=True) if g is not None and g[0][1] != 0)
        return ReaderInfo(**{**_fields(info), "emode_categories": found})

    # --- per cycle -----------------------------------------------------------------------------
    def snapshot(self, wallet: str, *, now: int, block: int | None = None) -> PositionSnapshot:
        """Every value from one block in one ``eth_call`` (at ``block``, default the head)."""
        info = self.info
        user = to_checksum_address(wallet)
        calls, layout, data = self._requests.get(
            info, user, lambda: self._snapshot_calls(info, user)
        )
        at: BlockIdentifier = "latest" if block is None else block
        out = self._aggregate(calls, at, "position snapshot", data)
        if out[layout["prices"]] is None:
            raise ChainError(self._missing_prices(info, at))
        values = {name: self._need(out[i], f"{name} for {user}") for name, i in layout.items()}
        if len(values["reserves"][0]) != len(info.reserves):
            # a reserve listed (or dropped) since start-up: learn the market again, then read
            # again, so the snapshot holds every reserve the pool counts in the HF
            log.warning("the pool lists %d reserves, %d known: re-reading the market",
                        len(values["reserves"][0]), len(info.reserves))  # fmt: skip
            self.start()  # it reads the head: so does the second snapshot
            return self.snapshot(wallet, now=now)
        user_emode = int(values["emode"][0])
        if user_emode and user_emode not in info.emode_categories:
            # a category created after start-up: learn it, then read again (rare, two calls)
            self._info = self._with_emode_categories(info, int(values["block"][0]))
            return self.snapshot(wallet, now=now, block=int(values["block"][0]))
        return self._build_snapshot(info, user, values, user_emode, now)

    def _missing_prices(self, info: ReaderInfo, block: BlockIdentifier) -> str:
        """Which reserve the oracle cannot price (a source answering 0 or reverting, and no
        fallback oracle): asked one asset at a time, only once the batch has failed."""
        price = fn("AaveOracle", "getAssetPrice")
        got = self._aggregate(
            [Call(info.oracle, price, (r.asset,)) for r in info.reserves], block, "prices"
        )
        bad = [f"{r.symbol} ({r.asset})" for r, g in zip(info.reserves, got, strict=True)
               if g is None or int(g[0]) <= 0]  # fmt: skip
        return (
            f"AaveOracle {info.oracle} on chain {self.chain_id} has no price for "
            f"{', '.join(bad) or 'one of the reserves'}: its source answers 0 or fails and no "
            "fallback oracle answers; the HF cannot be computed, nothing is decided on it"
        )

    def _snapshot_calls(self, info: ReaderInfo, user: str) -> tuple[list[Call], dict[str, int]]:
        mc = MULTICALL3_ADDRESS
        calls = [Call(mc, MC_BLOCK), Call(mc, MC_TIME), Call(info.pool, ACCOUNT_DATA, (user,)),
                 Call(info.pool, USER_CONFIG, (user,)), Call(info.pool, USER_EMODE, (user,)),
                 Call(info.oracle, PRICES, ([r.asset for r in info.reserves],)),
                 Call(info.pool, RESERVES_LIST)]  # fmt: skip
        layout = {"block": 0, "time": 1, "account": 2, "user_config": 3, "emode": 4, "prices": 5,
                  "reserves": 6}  # fmt: skip
        liquid = info.pool_revision >= ap.LIQUID_EMODE_REVISION
        for cat in info.emode_categories:
            layout[f"emode{cat}"] = len(calls)
            calls.append(Call(info.pool, EMODE_CONFIG if liquid else EMODE_LEGACY, (cat,)))
            if liquid:
                layout[f"emode{cat}_bitmap"] = len(calls)
                calls.append(Call(info.pool, EMODE_BITMAP, (cat,)))
        for r in info.reserves:
            layout[f"{r.asset}_config"] = len(calls)
            calls.append(Call(info.pool, RESERVE_CONFIG, (r.asset,)))
            layout[f"{r.asset}_a"] = len(calls)
            calls.append(Call(r.a_token, BALANCE_OF, (user,)))
            layout[f"{r.asset}_v"] = len(calls)
            calls.append(Call(r.variable_debt_token, BALANCE_OF, (user,)))
            if r.stable_debt_token is not None:
                layout[f"{r.asset}_s"] = len(calls)
                calls.append(Call(r.stable_debt_token, BALANCE_OF, (user,)))
        return calls, layout

    def _emode(
        self, info: ReaderInfo, values: dict[str, tuple[Any, ...]], cat: int
    ) -> tuple[ap.EModeCategory | None, str | None]:
        if not cat:
            return None, None
        raw = values[f"emode{cat}"][0]
        if info.pool_revision >= ap.LIQUID_EMODE_REVISION:
            bitmap = int(values[f"emode{cat}_bitmap"][0])
            return ap.EModeCategory(category_id=cat, ltv_bps=int(raw[0]),
                                    liquidation_threshold_bps=int(raw[1]),
                                    liquidation_bonus_bps=int(raw[2]),
                                    collateral_bitmap=bitmap), None  # fmt: skip
        source = to_checksum_address(raw[3])
        source_or_none = None if source == ZERO_ADDRESS else source
        return ap.EModeCategory(category_id=cat, ltv_bps=int(raw[0]),
                                liquidation_threshold_bps=int(raw[1]),
                                liquidation_bonus_bps=int(raw[2]),
                                price_source=source_or_none), source_or_none  # fmt: skip

    def _build_snapshot(
        self, info: ReaderInfo, user: str, values: dict[str, tuple[Any, ...]], cat: int, now: int
    ) -> PositionSnapshot:
        block, ts = int(values["block"][0]), int(values["time"][0])
        user_config = int(values["user_config"][0][0])
        prices = dict(zip((r.asset for r in info.reserves), values["prices"][0], strict=True))
        emode, price_source = self._emode(info, values, cat)
        emode_price = None
        if price_source is not None:
            emode_price = self._emode_source_price(info, price_source, block)
        assets = []
        for r in info.reserves:
            a_bal = int(values[f"{r.asset}_a"][0])
            v_debt = int(values[f"{r.asset}_v"][0])
            s_debt = int(values[f"{r.asset}_s"][0]) if r.stable_debt_token else 0
            if not ap.touches(user_config, r.reserve_id, a_bal, v_debt + s_debt):
                continue
            config = ap.ReserveConfig.from_bitmap(int(values[f"{r.asset}_config"][0][0]))
            assets.append(ap.asset_position(
                symbol=r.symbol, asset=r.asset, reserve_id=r.reserve_id, config=config,
                user_config=user_config, a_balance=a_bal, variable_debt=v_debt,
                stable_debt=s_debt, oracle_price=int(prices[r.asset]),
                base_currency_unit=info.base_currency_unit, emode=emode, emode_price=emode_price,
            ))  # fmt: skip
        reason = self._fresh.check(
            block=block, timestamp=ts, now=now, wallet=user, chain_id=self.chain_id
        )
        return PositionSnapshot(
            protocol=self.protocol, chain_id=self.chain_id, wallet=user, block_number=block,
            block_timestamp=ts, assets=tuple(assets), emode_category=cat,
            reported_health_factor_wad=int(values["account"][5]), stale_reason=reason,
            pool_revision=info.pool_revision,
        )  # fmt: skip

    def _emode_source_price(self, info: ReaderInfo, source: str, block: int) -> int:
        # v3.0/3.1 categories with their own price source (none on BNB/Ethereum): second call
        got = self._aggregate([Call(info.oracle, fn("AaveOracle", "getAssetPrice"), (source,))],
                              block, "eMode price source")  # fmt: skip
        return int(self._need(got[0], f"AaveOracle.getAssetPrice({source})")[0])

    # --- many wallets ------------------------------------------------------------------------
    def account_data_batch(
        self, wallets: Sequence[str], *, block: int | None = None
    ) -> dict[str, AccountData]:
        """``getUserAccountData`` for every wallet at one block, in gas-bounded aggregate3
        calls; the first call learns the head, the others are pinned to it."""
        info = self.info
        users = [to_checksum_address(w) for w in wallets]
        per_call = max(1, self._batch_gas_budget // self._gas_per_account)
        result: dict[str, AccountData] = {}
        pending = [users[i : i + per_call] for i in range(0, len(users), per_call)]
        pinned: int | None = block
        while pending:
            chunk = pending.pop(0)
            calls = [Call(info.pool, ACCOUNT_DATA, (u,)) for u in chunk]
            if pinned is None:
                calls.append(Call(MULTICALL3_ADDRESS, MC_BLOCK))
            try:
                out = self._aggregate(calls, "latest" if pinned is None else pinned, "batch")
            except ChainError as e:
                if len(chunk) == 1 or "gas" not in str(e).lower():
                    raise
                out = None  # the node refused the gas: split below
            if out is not None and pinned is None:
                pinned = int(self._need(out.pop(), "Multicall3.getBlockNumber")[0])
            if out is None or (len(chunk) > 1 and any(row is None for row in out)):
                half = len(chunk) // 2  # a sub-call ran out of gas: smaller calls
                pending[:0] = [chunk[:half], chunk[half:]]
                continue
            for user, row in zip(chunk, out, strict=True):
                raw = self._need(row, f"Pool.getUserAccountData({user})")
                result[user] = ap.account_data(user, pinned or 0, raw, info.base_currency_unit)
        return result


def _fields(info: ReaderInfo) -> dict[str, Any]:
    return {k: getattr(info, k) for k in info.__slots__}
