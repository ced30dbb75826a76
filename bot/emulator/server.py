"""Serving the emulator with uvicorn: blocking ``serve`` (CLI) and a background thread (tests)."""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import uvicorn

from bot.emulator.app import build_app
from bot.emulator.chain_link import ChainLinkConfig
from bot.emulator.exchange import EmulatorConfig, Exchange
from bot.emulator.ratelimit import Limits
from bot.emulator.state import DEFAULT_API_KEY, DEFAULT_API_SECRET

STARTUP_TIMEOUT_SECS = 10.0


def make_exchange(
    *,
    state_file: Path | None = None,
    api_keys: Sequence[tuple[str, str]] = (),
    server_skew_ms: int = 0,
    strict_signatures: bool = False,
    limits: Limits | None = None,
    allow_coinm_stop_orders: bool = False,
) -> Exchange:
    config = EmulatorConfig(
        server_skew_ms=server_skew_ms,
        strict_signatures=strict_signatures,
        allow_coinm_stop_orders=allow_coinm_stop_orders,
        api_keys=list(api_keys),
        limits=limits or Limits(),
    )
    return Exchange(config, state_file)


def _uvicorn_config(ex: Exchange, host: str, port: int, log_level: str) -> uvicorn.Config:
    return uvicorn.Config(
        build_app(ex),
        host=host,
        port=port,
        log_level=log_level,
        access_log=False,
        lifespan="off",
        loop="auto",
        http="h11",
        timeout_keep_alive=30,
        ws="websockets-sansio",
        ws_ping_interval=ex.config.stream_ping_interval_secs,
        ws_ping_timeout=600.0,  # Binance: no pong within 10 minutes disconnects
    )


def banner(base_url: str) -> str:
    ws_url = base_url.replace("http", "ws", 1)
    return "\n".join(
        [
            "hedgebot Binance Futures emulator",
            f"  USD-M   {base_url}/fapi   (python-binance FUTURES_URL)",
            f"  COIN-M  {base_url}/dapi   (python-binance FUTURES_COIN_URL)",
            f"  spot    {base_url}/api    (python-binance API_URL: ping, time, account)",
            f"  wallet  {base_url}/sapi   (python-binance MARGIN_API_URL)",
            f"  control {base_url}/_emulator/",
            f"  streams {ws_url}/market/stream?streams=btcusdt@markPrice@1s  "
            "(TWM FSTREAM_URL ws://host:port/)",
            f"          {ws_url}/private/ws?listenKey=<POST /fapi/v1/listenKey>",
            f"          {ws_url}/d/stream?streams=btcusd_perp@markPrice  (TWM DSTREAM_URL .../d/)",
            f"  default API key    {DEFAULT_API_KEY}",
            f"  default API secret {DEFAULT_API_SECRET}",
        ]
    )


def serve(
    *,
    host: str = "127.0.0.1",
    port: int = 8700,
    state_file: Path | None = None,
    api_keys: Sequence[tuple[str, str]] = (),
    server_skew_ms: int = 0,
    chain: ChainLinkConfig | None = None,
) -> None:
    """Run the emulator in the foreground until interrupted (the ``hedgebot emulator`` command).
    With ``chain`` the wallet is linked first; ``ChainLinkError`` means nothing was started."""
    ex = make_exchange(state_file=state_file, api_keys=api_keys, server_skew_ms=server_skew_ms)
    if chain is not None:
        with ex.lock:
            link = ex.link_chain(chain)
    print(banner(f"http://{host}:{port}"), flush=True)
    for key, _ in api_keys:
        print(f"  extra API key      {key}", flush=True)
    if chain is not None:
        print(
            f"  chain   {link['rpc_url']} (chain id {link['chain_id']}), hot wallet "
            f"{link['hot_wallet']}, coins {', '.join(link['coins'])}",
            flush=True,
        )
    try:
        uvicorn.Server(_uvicorn_config(ex, host, port, "info")).run()
    finally:
        with ex.lock:
            ex.close()
            ex.save()


@dataclass
class BackgroundServer:
    exchange: Exchange
    server: uvicorn.Server
    thread: threading.Thread
    host: str
    port: int

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=STARTUP_TIMEOUT_SECS)
        with self.exchange.lock:
            self.exchange.close()
            self.exchange.save()


def start_in_thread(ex: Exchange, *, host: str = "127.0.0.1", port: int = 0) -> BackgroundServer:
    """Start uvicorn on a daemon thread; port 0 picks a free loopback port."""
    server = uvicorn.Server(_uvicorn_config(ex, host, port, "warning"))
    thread = threading.Thread(target=server.run, name="binance-emulator", daemon=True)
    thread.start()
    deadline = STARTUP_TIMEOUT_SECS
    step = 0.005
    while not server.started:
        if not thread.is_alive() or deadline <= 0:
            raise RuntimeError(f"emulator failed to start on {host}:{port}")
        threading.Event().wait(step)
        deadline -= step
    sockets = [s for srv in server.servers for s in srv.sockets]
    bound_port = int(sockets[0].getsockname()[1])
    return BackgroundServer(exchange=ex, server=server, thread=thread, host=host, port=bound_port)
