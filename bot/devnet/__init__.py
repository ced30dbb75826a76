"""Local chains for tests and ``make demo``: anvil with real Aave v3 or the real Venus core
pool, deployed from the protocols' npm artifacts.

``with start_devnet() as devnet:`` gives a running chain loaded from the cached Aave deployment,
``with start_venus_devnet() as devnet:`` one with the cached Venus core pool.
"""

from bot.devnet.aave import AaveDeployment, TokenDeployment, deploy_aave
from bot.devnet.anvil import AnvilProcess, DevnetError, free_port, tools_dir
from bot.devnet.cache import ensure_cache, start_devnet
from bot.devnet.devnet import Devnet, LiquidationReverted
from bot.devnet.venus import VenusDeployment, VenusFailure, VenusMarket, deploy_venus
from bot.devnet.venus_cache import ensure_venus_cache, start_venus_devnet
from bot.devnet.venus_devnet import LiquidationOutcome, VenusDevnet

__all__ = [
    "AaveDeployment",
    "AnvilProcess",
    "Devnet",
    "DevnetError",
    "LiquidationOutcome",
    "LiquidationReverted",
    "TokenDeployment",
    "VenusDeployment",
    "VenusDevnet",
    "VenusFailure",
    "VenusMarket",
    "deploy_aave",
    "deploy_venus",
    "ensure_cache",
    "ensure_venus_cache",
    "free_port",
    "start_devnet",
    "start_venus_devnet",
    "tools_dir",
]
