"""Chain fixtures (anvil + real Aave v3) live in the package so other folders can reuse them."""

from bot.devnet.pytest_fixtures import aave_reader, devnet, devnet_session

__all__ = ["aave_reader", "devnet", "devnet_session"]
