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
    Borrower,
    DaemonProcess,
    cli,
    daemon_config,
    daemon_env,
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
    emulator.control.inject_fault("/fapi/*", "http_500", count=1_000_000)


def _trouble_timeouts(emulator: EmulatorHandle, **_: Any) -> None:
    emulator.control.inject_fault("/fapi/*", "timeout_executed", count=1_000_000, timeout_secs=3)


def _trouble_ban(emulator: EmulatorHandle, **_: Any) -> None:
    emulator.control.inject_fault("/fapi/*", "http_418", count=1_000_000)


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
    emulator.control.inject_fault("/fapi/*", "http_500", count=1_000_000)
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
