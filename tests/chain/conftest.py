"""Chain fixtures (anvil + real Aave v3, anvil + the real Venus core pool) live in the package
so other folders can reuse them."""

from bot.devnet.pytest_fixtures import aave_reader, devnet, devnet_session
from bot.devnet.venus_fixtures import venus_devnet, venus_devnet_session

__all__ = ["aave_reader", "devnet", "devnet_session", "venus_devnet", "venus_devnet_session"]
