"""The emulator keeps API secrets to itself: its unauthenticated snapshot masks them, extra key
pairs come from the environment or a file (not the process list), and binding beyond loopback
is said loudly."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config.secrets import SecretError
from bot.emulator import __main__ as emulator_main
from bot.emulator import server
from bot.emulator.keys import (
    KEYS_ENV,
    KeySpecError,
    is_loopback,
    keys_from_env,
    parse_pairs,
    startup_warnings,
)
from bot.emulator.state import DEFAULT_API_SECRET
from bot.emulator.testing import EmulatorHandle, python_binance_client
from bot.redact import MASK

runner = CliRunner()


@pytest.mark.exchange
def test_snapshot_masks_every_api_secret_and_signing_still_works(
    emulator: EmulatorHandle,
) -> None:
    emulator.control.add_api_key("extraKey", "extraSecretValue42")
    snapshot = emulator.control.snapshot()
    text = json.dumps(snapshot)
    assert DEFAULT_API_SECRET not in text
    assert "extraSecretValue42" not in text
    assert {a["api_secret"] for a in snapshot["accounts"].values()} == {MASK}
    assert {"extraKey", emulator.api_key} <= set(snapshot["accounts"])  # keyed by API key
    client = python_binance_client(emulator, api_key="extraKey", api_secret="extraSecretValue42")
    assert client.futures_account()["canTrade"] is True


def test_key_pairs_from_the_environment() -> None:
    env = {KEYS_ENV: "k1:s1, k2:s2\n  k3:s3"}
    assert keys_from_env(env) == [("k1", "s1"), ("k2", "s2"), ("k3", "s3")]
    assert keys_from_env({}) == []


def test_key_pairs_from_a_file(tmp_path: Path) -> None:
    keys = tmp_path / "keys"
    keys.write_text("# rehearsal accounts\nk1:s1\n\nk2:s2\n")
    assert keys_from_env({f"{KEYS_ENV}_FILE": str(keys)}) == [("k1", "s1"), ("k2", "s2")]
    with pytest.raises(SecretError, match="not both"):
        keys_from_env({KEYS_ENV: "k:s", f"{KEYS_ENV}_FILE": str(keys)})


def test_a_malformed_pair_is_named_by_line_never_quoted() -> None:
    with pytest.raises(KeySpecError) as e:
        parse_pairs("k1:s1\nonlyAKeyNoSecret123", KEYS_ENV)
    assert "line 2" in str(e.value)
    assert "onlyAKeyNoSecret123" not in str(e.value)


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.0.2", "::1", "[::1]", "localhost"])
def test_loopback_hosts_get_no_warning(host: str) -> None:
    assert is_loopback(host)
    assert startup_warnings(host, keys_on_command_line=False) == []


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.168.1.10", "emulator.lan"])  # noqa: S104
def test_other_hosts_get_a_warning(host: str) -> None:
    (warning,) = startup_warnings(host, keys_on_command_line=False)
    assert "not a loopback address" in warning
    assert "no authentication" in warning


def _capture_serve(monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    called: dict[str, Any] = {}
    monkeypatch.setattr(server, "serve", lambda **kwargs: called.update(kwargs))
    return called


def test_cli_loads_keys_from_a_file_and_warns_about_host_and_arguments(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    called = _capture_serve(monkeypatch)
    keys = tmp_path / "keys"
    keys.write_text("fileKey:fileSecret\n")
    result = runner.invoke(
        app,
        ["emulator", "--host", "0.0.0.0", "--api-key", "argKey:argSecret"],  # noqa: S104
        env={f"{KEYS_ENV}_FILE": str(keys)},
    )
    assert result.exit_code == 0, result.output
    assert called["api_keys"] == [("fileKey", "fileSecret"), ("argKey", "argSecret")]
    flat = " ".join(result.output.split())
    assert "--host 0.0.0.0 is not a loopback address" in flat
    assert "process list" in flat
    assert "fileSecret" not in result.output


def test_cli_keys_from_the_environment_give_no_warning(monkeypatch: pytest.MonkeyPatch) -> None:
    called = _capture_serve(monkeypatch)
    result = runner.invoke(app, ["emulator"], env={KEYS_ENV: "envKey:envSecret"})
    assert result.exit_code == 0, result.output
    assert called["api_keys"] == [("envKey", "envSecret")]
    assert "WARNING" not in result.output


def test_cli_refuses_a_malformed_api_key_without_echoing_it(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _capture_serve(monkeypatch)
    result = runner.invoke(app, ["emulator", "--api-key", "secretWithoutKeyPart"], env={})
    assert result.exit_code == 2
    assert "expected KEY:SECRET" in result.output
    assert "secretWithoutKeyPart" not in result.output


def test_module_entry_point_warns_and_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    called: dict[str, Any] = {}
    monkeypatch.setattr(emulator_main, "serve", lambda **kwargs: called.update(kwargs))
    monkeypatch.setenv(KEYS_ENV, "envKey:envSecret")
    assert emulator_main.main(["--host", "0.0.0.0", "--api-key", "a:b"]) == 0  # noqa: S104
    assert called["api_keys"] == [("envKey", "envSecret"), ("a", "b")]
    err = capsys.readouterr().err
    assert "not a loopback address" in err
    assert "process list" in err
