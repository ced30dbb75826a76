"""Local chain for tests and ``make demo``: anvil with real Aave v3 from the npm artifacts.

``with start_devnet() as devnet:`` gives a running chain loaded from the cached deployment.
"""

from bot.devnet.aave import AaveDeployment, TokenDeployment, deploy_aave
from bot.devnet.anvil import AnvilProcess, DevnetError, free_port, tools_dir
from bot.devnet.cache import ensure_cache, start_devnet
from bot.devnet.devnet import Devnet, LiquidationReverted

__all__ = [
    "AaveDeployment",
    "AnvilProcess",
    "Devnet",
    "DevnetError",
    "LiquidationReverted",
    "TokenDeployment",
    "deploy_aave",
    "ensure_cache",
    "free_port",
    "start_devnet",
    "tools_dir",
]
