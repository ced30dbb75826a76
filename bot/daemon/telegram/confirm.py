"""/flatten's confirmation: a code asked for in one chat, valid there for a short window and
for one attempt. Values in, values out; ``now`` is passed in."""

from __future__ import annotations

import hmac
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum


class Verdict(StrEnum):
    CONFIRMED = "confirmed"
    NOTHING_PENDING = "nothing pending"
    EXPIRED = "expired"
    WRONG_CODE = "wrong code"


@dataclass(frozen=True, slots=True, kw_only=True)
class Pending:
    chat_id: int
    code: str
    expires_at: datetime


@dataclass(frozen=True, slots=True, kw_only=True)
class Confirmations:
    """The flattens waiting for their code, one per chat at most."""

    pending: tuple[Pending, ...] = ()

    def ask(self, *, chat_id: int, code: str, now: datetime, ttl_secs: float) -> Confirmations:
        """A new request replaces the chat's earlier one (its code no longer works)."""
        kept = tuple(p for p in self.pending if p.chat_id != chat_id and p.expires_at >= now)
        fresh = Pending(chat_id=chat_id, code=code, expires_at=now + timedelta(seconds=ttl_secs))
        return replace(self, pending=(*kept, fresh))

    def confirm(self, *, chat_id: int, code: str, now: datetime) -> tuple[Confirmations, Verdict]:
        """Whatever the verdict, the chat's request is used up: a wrong code needs a new
        /flatten, so a guessed code gets one try per request."""
        mine = next((p for p in self.pending if p.chat_id == chat_id), None)
        rest = replace(self, pending=tuple(p for p in self.pending if p.chat_id != chat_id))
        if mine is None:
            return rest, Verdict.NOTHING_PENDING
        if now > mine.expires_at:
            return rest, Verdict.EXPIRED
        if not hmac.compare_digest(code, mine.code):
            return rest, Verdict.WRONG_CODE
        return rest, Verdict.CONFIRMED
