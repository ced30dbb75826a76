"""Local emulator of Binance's REST API: Futures (USD-M ``/fapi``, COIN-M ``/dapi``), the spot
account (``/api``) and the wallet (``/sapi``), whose withdrawals and deposits settle on a linked
EVM chain (``chain_link``, ``settlement``).

Entry points: ``bot.emulator.server.serve`` (CLI), ``bot.emulator.testing.running_emulator``
(in-process for tests), ``python -m bot.emulator``.
"""

from bot.emulator.state import DEFAULT_API_KEY, DEFAULT_API_SECRET

__all__ = ["DEFAULT_API_KEY", "DEFAULT_API_SECRET"]
