"""In-process emulator for tests and rehearsals: ``running_emulator`` and client builders.

Example::

    with running_emulator() as emu:
        client = python_binance_client(emu)
        emu.control.set_mark("BTCUSDT", "65000")
        client.futures_create_order(symbol="BTCUSDT", side="SELL", type="MARKET",
                                    quantity="0.01")
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any, Literal, Protocol

import httpx
from binance.client import Client

from bot.emulator.exchange import STREAM_OPTIONS, EmulatorConfig, Exchange
from bot.emulator.ratelimit import Limits
from bot.emulator.server import make_exchange, start_in_thread
from bot.emulator.state import DEFAULT_API_KEY, DEFAULT_API_SECRET
from bot.emulator.testing_streams import StreamControl
from bot.emulator.testing_wallet import WalletControl

Number = Decimal | str | int | float
STREAM_DEFAULTS = {name: getattr(EmulatorConfig(), name) for name in STREAM_OPTIONS}


class ControlError(RuntimeError):
    """The control plane rejected a call (the message names the field and value)."""


class EmulatorControl(StreamControl, WalletControl):
    """httpx client for the emulator's /_emulator/ control plane."""

    def __init__(self, base_url: str, *, timeout: float = 10.0) -> None:
        self._http = httpx.Client(base_url=base_url, timeout=timeout)

    def close(self) -> None:
        self._http.close()

    def _call(self, method: str, path: str, body: dict[str, Any] | None = None) -> Any:
        response = self._http.request(method, f"/_emulator/{path}", json=body)
        if response.status_code != 200:
            raise ControlError(
                f"{method} /_emulator/{path} -> {response.status_code}: {response.text}"
            )
        return response.json()

    def set_mark(
        self, symbol: str, price: Number, index: Number | None = None, last: Number | None = None
    ) -> None:
        body: dict[str, Any] = {"symbol": symbol, "price": str(price)}
        if index is not None:
            body["index"] = str(index)
        if last is not None:
            body["last"] = str(last)
        self._call("POST", "mark", body)

    def set_funding_rate(self, symbol: str, rate: Number) -> None:
        self._call("POST", "funding-rate", {"symbol": symbol, "rate": str(rate)})

    def advance_time(self, seconds: float) -> dict[str, Any]:
        result: dict[str, Any] = self._call("POST", "advance-time", {"seconds": seconds})
        return result

    def fund(
        self,
        asset: str,
        amount: Number,
        venue: Literal["usdm", "coinm", "spot"] = "usdm",
        api_key: str | None = None,
    ) -> Decimal:
        body = {"asset": asset, "amount": str(amount), "venue": venue, "api_key": api_key}
        return Decimal(self._call("POST", "fund", body)["balance"])

    def add_api_key(self, api_key: str, api_secret: str) -> None:
        self._call("POST", "api-keys", {"api_key": api_key, "api_secret": api_secret})

    def configure(self, **options: Any) -> None:
        """Rate limits (weight_per_minute, orders_per_10s, orders_per_minute,
        ban_after_rejections, ban_secs), server_skew_ms, strict_signatures,
        allow_coinm_stop_orders, the stream options, margin_call_ratio (a number or string)."""
        self._call("POST", "config", options)

    def reset(self) -> None:
        self._call("POST", "reset")

    def reset_to_defaults(self) -> None:
        """A fresh state and Binance's default limits and options, whatever a test set."""
        self.wallet_defaults()
        self.reset()
        self.configure(
            **asdict(Limits()),
            server_skew_ms=0,
            strict_signatures=False,
            allow_coinm_stop_orders=False,
            **STREAM_DEFAULTS,
            margin_call_ratio=str(EmulatorConfig().margin_call_ratio),
        )

    def snapshot(self) -> dict[str, Any]:
        result: dict[str, Any] = self._call("GET", "snapshot")
        return result

    def inject_fault(
        self, path: str, kind: str, count: int = 1, *, method: str | None = None, **params: Any
    ) -> dict[str, Any]:
        body = {"path": path, "kind": kind, "count": count, "params": params, "method": method}
        result: dict[str, Any] = self._call("POST", "faults", body)
        return result

    def clear_faults(self) -> None:
        self._call("DELETE", "faults")


class EmulatorEndpoint(Protocol):
    """Where an emulator answers and the account it serves: the in-process handle below, or
    one running as its own process (``hedgebot emulator``)."""

    @property
    def base_url(self) -> str: ...

    @property
    def api_key(self) -> str: ...

    @property
    def api_secret(self) -> str: ...

    @property
    def control(self) -> EmulatorControl: ...


@dataclass
class EmulatorHandle:
    base_url: str
    api_key: str
    api_secret: str
    control: EmulatorControl
    exchange: Exchange  # in-process engine, for white-box assertions only


@contextmanager
def running_emulator(
    *,
    state_file: Path | None = None,
    api_keys: tuple[tuple[str, str], ...] = (),
    server_skew_ms: int = 0,
    strict_signatures: bool = False,
    limits: Limits | None = None,
    allow_coinm_stop_orders: bool = False,
    host: str = "127.0.0.1",
    port: int = 0,
) -> Iterator[EmulatorHandle]:
    """Start the emulator on a free loopback port in a background thread; stop on exit."""
    ex = make_exchange(
        state_file=state_file,
        api_keys=api_keys,
        server_skew_ms=server_skew_ms,
        strict_signatures=strict_signatures,
        limits=limits,
        allow_coinm_stop_orders=allow_coinm_stop_orders,
    )
    background = start_in_thread(ex, host=host, port=port)
    control = EmulatorControl(background.base_url)
    try:
        yield EmulatorHandle(
            base_url=background.base_url,
            api_key=DEFAULT_API_KEY,
            api_secret=DEFAULT_API_SECRET,
            control=control,
            exchange=ex,
        )
    finally:
        control.close()
        background.stop()


def python_binance_client(
    handle: EmulatorEndpoint,
    *,
    api_key: str | None = None,
    api_secret: str | None = None,
    timeout: float | None = None,
) -> Client:
    """python-binance ``Client`` whose USD-M, COIN-M, spot and SAPI URLs point at the
    emulator."""
    base = handle.base_url

    class EmulatorClient(Client):  # type: ignore[misc]
        API_URL = f"{base}/api"
        MARGIN_API_URL = f"{base}/sapi"  # every wallet call (reference §1.0)
        FUTURES_URL = f"{base}/fapi"
        FUTURES_COIN_URL = f"{base}/dapi"
        FUTURES_DATA_URL = f"{base}/futures/data"
        FUTURES_COIN_DATA_URL = f"{base}/futures/data"

    requests_params = {"timeout": timeout} if timeout is not None else None
    client: Client = EmulatorClient(
        api_key or handle.api_key,
        api_secret or handle.api_secret,
        ping=False,
        requests_params=requests_params,
    )
    return client
