"""``MoveDesk`` carrying money moves for real: the journal on SQLite, ``BinanceTreasury`` over
python-binance against the emulator, the emulator's wallet linked to the devnet's anvil, and
``ReserveTokenSender`` sending a deposit's ERC-20 transfer through the transaction manager.

What a user would see: the reserve wallet's token balance, the exchange's futures balance, one
withdrawal (never two) whatever answers are lost, a held withdrawal that is never resent."""

from __future__ import annotations

import random
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from eth_typing import HexStr
from web3 import Web3

from bot.core.model import Venue
from bot.daemon.capital.desk import SENDING, MoveDesk, StepResult
from bot.daemon.capital.sender import ReserveTokenSender
from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.exchange.binance import BinanceFutures, RetryPolicy
from bot.exchange.binance.treasury import BinanceTreasury
from bot.exchange.treasury import TransferDirection
from bot.journal import Journal, MoveIntent, MoveKind, MoveRecord, MoveStage
from bot.protect.aave_errors import explain_revert
from bot.wallet.fees import FeePolicy
from bot.wallet.signer import load_signer
from bot.wallet.txmanager import TxManager
from tests.emulator.chain_helpers import (
    DEPOSITOR,
    HOT,
    anvil_key,
    coin,
    deposits,
    token_balance,
    wait_for,
    withdrawal,
)

pytestmark = [pytest.mark.exchange, pytest.mark.chain]
D = Decimal
UNIT = 10**6  # the devnet's USDT has 6 decimals
FEE = D("0.5")  # chain_helpers.coin's withdraw fee
TRANSFER = "/sapi/v1/asset/transfer"
WITHDRAW = "/sapi/v1/capital/withdraw/apply"


class DeskClock:
    """The desk's ``now``: the wall clock (the emulator stamps its records with it) moved on by
    hand, so the 60 s lookup grace passes without waiting for it."""

    def __init__(self) -> None:
        self.ahead = timedelta()

    def __call__(self) -> datetime:
        return datetime.now(UTC) + self.ahead

    def advance(self, secs: float) -> None:
        self.ahead += timedelta(seconds=secs)


def epoch_ms(at: datetime) -> int:
    return int(at.timestamp() * 1000)


@dataclass(frozen=True, kw_only=True)
class Scene:
    emulator: EmulatorHandle
    devnet: Devnet
    journal: Journal
    treasury: BinanceTreasury
    desk: MoveDesk
    clock: DeskClock
    reserve: str  # the reserve wallet: a withdrawal's destination, a deposit's sender
    hot: str  # the emulator's hot wallet, which pays withdrawals

    def step(self, record: MoveRecord) -> StepResult:
        return self.desk.step(record, self.clock())

    def usdt(self, owner: str) -> int:
        return token_balance(self.devnet, "USDT", owner)

    def receipt_status(self, tx_hash: str) -> int:
        return int(self.devnet.w3.eth.get_transaction_receipt(HexStr(tx_hash))["status"])

    def nonce(self, owner: str) -> int:
        return int(self.devnet.w3.eth.get_transaction_count(Web3.to_checksum_address(owner)))

    def account(self) -> dict[str, Any]:
        found: dict[str, Any] = self.emulator.control.snapshot()["accounts"][self.emulator.api_key]
        return found

    def transfers(self, kind: str) -> list[dict[str, Any]]:
        return [t for t in self.account()["transfers"] if t["type"] == kind]

    def withdrawals(self) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = self.account()["withdrawals"]
        return rows


@pytest.fixture
def scene(devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path) -> Iterator[Scene]:
    hot, reserve = devnet.account(HOT), devnet.account(DEPOSITOR)
    devnet.fund(hot, "USDT", D(10_000))
    emulator.control.link_chain(
        devnet.rpc_url, anvil_key(HOT), [coin(devnet, "USDT")], withdraw_delay_secs=0
    )
    adapter = BinanceFutures(
        symbols={"BNBUSDT": Venue.USDM},
        api_key=emulator.api_key,
        api_secret=emulator.api_secret,
        network="custom",
        base_url=emulator.base_url,
        request_timeout_secs=5.0,
        retry=RetryPolicy(base_delay_secs=0.05, max_delay_secs=0.5),
        rng=random.Random(7),
    )
    treasury = BinanceTreasury(adapter.transport, monotonic=lambda: 0.0)
    with Journal.open(tmp_path / "journal.db") as journal:
        signer = load_signer(
            expected_address=reserve, env={"HEDGEBOT_WALLET_KEY": anvil_key(DEPOSITOR)}
        )
        txm = TxManager(
            Web3(Web3.HTTPProvider(devnet.rpc_url)),
            signer,
            journal,
            FeePolicy(
                max_fee_per_gas_wei=100 * 10**9,
                max_priority_fee_per_gas_wei=10**9,
                receipt_timeout_secs=30.0,
                replace_after_secs=5.0,
                poll_interval_secs=0.05,
            ),
            chain_id=devnet.chain_id,
            explain_revert=explain_revert,
        )
        token = devnet.deployment.token("USDT")
        sender = ReserveTokenSender(
            txm, token=token.underlying, decimals=token.decimals, position="reserve"
        )
        desk = MoveDesk(
            treasury, journal, venue=Venue.USDM, sender=sender, ms=epoch_ms,
            history_every_secs=0.0,
        )  # fmt: skip
        yield Scene(
            emulator=emulator,
            devnet=devnet,
            journal=journal,
            treasury=treasury,
            desk=desk,
            clock=DeskClock(),
            reserve=reserve,
            hot=hot,
        )
    emulator.control.unlink_chain()  # before the devnet rolls back under it


def withdraw_intent(scene: Scene, move_id: str, amount: str = "100") -> MoveIntent:
    return MoveIntent(
        move_id=move_id,
        kind=MoveKind.WITHDRAW,
        account="main",
        coin="USDT",
        network="BSC",
        address=scene.reserve,
        amount=D(amount),
        fee=FEE,
        reason="hedge profit refills the reserve",
    )


def settled_withdrawal(scene: Scene, venue_id: str) -> dict[str, Any]:
    """The emulator's row once its chain leg is done (control plane: no SAPI weight; the
    withdraw history costs 18000 of the 180000 UID weight a minute allows)."""
    return wait_for(
        f"withdrawal {venue_id} to complete",
        lambda: (w := withdrawal(scene.emulator, venue_id))["status"] == 6 and w,
    )


def test_a_withdrawal_is_carried_from_intent_to_done(scene: Scene) -> None:
    before = scene.usdt(scene.reserve)

    started = scene.desk.start(withdraw_intent(scene, "wd-1"), scene.clock())
    requested = scene.step(started.record)

    assert (started.record.stage, started.changed) == (MoveStage.IN_SPOT, True)
    assert started.record.transfer_id == str(scene.transfers("UMFUTURE_MAIN")[0]["tran_id"])
    assert requested.record.stage is MoveStage.REQUESTED
    (row,) = scene.withdrawals()
    assert (row["id"], row["withdraw_order_id"]) == (requested.record.venue_id, "wd-1")
    settled_withdrawal(scene, row["id"])
    done = scene.step(requested.record)

    assert done.record.stage is MoveStage.DONE
    stored = scene.journal.move("wd-1")
    assert stored is not None
    assert stored == done.record
    assert stored.venue_id == row["id"]
    assert stored.venue_status == "completed"
    assert scene.receipt_status(stored.tx_id) == 1
    assert scene.usdt(scene.reserve) - before == (100 - FEE) * UNIT
    assert scene.treasury.spot_free("USDT") == 0
    assert scene.step(done.record).changed is False  # final: nothing more is done


def test_a_lost_withdraw_answer_is_found_by_its_client_id_and_paid_once(scene: Scene) -> None:
    scene.emulator.control.fund("USDT", 1000, venue="spot")  # enough to pay it twice
    before, hot_nonce = scene.usdt(scene.reserve), scene.nonce(scene.hot)
    in_spot = scene.desk.start(withdraw_intent(scene, "wd-lost"), scene.clock()).record
    scene.emulator.control.inject_fault(
        WITHDRAW, "timeout_executed", method="POST", timeout_secs=0.1
    )

    lost = scene.step(in_spot)

    assert (lost.changed, lost.record.stage) == (False, MoveStage.IN_SPOT)
    assert "look it up" in lost.note
    journaled = scene.journal.move("wd-lost")
    (row,) = scene.withdrawals()
    paid = settled_withdrawal(scene, row["id"])  # e.g. a restart after the chain paid it
    done = scene.step(lost.record)  # at once: the lookup, not a resend

    assert lost.record.venue_status == SENDING  # the record handed back is the marked one
    assert journaled == lost.record
    # The one read that found it says it is paid: done in the same step.
    assert done.record.stage is MoveStage.DONE
    assert (done.record.venue_id, done.record.tx_id) == (row["id"], paid["tx_id"])
    assert len(scene.withdrawals()) == 1
    assert scene.nonce(scene.hot) == hot_nonce + 1  # one token transfer on chain
    assert scene.treasury.spot_free("USDT") == D(900)  # paid once
    assert scene.usdt(scene.reserve) - before == (100 - FEE) * UNIT


def test_a_lost_transfer_answer_is_found_in_the_history_and_made_once(scene: Scene) -> None:
    scene.emulator.control.inject_fault(
        TRANSFER, "timeout_executed", method="POST", timeout_secs=0.1
    )

    lost = scene.desk.start(withdraw_intent(scene, "wd-tr"), scene.clock())
    found = scene.step(lost.record)
    requested = scene.step(found.record)  # the withdrawal goes at once: no grace to wait

    assert (lost.changed, lost.record.stage, lost.record.venue_status) == (
        False,
        MoveStage.INTENT,
        SENDING,
    )
    (transfer,) = scene.transfers("UMFUTURE_MAIN")
    assert (found.record.stage, found.record.transfer_id) == (
        MoveStage.IN_SPOT,
        str(transfer["tran_id"]),
    )
    assert requested.record.stage is MoveStage.REQUESTED
    assert len(scene.withdrawals()) == 1
    assert found.record.venue_status == ""


def test_a_withdraw_that_never_arrived_is_sent_once_after_the_grace(scene: Scene) -> None:
    in_spot = scene.desk.start(withdraw_intent(scene, "wd-502"), scene.clock()).record
    scene.emulator.control.inject_fault(WITHDRAW, "http_502", method="POST")

    lost = scene.step(in_spot)
    scene.clock.advance(30)
    waiting = scene.step(lost.record)
    nothing_sent = scene.withdrawals()
    scene.clock.advance(31)
    resent = scene.step(waiting.record)

    assert lost.record.venue_status == SENDING
    assert (waiting.changed, waiting.record.stage) == (False, MoveStage.IN_SPOT)
    assert nothing_sent == []  # inside the grace the venue's silence proves nothing
    assert resent.record.stage is MoveStage.REQUESTED
    (row,) = scene.withdrawals()
    assert (row["id"], row["withdraw_order_id"]) == (resent.record.venue_id, "wd-502")


def test_a_transfer_that_never_arrived_is_sent_once_after_the_grace(scene: Scene) -> None:
    scene.emulator.control.inject_fault(TRANSFER, "http_500", method="POST")

    lost = scene.desk.start(withdraw_intent(scene, "wd-tr-500"), scene.clock())
    scene.clock.advance(30)
    waiting = scene.step(lost.record)
    nothing_moved = scene.transfers("UMFUTURE_MAIN")
    scene.clock.advance(31)
    moved = scene.step(waiting.record)

    assert lost.record.venue_status == SENDING
    assert waiting.record.stage is MoveStage.INTENT
    assert nothing_moved == []
    assert moved.record.stage is MoveStage.IN_SPOT
    (transfer,) = scene.transfers("UMFUTURE_MAIN")
    assert moved.record.transfer_id == str(transfer["tran_id"])


def test_a_deposit_is_sent_on_chain_followed_to_its_credit_and_moved_to_futures(
    scene: Scene,
) -> None:
    scene.devnet.fund(scene.reserve, "USDT", D(1000))
    reserve_before = scene.usdt(scene.reserve)
    futures_before = scene.treasury.futures_movable("USDT", Venue.USDM)
    address = scene.treasury.deposit_address("USDT", "BSC")
    intent = MoveIntent(
        move_id="dep-1",
        kind=MoveKind.DEPOSIT,
        account="main",
        coin="USDT",
        network="BSC",
        address=address,
        amount=D("250.25"),
        fee=D(0),
        reason="margin for a short near its liquidation",
    )

    on_chain = scene.desk.start(intent, scene.clock()).record

    assert on_chain.stage is MoveStage.ON_CHAIN
    assert scene.receipt_status(on_chain.tx_id) == 1
    assert reserve_before - scene.usdt(scene.reserve) == 25025 * UNIT // 100
    wait_for("the deposit to be seen", lambda: deposits(scene.emulator))
    pending = scene.step(on_chain)
    assert (pending.record.stage, pending.record.venue_status) == (MoveStage.ON_CHAIN, "pending")
    assert scene.treasury.spot_free("USDT") == 0

    scene.devnet.mine(2)  # minConfirm 3: the transaction's block and two more
    wait_for("the credit", lambda: deposits(scene.emulator)[0]["status"] == 1)
    credited = scene.step(pending.record)
    done = scene.step(credited.record)

    assert credited.record.stage is MoveStage.CREDITED
    assert credited.record.venue_id == deposits(scene.emulator)[0]["id"]
    assert done.record.stage is MoveStage.DONE
    (transfer,) = scene.transfers("MAIN_UMFUTURE")
    assert done.record.transfer_id == str(transfer["tran_id"])
    assert done.record.tx_id == on_chain.tx_id
    assert scene.treasury.futures_movable("USDT", Venue.USDM) - futures_before == D("250.25")
    assert scene.treasury.spot_free("USDT") == 0


def test_a_lost_spot_to_futures_answer_is_found_and_made_once(scene: Scene) -> None:
    scene.emulator.control.fund("USDT", 40, venue="spot")
    intent = MoveIntent(
        move_id="dep-lost",
        kind=MoveKind.DEPOSIT,
        account="main",
        coin="USDT",
        network="BSC",
        address=scene.treasury.deposit_address("USDT", "BSC"),
        amount=D(40),
        fee=D(0),
        reason="test",
    )
    now = scene.clock()
    scene.journal.record_move_intent(intent, now=now)
    credited = scene.journal.update_move(
        "dep-lost", stage=MoveStage.CREDITED, now=now, venue_status="credited"
    )
    scene.emulator.control.inject_fault(
        TRANSFER, "timeout_executed", method="POST", timeout_secs=0.1
    )

    lost = scene.step(credited)
    found = scene.step(lost.record)

    assert (lost.record.stage, lost.record.venue_status) == (MoveStage.CREDITED, SENDING)
    assert found.record.stage is MoveStage.DONE
    (transfer,) = scene.transfers("MAIN_UMFUTURE")
    assert found.record.transfer_id == str(transfer["tran_id"])
    assert found.record.venue_status == ""
    assert scene.treasury.spot_free("USDT") == 0


def test_a_held_withdrawal_stays_requested_and_is_never_resent(scene: Scene) -> None:
    control = scene.emulator.control
    control.configure_wallet(withdraw_policy="hold")
    hot_nonce = scene.nonce(scene.hot)
    record = scene.step(scene.desk.start(withdraw_intent(scene, "wd-held"), scene.clock()).record)
    assert record.record.stage is MoveStage.REQUESTED

    statuses = []
    for secs in (1, 60, 3600, 8 * 86_400):  # steps minutes, hours, then days apart
        control.advance_time(secs)
        scene.clock.advance(secs)
        record = scene.step(record.record)
        statuses.append((record.record.stage, record.record.venue_status))

    assert statuses == [(MoveStage.REQUESTED, "awaiting_approval")] * 4
    assert len(scene.withdrawals()) == 1
    assert scene.nonce(scene.hot) == hot_nonce  # nothing left the hot wallet

    control.withdrawal_action(record.record.venue_id, "reject", info="Suspicious address")
    failed = scene.step(record.record)

    assert failed.record.stage is MoveStage.FAILED
    assert failed.record.venue_status == "rejected"
    assert "Suspicious address" in failed.record.detail
    assert scene.treasury.spot_free("USDT") == D(100)  # the venue gave it back to spot
    assert len(scene.withdrawals()) == 1


def test_a_rejected_withdrawal_fails_with_the_venues_reason(scene: Scene) -> None:
    scene.emulator.control.configure_wallet(
        withdraw_policy="reject", withdraw_policy_info="Withdrawal address not whitelisted"
    )
    in_spot = scene.desk.start(withdraw_intent(scene, "wd-rej"), scene.clock()).record

    requested = scene.step(in_spot)
    failed = scene.step(requested.record)

    assert requested.record.stage is MoveStage.REQUESTED
    assert failed.record.stage is MoveStage.FAILED
    assert failed.record.detail == ("the venue says rejected: Withdrawal address not whitelisted")
    assert scene.journal.open_moves() == []


def test_transfers_since_finds_the_desks_transfers(scene: Scene) -> None:
    since = epoch_ms(scene.clock() - timedelta(minutes=5))
    assert (
        scene.treasury.transfers_since(TransferDirection.FUTURES_TO_SPOT, Venue.USDM, since) == []
    )
    moved = scene.desk.start(withdraw_intent(scene, "wd-h"), scene.clock()).record

    (found,) = scene.treasury.transfers_since(TransferDirection.FUTURES_TO_SPOT, Venue.USDM, since)
    assert (found.venue_id, found.amount) == (moved.transfer_id, D(100))


def test_a_withdrawal_the_venue_refuses_fails_with_its_reason_and_is_not_resent(
    scene: Scene,
) -> None:
    scene.emulator.control.configure_wallet(whitelist=["0x" + "cd" * 20])
    in_spot = scene.desk.start(withdraw_intent(scene, "wd-nwl"), scene.clock()).record

    refused = scene.step(in_spot)
    scene.clock.advance(120)
    again = scene.step(refused.record)

    assert refused.record.stage is MoveStage.FAILED
    assert "whitelist" in refused.record.detail.lower()
    assert again.record == refused.record
    assert scene.withdrawals() == []
    assert scene.journal.open_moves() == []


def test_a_lost_transfer_is_not_mistaken_for_an_earlier_moves_transfer(scene: Scene) -> None:
    """Two moves of the same amount minutes apart: the second's lost transfer is not the
    first's (already claimed), so it is made after the grace, not skipped."""
    first = scene.desk.start(withdraw_intent(scene, "wd-a"), scene.clock()).record
    scene.step(first)  # the first withdrawal takes what the first transfer brought
    scene.clock.advance(60)
    scene.emulator.control.inject_fault(TRANSFER, "http_500", method="POST")

    lost = scene.desk.start(withdraw_intent(scene, "wd-b"), scene.clock())
    looked_up = scene.step(lost.record)
    scene.clock.advance(61)
    moved = scene.step(looked_up.record)
    requested = scene.step(moved.record)

    assert (looked_up.record.stage, looked_up.record.venue_status) == (MoveStage.INTENT, SENDING)
    first_tran, second_tran = (str(t["tran_id"]) for t in scene.transfers("UMFUTURE_MAIN"))
    assert first_tran == first.transfer_id
    assert moved.record.transfer_id == second_tran
    assert requested.record.stage is MoveStage.REQUESTED
    assert len(scene.withdrawals()) == 2


def test_a_transfer_the_venue_refuses_fails_the_move(scene: Scene) -> None:
    refused = scene.desk.start(withdraw_intent(scene, "wd-big", amount="20000"), scene.clock())

    assert refused.record.stage is MoveStage.FAILED
    assert "refused the transfer from futures" in refused.record.detail
    assert "-5002" in refused.record.detail
    assert scene.transfers("UMFUTURE_MAIN") == []
