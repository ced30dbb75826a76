"""Dry-run simulations: Monte Carlo and historical backtests of hedge policies (issue 8)."""
