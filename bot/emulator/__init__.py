"""Local emulator of the Binance Futures REST API (USD-M ``/fapi`` and COIN-M ``/dapi``).

Entry points: ``bot.emulator.server.serve`` (CLI), ``bot.emulator.testing.running_emulator``
(in-process for tests), ``python -m bot.emulator``.
"""

from bot.emulator.state import DEFAULT_API_KEY, DEFAULT_API_SECRET

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_SECRET"]
