"""Reading lending positions on-chain (Aave v3 through web3.py), one batched call per cycle."""
