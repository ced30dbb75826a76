"""Reading an update: which chat sent which command, whether that chat is obeyed, whether the
command is too old to obey. Values in, values out."""

from __future__ import annotations

from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any


class Command(StrEnum):
    STATUS = "status"
    PAUSE = "pause"
    RESUME = "resume"
    FLATTEN = "flatten"
    GUARD = "guard"
    HELP = "help"
    UNKNOWN = "unknown"


_ALIASES = {"start": Command.HELP}  # Telegram sends /start when a user first opens the bot


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """A text message of an update: what the listener acts on."""

    update_id: int
    chat_id: int
    sent_at: int  # unix seconds (the Bot API's ``date``)
    text: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Parsed:
    command: Command
    name: str  # as typed, without "/" and "@bot" (journaled and logged instead of the text)
    args: tuple[str, ...]

    @property
    def rest(self) -> str:
        return " ".join(self.args)


def update_id(update: Mapping[str, Any]) -> int | None:
    value = update.get("update_id")
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def message_of(update: Mapping[str, Any]) -> Message | None:
    """The text message an update carries; None for anything else (edits, joins, photos)."""
    uid = update_id(update)
    message = update.get("message")
    if uid is None or not isinstance(message, Mapping):
        return None
    chat, text, date = message.get("chat"), message.get("text"), message.get("date")
    if not isinstance(chat, Mapping) or not isinstance(text, str) or not isinstance(date, int):
        return None
    chat_id = chat.get("id")
    if not isinstance(chat_id, int) or isinstance(chat_id, bool):
        return None
    return Message(update_id=uid, chat_id=chat_id, sent_at=date, text=text)


def parse(text: str) -> Parsed | None:
    """``/pause@hedge_bot too volatile`` -> PAUSE ("too volatile"); None for a text that is
    not a command."""
    words = text.strip().split()
    if not words or not words[0].startswith("/") or len(words[0]) < 2:
        return None
    name = words[0][1:].split("@", 1)[0].lower()
    command = _ALIASES.get(name) or next((c for c in Command if c.value == name), Command.UNKNOWN)
    if command is Command.UNKNOWN and not name:
        return None
    return Parsed(command=command, name=name[:30], args=tuple(words[1:]))


def authorised(chat_id: int, allowed: Collection[str]) -> bool:
    return str(chat_id) in allowed


def age_secs(message: Message, now: datetime) -> float:
    return now.timestamp() - message.sent_at


def too_old(message: Message, now: datetime, *, max_age_secs: float) -> bool:
    """Queued while the daemon was down longer than ``max_age_secs``: answered, not obeyed."""
    return age_secs(message, now) > max_age_secs
