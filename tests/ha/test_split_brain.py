"""Split brain: the leader's database connections (the journal's and the leadership lock's) go
through a proxy that is cut while its process runs. It stops acting within its lease, the
follower takes over and acts, and once the cut heals the old leader stays a follower."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import psycopg
import pytest

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import Journal
from tests.daemon.harness import move_price, open_borrower
from tests.ha.daemons import QUICK, duplicate_orders, interleaved, positions_explained, replicas
from tests.ha.replicas import socket_path, via, wait_for
from tests.postgres_fixture import PostgresServer
from tests.tcp_proxy import TcpProxy

pytestmark = [pytest.mark.chain, pytest.mark.exchange, pytest.mark.postgres]

ACTIONS = ("order", "transaction sent")


def test_a_leader_cut_from_the_database_stops_acting_and_stays_follower_after(
    devnet: Devnet, emulator: EmulatorHandle, postgres_server: PostgresServer, tmp_path: Path
) -> None:
    url = postgres_server.new_database_url()
    borrower = open_borrower(devnet, emulator)
    with (
        TcpProxy(socket_path(postgres_server)) as proxy,
        replicas(
            tmp_path, devnet=devnet, emulator=emulator, borrower=borrower,
            journal_url={"a": via(proxy, url), "b": url}, timing=QUICK,
        ) as group,
    ):  # fmt: skip
        a = group.start("a")
        group.wait_leads(a)
        a.wait_event("cycle done", orders=0, timeout=60)
        b = group.start("b")
        b.wait_event("replica started: it acts only while it leads", timeout=60)

        seen = len(b.events())
        cut_at = datetime.now(UTC)
        proxy.cut()
        move_price(devnet, emulator, "WBTC", Decimal(45_000))  # the hedge must grow
        a.wait_event("leadership", role="follower", timeout=30)
        group.wait_leads(b, after=seen, timeout=30)
        b.wait_event("cycle done", orders=0, after=seen, timeout=60)  # b hedged the move

        proxy.heal()
        healed, healed_b = len(a.events()), len(b.events())
        wait_for("a back on the database, trying the lock", lambda: _tries_the_lock(url, "a"))
        move_price(devnet, emulator, "WBTC", Decimal(55_000))  # and again, after the heal
        index, _ = b.wait_event("order", after=healed_b, timeout=60)
        b.wait_event("cycle done", orders=0, after=index, timeout=60)
        after_heal = a.events()[healed:]
        logs = [a.events(), b.events()]
        for proc in (a, b):
            proc.terminate()

    lease_end = cut_at + timedelta(seconds=QUICK.lease_secs)
    late = [
        e
        for e in logs[0]
        if e.get("event") in ACTIONS and datetime.fromisoformat(e["timestamp"]) >= lease_end
    ]
    assert late == []  # a acted on nothing once its lease was over
    assert [e for e in after_heal if e.get("event") == "leadership"] == []  # a stays follower
    with Journal.open(url) as journal:
        assert [(e.epoch, e.replica_id) for e in journal.all_epochs()] == [(1, "a"), (2, "b")]
        assert duplicate_orders(emulator, journal) == []
        assert positions_explained(emulator, journal) == {}
        assert interleaved(logs, journal) == []
        assert journal.pending_intents() == []


def _tries_the_lock(url: str, replica: str) -> bool:
    """``replica``'s leadership connection is open on the server (it tries for the lock)."""
    with psycopg.connect(url, autocommit=True) as conn:
        row = conn.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
            (f"hedgebot-ha:{replica}",),
        ).fetchone()
    return row is not None and row[0] > 0
