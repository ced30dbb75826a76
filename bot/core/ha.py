"""Leadership among replicas sharing one journal: the lease arithmetic and the role's
transitions, as values. Times are seconds of a monotonic clock, passed in (``now``, ``at``).

Safety argument, in the terms of these functions: a leader acts only while ``now`` is under
``lease_until`` = (start of its last heartbeat that succeeded) + ``lease_secs``. A heartbeat
that succeeded proves the lock was held when it started, so the lock was freed at some ``f``
after that start. Another replica can win it only at ``w >= f`` and acts only from
``w + takeover_secs``. With ``lease_secs < takeover_secs``, the old leader's last moment of
acting (before its start + lease <= f + lease) comes before the new one's first (>= f +
takeover): two replicas never act at once, whatever the network does to the old one.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from enum import StrEnum


class Role(StrEnum):
    FOLLOWER = "follower"
    TAKING_OVER = "taking_over"  # won the lock; waits out the takeover delay before acting
    LEADER = "leader"


@dataclass(frozen=True, slots=True, kw_only=True)
class LeaseSettings:
    heartbeat_secs: float
    lease_secs: float
    takeover_secs: float

    def __post_init__(self) -> None:
        if not 0 < self.heartbeat_secs < self.lease_secs < self.takeover_secs:
            raise ValueError(
                "leadership needs 0 < heartbeat_secs < lease_secs < takeover_secs, got "
                f"{self.heartbeat_secs}, {self.lease_secs}, {self.takeover_secs}"
            )


@dataclass(frozen=True, slots=True, kw_only=True)
class HaState:
    role: Role = Role.FOLLOWER
    epoch: int | None = None  # the epoch won; None while following
    won_at: float = 0.0
    lease_until: float = 0.0
    reason: str = "start"  # why the role is what it is, for the alert and status


def won(*, epoch: int, at: float, reason: str, settings: LeaseSettings) -> HaState:
    """The lock was won at ``at`` (the lock call started then) and ``epoch`` recorded."""
    return HaState(
        role=Role.TAKING_OVER,
        epoch=epoch,
        won_at=at,
        lease_until=at + settings.lease_secs,
        reason=reason,
    )


def heartbeat(state: HaState, *, sent_at: float, settings: LeaseSettings) -> HaState:
    """A heartbeat sent at ``sent_at`` succeeded: the lease runs from when it was sent."""
    if state.role is Role.FOLLOWER:
        return state
    return replace(state, lease_until=max(state.lease_until, sent_at + settings.lease_secs))


def lost(state: HaState, *, reason: str) -> HaState:
    if state.role is Role.FOLLOWER:
        return state
    return HaState(reason=reason)


def advance(state: HaState, *, now: float, settings: LeaseSettings) -> HaState:
    """The state at ``now``: a lapsed lease ends leadership, a waited-out takeover starts it."""
    if state.role is Role.FOLLOWER:
        return state
    if now >= state.lease_until:
        return lost(state, reason=f"lease lost: no heartbeat for {settings.lease_secs:g} s")
    if state.role is Role.TAKING_OVER and now >= state.won_at + settings.takeover_secs:
        return replace(state, role=Role.LEADER)
    return state


def acting_epoch(state: HaState, *, now: float, settings: LeaseSettings) -> int | None:
    """The epoch to act under at ``now``, None when this replica must not act."""
    current = advance(state, now=now, settings=settings)
    if current.role is Role.LEADER:
        return current.epoch
    return None


def request_window_ms(configured_ms: int, settings: LeaseSettings) -> int:
    """The exchange's ``recvWindow`` for a replica: a signed request is refused once it
    arrives later than this after it was stamped. A leader stamps its last request before its
    lease ends (``f + lease_secs`` at the latest, see the module's argument); bounding the
    window under ``takeover_secs - lease_secs`` makes that request arrive, or be refused,
    before a new leader can act and reconcile by client id (``f + takeover_secs`` at the
    earliest): a late order or withdrawal of the old leader can never land after it looked.
    (Chain transactions need no bound: the new leader reuses the nonce, and one of two
    transactions with a nonce is ever mined.)"""
    bound = int((settings.takeover_secs - settings.lease_secs) * 1000)
    return max(1, min(configured_ms, bound))


__all__ = [
    "HaState",
    "LeaseSettings",
    "Role",
    "acting_epoch",
    "advance",
    "heartbeat",
    "lost",
    "request_window_ms",
    "won",
]
