"""The real daemon as a child process: ``python -m bot run --config ... --log-format json``
(``daemon_args``).

Its environment is the caller's without any hedgebot setting or secret the user happens to
have exported (so nothing outside the demo leaks in), plus the demo's overrides and keys. Its
log goes to a file (the terminal belongs to the live view). ``stop`` sends SIGTERM (the daemon
finishes its cycle and exits 0) and kills it if it has not gone after a grace period.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import IO

from bot.config.loader import ENV_PREFIX

# Variables the daemon reads secrets from: only the demo's own values may reach it.
_SECRET_PREFIXES = ("BINANCE_API_", "HEDGEBOT_WALLET_", "HEDGEBOT_KEYSTORE_")


def daemon_args(config: str | Path) -> list[str]:
    """``hedgebot run`` as the demo runs it: JSON log lines (the demo's loop view reads them).
    docker/compose.yaml's demo bot runs the same (``bot.demo.services``)."""
    return ["run", "--config", str(config), "--log-format", "json"]


class DemoError(RuntimeError):
    """A part of the demo stack did not start or behave (the message says which and why)."""


def daemon_env(
    base: Mapping[str, str], *, overrides: Mapping[str, str], secrets: Mapping[str, str]
) -> dict[str, str]:
    env = {
        k: v
        for k, v in base.items()
        if not k.startswith(ENV_PREFIX) and not k.startswith(_SECRET_PREFIXES)
    }
    env.update(overrides)
    env.update(secrets)
    return env


class DaemonProcess:
    """``with DaemonProcess(config, env, log_path) as daemon:`` runs ``hedgebot run``."""

    def __init__(
        self, config: Path, *, env: Mapping[str, str], log_path: Path, stop_timeout_secs: float = 15
    ) -> None:
        # `python -m bot` is the `hedgebot` entry point of this very interpreter's install
        self._args = [sys.executable, "-m", "bot", *daemon_args(config)]
        self._env = dict(env)
        self.log_path = log_path
        self._stop_timeout = stop_timeout_secs
        self._proc: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None
        self.returncode: int | None = None
        self.killed = False

    @property
    def pid(self) -> int | None:
        return None if self._proc is None else self._proc.pid

    def start(self) -> DaemonProcess:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        self._log = self.log_path.open("wb")
        self._proc = subprocess.Popen(  # noqa: S603 (our own interpreter and module)
            self._args, env=self._env, stdout=self._log, stderr=subprocess.STDOUT
        )
        return self

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait_ready(self, ready: Callable[[], bool], *, timeout_secs: float) -> None:
        """Wait until ``ready()`` (e.g. a first cycle in the journal); fail fast if it exits."""
        deadline = time.monotonic() + timeout_secs
        while time.monotonic() < deadline:
            if not self.alive():
                code = None if self._proc is None else self._proc.returncode
                raise DemoError(
                    f"the daemon exited with code {code} before its first cycle; "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            if ready():
                return
            time.sleep(0.1)
        raise DemoError(
            f"the daemon ran no cycle within {timeout_secs:.0f}s; log {self.log_path}:\n"
            f"{self.log_tail()}"
        )

    def log_tail(self, chars: int = 3000) -> str:
        try:
            return self.log_path.read_text(errors="replace")[-chars:]
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None:
            if proc.poll() is None:
                proc.send_signal(signal.SIGTERM)
                try:
                    proc.wait(timeout=self._stop_timeout)
                except subprocess.TimeoutExpired:
                    self.killed = True
                    proc.kill()
                    proc.wait(timeout=10)
            self.returncode = proc.returncode
        if self._log is not None:
            self._log.close()
            self._log = None

    def __enter__(self) -> DaemonProcess:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()


__all__ = ["DaemonProcess", "DemoError", "daemon_args", "daemon_env"]
