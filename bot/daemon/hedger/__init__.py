"""The hedger: chain -> snapshot -> exposures -> policy -> plan -> exchange -> journal.

``read`` gathers the position and the exchange's view, ``bot.core.hedger`` decides, ``executor``
places and journals the orders, ``publish`` records the cycle. The guard runs beside it and
never waits for it: pausing, flattening or a tripped breaker stops this loop only.
"""
