"""``hedgebot watch``: the live terminal view of a running daemon (chain, journal, metrics),
read-only. The demo's view is built from the same parts."""
