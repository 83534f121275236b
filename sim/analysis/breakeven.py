"""Break-even (``ccsim breakeven``): the value x of one key of scenario B at which a KPI of B equals A's, found by
bisection on the paired difference d(x) = KPI_B(x) - KPI_A under common random numbers (every evaluation runs B
with A's seed and replications, so d is estimated from paired replications and is smooth in x).

The confidence interval of the crossing inverts the paired test: it holds the values x at which the 95 % CI of
d(x) contains 0, i.e. from the root of the CI's upper edge to the root of its lower edge (each found by bisection
too); an edge without a root between LO and HI leaves that end of the interval open (beyond the range searched).
d is assumed monotone between LO and HI.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

from sim.analysis.stats import Estimate
from sim.errors import CcsimError

MAX_STEPS = 60
"""Bisection steps per root at most (a tolerance of 2^-60 of the range is far below any useful one)."""


@dataclass(frozen=True)
class Point:
    """One evaluation: the key's value and the paired difference B - A there (mean, 95 % CI half-width)."""

    x: float
    diff: Estimate


@dataclass(frozen=True)
class Crossing:
    """The break-even value, its confidence interval (None: beyond the range searched on that side) and every
    evaluation made, in order of x."""

    value: float
    low: float | None
    high: float | None
    points: tuple[Point, ...]


class Search:
    """Bisection of a paired difference, evaluating each x once (whole numbers only when
    ``integer``: the key takes whole values, and brackets end at neighbours)."""

    def __init__(self, evaluate: Callable[[float], Estimate], tolerance: float, integer: bool = False):
        self.evaluate, self.integer = evaluate, integer
        self.tolerance = max(tolerance, 1.0) if integer else tolerance
        self.seen: dict[float, Estimate] = {}

    def at(self, x: float) -> Estimate:
        """d(x), evaluated once."""
        if x not in self.seen:
            e = self.evaluate(x)
            if math.isnan(e.mean) or math.isnan(e.half_width):
                raise CcsimError("ccsim breakeven: the difference has no confidence interval at "
                                 f"{x:g} (it needs at least 2 replications and a KPI defined in both scenarios)")
            self.seen[x] = e
        return self.seen[x]

    def root(self, edge: Callable[[Estimate], float], a: float, b: float) -> tuple[float, float] | None:
        """The bracket [a', b'] (within tolerance) where ``edge(d(x))`` changes sign between a and b, or None if
        it has the same sign at both ends."""
        fa, fb = edge(self.at(a)), edge(self.at(b))
        if fa == 0:
            return a, a
        if fb == 0:
            return b, b
        if (fa > 0) == (fb > 0):
            return None
        known = sorted(x for x in self.seen if a <= x <= b)  # start from the tightest bracket evaluated already
        for x0, x1 in zip(known, known[1:], strict=False):
            if (edge(self.seen[x0]) > 0) != (edge(self.seen[x1]) > 0):
                a, b, fa = x0, x1, edge(self.seen[x0])
                break
        for _ in range(MAX_STEPS):
            if b - a <= self.tolerance:
                break
            m = float((a + b) // 2) if self.integer else (a + b) / 2
            fm = edge(self.at(m))
            if fm == 0:
                return m, m
            if (fm > 0) == (fa > 0):
                a, fa = m, fm
            else:
                b = m
        return a, b

    def interpolated(self, edge: Callable[[Estimate], float], bracket: tuple[float, float]) -> float:
        """Where the straight line through the bracket's two evaluations crosses zero."""
        a, b = bracket
        fa, fb = edge(self.at(a)), edge(self.at(b))
        return a if a == b or fa == fb else a + (b - a) * fa / (fa - fb)


def find_crossing(evaluate: Callable[[float], Estimate], lo: float, hi: float, tolerance: float,
                  integer: bool = False) -> Crossing:
    """The x in [lo, hi] where the paired difference d(x) = ``evaluate(x)`` crosses zero, with its 95 %
    confidence interval (module doc); CcsimError if d has the same sign at lo and hi."""
    search = Search(evaluate, tolerance, integer)
    d_lo, d_hi = search.at(lo), search.at(hi)
    bracket = search.root(lambda e: float(e.mean), lo, hi)
    if bracket is None:
        raise CcsimError(f"ccsim breakeven: no crossing between {lo:g} and {hi:g}: the difference B - A is "
                         f"{d_lo.mean:+,.4g} ±{d_lo.half_width:,.2g} at {lo:g} and {d_hi.mean:+,.4g} "
                         f"±{d_hi.half_width:,.2g} at {hi:g}; widen --between")
    value = search.interpolated(lambda e: float(e.mean), bracket)
    rising = d_hi.mean > d_lo.mean

    def upper(e: Estimate) -> float:
        return float(e.mean + e.half_width)

    def lower(e: Estimate) -> float:
        return float(e.mean - e.half_width)

    # rising: the CI's upper edge reaches zero first (the low end), its lower edge last (the high end)
    first, last = (upper, lower) if rising else (lower, upper)
    left, right = bracket[0], bracket[1]
    low_bracket = search.root(first, lo, right)
    high_bracket = search.root(last, left, hi)
    low = search.interpolated(first, low_bracket) if low_bracket is not None else None
    high = search.interpolated(last, high_bracket) if high_bracket is not None else None
    points = tuple(Point(x, e) for x, e in sorted(search.seen.items()))
    return Crossing(value, low, high, points)
