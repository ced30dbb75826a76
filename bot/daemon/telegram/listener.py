"""The thin I/O loop: long-poll the bot's updates on a thread of its own, take each update once
(its id is journaled before it is acted on), obey the allowed chats, reply, journal the command.
A Telegram outage is logged and retried with backoff; nothing here can stop a guard."""

from __future__ import annotations

import secrets
import threading
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import structlog

from bot.daemon.service import utc_now
from bot.daemon.telegram import replies
from bot.daemon.telegram.api import BotApi, TelegramApiError
from bot.daemon.telegram.commands import (
    Command,
    Message,
    Parsed,
    age_secs,
    authorised,
    message_of,
    parse,
    too_old,
    update_id,
)
from bot.daemon.telegram.confirm import Confirmations, Verdict
from bot.daemon.telegram.operator import Operator
from bot.journal import Journal
from bot.redact import scrub

log = structlog.get_logger(__name__)


@dataclass(frozen=True, slots=True, kw_only=True)
class ListenerSettings:
    allowed_chat_ids: frozenset[str]
    confirm_secs: float
    max_command_age_secs: float
    first_backoff_secs: float = 1.0
    max_backoff_secs: float = 60.0


def next_backoff(previous: float, *, asked: float | None, first: float, most: float) -> float:
    """Doubling from ``first`` up to ``most``; at least what Telegram asked for (429)."""
    doubled = min(most, max(first, previous * 2))
    return max(doubled, asked or 0.0)


def _new_code() -> str:
    return secrets.token_hex(3)


_VERDICT_REPLIES = {
    Verdict.NOTHING_PENDING: "no /flatten is waiting for a code: send /flatten first",
    Verdict.EXPIRED: "the code expired: nothing done; send /flatten again",
    Verdict.WRONG_CODE: "wrong code: nothing done; send /flatten again for a new code",
}


class CommandListener:
    def __init__(
        self,
        api: BotApi,
        *,
        bot_id: str,
        operator: Operator,
        journal: Journal,
        settings: ListenerSettings,
        clock: Callable[[], datetime] = utc_now,
        new_code: Callable[[], str] = _new_code,
        secret_urls: Collection[str] = (),
    ) -> None:
        self._api = api
        self._bot_id = bot_id
        self._operator = operator
        self._journal = journal
        self._settings = settings
        self._clock = clock
        self._new_code = new_code
        self._secret_urls = tuple(secret_urls)
        self._confirmations = Confirmations()
        last = journal.telegram_offset(bot_id)
        self._offset = None if last is None else last + 1
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    # --- the thread ------------------------------------------------------------------------

    def start(self) -> None:
        self._thread = threading.Thread(target=self.run, name="telegram-commands", daemon=True)
        self._thread.start()
        log.info("telegram commands listening", chats=sorted(self._settings.allowed_chat_ids))

    def stop(self, *, timeout: float = 2.0) -> None:
        """Stop asking for updates; a long poll in flight is not waited for past ``timeout``
        (the thread is a daemon thread, and an update it returns is left for the next run)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)

    def run(self) -> None:
        s, backoff = self._settings, 0.0
        try:
            while not self._stop.is_set():
                try:
                    self.poll_once()
                    backoff = 0.0
                    continue
                except TelegramApiError as exc:
                    backoff = next_backoff(
                        backoff, asked=exc.retry_after_secs, first=s.first_backoff_secs,
                        most=s.max_backoff_secs,
                    )  # fmt: skip
                    log.warning("telegram poll failed", error=str(exc), retry_in_secs=backoff)
                except Exception as exc:  # the journal or a bug: keep listening, say so
                    backoff = next_backoff(
                        backoff, asked=None, first=s.first_backoff_secs, most=s.max_backoff_secs
                    )
                    log.error("telegram commands failed", error=self._scrub(str(exc)))
                self._stop.wait(backoff)
        finally:
            self.close()

    def close(self) -> None:
        self._api.close()
        self._journal.close()

    # --- one poll ----------------------------------------------------------------------------

    def poll_once(self) -> int:
        """Ask for the next updates and act on each; the number taken."""
        taken = 0
        for update in self._api.get_updates(self._offset):
            uid = update_id(update)
            if uid is None or self._stop.is_set():
                continue
            self._offset = max(self._offset or 0, uid + 1)
            # Journaled before acting: a crash mid-command never obeys it twice.
            if self._journal.take_telegram_update(self._bot_id, uid, now=self._clock()):
                taken += 1
                self._take(update)
        return taken

    def _take(self, update: Mapping[str, Any]) -> None:
        message = message_of(update)
        if message is None:
            return
        parsed = parse(message.text)
        if not authorised(message.chat_id, self._settings.allowed_chat_ids):
            log.warning(
                "telegram message from a chat not allowed: ignored",
                chat_id=message.chat_id,
                command=None if parsed is None else parsed.name,
            )
            return
        if parsed is not None:
            self._obey(message, parsed)

    def _obey(self, message: Message, parsed: Parsed) -> None:
        now = self._clock()
        actor = f"telegram:{message.chat_id}"
        if too_old(message, now, max_age_secs=self._settings.max_command_age_secs):
            reply, outcome = replies.too_old(parsed.name, age_secs(message, now)), "too old"
        else:
            try:
                reply, outcome = self._respond(message, parsed, actor=actor, now=now)
            except Exception as exc:  # a command that fails is answered, the listener goes on
                detail = self._scrub(str(exc)) or type(exc).__name__
                reply, outcome = f"/{parsed.name} failed: {detail}", f"failed: {detail}"
        self._journal.record_operator_action(
            f"telegram /{parsed.name}"[:40], actor=actor, reason=outcome[:500], now=now
        )
        log.info("telegram command", chat_id=message.chat_id, command=parsed.name, outcome=outcome)
        self._reply(message.chat_id, reply)

    def _respond(
        self, message: Message, parsed: Parsed, *, actor: str, now: datetime
    ) -> tuple[str, str]:
        """The reply and the outcome to journal."""
        match parsed.command:
            case Command.STATUS:
                return replies.status_text(self._operator.status()), "status sent"
            case Command.PAUSE | Command.RESUME:
                pause = parsed.command is Command.PAUSE
                reason = parsed.rest or f"telegram {parsed.command.value}"
                self._operator.set_paused(pause, reason=reason, actor=actor)
                text = replies.paused if pause else replies.resumed
                return text(actor, reason), ("hedger paused" if pause else "hedger resumed")
            case Command.FLATTEN:
                return self._flatten(message, parsed, actor=actor, now=now)
            case Command.GUARD:
                return replies.guard_text(self._operator.guard_states()), "guard state sent"
            case Command.HELP:
                return replies.HELP, "help sent"
        return replies.unknown(parsed.name), "unknown command: help sent"

    def _flatten(
        self, message: Message, parsed: Parsed, *, actor: str, now: datetime
    ) -> tuple[str, str]:
        if not parsed.args or parsed.args[0].lower() != "confirm":
            code, ttl = self._new_code(), self._settings.confirm_secs
            self._confirmations = self._confirmations.ask(
                chat_id=message.chat_id, code=code, now=now, ttl_secs=ttl
            )
            return replies.flatten_asked(code, ttl), "confirmation asked"
        code = parsed.args[1] if len(parsed.args) > 1 else ""
        self._confirmations, verdict = self._confirmations.confirm(
            chat_id=message.chat_id, code=code, now=now
        )
        if verdict is not Verdict.CONFIRMED:
            return _VERDICT_REPLIES[verdict], f"not flattened: {verdict.value}"
        lines = list(self._operator.flatten(actor=actor, now=now))
        return replies.fit("\n".join(lines)), f"flattened: {lines[-1] if lines else ''}"

    def _reply(self, chat_id: int, text: str) -> None:
        try:
            self._api.send_message(chat_id, replies.fit(text))
        except TelegramApiError as exc:
            log.warning("telegram reply failed", chat_id=chat_id, error=str(exc))

    def _scrub(self, text: str) -> str:
        return scrub(text, self._secret_urls)
