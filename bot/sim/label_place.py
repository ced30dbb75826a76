"""Labels that do not overlap, without a dependency (adjustText is not installed): each label
takes the first spot around its point, nearest first, whose box overlaps no label placed before
it and no point. Deterministic: the same points give the same picture."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

Box = tuple[float, float, float, float]  # x0, y0, x1, y1

# Directions tried around a point, at growing distances (points, 1/72 in).
_DIRECTIONS = tuple((math.cos(a), math.sin(a)) for a in (math.pi * k / 4 for k in range(8)))
_RADII = (7.0, 12.0, 18.0, 26.0, 36.0, 48.0)


@dataclass(frozen=True, slots=True)
class Placed:
    dx: float  # offset from the point, in points
    dy: float
    box: Box


def _overlaps(a: Box, b: Box) -> bool:
    return a[0] < b[2] and b[0] < a[2] and a[1] < b[3] and b[1] < a[3]


def _box(x: float, y: float, w: float, h: float) -> Box:
    return (x - w / 2, y - h / 2, x + w / 2, y + h / 2)


def place(
    points: Sequence[tuple[float, float]],
    sizes: Sequence[tuple[float, float]],
    marker_radius: float = 4.0,
) -> list[Placed]:
    """``points`` and label ``sizes`` (width, height) in points on the page; one offset per
    label. When every spot is taken the label goes to the farthest one tried (still readable
    with its leader line, only touching another)."""
    taken = [_box(x, y, 2 * marker_radius, 2 * marker_radius) for x, y in points]
    out = []
    for (x, y), (w, h) in zip(points, sizes, strict=True):
        choice = None
        for r in _RADII:
            for cx, cy in _DIRECTIONS:
                # Push the box's centre out by its half size so it clears the point.
                dx, dy = cx * (r + w / 2), cy * (r + h / 2)
                box = _box(x + dx, y + dy, w, h)
                if not any(_overlaps(box, t) for t in taken):
                    choice = Placed(dx, dy, box)
                    break
            if choice is not None:
                break
        if choice is None:
            dx, dy = 0.0, _RADII[-1] + h
            choice = Placed(dx, dy, _box(x + dx, y + dy, w, h))
        taken.append(choice.box)
        out.append(choice)
    return out
