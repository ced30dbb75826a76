"""--state FILE survives a restart; the CLI entry point parses its options."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from bot.emulator.__main__ import parse_key
from bot.emulator.server import banner
from bot.emulator.state import DEFAULT_API_KEY
from bot.emulator.testing import python_binance_client, running_emulator

pytestmark = pytest.mark.exchange


def test_state_survives_restart(tmp_path: Path) -> None:
    state = tmp_path / "emulator-state.json"
    with running_emulator(state_file=state, api_keys=(("rehearsalKey", "rehearsalSecret"),)) as emu:
        client = python_binance_client(emu)
        client.futures_change_leverage(symbol="BTCUSDT", leverage=7)
        client.futures_create_order(
            symbol="BTCUSDT",
            side="SELL",
            type="MARKET",
            quantity="0.010",
            newClientOrderId="persist-1",
        )
        emu.control.set_mark("BTCUSDT", "61000")
        emu.control.advance_time(3600)
        before = client.futures_account()
        offset = emu.control.snapshot()["clock_offset_ms"]
    assert state.exists()
    with running_emulator(state_file=state) as emu:
        client = python_binance_client(emu)
        after = client.futures_account()
        assert after["totalWalletBalance"] == before["totalWalletBalance"]
        assert after["totalUnrealizedProfit"] == before["totalUnrealizedProfit"] == "-10.00000000"
        assert (
            client.futures_get_order(symbol="BTCUSDT", origClientOrderId="persist-1")["status"]
            == "FILLED"
        )
        assert client.futures_symbol_config(symbol="BTCUSDT")[0]["leverage"] == 7
        assert emu.control.snapshot()["clock_offset_ms"] == offset
        extra = python_binance_client(emu, api_key="rehearsalKey", api_secret="rehearsalSecret")
        assert extra.futures_account()["canTrade"] is True


def test_corrupt_state_file_fails_clearly(tmp_path: Path) -> None:
    state = tmp_path / "broken.json"
    state.write_text('{"version": 1, "markets": 5}')
    with pytest.raises(RuntimeError, match=r"broken\.json"), running_emulator(state_file=state):
        pass


def test_cli_helpers() -> None:
    assert parse_key("k1:s1") == ("k1", "s1")
    with pytest.raises(argparse.ArgumentTypeError):
        parse_key("no-secret")
    text = banner("http://127.0.0.1:8700")
    assert DEFAULT_API_KEY in text
    assert "http://127.0.0.1:8700/fapi" in text
