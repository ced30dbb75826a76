"""The leadership of one replica: a PostgreSQL session-level advisory lock held on a dedicated
connection (not the journal's pool), a heartbeat on it, and the lease that heartbeat renews.

One thread runs ``beat()`` every ``heartbeat_secs``: a follower tries the lock; on winning it
records the next epoch in the journal (from then on older epochs are fenced out) and waits out
the takeover delay; a leader sends ``SELECT 1``. A failed or hung call ends leadership at once
(the connection is closed, which frees the lock on the server). A call that hangs is cut by a
watchdog after ``lease_secs``; and whatever the thread is doing, ``acting_epoch()`` answers
from the lease and the clock alone, so a stuck heartbeat can never extend a leader's acting.

The server frees a dead client's lock within a bounded time too: the session sets TCP
keepalives (``tcp_keepalives_idle/interval/count``) so a partitioned leader's lock is released
a few seconds after its lease lapsed, and a follower can take over.
"""

from __future__ import annotations

import contextlib
import hashlib
import math
import socket
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

import psycopg
import structlog
from sqlalchemy import make_url

from bot.core import ha
from bot.core.ha import HaState, LeaseSettings, Role
from bot.journal import EpochRecord, FencedOut

log = structlog.get_logger(__name__)

_T = TypeVar("_T")

OnChange = Callable[[HaState, HaState], None]
BeginEpoch = Callable[[str, str], int]  # (replica id, reason) -> the epoch recorded


def lock_key(deployment: str) -> int:
    """The advisory lock's key for a deployment: replicas of one deployment share it, other
    deployments in the same database do not (advisory locks are per database)."""
    digest = hashlib.sha256(f"hedgebot-ha:{deployment}".encode()).digest()
    return int.from_bytes(digest[:8], "big", signed=True)


def libpq_url(journal_url: str) -> str:
    """The journal's SQLAlchemy URL as libpq takes it (password kept: it connects)."""
    url = make_url(journal_url).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def takeover_reason(previous: EpochRecord | None, replica_id: str) -> str:
    if previous is None:
        return "start: no replica led before"
    if previous.replica_id == replica_id:
        return f"lock regained (this replica led epoch {previous.epoch} before)"
    return (
        f"previous leader's lock released ({previous.replica_id}, epoch {previous.epoch}: "
        "it stopped, died or lost the database)"
    )


class Leadership:
    """One replica's leadership; ``acting_epoch`` is the journal's ``EpochHolder``."""

    def __init__(
        self,
        *,
        conninfo: str,
        key: int,
        replica_id: str,
        settings: LeaseSettings,
        begin_epoch: BeginEpoch,
        previous_epoch: Callable[[], EpochRecord | None],
        on_change: OnChange = lambda _old, _new: None,
        connect_timeout_secs: int = 5,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self.replica_id = replica_id
        self._conninfo = conninfo
        self._key = key
        self._settings = settings
        self._begin_epoch = begin_epoch
        self._previous_epoch = previous_epoch
        self._on_change = on_change
        self._connect_timeout_secs = connect_timeout_secs
        self._monotonic = monotonic
        self._state = HaState()
        self._conn: psycopg.Connection[Any] | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()  # one beat at a time (the thread, or a test's call)

    # --- what the rest of the process asks -----------------------------------------------

    def state(self) -> HaState:
        return ha.advance(self._state, now=self._monotonic(), settings=self._settings)

    def acting_epoch(self) -> int:
        """The epoch to act under now; raises ``FencedOut`` while this replica must not act."""
        state = self._state
        epoch = ha.acting_epoch(state, now=self._monotonic(), settings=self._settings)
        if epoch is None:
            raise FencedOut(f"replica {self.replica_id} does not lead ({self.state().reason})")
        return epoch

    # --- the heartbeat thread ------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="ha-leadership", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the heartbeat and release the lock (another replica may take over at once)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=self._settings.lease_secs + 5)
        with self._lock:
            self._close()
            self._set(ha.lost(self._state, reason="stopped"))

    def _run(self) -> None:
        while not self._stop.is_set():
            self.beat()
            self._stop.wait(self._settings.heartbeat_secs)

    def beat(self) -> None:
        """One heartbeat (leader) or one try for the lock (follower), then the new state."""
        with self._lock:
            sent_at = self._monotonic()
            try:
                if self._conn is None or self._state.role is Role.FOLLOWER:
                    self._try_to_lead(sent_at)
                else:
                    self._guarded(lambda conn: conn.execute("SELECT 1"))
                    self._set(ha.heartbeat(self._state, sent_at=sent_at, settings=self._settings))
            except (psycopg.Error, OSError) as exc:
                self._close()
                reason = f"database connection lost: {type(exc).__name__}: {_first_line(exc)}"
                self._set(ha.lost(self._state, reason=reason))
            state = self.state()
            if state.role is Role.FOLLOWER and self._state.role is not Role.FOLLOWER:
                self._close()  # the lease lapsed: free the lock for the others at once
            self._set(state)

    def _try_to_lead(self, sent_at: float) -> None:
        if self._conn is None:
            self._conn = self._connect()
        won = self._guarded(
            lambda conn: conn.execute("SELECT pg_try_advisory_lock(%s)", (self._key,)).fetchone()
        )
        if not won or not won[0]:
            return
        try:
            reason = takeover_reason(self._previous_epoch(), self.replica_id)
            epoch = self._begin_epoch(self.replica_id, reason)
        except Exception:
            self._close()  # never hold the lock without an epoch: let another replica try
            raise
        state = ha.won(epoch=epoch, at=sent_at, reason=reason, settings=self._settings)
        self._set(state)
        log.warning("leadership won", replica=self.replica_id, epoch=epoch, reason=reason)

    def _connect(self) -> psycopg.Connection[Any]:
        lease = self._settings.lease_secs
        conn = psycopg.connect(
            self._conninfo,
            autocommit=True,
            connect_timeout=self._connect_timeout_secs,
            # The client notices a dead server within about the lease too.
            keepalives=1,
            keepalives_idle=1,
            keepalives_interval=1,
            keepalives_count=max(1, math.ceil(lease)),
            tcp_user_timeout=int(lease * 1000),
            application_name=f"hedgebot-ha:{self.replica_id}"[:63],
        )
        idle = max(1, math.ceil(lease))
        # The server frees the lock of a client it cannot reach after idle + 3 s.
        conn.execute(f"SET tcp_keepalives_idle = {idle}")
        conn.execute("SET tcp_keepalives_interval = 1")
        conn.execute("SET tcp_keepalives_count = 3")
        conn.execute(f"SET statement_timeout = {int(lease * 1000)}")
        return conn

    def _guarded(self, call: Callable[[psycopg.Connection[Any]], _T]) -> _T:
        """``call`` on the lock connection, its socket shut if it takes longer than the lease
        (a stalled network would otherwise hold this thread, and the lock, forever)."""
        conn = self._conn
        assert conn is not None
        watchdog = threading.Timer(self._settings.lease_secs, _shut, args=(conn,))
        watchdog.daemon = True
        watchdog.start()
        try:
            return call(conn)
        finally:
            watchdog.cancel()

    def _close(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            _shut(conn)
            with contextlib.suppress(Exception):
                conn.close()

    def _set(self, state: HaState) -> None:
        old, self._state = self._state, state
        if (old.role, old.epoch) != (state.role, state.epoch):
            log.warning(
                "leadership", replica=self.replica_id, role=state.role.value,
                epoch=state.epoch, reason=state.reason,
            )  # fmt: skip
            self._on_change(old, state)


def _shut(conn: psycopg.Connection[Any]) -> None:
    """Shut the connection's socket: a call blocked on it returns with an error."""
    with contextlib.suppress(Exception):
        sock = socket.socket(fileno=conn.fileno())
        try:
            sock.shutdown(socket.SHUT_RDWR)
        finally:
            sock.detach()


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else ""


__all__ = ["BeginEpoch", "Leadership", "OnChange", "libpq_url", "lock_key", "takeover_reason"]
