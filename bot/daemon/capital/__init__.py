"""The capital loop: money between the exchange account and the reserve wallet."""
