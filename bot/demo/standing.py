"""``hedgebot devnet``: the demo's stack left standing for a daemon started elsewhere (docker
compose's demo profile): anvil with the cached deployment, set up as ``hedgebot demo`` sets it
up (``bot.demo.stack.prepare_stack``) against an emulator running as its own process, the
daemon's config and keys written for it (``bot.demo.services``). There is no market script:
the position sits at its start HF until someone moves a price (the emulator's control plane,
anvil's RPC). Runs until SIGTERM or Ctrl-C, then stops anvil.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextlib import ExitStack, suppress
from dataclasses import dataclass
from pathlib import Path

import httpx
from rich.console import Console

from bot.demo.chains import start_demo_chain
from bot.demo.daemon_process import DemoError, daemon_args
from bot.demo.interrupts import raise_if_interrupted, sigterm_as_interrupt
from bot.demo.scenario import crash_scenario
from bot.demo.services import (
    DAEMON_CONFIG_NAME,
    JOURNAL_NAME,
    SECRETS_DIR_NAME,
    write_daemon_config,
    write_secret_files,
)
from bot.demo.stack import DemoSettings, StackUrls, prepare_stack, remove_journal
from bot.emulator.state import DEFAULT_API_KEY, DEFAULT_API_SECRET
from bot.emulator.testing import EmulatorControl

EMULATOR_WAIT_SECS = 60.0  # compose starts the emulator beside us, not before us
_POLL_SECS = 0.5


@dataclass(frozen=True, slots=True, kw_only=True)
class RemoteEmulator:
    """An emulator running as its own process (``hedgebot emulator``), on its default account."""

    base_url: str
    control: EmulatorControl
    api_key: str = DEFAULT_API_KEY
    api_secret: str = DEFAULT_API_SECRET


@dataclass(frozen=True, slots=True, kw_only=True)
class StandingStack:
    protocol: str
    host: str  # anvil listens here
    port: int
    urls: StackUrls  # how the daemon (and the emulator) reach anvil and the emulator
    out_dir: Path  # the daemon's config, keys and journal
    ready_file: Path | None  # touched once all of it is written


def wait_for_emulator(base_url: str, *, timeout_secs: float = EMULATOR_WAIT_SECS) -> None:
    deadline = time.monotonic() + timeout_secs
    while True:
        try:
            if httpx.get(f"{base_url}/fapi/v1/ping", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline:
            raise DemoError(f"the emulator at {base_url} did not answer within {timeout_secs:.0f}s")
        time.sleep(_POLL_SECS)


def serve_standing_stack(spec: StandingStack, *, console: Console) -> None:
    """Set the stack up, write the daemon's files, and keep anvil running until SIGTERM.
    A restart starts over: a fresh chain, a reset emulator, no journal."""
    config_path = spec.out_dir / DAEMON_CONFIG_NAME
    journal = spec.out_dir / JOURNAL_NAME
    if spec.ready_file is not None:
        spec.ready_file.unlink(missing_ok=True)
    config_path.unlink(missing_ok=True)  # the daemon must not start on a previous chain's
    remove_journal(journal)  # which describes hedges the reset exchange never saw
    settings = DemoSettings()
    with sigterm_as_interrupt(), ExitStack() as stack:
        chain = stack.enter_context(start_demo_chain(spec.protocol, host=spec.host, port=spec.port))
        console.print(
            f"anvil with the real {chain.words.protocol} deployment on port {spec.port}",
            soft_wrap=True,
        )
        wait_for_emulator(spec.urls.exchange_url)
        control = EmulatorControl(spec.urls.exchange_url)
        stack.callback(control.close)
        control.reset()  # the chain is fresh: so is the exchange
        em = RemoteEmulator(base_url=spec.urls.exchange_url, control=control)
        prepared = prepare_stack(
            stack,
            chain,
            em,
            settings=settings,
            start_marks={a.underlying: (a.symbol, a.start_usd) for a in crash_scenario().assets},
            protect=True,
            speed=1.0,
            journal=journal,
            urls=spec.urls,
        )
        stack.callback(_quietly, control.unlink_chain)  # the emulator may be stopping too
        write_secret_files(spec.out_dir / SECRETS_DIR_NAME, prepared.secrets)
        write_daemon_config(config_path, prepared.overrides)
        if spec.ready_file is not None:
            spec.ready_file.touch()
        console.print(
            f"borrower {prepared.borrower}: {prepared.debt:,} {settings.debt_symbol} borrowed at "
            f"HF ~{settings.start_hf}, {settings.reserve:,} {settings.debt_symbol} reserve; "
            f"the daemon's config: {config_path} (hedgebot {' '.join(daemon_args(config_path))},"
            f" keys in {spec.out_dir / SECRETS_DIR_NAME})",
            soft_wrap=True,  # one line in a container's log, whatever its width
        )
        while True:
            raise_if_interrupted()  # a SIGTERM swallowed by a collected connection's __del__
            if not chain.w3.is_connected():
                raise DemoError(f"anvil on port {spec.port} stopped answering")
            time.sleep(_POLL_SECS)


def _quietly(action: Callable[[], object]) -> None:
    with suppress(Exception):
        action()


__all__ = ["RemoteEmulator", "StandingStack", "serve_standing_stack", "wait_for_emulator"]
