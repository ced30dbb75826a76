"""Venus devnet fixtures (anvil + the real Venus core pool) live in the package for reuse."""

from bot.devnet.venus_fixtures import venus_devnet, venus_devnet_session

__all__ = ["venus_devnet", "venus_devnet_session"]
