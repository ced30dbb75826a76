"""Two real replicas (``hedgebot run`` with ``ha``) on one PostgreSQL journal: one leads and
hedges, the other follows; SIGKILL the leader while the hedge must change and the follower
takes over: it settles what the dead one left and acts, with no order twice and never two
leaders acting."""

from __future__ import annotations

import json
import time
from decimal import Decimal
from pathlib import Path

import httpx
import pytest

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import Journal
from tests.daemon.harness import cli, move_price, open_borrower
from tests.ha.daemons import (
    INTERVAL_SECS,
    duplicate_orders,
    interleaved,
    positions_explained,
    replicas,
)
from tests.postgres_fixture import PostgresServer

pytestmark = [pytest.mark.chain, pytest.mark.exchange, pytest.mark.postgres]


def test_a_follower_takes_over_from_a_killed_leader_within_two_cycles(
    devnet: Devnet, emulator: EmulatorHandle, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.new_database_url()
    borrower = open_borrower(devnet, emulator)
    with replicas(
        tmp_path, devnet=devnet, emulator=emulator, borrower=borrower, journal_url=url
    ) as group:
        a = group.start("a")
        group.wait_leads(a)
        a.wait_event("cycle done", orders=0, timeout=60)  # hedged, steady
        b = group.start("b")
        b.wait_event("replica started: it acts only while it leads", timeout=60)
        b.wait_event("metrics", timeout=30)  # serving, as a follower: a holds the lock

        move_price(devnet, emulator, "WBTC", Decimal(45_000))  # the hedge must grow
        a.wait_event("order", timeout=30)
        a.kill()
        killed_at = time.monotonic()
        group.wait_leads(b, timeout=60)
        took = time.monotonic() - killed_at
        b.wait_event("cycle done", orders=0, timeout=60)  # b settled and finished the hedge
        page = httpx.get(f"{b.metrics_base_url()}/api/model", timeout=30).json()
        shown = cli("status", "--json", "--config", str(group.config("a")), env=group.env)
        logs = [a.events(), b.events()]
        assert b.terminate() == 0

    print(f"takeover after SIGKILL: {took:.2f} s ({took / INTERVAL_SECS:.2f} cycles)")
    # b's dashboard marks it the leader; status (a CLI, no replica) names it from the journal.
    assert page["leadership"] | {"since": None} == {
        "epoch": 2, "leader": "b", "since": None, "replica": "b", "role": "leader",
        "reason": "previous leader's lock released (a, epoch 1: it stopped, died or lost the "
        "database)",
    }  # fmt: skip
    assert shown.returncode == 0, shown.stderr
    (report,) = json.loads(shown.stdout)
    assert report["leadership"]["leader"] == "b"
    assert report["leadership"]["epoch"] == 2
    assert report["leadership"]["role"] is None
    assert took < 2 * INTERVAL_SECS + 3.0, took
    with Journal.open(url) as journal:
        assert [e.replica_id for e in journal.all_epochs()] == ["a", "b"]
        assert duplicate_orders(emulator, journal) == []
        assert positions_explained(emulator, journal) == {}
        assert interleaved(logs, journal) == []
        assert journal.pending_intents() == []
