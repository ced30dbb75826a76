"""1,000 wallets' health in a handful of calls: wall time and RPC request count.

Starts anvil with the cached Aave v3 deployment, opens 1,000 real positions (WETH or WBTC
collateral, USDC/USDT/WBNB debt; impersonated wallets, transactions sent in JSON-RPC batches),
then times ``AaveV3Reader.account_data_batch`` and one ``snapshot``.
Run: ``.venv/bin/python bench/bench_chain_batch.py``.
"""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Sequence
from decimal import Decimal
from typing import Any

from results import RUNS, record, run

from bot.chain.aave_v3 import AaveV3Reader
from bot.chain.rpc import RpcPool
from bot.devnet.aave import contract
from bot.devnet.cache import start_devnet
from bot.devnet.devnet import MAX_UINT256, Devnet, to_raw

WALLETS = 1_000
COLLATERALS = (("WETH", Decimal(5)), ("WBTC", Decimal("0.5")))
DEBTS = (("USDC", Decimal(6000)), ("USDT", Decimal(5000)), ("WBNB", Decimal(8)))


def batch_rpc(url: str, calls: list[tuple[str, list[Any]]]) -> list[Any]:
    body = [{"jsonrpc": "2.0", "id": i, "method": m, "params": p} for i, (m, p) in enumerate(calls)]
    req = urllib.request.Request(  # noqa: S310 (loopback)
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(req, timeout=300) as resp:  # noqa: S310 (loopback)
        replies = sorted(json.loads(resp.read()), key=lambda r: r["id"])
    errors = [r["error"] for r in replies if "error" in r]
    if errors:
        raise RuntimeError(f"{len(errors)} batched requests failed, first: {errors[0]}")
    return [r["result"] for r in replies]


def send_all(devnet: Devnet, txs: list[tuple[str, str, str]]) -> None:
    """(from, to, data) transactions, one JSON-RPC batch of eth_sendTransaction (automine),
    mined to the last one."""
    calls = [
        ("eth_sendTransaction", [{"from": f, "to": t, "data": d, "gas": hex(1_500_000)}])
        for f, t, d in txs
    ]
    hashes = batch_rpc(devnet.rpc_url, calls)
    receipts: list[Any] = [None] * len(hashes)
    deadline = time.monotonic() + 60
    while any(r is None for r in receipts):  # batched sends are mined asynchronously
        if time.monotonic() > deadline:
            raise RuntimeError("setup transactions were not mined within 60 s")
        missing = [i for i, r in enumerate(receipts) if r is None]
        got = batch_rpc(
            devnet.rpc_url, [("eth_getTransactionReceipt", [hashes[i]]) for i in missing]
        )
        for i, receipt in zip(missing, got, strict=True):
            receipts[i] = receipt
        if any(r is None for r in receipts):
            # automine makes one block per arriving transaction, and a block holds only 20 of
            # these 1.5M-gas sends: the tail of a 1,000-send batch waits in the pool for a
            # block nobody asks for (the "not mined within 60 s" of a fresh machine).
            batch_rpc(devnet.rpc_url, [("evm_mine", [])])
        time.sleep(0.05)
    failed = [r["transactionHash"] for r in receipts if int(r["status"], 16) != 1]
    if failed:
        raise RuntimeError(f"{len(failed)} setup transactions reverted, first {failed[0]}")


def open_positions(devnet: Devnet, wallets: Sequence[str]) -> None:
    dep = devnet.deployment
    pool = contract(devnet.w3, "Pool", dep.pool)
    batch_rpc(devnet.rpc_url, [("anvil_autoImpersonateAccount", [True])])
    batch_rpc(devnet.rpc_url, [("anvil_setBalance", [w, hex(10**20)]) for w in wallets])
    mints, approves, supplies, borrows = [], [], [], []
    for i, wallet in enumerate(wallets):
        coll_symbol, coll_amount = COLLATERALS[i % len(COLLATERALS)]
        debt_symbol, debt_amount = DEBTS[i % len(DEBTS)]
        tok = dep.token(coll_symbol)
        erc20 = contract(devnet.w3, "MintableERC20", tok.underlying)
        raw = to_raw(coll_amount, tok.decimals)
        mints.append((wallet, tok.underlying, erc20.encode_abi("mint", [raw])))
        approves.append(
            (wallet, tok.underlying, erc20.encode_abi("approve", [dep.pool, MAX_UINT256]))
        )
        supplies.append(
            (wallet, dep.pool, pool.encode_abi("supply", [tok.underlying, raw, wallet, 0]))
        )
        debt_tok = dep.token(debt_symbol)
        debt_raw = to_raw(debt_amount, debt_tok.decimals)
        borrows.append(
            (
                wallet,
                dep.pool,
                pool.encode_abi("borrow", [debt_tok.underlying, debt_raw, 2, 0, wallet]),
            )
        )
    for stage in (mints, approves, supplies, borrows):
        send_all(devnet, stage)


def main() -> None:
    started = time.perf_counter()
    with start_devnet() as devnet:
        wallets = [devnet.w3.to_checksum_address(f"0x{0xB0B0 + i:040x}") for i in range(WALLETS)]
        open_positions(devnet, wallets)
        setup_secs = time.perf_counter() - started
        rpc = RpcPool([devnet.rpc_url], devnet.chain_id)
        reader = AaveV3Reader(rpc, devnet.deployment.addresses_provider, devnet.chain_id)
        reader.start()

        before = rpc.request_count
        t0 = time.perf_counter()
        data = reader.account_data_batch(wallets)
        batch_secs = time.perf_counter() - t0
        batch_calls = rpc.request_count - before
        with_debt = sum(1 for d in data.values() if d.total_debt_usd > 0)
        if len(data) != WALLETS or with_debt != WALLETS:
            raise SystemExit(f"batch read {len(data)} wallets, {with_debt} with debt")

        before = rpc.request_count
        t0 = time.perf_counter()
        _, now = devnet.latest_block()
        reader.snapshot(wallets[0], now=now)
        snap_secs = time.perf_counter() - t0
        snap_calls = rpc.request_count - before

    print(f"setup (anvil from cache + {WALLETS} positions): {setup_secs:.1f} s")
    print(
        f"account_data_batch: {WALLETS} wallets (all with debt) in {batch_secs * 1000:.0f} ms, "
        f"{batch_calls} RPC requests (eth_call to Multicall3.aggregate3)"
    )
    print(f"snapshot (1 wallet, 5 reserves): {snap_secs * 1000:.1f} ms, {snap_calls} RPC request")
    record(f"account_data_batch, {WALLETS:,} wallets", batch_secs * 1000, "ms", RUNS)


if __name__ == "__main__":
    run(main)
