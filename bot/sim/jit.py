"""numba's ``njit`` for the Monte Carlo's per-path kernels, typed for mypy and cached on disk.

``cache=True`` keeps the machine code beside the module (``__pycache__``), so only the first
run after a change compiles (a few seconds). numba's cache is keyed on the defining file
alone: a kernel that calls another jitted function keeps its compiled copy when that
function's file changes, so functions that call each other live in one module
(``bot.sim.twin_kernels``).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar, cast

import numba

Fn = TypeVar("Fn", bound=Callable[..., object])


def njit(fn: Fn) -> Fn:
    """``numba.njit(cache=True)`` keeping ``fn``'s signature for the type checker; IEEE
    arithmetic as numpy's (no fastmath), so results match the numpy code bit for bit."""
    return cast(Fn, numba.njit(cache=True)(fn))


def njit_inline(fn: Fn) -> Fn:
    """``njit`` inlined into its callers at compile time: a helper taking arrays then costs
    no call (numba counts references to each array passed at every call)."""
    return cast(Fn, numba.njit(cache=True, inline="always")(fn))
