"""``ha`` in the config: replicas need a PostgreSQL journal, and a lease inside the takeover
delay; both refusals say why."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from bot.cli import app
from bot.config.loader import load_config
from bot.daemon.wiring import recv_window_ms
from tests.config.test_bad_configs import GOOD

runner = CliRunner()


def check(tmp_path: Path, text: str) -> tuple[int, str]:
    path = tmp_path / "config.yaml"
    path.write_text(text)
    result = runner.invoke(app, ["check-config", str(path)], env={})
    return result.exit_code, " ".join(result.output.split())


def test_ha_on_a_sqlite_journal_is_a_config_error_that_says_why(tmp_path: Path) -> None:
    code, output = check(
        tmp_path, GOOD + "journal: {url: 'sqlite:///var/j.db'}\nha: {enabled: true}\n"
    )
    assert code == 2, output
    assert "ha.enabled needs a PostgreSQL journal" in output
    assert "advisory lock" in output
    assert "two journals" in output


@pytest.mark.parametrize(
    ("ha", "fragment"),
    [
        ("{enabled: true, lease_secs: 9, takeover_secs: 8}", "ha.lease_secs (9.0) must be under"),
        ("{enabled: true, heartbeat_secs: 5, lease_secs: 5}", "ha.heartbeat_secs (5.0) must be"),
        ("{enabled: true, replica_id: 'a b'}", "replica_id"),
    ],
)
def test_bad_ha_settings_are_refused_naming_the_field(
    tmp_path: Path, ha: str, fragment: str
) -> None:
    code, output = check(
        tmp_path, GOOD + f"journal: {{url: 'postgresql://db/hedgebot'}}\nha: {ha}\n"
    )
    assert code == 2, output
    assert fragment in output


def test_ha_on_a_postgresql_journal_is_accepted(tmp_path: Path) -> None:
    code, output = check(
        tmp_path,
        GOOD + "journal: {url: 'postgresql://db/hedgebot'}\nha: {enabled: true, replica_id: a}\n",
    )
    assert code == 0, output


def test_a_replica_signs_exchange_requests_valid_for_less_than_the_takeover_margin(
    tmp_path: Path,
) -> None:
    path = tmp_path / "config.yaml"
    journal = "journal: {url: 'postgresql://db/hedgebot'}\n"
    path.write_text(GOOD + journal + "ha: {enabled: true, lease_secs: 5, takeover_secs: 8}\n")
    # 3 s past the lease: an order the old leader stamped in its lease is refused by then.
    assert recv_window_ms(load_config(path, env={})) == 3000
    path.write_text(GOOD + journal)
    assert recv_window_ms(load_config(path, env={})) == 5000  # hedge.recv_window_ms
