"""Issue 13: the guard repays whatever has stopped the hedger.

Each test runs ``hedgebot run`` as a subprocess against anvil (real Aave v3, 0.45 s blocks from
a producer thread) and the Binance Futures emulator, puts the position under
``protect.trigger_hf`` and checks the chain: the repay is mined within 3 blocks of the price
move, restores ``target_hf``, and a liquidator calling ``liquidationCall`` on every block never
succeeds through a deeper crash that would have liquidated the unprotected position.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.devnet.anvil import free_port
from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from bot.journal import Journal
from tests.daemon.guard_scene import (
    TARGET_HF,
    BlockProducer,
    crash,
    hf_at,
    liquidator_on,
    mined_repays,
    wait_for_repay,
    wait_guard_armed,
)
from tests.daemon.harness import (
    WEBHOOK_ENV,
    Borrower,
    DaemonProcess,
    WebhookReceiver,
    cli,
    daemon_config,
    daemon_env,
    exchange_outage,
    open_borrower,
    running_daemon,
    write_config,
)

pytestmark = [pytest.mark.chain, pytest.mark.exchange, pytest.mark.slow]

# HF 1.789 at the start; x0.67 puts it near 1.2, under the 1.3 trigger and above 1.
FIRST_FACTOR = Decimal("0.67")
# From there a further x0.79 would take the unprotected position to ~0.95: liquidatable.
SECOND_FACTOR = Decimal("0.79")


def _trouble_5xx(emulator: EmulatorHandle, **_: Any) -> None:
    exchange_outage(emulator, "http_500")


def _trouble_timeouts(emulator: EmulatorHandle, **_: Any) -> None:
    exchange_outage(emulator, "timeout_executed", timeout_secs=3)


def _trouble_ban(emulator: EmulatorHandle, **_: Any) -> None:
    exchange_outage(emulator, "http_418")


def _trouble_pause(config: Path, env: dict[str, str], **_: Any) -> None:
    result = cli("pause", "--config", str(config), env=env)
    assert result.returncode == 0, result.stderr


def _trouble_flatten(config: Path, env: dict[str, str], **_: Any) -> None:
    result = cli("flatten", "--config", str(config), env=env)
    assert result.returncode == 0, result.stderr
    assert "flat; hedger paused" in result.stdout, result.stdout


def _trouble_breaker(
    emulator: EmulatorHandle, daemon: DaemonProcess, journal_path: Path, **_: Any
) -> None:
    """Failed cycles until the breaker pauses the hedger, then the exchange recovers."""
    exchange_outage(emulator, "http_500")
    daemon.wait_event("pause flag set", actor="circuit-breaker", timeout=60)
    emulator.control.clear_faults()
    with Journal.open(f"sqlite:///{journal_path}") as journal:
        assert journal.pause_state().actor == "circuit-breaker"


def _trouble_donation(devnet: Devnet, borrower: Borrower, **_: Any) -> None:
    """Anyone may supply on a borrower's behalf: 1 wei of WBNB, which `tokens:` omits."""
    devnet.supply_on_behalf(devnet.account(6), borrower.address, "WBNB", 1)


TROUBLES: dict[str, Callable[..., None]] = {
    "exchange 5xx": _trouble_5xx,
    "exchange timeouts": _trouble_timeouts,
    "exchange 418 ban": _trouble_ban,
    "hedger paused": _trouble_pause,
    "after flatten": _trouble_flatten,
    "breaker tripped": _trouble_breaker,
    "unmapped token donated": _trouble_donation,
}


def _config(
    devnet: Devnet, emulator: EmulatorHandle, borrower: Borrower, tmp_path: Path, **overrides: Any
) -> tuple[Path, Path]:
    journal_path = tmp_path / "journal.db"
    config = daemon_config(
        devnet=devnet, emulator=emulator, wallet=borrower.address, journal_path=journal_path
    )
    config.update(overrides)
    return write_config(tmp_path / "hedgebot.yaml", config), journal_path


def _protected_through_two_crashes(
    devnet: Devnet,
    emulator: EmulatorHandle,
    borrower: Borrower,
    journal_path: Path,
    daemon: DaemonProcess,
) -> None:
    with BlockProducer(devnet), liquidator_on(devnet, borrower.address) as liquidator:
        first = crash(devnet, emulator, borrower.address, FIRST_FACTOR)
        assert Decimal(1) < first.hf < Decimal("1.3"), first
        repay = wait_for_repay(journal_path, after=first.block - 1)
        assert repay.receipt_block is not None
        took = repay.receipt_block - first.block
        print(f"repay mined {took} block(s) after the crash, HF {first.hf:.4f} -> target")
        assert took <= 3, f"repay mined {took} blocks after the crash:\n{daemon.log_tail()}"
        assert hf_at(devnet, borrower.address, repay.receipt_block) >= TARGET_HF
        # Without the repay this crash would leave HF under 1.
        second = crash(devnet, emulator, borrower.address, SECOND_FACTOR)
        assert first.hf * SECOND_FACTOR < 1
        deadline_block = second.block + 8
        while devnet.latest_block()[0] < deadline_block:
            time.sleep(0.1)
        stats = liquidator.stats()
    assert stats.attempts >= 8, stats
    assert stats.succeeded == 0, f"liquidated: {stats.liquidations}"
    assert hf_at(devnet, borrower.address) > 1


@pytest.mark.parametrize("trouble", list(TROUBLES))
def test_the_guard_repays_whatever_stops_the_hedger(
    trouble: str, devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower = open_borrower(devnet, emulator)
    overrides: dict[str, Any] = {}
    if trouble == "unmapped token donated":
        tokens = daemon_config(
            devnet=devnet, emulator=emulator, wallet=borrower.address, journal_path=tmp_path
        )["tokens"]
        overrides["tokens"] = {k: v for k, v in tokens.items() if k != "WBNB"}
    config, journal_path = _config(devnet, emulator, borrower, tmp_path, **overrides)
    env = daemon_env(emulator, wallet_key=borrower.key)
    with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        daemon.wait_event("cycle done", orders=0, timeout=60)  # hedged and steady
        wait_guard_armed(daemon, devnet, borrower.address)
        TROUBLES[trouble](
            emulator=emulator,
            devnet=devnet,
            borrower=borrower,
            config=config,
            env=env,
            daemon=daemon,
            journal_path=journal_path,
        )
        _protected_through_two_crashes(devnet, emulator, borrower, journal_path, daemon)
        if trouble == "unmapped token donated":
            daemon.wait_event("cycle done", timeout=30)  # the hedger keeps working
            status = cli("status", "--config", str(config), "--json", env=env)
            assert status.returncode == 0, status.stderr
            assert '"unmapped_tokens": [\n      "WBNB"' in status.stdout, status.stdout
        assert daemon.terminate() == 0


def test_the_guard_repays_when_the_exchange_is_unreachable_from_the_start(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower = open_borrower(devnet, emulator)
    nobody = f"http://127.0.0.1:{free_port()}"  # nothing listens there
    config, journal_path = _config(devnet, emulator, borrower, tmp_path, exchange_base_url=nobody)
    env = daemon_env(emulator, wallet_key=borrower.key)
    with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        daemon.wait_event("exchange not reachable at start: the guard runs, the hedger retries "
                          "every cycle", timeout=30)  # fmt: skip
        wait_guard_armed(daemon, devnet, borrower.address)
        _protected_through_two_crashes(devnet, emulator, borrower, journal_path, daemon)
        assert daemon.terminate() == 0
    assert len(mined_repays(journal_path)) >= 1


def _hedger_cycles(events: list[dict[str, Any]]) -> int:
    return sum(1 for e in events if e.get("event") in ("cycle done", "cycle skipped"))


def test_an_unmined_repay_stalls_neither_loop_and_is_replaced_once(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    """Blocks stop for 20 s right after the crash: the repay sits in the node's pool. The
    hedger keeps its cadence, the guard bumps the fee once (replace after 12 s), a restart
    in the middle starts both loops at once, and when blocks resume one repay is mined."""
    borrower = open_borrower(devnet, emulator)
    config, journal_path = _config(devnet, emulator, borrower, tmp_path)
    raw = daemon_config(
        devnet=devnet, emulator=emulator, wallet=borrower.address, journal_path=journal_path
    )
    raw["protect"]["replace_after_secs"] = 12
    write_config(config, raw)
    env = daemon_env(emulator, wallet_key=borrower.key)
    with running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        daemon.wait_event("cycle done", orders=0, timeout=60)
        wait_guard_armed(daemon, devnet, borrower.address)
        devnet.set_automine(False)  # from here on, a block only when the test mines one
        hit = crash(devnet, emulator, borrower.address, FIRST_FACTOR)
        _, handed = daemon.wait_event("repay handed to the wallet", timeout=10)
        before = _hedger_cycles(daemon.events())
        time.sleep(20)
        cycles = _hedger_cycles(daemon.events()) - before
        sends = _repay_sends(journal_path)
        print(f"20 s without blocks: {cycles} hedger cycles, repay sent as {len(sends)} tx(s)")
        # HF is under schedule.alert_hf: the hedger runs at its fast 0.5 s cadence.
        assert cycles >= 32, f"the hedger fell behind its 0.5 s cadence: {cycles} cycles in 20 s"
        assert len(sends) == 2, f"expected one replacement: {sends}"
        daemon.kill()

    # Restart while the repay is still unmined: both loops start without waiting for it.
    with running_daemon(config, env, tmp_path / "daemon-2.log") as again:
        started = time.monotonic()
        again.wait_event("cycle done", timeout=15)
        again.wait_event("guard verdict", timeout=15)
        both_in = time.monotonic() - started
        print(f"after the restart both loops ran within {both_in:.1f} s, the repay unmined")
        assert mined_repays(journal_path) == []
        devnet.set_automine(True)
        devnet.mine()
        repay = wait_for_repay(journal_path, after=hit.block - 1, timeout=30)
        again.wait_event("guard verdict", verdict="healthy", timeout=30)
        time.sleep(2)  # a second repay, if the guard were to send one, would be on its way
        assert again.terminate() == 0
    repays = mined_repays(journal_path)
    assert [r.intent.tx_key for r in repays] == [repay.intent.tx_key] == [handed["key"]]
    assert hf_at(devnet, borrower.address) >= TARGET_HF


def _repay_sends(journal_path: Path) -> tuple[str, ...]:
    with Journal.open(f"sqlite:///{journal_path}") as journal:
        repays = [t for t in journal.txs_since(0) if t.intent.kind == "repay"]
    assert len(repays) == 1, repays
    return repays[0].tx_hashes


def _key_refused(result: Any, *expected: str) -> None:
    assert result.returncode == 2, result.stdout + result.stderr
    message = result.stderr + result.stdout
    assert "Traceback" not in message, message
    for text in expected:
        assert text in message, message


def test_protect_without_a_usable_key_refuses_to_start(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower = open_borrower(devnet, emulator)
    config, _ = _config(devnet, emulator, borrower, tmp_path)
    missing = cli("run", "--config", str(config), env=daemon_env(emulator, wallet_key=None))
    _key_refused(missing, "HEDGEBOT_WALLET_KEY", "protect.enabled: false")
    someone_else = "0x" + "11" * 32  # a valid key, for another address
    wrong = cli("run", "--config", str(config), env=daemon_env(emulator, wallet_key=someone_else))
    _key_refused(wrong, borrower.address, "protect.enabled: false")
    assert someone_else not in wrong.stdout + wrong.stderr
    check = cli("check-config", str(config), env=daemon_env(emulator, wallet_key=None))
    assert check.returncode == 0, check.stderr
    assert "`hedgebot run` refuses to start" in check.stderr, check.stderr


def test_protect_disabled_on_purpose_starts_with_a_warning_and_status_shows_the_guard_off(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower = open_borrower(devnet, emulator)
    config, _ = _config(devnet, emulator, borrower, tmp_path)
    raw = daemon_config(
        devnet=devnet, emulator=emulator, wallet=borrower.address, journal_path=tmp_path / "j.db"
    )
    raw["protect"]["enabled"] = False
    write_config(config, raw)
    env = daemon_env(emulator, wallet_key=None)
    run = cli("run", "--config", str(config), "--max-cycles", "1", "--log-format", "json", env=env)
    assert run.returncode == 0, run.stdout + run.stderr
    assert "repay protection OFF" in run.stdout + run.stderr
    status = cli("status", "--config", str(config), "--json", env=env)
    assert status.returncode == 0, status.stderr
    assert '"guard": "off"' in status.stdout, status.stdout


def test_only_its_own_command_stops_the_guard_and_the_stop_is_seen_everywhere(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path
) -> None:
    borrower = open_borrower(devnet, emulator)
    config, journal_path = _config(devnet, emulator, borrower, tmp_path)
    raw = daemon_config(
        devnet=devnet, emulator=emulator, wallet=borrower.address, journal_path=journal_path,
        webhook=True,
    )  # fmt: skip
    write_config(config, raw)
    receiver = WebhookReceiver()
    env = daemon_env(emulator, wallet_key=borrower.key, extra={WEBHOOK_ENV: receiver.url})
    with receiver, running_daemon(config, env, tmp_path / "daemon.log") as daemon:
        base = daemon.metrics_base_url()
        wait_guard_armed(daemon, devnet, borrower.address)
        stop = cli("guard", "stop", "--config", str(config), "--reason", "maintenance", env=env)
        assert stop.returncode == 0, stop.stderr
        daemon.wait_event("guard switch", stopped=True, timeout=10)
        hit = crash(devnet, emulator, borrower.address, FIRST_FACTOR)
        daemon.wait_event("guard verdict", verdict="stopped", timeout=10)
        time.sleep(2)
        assert mined_repays(journal_path) == [], "a stopped guard repaid"
        health = httpx.get(f"{base}/healthz", timeout=5).json()
        assert health["positions"]["e2e:guard"]["state"] == "stopped", health
        metrics = httpx.get(f"{base}/metrics", timeout=5).text
        assert 'hedgebot_guard_state{position="e2e",state="stopped"} 1.0' in metrics
        status = cli("status", "--config", str(config), "--json", env=env)
        assert '"guard": "STOPPED"' in status.stdout, status.stdout
        receiver.wait_for_kinds({"guard_stopped"})

        start = cli("guard", "start", "--config", str(config), env=env)
        assert start.returncode == 0, start.stderr
        repay = wait_for_repay(journal_path, after=hit.block - 1, timeout=15)
        assert hf_at(devnet, borrower.address, repay.receipt_block or "latest") >= TARGET_HF
        receiver.wait_for_kinds({"guard_started", "repay_executed"})
        assert daemon.terminate() == 0
    with Journal.open(f"sqlite:///{journal_path}") as journal:
        actions = [(a.action, a.reason) for a in journal.operator_actions()]
    assert ("guard-stop", "maintenance") in actions
    assert ("guard-start", "operator start") in actions
