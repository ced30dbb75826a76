"""The crossing search's shortcuts (a guess to start from, a monotone segment) change how many
times it asks ``safe``, never the price it answers: the liquidation price a user sees is the
same with or without them."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from bot.core.crossing import _first_safe, _lowest_safe


def _plain_bisection(below: int, top: int, threshold: int) -> int:
    while top - below > 1:
        middle = (below + top) // 2
        if middle >= threshold:
            top = middle
        else:
            below = middle
    return top


@given(
    below=st.integers(-(10**15), 10**15),
    width=st.integers(2, 10**12),
    at=st.floats(0.0, 1.0),
    guess_offset=st.integers(-(10**13), 10**13),
)
def test_first_safe_finds_the_threshold_whatever_the_guess(
    below: int, width: int, at: float, guess_offset: int
) -> None:
    top = below + width
    threshold = min(top, below + 1 + int(at * (width - 1)))  # the first safe price
    calls: list[int] = []

    def safe(price: int) -> bool:
        assert below < price <= top, "asked outside the bracket"
        calls.append(price)
        return price >= threshold

    found = _first_safe(below, top, safe, threshold + guess_offset)
    assert found == threshold == _plain_bisection(below, top, threshold)


def test_a_close_guess_asks_few_times() -> None:
    calls: list[int] = []

    def safe(price: int) -> bool:
        calls.append(price)
        return price >= 6_000_000_000_123

    assert _first_safe(5_999_000_000_000, 6_001_000_000_000, safe, 6_000_000_000_120) == (
        6_000_000_000_123
    )
    assert len(calls) <= 6


@given(
    lower=st.integers(0, 10**9),
    width=st.integers(2, 10**6),
    step_at=st.integers(0, 10**6),
    threshold_at=st.integers(0, 10**6),
    guess_at=st.integers(0, 10**6),
)
def test_lowest_safe_same_with_and_without_shortcuts(
    lower: int, width: int, step_at: int, threshold_at: int, guess_at: int
) -> None:
    """A monotone segment (the floored average LT steps once at ``step``) and HF dipping
    where it steps: the walk answers the same with the shortcuts as without."""
    upper = lower + width
    step = lower + 1 + step_at % width
    threshold = lower + 1 + threshold_at % width

    def segment(price: int) -> int:
        return 0 if price < step else 1

    def safe(price: int) -> bool:  # safe above the threshold, except just past the step
        return price >= threshold and not (step <= price < step + 2 and price != upper)

    plain = _lowest_safe(lower, upper, safe, segment, lower_is_unsafe=True)
    fast = _lowest_safe(
        lower,
        upper,
        safe,
        segment,
        lower_is_unsafe=True,
        segment_monotone=True,
        guess=lower + guess_at % (width + 3),
    )
    assert fast == plain
