"""The lease arithmetic (bot.core.ha): whatever the heartbeats and the network do, a leader
acts only inside its lease, and a replica that wins the lock acts only after the old leader's
lease has lapsed."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.core.ha import (
    LeaseSettings,
    Role,
    acting_epoch,
    advance,
    heartbeat,
    lost,
    request_window_ms,
    won,
)

SETTINGS = LeaseSettings(heartbeat_secs=1.0, lease_secs=5.0, takeover_secs=8.0)

gaps = st.lists(st.floats(min_value=0.01, max_value=4.0), min_size=1, max_size=30)


def test_settings_must_put_the_lease_inside_the_takeover_delay() -> None:
    with pytest.raises(ValueError, match="lease_secs < takeover_secs"):
        LeaseSettings(heartbeat_secs=1, lease_secs=8, takeover_secs=5)


def test_a_replica_acts_only_after_the_takeover_delay_and_within_its_lease() -> None:
    state = won(epoch=3, at=100.0, reason="start", settings=SETTINGS)
    assert acting_epoch(state, now=100.0, settings=SETTINGS) is None  # taking over
    for t in (101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0):
        state = heartbeat(state, sent_at=t, settings=SETTINGS)
    assert acting_epoch(state, now=107.9, settings=SETTINGS) is None
    assert acting_epoch(state, now=108.0, settings=SETTINGS) == 3
    assert acting_epoch(state, now=111.99, settings=SETTINGS) == 3
    assert acting_epoch(state, now=112.0, settings=SETTINGS) is None  # 107 + 5: lease lapsed
    lapsed = advance(state, now=112.0, settings=SETTINGS)
    assert lapsed.role is Role.FOLLOWER
    assert lapsed.reason == "lease lost: no heartbeat for 5 s"


def test_a_lost_connection_ends_leadership_at_once() -> None:
    state = won(epoch=1, at=0.0, reason="start", settings=SETTINGS)
    state = lost(state, reason="database connection lost")
    assert acting_epoch(state, now=0.5, settings=SETTINGS) is None
    assert state.reason == "database connection lost"
    assert heartbeat(state, sent_at=1.0, settings=SETTINGS) == state  # a follower has no lease


@given(beats=gaps, freed_after=st.floats(min_value=0, max_value=10), probe=st.floats(0, 200))
def test_two_replicas_never_act_at_once(
    beats: list[float], freed_after: float, probe: float
) -> None:
    """The old leader's heartbeats succeed at the times in ``beats`` (each one started while it
    held the lock); the server frees the lock ``freed_after`` its last success started, and the
    other replica wins it then. At no time ``probe`` do both act."""
    old = won(epoch=1, at=0.0, reason="start", settings=SETTINGS)
    sent = 0.0
    for gap in beats:
        sent += gap
        old = heartbeat(old, sent_at=sent, settings=SETTINGS)
    freed = sent + freed_after
    new = won(epoch=2, at=freed, reason="released", settings=SETTINGS)
    new_sent = freed
    while new_sent < probe:  # the new leader's own heartbeats keep its lease
        new_sent += SETTINGS.heartbeat_secs
        new = heartbeat(new, sent_at=new_sent, settings=SETTINGS)
    old_acts = acting_epoch(old, now=probe, settings=SETTINGS) is not None
    new_acts = acting_epoch(new, now=probe, settings=SETTINGS) is not None
    assert not (old_acts and new_acts)
    if old_acts:
        assert probe < sent + SETTINGS.lease_secs
    if new_acts:
        assert probe >= freed + SETTINGS.takeover_secs


@given(
    configured=st.integers(min_value=1, max_value=59_999),
    lease=st.floats(min_value=0.2, max_value=60),
    extra=st.floats(min_value=0.01, max_value=60),
)
def test_a_request_the_old_leader_stamped_in_its_lease_expires_before_a_takeover(
    configured: int, lease: float, extra: float
) -> None:
    settings = LeaseSettings(heartbeat_secs=0.1, lease_secs=lease, takeover_secs=lease + extra)
    window = request_window_ms(configured, settings)
    assert 1 <= window <= configured
    # Stamped at the lease's end at the latest, refused after the window: before the
    # new leader acts (whenever the window is not already at its floor of 1 ms).
    assert window == 1 or lease + window / 1000 <= settings.takeover_secs
