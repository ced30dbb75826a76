"""Operator commands from Telegram, against the real chain (anvil + Aave v3), the real exchange
emulator and the journal; only the Bot API is a stand-in (respx, recorded-shape answers)."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

import httpx
import pytest
import structlog

from bot.config import HedgebotConfig, load_config
from bot.daemon.telegram.build import command_listener
from bot.daemon.telegram.listener import CommandListener
from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle, python_binance_client
from bot.journal import Journal
from bot.logs import configure_logging
from tests.daemon.harness import (
    daemon_config,
    emulator_orders,
    emulator_positions,
    open_borrower,
    write_config,
)
from tests.daemon.telegram_bot import ALLOWED_CHAT, API, OTHER_CHAT, TOKEN, FakeBot, text_update

pytestmark = [pytest.mark.chain, pytest.mark.exchange]

ACTOR = f"telegram:{ALLOWED_CHAT}"


@dataclass(frozen=True, slots=True, kw_only=True)
class Scene:
    config: HedgebotConfig
    wallet: str
    journal_path: Path


@pytest.fixture
def scene(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Scene:
    borrower = open_borrower(devnet, emulator)
    journal_path = tmp_path / "journal.db"
    raw = daemon_config(
        devnet=devnet, emulator=emulator, wallet=borrower.address, journal_path=journal_path
    )
    raw["alerts"] = {
        "telegram": [
            {
                "chat_id": str(ALLOWED_CHAT),
                "commands": {"enabled": True, "allowed_chat_ids": [str(ALLOWED_CHAT)]},
            }
        ]
    }
    config = load_config(write_config(tmp_path / "config.yaml", raw))
    monkeypatch.setenv("HEDGEBOT_TELEGRAM_TOKEN", TOKEN)
    monkeypatch.setenv("BINANCE_API_KEY", emulator.api_key)
    monkeypatch.setenv("BINANCE_API_SECRET", emulator.api_secret)
    return Scene(config=config, wallet=borrower.address, journal_path=journal_path)


@pytest.fixture
def bot() -> FakeBot:
    return FakeBot()


@pytest.fixture
def listener(scene: Scene, bot: FakeBot) -> Iterator[CommandListener]:
    made = command_listener(scene.config, dry_run=False, live=False, transport=bot.transport)
    assert made is not None
    yield made
    made.close()


def say(bot: FakeBot, listener: CommandListener, update_id: int, text: str, **kw: int) -> None:
    bot.queue(text_update(update_id, text, date=int(time.time()), **kw))
    listener.poll_once()


def journal(scene: Scene) -> Journal:
    return Journal.open(f"sqlite:///{scene.journal_path}")


def test_a_chat_not_allowed_is_ignored_and_logged_without_its_text(
    scene: Scene, bot: FakeBot, listener: CommandListener
) -> None:
    with structlog.testing.capture_logs() as logs:
        say(bot, listener, 1, "/pause secret plans", chat_id=OTHER_CHAT)

    assert bot.sent == []  # no reply at all
    with journal(scene) as j:
        assert not j.is_paused()
        assert j.operator_actions() == []
    (entry,) = [e for e in logs if e["event"].startswith("telegram message from a chat not")]
    assert entry["chat_id"] == OTHER_CHAT
    assert entry["command"] == "pause"
    assert "secret plans" not in repr(logs)


def test_pause_and_resume_are_journaled_as_the_chat_and_the_guard_keeps_running(
    scene: Scene, bot: FakeBot, listener: CommandListener
) -> None:
    say(bot, listener, 1, "/pause volatile market")
    with journal(scene) as j:
        state = j.pause_state()
        assert (state.paused, state.actor, state.reason) == (True, ACTOR, "volatile market")
    (reply,) = bot.replies()
    assert "hedger paused by telegram:424242" in reply
    assert "guard keeps repaying" in reply

    say(bot, listener, 2, "/resume calmer")
    with journal(scene) as j:
        assert not j.is_paused()
        commands = [
            (a.action, a.actor, a.reason)
            for a in j.operator_actions()
            if a.action.startswith("telegram")
        ]
    assert commands == [
        ("telegram /resume", ACTOR, "hedger resumed"),
        ("telegram /pause", ACTOR, "hedger paused"),
    ]
    assert "guard was never paused" in bot.replies()[-1]


def test_status_reply_shows_the_health_factor_hedge_and_loops(
    scene: Scene, bot: FakeBot, listener: CommandListener, devnet: Devnet
) -> None:
    say(bot, listener, 1, "/status")

    (reply,) = bot.replies()
    hf = Decimal(devnet.account_data(scene.wallet)[-1]) / 10**18
    assert f"HF oracle {hf:.4f}" in reply
    assert f"chain {hf:.4f}" in reply
    assert "BTCUSDT: short $0 / target $" in reply
    assert "reserve need" in reply
    assert "guard on" in reply
    assert "hedger running" in reply


def test_guard_shows_the_state_and_says_stopping_it_is_local(
    bot: FakeBot, listener: CommandListener
) -> None:
    say(bot, listener, 1, "/guard")
    (reply,) = bot.replies()
    assert "e2e: guard on" in reply
    assert "stays a local command" in reply


def test_unknown_command_gets_the_help(bot: FakeBot, listener: CommandListener) -> None:
    say(bot, listener, 1, "/moon")
    (reply,) = bot.replies()
    assert reply.startswith("unknown command /moon")
    assert "/flatten" in reply


def _open_shorts(emulator: EmulatorHandle) -> None:
    emulator.control.fund("USDT", Decimal(100_000), venue="usdm")
    client = python_binance_client(emulator)
    for symbol, quantity in (("BTCUSDT", "0.1"), ("ETHUSDT", "1")):
        client.futures_create_order(symbol=symbol, side="SELL", type="MARKET", quantity=quantity)


def _code(reply: str) -> str:
    found = re.search(r"/flatten confirm (\S+)", reply)
    assert found, reply
    return found.group(1)


def test_flatten_does_nothing_without_its_code_and_closes_the_hedge_with_it(
    scene: Scene, bot: FakeBot, listener: CommandListener, emulator: EmulatorHandle
) -> None:
    _open_shorts(emulator)
    before = (emulator_positions(emulator), len(emulator_orders(emulator)))
    assert before[0]["BTCUSDT"] == Decimal("-0.1")

    say(bot, listener, 1, "/flatten")
    first = _code(bot.replies()[-1])
    say(bot, listener, 2, "/flatten confirm 000000" if first != "000000" else "/flatten confirm 1")
    assert "wrong code: nothing done" in bot.replies()[-1]
    say(bot, listener, 3, f"/flatten confirm {first}")  # used up by the wrong try
    assert "send /flatten first" in bot.replies()[-1]
    assert (emulator_positions(emulator), len(emulator_orders(emulator))) == before
    with journal(scene) as j:
        assert not j.is_paused()

    say(bot, listener, 4, "/flatten")
    say(bot, listener, 5, f"/flatten confirm {_code(bot.replies()[-1])}")

    assert set(emulator_positions(emulator).values()) == {Decimal(0)}
    closes = [o for o in emulator_orders(emulator) if o["reduce_only"]]
    assert {o["symbol"] for o in closes} == {"BTCUSDT", "ETHUSDT"}
    assert "flat; hedger paused" in bot.replies()[-1]
    with journal(scene) as j:
        state = j.pause_state()
        assert (state.paused, state.actor, state.reason) == (True, ACTOR, "flatten")
        outcomes = [a.reason for a in j.operator_actions() if a.action == "telegram /flatten"]
    assert outcomes[0].startswith("flattened: flat; hedger paused")
    assert outcomes[1:] == [
        "confirmation asked",
        "not flattened: nothing pending",
        "not flattened: wrong code",
        "confirmation asked",
    ]


def test_an_update_is_obeyed_once_across_a_restart(scene: Scene, bot: FakeBot) -> None:
    first = command_listener(scene.config, dry_run=False, live=False, transport=bot.transport)
    assert first is not None
    pause = text_update(41, "/pause once", date=int(time.time()))
    bot.queue(pause)
    first.poll_once()
    first.close()

    again = command_listener(scene.config, dry_run=False, live=False, transport=bot.transport)
    assert again is not None
    bot.queue(pause)  # Telegram sends it again: the first run never confirmed it
    again.poll_once()
    again.close()

    assert bot.offsets == [None, 42]  # the restart asks from the next update on
    assert len(bot.replies()) == 1
    with journal(scene) as j:
        assert [a.action for a in j.operator_actions()].count("telegram /pause") == 1


def test_a_telegram_outage_is_logged_with_backoff_and_the_token_never_appears(
    scene: Scene, capsys: pytest.CaptureFixture[str]
) -> None:
    configure_logging(fmt="json", level="DEBUG")
    logging.getLogger().setLevel(logging.DEBUG)  # even httpx's request lines go through
    answered = threading.Event()
    calls = {"n": 0}

    def updates(request: httpx.Request) -> httpx.Response:
        calls["n"] += 1
        if calls["n"] <= 3:
            raise httpx.ConnectError(f"connection refused by {request.url}", request=request)
        if calls["n"] == 4:
            return httpx.Response(
                401, json={"ok": False, "error_code": 401, "description": f"Unauthorized {TOKEN}"}
            )
        if calls["n"] == 5:
            update = text_update(7, "/help", date=int(time.time()))
            return httpx.Response(200, json={"ok": True, "result": [update]})
        return httpx.Response(200, json={"ok": True, "result": []})

    def sent(request: httpx.Request) -> httpx.Response:
        answered.set()
        return httpx.Response(200, json={"ok": True, "result": {"message_id": 1}})

    bot = FakeBot()
    bot.router.post(f"{API}/getUpdates").mock(side_effect=updates)
    bot.router.post(f"{API}/sendMessage").mock(side_effect=sent)
    listener = command_listener(
        scene.config, dry_run=False, live=False, transport=bot.transport, first_backoff_secs=0.01
    )
    assert listener is not None
    listener.start()
    try:
        assert answered.wait(30), "the listener gave up after the outage"
    finally:
        listener.stop(timeout=10)
        err = capsys.readouterr().err
        structlog.reset_defaults()
        logging.getLogger().handlers.clear()
        logging.getLogger().setLevel(logging.WARNING)

    assert err.count('"telegram poll failed"') == 4
    assert '"command": "help"' in err
    assert TOKEN.split(":")[1] not in err
