"""The leadership component against the embedded PostgreSQL server: two replicas, one leads;
a released, killed, cut or stalled leader stops acting before the other takes over; a healed
one stays a follower."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass

import psycopg
import pytest

from bot.core.ha import LeaseSettings, Role
from bot.ha.leadership import Leadership, libpq_url, lock_key
from bot.journal import FencedOut, Journal
from tests.ha.replicas import socket_path, via, wait_for
from tests.postgres_fixture import PostgresServer
from tests.tcp_proxy import TcpProxy

pytestmark = pytest.mark.postgres

SETTINGS = LeaseSettings(heartbeat_secs=0.1, lease_secs=0.8, takeover_secs=1.2)


@dataclass
class Replica:
    name: str
    journal: Journal
    leadership: Leadership
    acted_while_other_acted: bool = False

    def acts(self) -> bool:
        try:
            self.leadership.acting_epoch()
        except FencedOut:
            return False
        return True


@contextmanager
def replica(name: str, url: str) -> Iterator[Replica]:
    journal = Journal.open(url)
    leadership = Leadership(
        conninfo=libpq_url(url),
        key=lock_key(journal.deployment),
        replica_id=name,
        settings=SETTINGS,
        begin_epoch=lambda rid, reason: journal.begin_epoch(replica_id=rid, reason=reason),
        previous_epoch=journal.latest_epoch,
        connect_timeout_secs=2,
    )
    journal.fence_with(leadership)
    leadership.start()
    try:
        yield Replica(name, journal, leadership)
    finally:
        leadership.stop()
        journal.close()


def leading(a: Replica, b: Replica) -> Replica:
    """Wait for one of the two to act; never both."""
    found: list[Replica] = []

    def one_acts() -> bool:
        acting = [r for r in (a, b) if r.acts()]
        assert len(acting) < 2, "two replicas act at once"
        found[:] = acting
        return bool(acting)

    wait_for("a replica to lead", one_acts)
    return found[0]


def test_one_of_two_replicas_leads_and_a_released_lock_passes_over(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.new_database_url()
    with replica("a", url) as a, ExitStack() as stack:
        wait_for("a to lead", a.acts)
        b = stack.enter_context(replica("b", url))
        assert leading(a, b) is a
        assert b.leadership.state().role is Role.FOLLOWER
        with pytest.raises(FencedOut, match="replica b does not lead"):
            b.leadership.acting_epoch()
        a.leadership.stop()  # a clean stop releases the lock
        assert not a.acts()
        assert leading(a, b) is b
        epochs = [(e.epoch, e.replica_id) for e in b.journal.all_epochs()]
        assert epochs == [(1, "a"), (2, "b")]
        assert b.journal.all_epochs()[1].reason.startswith("previous leader's lock released (a")


def test_a_killed_lock_session_stops_the_leader_before_the_follower_acts(
    postgres_server: PostgresServer,
) -> None:
    url = postgres_server.new_database_url()
    with replica("a", url) as a, replica("b", url) as b:
        first = leading(a, b)
        second = b if first is a else a
        with psycopg.connect(url, autocommit=True) as admin:
            admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = %s",
                (f"hedgebot-ha:{first.name}",),
            )
        # From the moment the lock is free the first may not act; the second waits it out.
        wait_for("the other replica to lead", lambda: leading(a, b) is second)
        assert first.leadership.state().role is Role.FOLLOWER
        assert [e.replica_id for e in second.journal.all_epochs()] == [first.name, second.name]


@pytest.mark.parametrize("fault", ["cut", "stall"])
def test_a_leader_cut_off_from_the_database_stops_and_stays_a_follower_after_healing(
    postgres_server: PostgresServer, fault: str
) -> None:
    url = postgres_server.new_database_url()
    with TcpProxy(socket_path(postgres_server)) as proxy, replica("a", via(proxy, url)) as a:
        wait_for("a to lead", a.acts)
        with replica("b", url) as b:
            assert leading(a, b) is a
            if fault == "stall":
                # Nothing flows: a's heartbeat hangs, and a stops acting when its lease lapses.
                proxy.stall()
                wait_for("a to stop acting", lambda: not a.acts())
                # The proxy keeps the server's end open (on a Unix socket the server's TCP
                # keepalives cannot see the stall): the server dropping the session after
                # them is the cut that follows.
            proxy.cut()
            wait_for("a to stop acting", lambda: not a.acts())
            assert leading(a, b) is b  # only once a stopped, never both (checked while waiting)
            proxy.heal()
            for _ in range(3 * round(SETTINGS.takeover_secs / SETTINGS.heartbeat_secs)):
                assert leading(a, b) is b
                a.leadership.beat()  # a reconnects, tries the lock, and follows
            assert a.leadership.state().role is Role.FOLLOWER
            assert [e.replica_id for e in b.journal.all_epochs()] == ["a", "b"]
