"""SIGKILL of the leader at random points, 50 times (``HEDGEBOT_HA_KILLS``; ~130 s of CI's 25
minutes, ~2.6 s a kill): inside an order (its intent journaled, the order maybe sent), a repay
(its transaction journaled, maybe sent, maybe mined) or a withdrawal (its move journaled, the
futures -> spot transfer or the withdraw request maybe sent), plus a random delay. The follower
leads within two cycles every time; the killed replica comes back as a follower. Afterwards the
emulator's and the chain's own records show no order, repay, transfer or withdrawal twice, and
the journal shows no action of a replica outside its epoch.

Each kill is cheap: anvil, the emulator and PostgreSQL stay up; only the killed replica
restarts, and a third replica keeps following while it does, so the next kill need not wait
for a process to start."""

from __future__ import annotations

import os
import random
import time
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path

import pytest
from web3 import Web3

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import Journal, MoveKind, MoveStage
from tests.daemon.capital_scene import (
    TRIGGER_HF,
    USDC_ON_BSC,
    health_factor,
    hot_wallet_payments,
    interval_mining,
    linked_wallet,
)
from tests.daemon.harness import DaemonProcess, open_borrower
from tests.ha.daemons import (
    QUICK,
    Replicas,
    duplicate_moves,
    duplicate_orders,
    interleaved,
    last_lead,
    positions_explained,
    replicas,
)
from tests.ha.kills import CAPITAL, RESERVE_COIN, Step, no_move_open, repays_on_chain, steps
from tests.ha.replicas import wait_for
from tests.postgres_fixture import PostgresServer

pytestmark = [pytest.mark.chain, pytest.mark.exchange, pytest.mark.postgres]

KILLS = int(os.environ.get("HEDGEBOT_HA_KILLS", "50"))
EXCHANGE_USDC = Decimal(50_000)  # what the withdrawals take from the futures wallet
# After the intent: an order's round trip to the emulator takes some 10-50 ms, a repay's
# send and receipt longer; half the kills come within that, half up to 0.3 s later.
SHORT_DELAY_SECS, MAX_DELAY_SECS = 0.03, 0.3
# Three replicas: while the killed one restarts, another still follows.
NAMES = ("a", "b", "c")
STARTED = "replica started: it acts only while it leads"


def test_sigkill_of_the_leader_at_random_points_never_acts_twice(
    devnet: Devnet, emulator: EmulatorHandle, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.new_database_url()
    borrower = open_borrower(devnet, emulator)
    emulator.control.fund(RESERVE_COIN, EXCHANGE_USDC, venue="usdm")
    seed = random.randrange(2**32)
    rng = random.Random(seed)
    print(f"seed {seed}, {KILLS} kills")
    start_block = devnet.latest_block()[0]
    scene = steps(devnet, emulator, borrower)
    took: list[float] = []
    in_flight: list[int] = []
    started = time.monotonic()
    with (
        # Blocks keep coming, as on a real chain: a repay the killed leader journaled but never
        # sent is settled as dropped, and the guard's next decision (a new block) repays.
        interval_mining(devnet),
        # The exchange pays a withdrawal on chain as soon as it is asked.
        linked_wallet(devnet, emulator, USDC_ON_BSC, withdraw_delay_secs=0),
        replicas(
            tmp_path, devnet=devnet, emulator=emulator, borrower=borrower, journal_url=url,
            timing=QUICK, names=NAMES, extra={"capital": CAPITAL},
        ) as group,
        Journal.open(url) as journal,
    ):  # fmt: skip
        first = group.start(NAMES[0])
        group.wait_leads(first)
        first.wait_event("cycle done", orders=0, timeout=60)
        for name in NAMES[1:]:
            group.start(name).wait_event(STARTED, timeout=60)
        repays = withdrawals = 0
        for kill in range(KILLS):
            step = scene[kill % len(scene)]
            repays += step.name == "repay"
            withdrawals += step.name == "withdrawal"
            began = time.monotonic()
            leader, secs, left = _kill_inside(step, group, journal, rng)
            took.append(secs)
            in_flight.append(left)
            _settled(group.procs[leader], journal, devnet, borrower.address)
            print(
                f"kill {kill + 1} ({step.name}, {left} intents in flight): "
                f"{leader} leads after {secs:.2f} s; settled {time.monotonic() - began:.1f} s "
                "after the step began"
            )
        logs = [p.events() for p in group.started]
        for name in sorted(group.procs, key=lambda n: n == leader):  # followers first
            group.procs[name].terminate()
        elapsed = time.monotonic() - started

        print(
            f"takeover: max {max(took):.2f} s ({max(took) / QUICK.interval_secs:.2f} cycles), "
            f"mean {sum(took) / len(took):.2f} s; {elapsed / KILLS:.2f} s per kill, "
            f"{elapsed:.1f} s for {KILLS} kills; {sum(n > 0 for n in in_flight)} kills left "
            "an intent in flight"
        )
        assert all(t <= 2 * QUICK.interval_secs for t in took), took
        assert [e.epoch for e in journal.all_epochs()] == list(range(1, KILLS + 2))
        assert duplicate_orders(emulator, journal) == []
        assert positions_explained(emulator, journal) == {}
        assert duplicate_moves(emulator, journal) == []
        assert interleaved(logs, journal) == []
        assert journal.pending_intents() == []
        assert journal.pending_txs() == []
        assert journal.open_moves() == []
        on_chain = repays_on_chain(devnet, borrower.address, from_block=start_block)
        mined = {t.mined_tx_hash for t in journal.txs_since(0) if t.intent.kind == "repay"}
        assert len(on_chain) == repays, on_chain  # one repay per borrow, never two
        assert {r["hash"] for r in on_chain} <= mined
        withdrawn = [m for m in journal.moves_since(0) if m.intent.kind is MoveKind.WITHDRAW]
        paid = hot_wallet_payments(devnet, RESERVE_COIN, borrower.address, start_block)
        assert len(withdrawn) >= withdrawals, withdrawn  # at least one per spend
        assert all(m.stage is MoveStage.DONE for m in withdrawn), withdrawn
        # The chain paid each withdrawal once: one transfer per move, the one it recorded.
        assert sorted(Web3.to_hex(p["transactionHash"]) for p in paid) == sorted(
            m.tx_id for m in withdrawn
        )


def _kill_inside(
    step: Step, group: Replicas, journal: Journal, rng: random.Random
) -> tuple[str, float, int]:
    """Make the leader act, SIGKILL it inside the action, restart it (as a follower, ready by
    the next kill: the third replica covers this one); returns the new leader and the seconds
    from the kill to it announcing it leads, and the intents the dead one left unsettled."""
    latest = journal.latest_epoch()
    assert latest is not None
    victim = group.procs[latest.replica_id]
    followers = {n: p for n, p in group.procs.items() if p is not victim}
    wait_for("a follower up", lambda: any(_has(p, STARTED) for p in followers.values()))
    wait_for(f"the leader ready for a {step.name}", lambda: step.ready(journal))
    seen = {n: len(p.events()) for n, p in followers.items()}
    before = step.count(journal)
    step.act()
    wait_for(
        f"the leader's {step.name} intent", lambda: step.count(journal) > before, poll_secs=0.002
    )
    time.sleep(rng.uniform(0, rng.choice((SHORT_DELAY_SECS, MAX_DELAY_SECS))))
    killed_at = datetime.now(UTC)
    victim.kill()
    in_flight = sum(
        len(left)
        for left in (journal.pending_intents(), journal.pending_txs(), journal.open_moves())
    )
    group.start(latest.replica_id)
    wait_for("a new epoch", lambda: _newer(journal, latest.epoch))
    leader = _newer(journal, latest.epoch)
    assert leader in followers, leader
    _, event = followers[leader].wait_event(
        "leadership", role="leader", after=seen[leader], timeout=60
    )
    secs = (datetime.fromisoformat(event["timestamp"]) - killed_at).total_seconds()
    return leader, secs, in_flight


def _newer(journal: Journal, epoch: int) -> str | None:
    latest = journal.latest_epoch()
    return latest.replica_id if latest is not None and latest.epoch > epoch else None


def _has(proc: DaemonProcess, event: str) -> bool:
    return any(e.get("event") == event for e in proc.events())


def _settled(leader: DaemonProcess, journal: Journal, devnet: Devnet, wallet: str) -> None:
    """The new leader finished what the dead one left."""
    wait_for("the new leader to settle", lambda: not journal.pending_intents())
    wait_for("the transactions to settle", lambda: not journal.pending_txs())
    wait_for("the money moves to settle", lambda: no_move_open(journal))
    wait_for("the guard to repay", lambda: health_factor(devnet, wallet) >= TRIGGER_HF)
    leader.wait_event("cycle done", after=last_lead(leader), timeout=60)
