"""The Telegram commands' pure parts: reading an update, who is obeyed, the /flatten code's
window, the outage backoff, and the config keys."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from pydantic import ValidationError

from bot.config.models import AlertsConfig, TelegramAlertConfig
from bot.daemon.telegram.api import bot_id
from bot.daemon.telegram.commands import (
    Command,
    Message,
    authorised,
    message_of,
    parse,
    too_old,
)
from bot.daemon.telegram.confirm import Confirmations, Verdict
from bot.daemon.telegram.listener import next_backoff
from tests.daemon.telegram_bot import text_update

NOW = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "command", "args"),
    [
        ("/status", Command.STATUS, ()),
        ("/pause@hedge_bot too volatile", Command.PAUSE, ("too", "volatile")),
        ("  /RESUME  ", Command.RESUME, ()),
        ("/flatten confirm ab12cd", Command.FLATTEN, ("confirm", "ab12cd")),
        ("/start", Command.HELP, ()),
        ("/moon", Command.UNKNOWN, ()),
    ],
)
def test_commands_are_read_with_their_arguments(
    text: str, command: Command, args: tuple[str, ...]
) -> None:
    parsed = parse(text)
    assert parsed is not None
    assert (parsed.command, parsed.args) == (command, args)


@pytest.mark.parametrize("text", ["hello", "", "/", "/@bot", " status"])
def test_texts_that_are_not_commands_are_not_read_as_one(text: str) -> None:
    assert parse(text) is None


def test_an_update_gives_its_chat_date_and_text() -> None:
    update = text_update(5, "/guard", chat_id=-100123, date=1_700_000_000)
    assert message_of(update) == Message(
        update_id=5, chat_id=-100123, sent_at=1_700_000_000, text="/guard"
    )


@pytest.mark.parametrize(
    "update",
    [
        {"update_id": 1, "edited_message": {"chat": {"id": 1}, "date": 1, "text": "/pause"}},
        {"update_id": 1, "message": {"chat": {"id": 1}, "date": 1, "photo": []}},
        {"update_id": True, "message": {"chat": {"id": 1}, "date": 1, "text": "/pause"}},
        {"message": {"chat": {"id": 1}, "date": 1, "text": "/pause"}},
    ],
)
def test_updates_without_a_text_message_give_none(update: dict[str, Any]) -> None:
    assert message_of(update) is None


def test_only_the_configured_chats_are_obeyed() -> None:
    assert authorised(-100123, {"-100123", "42"})
    assert not authorised(100123, {"-100123", "42"})


def test_a_command_queued_while_nobody_listened_is_too_old() -> None:
    message = Message(update_id=1, chat_id=1, sent_at=int(NOW.timestamp()) - 301, text="/pause")
    assert too_old(message, NOW, max_age_secs=300)
    assert not too_old(message, NOW, max_age_secs=302)


def test_the_flatten_code_works_once_in_its_chat_within_its_window() -> None:
    asked = Confirmations().ask(chat_id=1, code="abc123", now=NOW, ttl_secs=60)
    later = NOW + timedelta(seconds=59)

    state, verdict = asked.confirm(chat_id=1, code="abc123", now=later)
    assert verdict is Verdict.CONFIRMED
    assert state.confirm(chat_id=1, code="abc123", now=later)[1] is Verdict.NOTHING_PENDING

    assert asked.confirm(chat_id=2, code="abc123", now=later)[1] is Verdict.NOTHING_PENDING
    late = NOW + timedelta(seconds=61)
    assert asked.confirm(chat_id=1, code="abc123", now=late)[1] is Verdict.EXPIRED
    state, verdict = asked.confirm(chat_id=1, code="zzz999", now=later)
    assert verdict is Verdict.WRONG_CODE
    assert state.confirm(chat_id=1, code="abc123", now=later)[1] is Verdict.NOTHING_PENDING


def test_a_new_flatten_request_replaces_the_old_code() -> None:
    first = Confirmations().ask(chat_id=1, code="old111", now=NOW, ttl_secs=60)
    second = first.ask(chat_id=1, code="new222", now=NOW, ttl_secs=60)
    assert second.confirm(chat_id=1, code="old111", now=NOW)[1] is Verdict.WRONG_CODE
    assert second.confirm(chat_id=1, code="new222", now=NOW)[1] is Verdict.CONFIRMED


def test_backoff_doubles_to_its_cap_and_honours_retry_after() -> None:
    waits, wait = [], 0.0
    for _ in range(8):
        wait = next_backoff(wait, asked=None, first=1.0, most=60.0)
        waits.append(wait)
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    assert next_backoff(1.0, asked=30.0, first=1.0, most=60.0) == 30.0


def test_bot_id_is_the_tokens_public_part() -> None:
    assert bot_id("7000000001:CanaryTgTok5x") == "7000000001"


def test_commands_need_allowed_chats_and_one_listening_entry() -> None:
    with pytest.raises(ValidationError, match="allowed_chat_ids"):
        TelegramAlertConfig(chat_id="1", commands={"enabled": True})
    with pytest.raises(ValidationError, match="allowed_chat_ids"):
        TelegramAlertConfig(
            chat_id="1",
            commands={"enabled": True, "allowed_chat_ids": ["@channel"]},
        )
    with pytest.raises(ValidationError, match="extra"):
        TelegramAlertConfig(chat_id="1", commands={"enabled": True, "token": "x"})
    on = {"chat_id": "1", "commands": {"enabled": True, "allowed_chat_ids": ["1"]}}
    with pytest.raises(ValidationError, match="one entry only"):
        AlertsConfig(telegram=[on, on])
    assert AlertsConfig(telegram=[on]).telegram[0].commands.allowed_chat_ids == ["1"]
