"""Protection by repaying debt on-chain from a stablecoin reserve (plan: pure; executor: I/O)."""
