"""Which Binance environment a python-binance ``Client`` talks to.

python-binance 1.0.37 has no base-URL argument: a custom origin (the local emulator) is set
through the URL class attributes of a small subclass, which ``__init__`` reads before
formatting them with the tld (strings without ``{}`` pass through unchanged).
"""

from __future__ import annotations

import ipaddress
from enum import StrEnum
from urllib.parse import urlsplit

from binance.client import Client


class Network(StrEnum):
    TESTNET = "testnet"  # testnet.binancefuture.com (the default)
    DEMO = "demo"  # demo-fapi / demo-dapi.binance.com
    MAINNET = "mainnet"  # real money: needs allow_mainnet=True
    CUSTOM = "custom"  # explicit base URL, e.g. the local emulator


class MainnetNotAllowedError(ValueError):
    """Mainnet was selected without the explicit permission that real trading needs."""


# Binance's own test and demo hosts: orders there move no real money.
PRACTICE_HOSTS = frozenset(
    {
        "testnet.binancefuture.com",
        "demo-fapi.binance.com",
        "demo-dapi.binance.com",
        "testnet.binance.vision",
        "demo-api.binance.com",
    }
)


def is_production(network: Network | str, base_url: str | None = None) -> bool:
    """Do orders sent here move real money? Decided by where they go, not by the label:
    a custom URL is production unless it is a Binance test/demo host, a loopback or a
    private-network address (the local emulator, a test rig)."""
    network = Network(network)
    if network is not Network.CUSTOM:
        return network is Network.MAINNET
    host = (urlsplit(base_url or "").hostname or "").lower().rstrip(".")
    if host in PRACTICE_HOSTS or host == "localhost" or host.endswith(".localhost"):
        return False
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return True  # any other name may lead to the real exchange (a proxy, a mirror)
    return not (address.is_loopback or address.is_private or address.is_link_local)


def custom_client_class(base_url: str) -> type[Client]:
    """A ``Client`` subclass whose every futures/spot URL points at ``base_url``."""
    origin = base_url.rstrip("/")
    return type(
        "CustomOriginClient",
        (Client,),
        {
            "API_URL": f"{origin}/api",
            "MARGIN_API_URL": f"{origin}/sapi",  # the wallet (transfers, withdrawals)
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
    if is_production(network, base_url) and not allow_mainnet:
        where = base_url if network is Network.CUSTOM else "network 'mainnet'"
        raise MainnetNotAllowedError(
            f"{where} is the real exchange and trades real money: it needs allow_mainnet=True, "
            "which the CLI sets only for allow_mainnet: true in the config file together with "
            "--live"
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
