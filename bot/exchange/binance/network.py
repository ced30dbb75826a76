"""Which Binance environment a python-binance ``Client`` talks to.

python-binance 1.0.37 has no base-URL argument: a custom origin (the local emulator) is set
through the URL class attributes of a small subclass, which ``__init__`` reads before
formatting them with the tld (strings without ``{}`` pass through unchanged).
"""

from __future__ import annotations

from enum import StrEnum

from binance.client import Client


class Network(StrEnum):
    TESTNET = "testnet"  # testnet.binancefuture.com (the default)
    DEMO = "demo"  # demo-fapi / demo-dapi.binance.com
    MAINNET = "mainnet"  # real money: needs allow_mainnet=True
    CUSTOM = "custom"  # explicit base URL, e.g. the local emulator


class MainnetNotAllowedError(ValueError):
    """Mainnet was selected without the explicit permission that real trading needs."""


def custom_client_class(base_url: str) -> type[Client]:
    """A ``Client`` subclass whose every futures/spot URL points at ``base_url``."""
    origin = base_url.rstrip("/")
    return type(
        "CustomOriginClient",
        (Client,),
        {
            "API_URL": f"{origin}/api",
            "FUTURES_URL": f"{origin}/fapi",
            "FUTURES_COIN_URL": f"{origin}/dapi",
            "FUTURES_DATA_URL": f"{origin}/futures/data",
            "FUTURES_COIN_DATA_URL": f"{origin}/futures/data",
        },
    )


def make_client(
    *,
    network: Network | str,
    api_key: str,
    api_secret: str,
    base_url: str | None = None,
    allow_mainnet: bool = False,
    recv_window_ms: int = 5000,
    request_timeout_secs: float = 10.0,
) -> Client:
    """Build a sync python-binance client for ``network``. Never pings spot on construction."""
    network = Network(network)
    if base_url is not None and network is not Network.CUSTOM:
        raise ValueError(f"base_url {base_url!r} given with network {network.value!r}: use custom")
    if network is Network.CUSTOM and not base_url:
        raise ValueError("network 'custom' needs base_url (e.g. http://127.0.0.1:8080)")
    if network is Network.MAINNET and not allow_mainnet:
        raise MainnetNotAllowedError(
            "network 'mainnet' trades real money: it needs allow_mainnet=True, which the CLI "
            "sets only for config 'network: mainnet' together with --live"
        )
    if not 0 < recv_window_ms < 60000:
        raise ValueError(f"recv_window_ms must be in (0, 60000), got {recv_window_ms}")
    if network is Network.CUSTOM:
        assert base_url is not None
        client: Client = custom_client_class(base_url)(api_key, api_secret, ping=False)
    else:
        client = Client(
            api_key,
            api_secret,
            testnet=network is Network.TESTNET,
            demo=network is Network.DEMO,
            ping=False,
        )
    # python-binance overwrites any per-call recvWindow with this attribute.
    client.REQUEST_RECVWINDOW = recv_window_ms
    client.REQUEST_TIMEOUT = request_timeout_secs
    return client
