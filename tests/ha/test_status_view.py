"""What ``hedgebot status`` and the dashboard say about the replicas: who leads, since when
and why (the journal's latest epoch), and in a replica's own dashboard, its role."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime

from bot.daemon.status_render import leadership_line
from bot.daemon.status_report import leadership_view
from bot.journal import EpochRecord

SINCE = datetime(2026, 12, 4, 20, 0, tzinfo=UTC)
LATEST = EpochRecord(
    epoch=7, replica_id="b", reason="previous leader's lock released", started_at=SINCE
)


def test_status_names_the_leader_from_the_latest_epoch() -> None:
    view = leadership_view(LATEST)
    assert view.as_json() == {
        "epoch": 7,
        "leader": "b",
        "since": "2026-12-04T20:00:00+00:00",
        "reason": "previous leader's lock released",
        "replica": None,
        "role": None,
    }
    assert leadership_line(view) == (
        "replicas: b leads (epoch 7, since 2026-12-04T20:00:00+00:00: previous leader's lock "
        "released)"
    )


def test_a_replica_says_it_follows() -> None:
    view = replace(leadership_view(LATEST), replica="a", role="follower")
    assert leadership_line(view).endswith("; this replica (a) is follower")


def test_before_any_replica_led() -> None:
    view = leadership_view(None)
    assert view.epoch is None
    assert leadership_line(view) == "replicas: none has led yet"
