"""The reader's contract: one eth_call per snapshot, failover, chain-id check, stale guard."""

from __future__ import annotations

import logging
from decimal import Decimal

import pytest

from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.rpc import ChainError, ChainIdMismatch, RpcPool, RpcUnavailable
from bot.core.health import exact_health_factor_wad
from bot.core.repay import ReserveBalance, decide
from bot.core.repay_params import ProtectParams
from bot.devnet.aave import ReserveSpec
from bot.devnet.anvil import free_port
from bot.devnet.cache import start_devnet
from bot.devnet.devnet import Devnet

pytestmark = pytest.mark.chain
D = Decimal


def reader_for(devnet: Devnet, urls: list[str], **kwargs: int) -> AaveV3Reader:
    rpc = RpcPool(urls, devnet.chain_id, timeout_secs=3, backoff_secs=0.01)
    return AaveV3Reader(rpc, devnet.deployment.addresses_provider, devnet.chain_id, **kwargs)


def test_start_reads_revision_and_base_unit(
    devnet: Devnet, caplog: pytest.LogCaptureFixture
) -> None:
    reader = reader_for(devnet, [devnet.rpc_url])
    with caplog.at_level(logging.INFO, logger="bot.chain.aave_v3"):
        info = reader.start()
    assert "POOL_REVISION=1 BASE_CURRENCY_UNIT=100000000" in caplog.text
    assert info.pool == devnet.deployment.pool
    assert info.oracle == devnet.deployment.oracle
    assert [r.symbol for r in info.reserves] == ["WBTC", "WETH", "WBNB", "USDC", "USDT"]
    assert all(r.stable_debt_token for r in info.reserves)  # v3.0 line: stable debt tokens
    assert info.emode_categories == (1,)


def test_one_eth_call_per_snapshot(devnet: Devnet, aave_reader: AaveV3Reader) -> None:
    wallet = devnet.account(12)
    devnet.open_position(
        wallet, collateral={"WBTC": D(1), "WETH": D(5)}, debt={"USDC": D(20000), "USDT": D(5)}
    )
    _, now = devnet.latest_block()
    for _ in range(3):
        before = aave_reader.rpc.request_count
        snap = aave_reader.snapshot(wallet, now=now)
        assert aave_reader.rpc.request_count - before == 1
        assert len(snap.assets) == 4
    # every value from one block: the block number and timestamp are those of the chain head
    assert (snap.block_number, snap.block_timestamp) == devnet.latest_block()


def test_failover_from_a_dead_endpoint(devnet: Devnet) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    reader = reader_for(devnet, [dead, devnet.rpc_url])
    reader.start()
    wallet = devnet.account(13)
    devnet.open_position(wallet, collateral={"WETH": D(10)}, debt={"USDC": D(10000)})
    _, now = devnet.latest_block()
    snap = reader.snapshot(wallet, now=now)
    assert snap.reported_health_factor_wad == devnet.account_data(wallet)[5]
    dead_health, live_health = reader.rpc.health()
    assert not dead_health.healthy
    assert "ConnectionError" in dead_health.last_error
    assert live_health.healthy
    assert live_health.requests > 0


def test_the_wallets_web3_fails_over_like_the_reader(devnet: Devnet) -> None:
    """The transaction manager talks to web3 directly: its requests fail over too."""
    dead = f"http://127.0.0.1:{free_port()}"
    pool = RpcPool([dead, devnet.rpc_url], devnet.chain_id, timeout_secs=1.0)
    w3 = pool.web3()
    assert w3.eth.block_number == devnet.latest_block()[0]
    assert w3.eth.get_transaction_count(devnet.account(0), "pending") >= 0
    dead_health, live_health = pool.health()
    assert not dead_health.healthy
    assert live_health.requests >= 3  # chain id check, then the two reads


def test_a_reserve_listed_after_start_up_is_in_the_next_snapshot(devnet: Devnet) -> None:
    """Governance lists a token while the bot runs and someone supplies it for the borrower:
    the next snapshot holds it, in the same one call, and the HF is the chain's own."""
    reader = reader_for(devnet, [devnet.rpc_url])
    reader.start()
    wallet = devnet.account(14)
    devnet.open_position(wallet, collateral={"WETH": D(10)}, debt={"USDC": D(10000)})
    listed = devnet.deployment
    try:
        devnet.list_reserve(
            ReserveSpec(symbol="NEWT", decimals=18, price_usd=D(5), ltv_bps=5000,
                        liquidation_threshold_bps=6000, liquidation_bonus_bps=11000)
        )  # fmt: skip
        devnet.supply_on_behalf(devnet.account(15), wallet, "NEWT", 2_000 * 10**18)
        _, now = devnet.latest_block()
        snap = reader.snapshot(wallet, now=now)
    finally:
        devnet.deployment = listed
    assert "NEWT" in {a.symbol for a in snap.assets}
    assert exact_health_factor_wad(snap) == devnet.account_data(wallet)[5]
    before = reader.rpc.request_count
    reader.snapshot(wallet, now=now)
    assert reader.rpc.request_count - before == 1


def test_a_dead_failover_endpoint_is_said_at_start(
    devnet: Devnet, caplog: pytest.LogCaptureFixture
) -> None:
    dead = f"http://127.0.0.1:{free_port()}"
    with caplog.at_level(logging.WARNING, logger="bot.chain.rpc"):
        reader_for(devnet, [devnet.rpc_url, dead]).start()
    assert f"rpc endpoint {dead} does not answer at start" in caplog.text


def test_an_oracle_price_of_zero_is_named(devnet: Devnet) -> None:
    reader = reader_for(devnet, [devnet.rpc_url])
    reader.start()
    wallet = devnet.account(16)
    devnet.open_position(wallet, collateral={"WETH": D(10)}, debt={"USDC": D(10000)})
    feed = devnet.deployment.token("WBTC").aggregator
    devnet.anvil.rpc("anvil_setStorageAt", feed, "0x0", "0x" + "00" * 32)
    devnet.mine()
    _, now = devnet.latest_block()
    with pytest.raises(ChainError, match=r"no price for WBTC \(0x"):
        reader.snapshot(wallet, now=now)


def test_no_endpoint_answers() -> None:
    rpc = RpcPool([f"http://127.0.0.1:{free_port()}"], 31337, timeout_secs=1, backoff_secs=0.01)
    with pytest.raises(RpcUnavailable, match="no RPC endpoint answered eth_chainId"):
        AaveV3Reader(rpc, "0x" + "11" * 20, 31337).start()


def test_wrong_chain_id_is_refused(devnet: Devnet) -> None:
    rpc = RpcPool([devnet.rpc_url], 56)
    reader = AaveV3Reader(rpc, devnet.deployment.addresses_provider, 56)
    with pytest.raises(ChainIdMismatch) as err:
        reader.start()
    assert "serves chain id 31337, but the config says chain id 56" in str(err.value)


def test_bnb_chain_id_uses_poa_middleware() -> None:
    with start_devnet(chain_id=56) as bnb:
        rpc = RpcPool([bnb.rpc_url], 56)
        reader = AaveV3Reader(rpc, bnb.deployment.addresses_provider, 56)
        assert reader.start().chain_id == 56
        wallet = bnb.account(2)
        bnb.open_position(wallet, collateral={"WBNB": D(100)}, debt={"USDT": D(20000)})
        _, now = bnb.latest_block()
        snap = reader.snapshot(wallet, now=now)
        assert snap.chain_id == 56
        assert snap.reported_health_factor_wad == bnb.account_data(wallet)[5]


def protect_decision_for(reader: AaveV3Reader, devnet: Devnet, wallet: str, now: int) -> object:
    usdc = devnet.deployment.token("USDC")
    reserve = ReserveBalance(symbol="USDC", address=usdc.underlying, decimals=6, balance=D(100_000))
    snap = reader.snapshot(wallet, now=now)
    return snap, decide(snap, params=ProtectParams(), reserves=[reserve], spent_today_usd=D(0))


def test_old_block_is_stale_and_produces_no_order(devnet: Devnet) -> None:
    reader = reader_for(devnet, [devnet.rpc_url], max_block_age_secs=30)
    reader.start()
    wallet = devnet.account(14)
    devnet.open_position(wallet, collateral={"WBTC": D(1)}, debt={"USDC": D(43000)})  # HF 1.09
    _, ts = devnet.latest_block()
    fresh, fresh_decision = protect_decision_for(reader, devnet, wallet, ts + 30)
    assert fresh.stale_reason is None
    assert fresh_decision.action is not None
    stale, stale_decision = protect_decision_for(reader, devnet, wallet, ts + 31)
    assert stale.stale_reason == f"block {stale.block_number} is 31s old (max_block_age_secs=30)"
    assert stale_decision.action is None  # type: ignore[attr-defined]
    assert "stale" in stale_decision.reason  # type: ignore[attr-defined]


def test_block_number_going_backwards_is_stale() -> None:
    with start_devnet() as ahead, start_devnet() as behind:
        ahead.mine(20)
        reader = AaveV3Reader(
            RpcPool(
                [ahead.rpc_url, behind.rpc_url], ahead.chain_id, timeout_secs=2, backoff_secs=0.01
            ),
            ahead.deployment.addresses_provider,
            ahead.chain_id,
            max_block_age_secs=3600,
        )
        reader.start()
        wallet = ahead.account(2)
        _, now = ahead.latest_block()
        first = reader.snapshot(wallet, now=now)
        assert first.stale_reason is None
        ahead.anvil.stop()  # the leading node dies; the pool fails over to a node behind it
        second = reader.snapshot(wallet, now=now)
        assert second.block_number < first.block_number
        assert second.stale_reason == (
            f"block number went backwards: {second.block_number} < {first.block_number} seen before"
        )


def test_batch_matches_single_reads(devnet: Devnet) -> None:
    reader = reader_for(
        devnet, [devnet.rpc_url], batch_gas_budget=1_000_000, gas_per_account=100_000
    )
    reader.start()
    wallets = [devnet.account(i) for i in range(2, 7)]
    for i, wallet in enumerate(wallets):
        devnet.open_position(
            wallet, collateral={"WETH": D(i + 1)}, debt={"USDC": D(1000 * (i + 1))}
        )
    many = wallets + [f"0x{i:040x}" for i in range(1, 21)]
    before = reader.rpc.request_count
    data = reader.account_data_batch(many)
    assert reader.rpc.request_count - before == 3  # 25 wallets, 10 per call
    assert len(data) == 25
    assert len({d.block_number for d in data.values()}) == 1
    for wallet in wallets:
        raw = devnet.account_data(wallet)
        assert data[wallet].health_factor_wad == raw[5]
        assert data[wallet].total_debt_usd == D(raw[1]) / D(10**8)
    assert data["0x" + "0" * 39 + "1"].health_factor == D("Infinity")
