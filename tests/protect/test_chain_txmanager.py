"""Transactions handled like a wallet holding money, on anvil with the real Aave v3 Pool:
a stuck repay is replaced (same nonce, higher fee) not duplicated; a kill after sending and a
restart give exactly one repay; a revert is reported with its reason."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from decimal import Decimal
from pathlib import Path

import pytest
from web3 import Web3
from web3.exceptions import TransactionNotFound

from bot.chain.abis import load_abi
from bot.core.repay import decide
from bot.journal import Journal
from bot.journal.records import TxStatus
from bot.protect.executor import ProtectExecutor
from bot.protect.venues import AavePoolWrites
from bot.wallet.txtypes import TxOutcome, TxRequest
from tests.protect.chain_helpers import PARAMS, Scene, scene
from tests.protect.conftest import RESERVE, anvil_key, fee_policy, make_txm

pytestmark = pytest.mark.chain
REPO = Path(__file__).resolve().parents[2]


class Killed(BaseException):
    """Stands in for the process dying at that instant."""


class FakeTime:
    """The manager's clock and sleep; ``on_sleep`` drives the chain while it waits."""

    def __init__(self, on_sleep=None) -> None:
        self.now = 0.0
        self.on_sleep = on_sleep

    def monotonic(self) -> float:
        return self.now

    def sleep(self, secs: float) -> None:
        self.now += secs
        if self.on_sleep is not None:
            self.on_sleep(self)


def executor(s: Scene, journal: Journal, **kw: object) -> ProtectExecutor:
    w3 = Web3(Web3.HTTPProvider(s.devnet.rpc_url))
    return ProtectExecutor(
        w3, make_txm(s.devnet, journal, **kw), writes=AavePoolWrites(w3, s.devnet.deployment.pool)
    )


def nonce(s: Scene) -> int:
    return s.devnet.w3.eth.get_transaction_count(Web3.to_checksum_address(s.reserve_wallet))


def repaid_scene(devnet) -> Scene:
    s = scene(devnet, reserve_usdc=Decimal(30000), btc_price=Decimal(50000))
    devnet.approve_pool(s.reserve_wallet, "USDC")  # so only the repay itself is in flight
    return s


def test_stuck_repay_is_replaced_not_duplicated(devnet, journal):
    s = repaid_scene(devnet)
    action = s.action()
    start_nonce, start_reserve = nonce(s), s.reserve_raw()

    def resume_mining_late(clock: FakeTime) -> None:
        if clock.now >= 2.5:  # after two replacements (replace_after_secs=1)
            devnet.set_automine(True)
            devnet.mine()

    clock = FakeTime(resume_mining_late)
    policy = fee_policy(replace_after_secs=1.0, poll_interval_secs=0.25, receipt_timeout_secs=60)
    ex = executor(s, journal, policy=policy, monotonic=clock.monotonic, sleep=clock.sleep)
    devnet.set_automine(False)
    report = ex.execute(action)
    outcome = report.outcome
    assert report.ok, report.message
    assert outcome is not None
    assert len(outcome.hashes) >= 3  # the first send and at least two fee bumps
    assert outcome.tx_hash == outcome.hashes[-1]
    for replaced in outcome.hashes[:-1]:
        with pytest.raises(TransactionNotFound):
            devnet.w3.eth.get_transaction_receipt(replaced)
    sent = [devnet.w3.eth.get_transaction(outcome.tx_hash)]
    assert sent[0]["nonce"] == start_nonce
    assert nonce(s) == start_nonce + 1  # one transaction mined on that nonce
    assert start_reserve - s.reserve_raw() == action.amount_raw  # paid once
    assert s.hf_wad() >= 16 * 10**17
    record = journal.tx(action.key)
    assert record.status is TxStatus.MINED
    assert record.tx_hashes == outcome.hashes


def test_crash_after_send_then_restart_repays_once(devnet, journal_path):
    s = repaid_scene(devnet)
    action = s.action()
    start_nonce, start_reserve = nonce(s), s.reserve_raw()

    def die(_: float) -> None:
        raise Killed

    devnet.set_automine(False)
    with Journal.open(journal_path) as journal, pytest.raises(Killed):
        executor(s, journal, sleep=die).execute(action)
    # restart: a new journal connection and a new manager, mining resumes while it waits
    with Journal.open(journal_path) as journal:
        [pending] = journal.pending_txs()
        assert pending.status is TxStatus.SENT
        assert pending.intent.nonce == start_nonce
        ex = executor(s, journal, sleep=lambda _secs: devnet.mine())
        [outcome] = ex.recover()
        assert outcome.status is TxStatus.MINED
        assert outcome.tx_hash == pending.tx_hashes[0]
        devnet.set_automine(True)
        decision = decide(s.snapshot(), params=PARAMS, reserves=s.reserves(), spent_today_usd=0)
        assert decision.action is None  # HF restored: nothing more to do
        again = ex.execute(action)  # the same action replayed returns the journaled outcome
        assert again.outcome.tx_hash == outcome.tx_hash
    assert nonce(s) == start_nonce + 1
    assert start_reserve - s.reserve_raw() == action.amount_raw


def test_sigkill_after_send_then_restart_repays_once(devnet, journal_path):
    s = repaid_scene(devnet)
    start_nonce, start_reserve = nonce(s), s.reserve_raw()
    devnet.set_automine(False)
    args = [
        devnet.rpc_url,
        str(devnet.chain_id),
        devnet.deployment.addresses_provider,
        devnet.deployment.pool,
        str(journal_path),
        anvil_key(RESERVE),
        s.borrower,
        devnet.deployment.token("USDC").underlying,
        str(int(time.time())),
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.protect.kill_child", *args],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    try:
        key = ""
        while not key:
            line = child.stdout.readline().decode()
            if not line:  # the child died before deciding
                child.wait(timeout=10)
                pytest.fail(f"child failed: {child.stderr.read().decode()[-2000:]}")
            if line.startswith("KEY="):
                key = line.removeprefix("KEY=").strip()
        assert key.startswith("repay:")
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            with Journal.open(journal_path) as journal:
                record = journal.tx(key)
            if (
                record is not None
                and record.tx_hashes
                and devnet.w3.eth.get_transaction(record.tx_hashes[0])
            ):
                break
            time.sleep(0.1)
        else:
            pytest.fail("the child never sent its repay")
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    with Journal.open(journal_path) as journal:
        ex = executor(s, journal, sleep=lambda _secs: devnet.mine())
        [outcome] = ex.recover()
        assert outcome.status is TxStatus.MINED
        devnet.set_automine(True)
        decision = decide(s.snapshot(), params=PARAMS, reserves=s.reserves(), spent_today_usd=0)
        assert decision.action is None
        assert journal.pending_txs() == []
    assert nonce(s) == start_nonce + 1
    assert start_reserve - s.reserve_raw() == journal_amount(journal_path, key)


def journal_amount(journal_path: Path, key: str) -> int:
    with Journal.open(journal_path) as journal:
        record = journal.tx(key)
    return int(record.intent.amount.scaleb(6))


def test_repay_without_allowance_is_refused_with_its_reason(devnet, journal):
    s = scene(devnet, reserve_usdc=Decimal(30000), btc_price=Decimal(50000))
    ex = executor(s, journal)
    _, repay = ex.requests(s.action())
    start = nonce(s)
    outcome = ex._txm.send(repay)
    assert outcome.status is TxStatus.FAILED
    assert "allowance" in outcome.revert_reason.lower()
    assert nonce(s) == start  # nothing was sent


def test_onchain_revert_when_the_allowance_is_removed_reports_the_reason(devnet, journal):
    s = scene(devnet, reserve_usdc=Decimal(30000), btc_price=Decimal(50000))
    ex = executor(s, journal)
    action = s.action()
    approve, repay = ex.requests(action)
    assert ex._txm.send(approve).ok
    token = devnet.deployment.token("USDC").underlying
    slot = allowance_slot(devnet, token, s.reserve_wallet, devnet.deployment.pool)

    def remove_allowance_then_mine(_secs: float) -> None:
        devnet.anvil.rpc("anvil_setStorageAt", token, slot, "0x" + "00" * 32)
        devnet.mine()

    devnet.set_automine(False)
    ex = executor(s, journal, sleep=remove_allowance_then_mine)
    outcome = ex._txm.send(repay)
    assert outcome.status is TxStatus.REVERTED
    assert outcome.revert_reason
    assert "allowance" in outcome.revert_reason.lower()
    record = journal.tx(action.key)
    assert record.status is TxStatus.REVERTED
    assert record.revert_reason == outcome.revert_reason


def allowance_slot(devnet, token: str, owner: str, spender: str) -> str:
    """Find the storage slot of ``allowance[owner][spender]`` (a mapping at a small index)."""
    w3 = devnet.w3
    want = s_allowance = (
        w3.eth.contract(address=Web3.to_checksum_address(token), abi=_erc20())
        .functions.allowance(owner, spender)
        .call()
    )
    assert s_allowance > 0
    for index in range(12):
        inner = Web3.keccak(
            bytes.fromhex(owner[2:].lower().rjust(64, "0")) + index.to_bytes(32, "big")
        )
        slot = Web3.keccak(bytes.fromhex(spender[2:].lower().rjust(64, "0")) + inner)
        if (
            int.from_bytes(w3.eth.get_storage_at(Web3.to_checksum_address(token), slot), "big")
            == want
        ):
            return Web3.to_hex(slot)
    raise AssertionError("allowance slot not found")


def _erc20():
    return load_abi("ERC20")


def test_two_managers_of_one_sender_never_share_a_nonce(devnet, journal):
    """Two positions repaid from one reserve wallet get a manager each: sent at the same
    instant, their transactions take consecutive nonces and are both mined."""
    s = repaid_scene(devnet)
    usdc = devnet.w3.eth.contract(
        address=Web3.to_checksum_address(devnet.deployment.token("USDC").underlying), abi=_erc20()
    )
    spender = Web3.to_checksum_address(devnet.deployment.pool)
    requests = [
        TxRequest(
            key=f"approve-{n}",
            kind="approve",
            to=usdc.address,
            data=bytes.fromhex(
                usdc.encode_abi("approve", [spender, 10**12 + n]).removeprefix("0x")
            ),
        )
        for n in range(2)
    ]
    managers = [make_txm(devnet, journal), make_txm(devnet, journal)]
    start = nonce(s)
    devnet.set_automine(False)
    barrier = threading.Barrier(2)

    def send(index: int) -> TxOutcome:
        barrier.wait()
        return managers[index].send(requests[index])

    with ThreadPoolExecutor(max_workers=2) as pool:
        futures = [pool.submit(send, i) for i in range(2)]
        deadline = time.monotonic() + 20
        while not all(f.done() for f in futures) and time.monotonic() < deadline:
            devnet.mine()
            time.sleep(0.1)
        outcomes = [f.result(timeout=5) for f in futures]
    devnet.set_automine(True)
    assert [o.status for o in outcomes] == [TxStatus.MINED, TxStatus.MINED]
    nonces = sorted(devnet.w3.eth.get_transaction(o.tx_hash)["nonce"] for o in outcomes)
    assert nonces == [start, start + 1]
    assert nonce(s) == start + 2


class LaggingReceipts(Web3.HTTPProvider):
    """A node (or the next RPC after a failover) whose receipt index trails its state: the
    sender's nonce has moved, its receipt is not served for the next ``lag`` asks."""

    def __init__(self, url: str, lag: int) -> None:
        super().__init__(url)
        self.lag = lag
        self.hidden = 0

    def make_request(self, method, params):  # type: ignore[no-untyped-def, override]
        if method == "eth_getTransactionReceipt" and self.hidden < self.lag:
            self.hidden += 1
            return {"jsonrpc": "2.0", "id": 0, "result": None}
        return super().make_request(method, params)


def test_a_receipt_served_late_is_still_a_mined_repay(devnet, journal):
    """The nonce moving before the receipt shows up is not a drop: within the grace the
    receipt arrives and the repay is reported mined (not dropped, not sent again)."""
    s = repaid_scene(devnet)
    action = s.action()
    start_reserve = s.reserve_raw()
    lagging = LaggingReceipts(s.devnet.rpc_url, lag=6)
    clock = FakeTime()
    w3 = Web3(lagging)
    txm = make_txm(
        s.devnet, journal, w3=w3, policy=fee_policy(poll_interval_secs=0.5, drop_grace_secs=5.0),
        monotonic=clock.monotonic, sleep=clock.sleep,
    )  # fmt: skip
    report = ProtectExecutor(w3, txm, writes=AavePoolWrites(w3, s.devnet.deployment.pool)).execute(
        action
    )
    assert report.ok, report.message
    assert lagging.hidden == 6  # six asks answered "no receipt" while the nonce had moved
    assert journal.tx(action.key).status is TxStatus.MINED
    assert start_reserve - s.reserve_raw() == action.amount_raw  # paid once
