"""Shipped crash-window market data (see PROVENANCE.md) and the script that builds it."""
