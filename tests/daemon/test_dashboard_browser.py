"""Issue 19's cockpit in a real headless Chromium (Debian's /usr/bin/chromium, driven by
playwright): ``hedgebot run`` against anvil + Aave and the emulator serves the dashboard; its
HF, hedge and reserve figures equal ``hedgebot status --json`` for the same block; a price move
reaches the open page by server-sent events; a screenshot is written."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import BrowserContext, Page, sync_playwright

from bot.devnet.devnet import Devnet
from bot.emulator.testing import EmulatorHandle
from tests.daemon.harness import (
    POSITION,
    cli,
    daemon_config,
    daemon_env,
    move_price,
    open_borrower,
    running_daemon,
    write_config,
)

pytestmark = [pytest.mark.chain, pytest.mark.exchange, pytest.mark.slow]

CHROMIUM = os.environ.get("HEDGEBOT_CHROMIUM", "/usr/bin/chromium")
# The machine's closed network refuses Chromium's own background connections: none are made.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
WAIT_MS = 60_000  # page conditions, not sleeps: a loaded CI machine may take a while


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[BrowserContext]:
    with sync_playwright() as playwright:
        try:
            # A fresh --user-data-dir (playwright passes it from user_data_dir).
            context = playwright.chromium.launch_persistent_context(
                user_data_dir=str(tmp_path / "chromium-profile"),
                executable_path=CHROMIUM,
                headless=True,
                args=CHROMIUM_ARGS,
                viewport={"width": 1400, "height": 1500},
            )
        except Exception as e:
            pytest.fail(
                f"Chromium cannot start from {CHROMIUM} ({type(e).__name__}: {e}); "
                "install it with `make install` (apt-get install chromium)",
                pytrace=False,
            )
        try:
            yield context
        finally:
            context.close()


def _shown(page: Page, field: str, key: str | None = None) -> str:
    scope = f'[data-position="{POSITION}"]'
    if key is not None:
        scope += f' tr[data-key="{key}"]'
    value = page.get_attribute(f'{scope} [data-field="{field}"]', "data-value")
    assert value is not None, f"the page shows no {field}"
    return value


def _wait_for_block(page: Page, block: int) -> None:
    page.wait_for_function(
        """([position, block]) => {
            const el = document.querySelector(
                `[data-position="${position}"] [data-field="block_number"]`);
            return el !== null && Number(el.dataset.value) >= block;
        }""",
        arg=[POSITION, block],
        timeout=WAIT_MS,
    )


def _status(config: Path, env: dict[str, str]) -> dict[str, Any]:
    done = cli("status", "--config", str(config), "--json", env=env)
    assert done.returncode == 0, done.stderr
    (report,) = json.loads(done.stdout)
    return dict(report)


def test_dashboard_shows_status_figures_and_live_updates_in_chromium(
    devnet: Devnet, emulator: EmulatorHandle, tmp_path: Path, browser: BrowserContext
) -> None:
    borrower = open_borrower(devnet, emulator)
    config = daemon_config(
        devnet=devnet, emulator=emulator, wallet=borrower.address,
        journal_path=tmp_path / "journal.db",
    )  # fmt: skip
    config["metrics"]["dashboard_refresh_secs"] = 0.5
    path = write_config(tmp_path / "hedgebot.yaml", config)
    env = daemon_env(emulator, wallet_key=borrower.key)
    env.pop("HEDGEBOT_DASHBOARD_TOKEN", None)  # loopback, no token: open on this machine
    with running_daemon(path, env, tmp_path / "daemon.log") as daemon:
        daemon.wait_event("cycle done", orders=0, timeout=60)  # the hedge is at its target
        page = browser.new_page()
        page.goto(daemon.metrics_base_url() + "/")

        # The chain is not mined between the two reads: the same block, the same figures.
        status = _status(path, env)
        _wait_for_block(page, int(status["block_number"]))
        assert int(_shown(page, "block_number")) == status["block_number"]
        # Equal numbers (the daemon's Decimal context may print more trailing zeros).
        same = {
            "oracle_hf": status["oracle_hf"],
            "shadow_hf": status["shadow_hf"],
            "reserve_amount": status["reserve_for_crash"]["amount"],
            "collateral_usd": status["totals"]["collateral_usd"],
            "debt_usd": status["totals"]["debt_usd"],
        }
        for field, want in same.items():
            assert Decimal(_shown(page, field)) == Decimal(want), field
        for line in status["underlyings"]:
            key = line["underlying"]
            for field in ("current_short_usd", "target_short_usd"):
                assert Decimal(_shown(page, field, key)) == Decimal(line[field]), (key, field)
        assert page.inner_text(f'[data-position="{POSITION}"] [data-field="guard"]') == "on"
        updates = int(page.get_attribute("#updated", "data-updates") or 0)

        # A block that moves the price reaches the open page (server-sent, no reload).
        before = _shown(page, "oracle_hf")
        block = move_price(devnet, emulator, "WBTC", Decimal(45_000))  # HF 1.79 -> 1.50
        _wait_for_block(page, block)
        after = _shown(page, "oracle_hf")
        assert Decimal(after) < Decimal(before)
        assert int(page.get_attribute("#updated", "data-updates") or 0) > updates
        page.wait_for_function("() => window.Chart !== undefined", timeout=WAIT_MS)
        shot = tmp_path / "dashboard.png"
        page.screenshot(path=str(shot), full_page=True)
        assert daemon.terminate() == 0

    assert shot.stat().st_size > 10_000
    print(f"dashboard screenshot: {shot}")
