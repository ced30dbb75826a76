"""The steps the SIGKILL test kills the leader in: each makes the leader act (an order, a repay,
a withdrawal) and says when that action has started (its intent journaled), so the kill lands
inside it.

A step is cheap and repeatable: the hedge moves with WBTC between two marks; a repay follows a
borrow that takes the loan under the guard's trigger (the borrowed USDC also refills the
reserve the repay spends, so the scene never runs dry); a withdrawal (futures -> spot, the
withdraw request, the emulator's payment on chain) refills the reserve after the test spent
part of it."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from web3 import Web3

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import Journal, MoveKind
from tests.daemon.capital_scene import balance, health_factor
from tests.daemon.harness import Borrower, move_price
from tests.emulator.chain_helpers import send_tokens

BORROW_TO_HF = Decimal("1.2")
EPOCH_START = 0
RESERVE_COIN = "USDC"
# The wallet's USDC, the capital loop's target: open_borrower's reserve and the loan it kept.
RESERVE_USD = Decimal(30_000 + 40_000)
SPENT_USD = Decimal(1_000)  # under the target, by more than the band: the leader withdraws
SINK = 7  # an anvil account the spent reserve goes to
# The capital loop of the kill scene: the reserve refilled from the exchange's USDC.
CAPITAL = {
    "enabled": True,
    "coin": RESERVE_COIN,
    "network": "BSC",
    "reserve_target_usd": int(RESERVE_USD),
    "band_usd": 200,
    "min_transfer_usd": 50,
    "interval_secs": 1,
    # A kill between "sending" and the request: the next leader sends it 10 s later, not 60.
    "lost_answer_grace_secs": 10,
}
REPAY = Web3.to_hex(Web3.keccak(text="repay(address,uint256,uint256,address)")[:4])


def order_intents(journal: Journal) -> int:
    return journal.order_count_since(EPOCH_START)


def repay_intents(journal: Journal) -> int:
    return sum(1 for t in journal.txs_since(EPOCH_START) if t.intent.kind == "repay")


def withdraw_intents(journal: Journal) -> int:
    return sum(1 for m in journal.moves_since(EPOCH_START) if m.intent.kind is MoveKind.WITHDRAW)


def no_move_open(journal: Journal) -> bool:
    return not journal.open_moves()


@dataclass(frozen=True, slots=True, kw_only=True)
class Step:
    name: str
    act: Callable[[], None]  # makes the leader act
    count: Callable[[Journal], int]  # the action's intents journaled so far
    # The leader would act on ``act`` now: the capital loop starts no move while one is open.
    ready: Callable[[Journal], bool] = lambda _: True


def steps(devnet: Devnet, emulator: EmulatorHandle, borrower: Borrower) -> list[Step]:
    """Mid-order twice (WBTC up, then back), mid-repay, then mid-withdrawal."""
    base = devnet.price("WBTC")

    def borrow_under_trigger() -> None:
        _, debt, available = devnet.account_data(borrower.address)[:3]
        hf = health_factor(devnet, borrower.address)
        usd = Decimal(debt) / Decimal(10**8) * (hf / BORROW_TO_HF - 1)
        usd = min(usd, Decimal(available) / Decimal(10**8) * Decimal("0.99"))
        devnet.borrow(borrower.address, "USDC", usd.quantize(Decimal(1)))

    def spend_under_target() -> None:
        # Repays need not spend what their borrow brought: the reserve drifts from its target.
        held = balance(devnet, RESERVE_COIN, borrower.address)
        amount = held - RESERVE_USD + SPENT_USD
        send_tokens(devnet, RESERVE_COIN, borrower.address, devnet.account(SINK), amount)

    return [
        Step(
            name="order",
            act=lambda: move_price(devnet, emulator, "WBTC", base * Decimal("1.15")),
            count=order_intents,
        ),
        Step(
            name="order",
            act=lambda: move_price(devnet, emulator, "WBTC", base),
            count=order_intents,
        ),
        Step(name="repay", act=borrow_under_trigger, count=repay_intents),
        Step(
            name="withdrawal",
            act=spend_under_target,
            count=withdraw_intents,
            ready=no_move_open,
        ),
    ]


def repays_on_chain(devnet: Devnet, wallet: str, *, from_block: int) -> list[dict[str, Any]]:
    """Every repay the wallet sent to the Pool from ``from_block`` on (the chain's own record,
    whatever the journal says)."""
    pool = Web3.to_checksum_address(devnet.deployment.pool)
    sender = Web3.to_checksum_address(wallet)
    found: list[dict[str, Any]] = []
    for number in range(from_block, devnet.latest_block()[0] + 1):
        block = devnet.w3.eth.get_block(number, full_transactions=True)
        for tx in block["transactions"]:
            data = Web3.to_hex(tx["input"])
            if tx["from"] == sender and tx["to"] == pool and data.startswith(REPAY):
                found.append({"hash": Web3.to_hex(tx["hash"]), "block": number})
    return found
