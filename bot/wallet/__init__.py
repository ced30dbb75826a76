"""The reserve wallet: its signing key and a transaction manager that journals every send."""
