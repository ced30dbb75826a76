"""A position's head keys: socket URLs (ws/wss only), its block time and stall limit, in the
units their names say; the chain's watcher takes them, or derives them when absent."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import load_config
from bot.daemon.wake import head_watcher
from tests.config.test_venus_positions import VENUS, check

HEADS = VENUS.replace(
    "    wallet:",
    "    ws_urls: [wss://bsc-ws.example.org, wss://bsc-ws2.example.org]\n"
    "    block_time_secs: 0.75\n"
    "    head_stall_secs: 5\n"
    "    wallet:",
)


def test_head_keys_reach_the_chains_watcher(tmp_path: Path) -> None:
    path = tmp_path / "config.yaml"
    path.write_text(HEADS)
    watcher = head_watcher(56, load_config(path).positions)
    assert (watcher.timing.block_time_secs, watcher.timing.stall_secs) == (0.75, 5.0)
    path.write_text(VENUS)  # a remote RPC and no ws_urls: BNB Chain's 0.45 s, polling only
    watcher = head_watcher(56, load_config(path).positions)
    assert watcher.timing.block_time_secs == 0.45
    assert watcher.timing.stall_secs == pytest.approx(1.35)


@pytest.mark.parametrize(
    ("text", "fragment"),
    [
        (HEADS.replace("wss://bsc-ws.example.org", "https://bsc.example.org"), "ws_urls.0"),
        (HEADS.replace("block_time_secs: 0.75", "block_time_secs: 0"), "block_time_secs"),
        (HEADS.replace("head_stall_secs: 5", "head_stall_ms: 5"), "head_stall_ms"),
    ],
)
def test_bad_head_keys_are_refused_naming_the_field(
    tmp_path: Path, text: str, fragment: str
) -> None:
    code, output = check(tmp_path, text)
    assert code == 2, output
    assert fragment in output, output
