"""PostgreSQL restarted under both replicas (an immediate restart, as after a crash), once
inside an order and once inside a repay: every connection drops, the leader stops acting, one
replica leads again and settles what was in flight: no action lost (every intent settled, the
hedge and the loan where they should be) and none repeated (the emulator's orders, the chain's
repays), one leader afterwards."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import Journal
from tests.daemon.capital_scene import TRIGGER_HF, health_factor, interval_mining
from tests.daemon.harness import DaemonProcess, open_borrower
from tests.ha.daemons import (
    QUICK,
    duplicate_orders,
    interleaved,
    last_lead,
    positions_explained,
    replicas,
)
from tests.ha.kills import Step, repays_on_chain, steps
from tests.ha.replicas import wait_for
from tests.postgres_fixture import PostgresServer, embedded_server

pytestmark = [pytest.mark.chain, pytest.mark.exchange, pytest.mark.postgres]


@pytest.fixture
def own_postgres() -> Iterator[PostgresServer]:
    # Durable commits: a real server loses no committed intent in a crash.
    with embedded_server(durable_commits=True) as server:
        yield server


def test_postgresql_restarted_under_both_replicas_loses_and_repeats_nothing(
    devnet: Devnet, emulator: EmulatorHandle, own_postgres: PostgresServer, tmp_path: Path
) -> None:
    url = own_postgres.new_database_url()
    borrower = open_borrower(devnet, emulator)
    start_block = devnet.latest_block()[0]
    order, _, repay, _ = steps(devnet, emulator, borrower)
    # Blocks keep coming, as on a real chain: a repay journaled but never sent before the
    # restart is settled as dropped, and the guard's next decision (a new block) repays.
    with interval_mining(devnet), replicas(
        tmp_path, devnet=devnet, emulator=emulator, borrower=borrower, journal_url=url,
        timing=QUICK,
    ) as group:  # fmt: skip
        a = group.start("a")
        group.wait_leads(a)
        a.wait_event("cycle done", orders=0, timeout=60)
        b = group.start("b")
        b.wait_event("replica started: it acts only while it leads", timeout=60)

        for step in (order, repay):
            _act_until_journaled(step, url)
            own_postgres.restart()
            wait_for("the journal settled", lambda: _settled(url))
            wait_for(
                "the guard to repay", lambda: health_factor(devnet, borrower.address) >= TRIGGER_HF
            )
            leader = _leader([a, b])
            leader.wait_event("cycle done", orders=0, after=last_lead(leader), timeout=60)
        time.sleep(2 * QUICK.interval_secs)  # the follower has time to misbehave
        logs = [a.events(), b.events()]
        leaders = [p for p in (a, b) if _leads(p.events())]
        for proc in sorted((a, b), key=lambda p: p is leader):  # the follower first
            proc.terminate()

    assert leaders == [leader]  # one leader afterwards
    with Journal.open(url) as journal:
        assert len(journal.all_epochs()) >= 2  # the restart cost the first leader its lock
        assert journal.pending_intents() == []
        assert journal.pending_txs() == []
        assert duplicate_orders(emulator, journal) == []
        assert positions_explained(emulator, journal) == {}
        assert interleaved(logs, journal) == []
        mined = {t.mined_tx_hash for t in journal.txs_since(0) if t.intent.kind == "repay"}
    on_chain = repays_on_chain(devnet, borrower.address, from_block=start_block)
    assert len(on_chain) == 1, on_chain  # the repay, once
    assert {r["hash"] for r in on_chain} <= mined


def _act_until_journaled(step: Step, url: str) -> None:
    with Journal.open(url) as journal:
        before = step.count(journal)
        step.act()
        wait_for(f"the {step.name} intent", lambda: step.count(journal) > before)


def _settled(url: str) -> bool:
    """A replica leads a new epoch and nothing is pending (the server may still be starting)."""
    try:
        with Journal.open(url) as journal:
            latest = journal.latest_epoch()
            return (
                latest is not None
                and latest.epoch >= 2
                and not journal.pending_intents()
                and not journal.pending_txs()
            )
    except Exception:
        return False


def _leads(events: list[dict[str, Any]]) -> bool:
    roles = [e.get("role") for e in events if e.get("event") == "leadership"]
    return bool(roles) and roles[-1] == "leader"


def _leader(procs: list[DaemonProcess]) -> DaemonProcess:
    wait_for("a leader", lambda: any(_leads(p.events()) for p in procs))
    return next(p for p in procs if _leads(p.events()))
