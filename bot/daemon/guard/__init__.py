"""The guard: chain -> snapshot -> repay decision -> wallet transaction -> journal.

It depends on the chain, the wallet and the journal only; no exchange outage, hedger pause,
breaker or unknown token stops it. ``read`` gathers its inputs, ``bot.core.guard`` decides,
``act`` hands transactions to the wallet's own thread, ``publish`` tells the operator.
"""
