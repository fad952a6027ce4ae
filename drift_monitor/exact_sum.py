"""Exactly-rounded, order-independent float accumulation.

Shards of a window must merge into exactly the whole-window result. A float running
sum depends on the order of additions; this keeps Shewchuk's non-overlapping partials
(the algorithm behind ``math.fsum``), so the total is the correctly rounded exact sum of
every value added, whatever the order or grouping.
"""

from __future__ import annotations

import math


class ExactSum:
    """Sum of floats whose rounded total does not depend on addition order."""

    __slots__ = ("overflow", "partials")

    def __init__(self, partials: list[float] | None = None) -> None:
        self.partials: list[float] = []
        # Infinities, NaN, or a sum past the float range: the total is no longer finite,
        # and exactness no longer matters.
        self.overflow = 0.0
        for p in partials or []:
            self.add(p)

    def add(self, x: float) -> None:
        if not math.isfinite(x):
            self.overflow += x
            return
        partials = self.partials
        i = 0
        for y in partials:
            if abs(x) < abs(y):
                x, y = y, x
            hi = x + y
            if not math.isfinite(hi):
                self.overflow += hi
                return
            lo = y - (hi - x)
            if lo:
                partials[i] = lo
                i += 1
            x = hi
        partials[i:] = [x]

    def merge(self, other: ExactSum) -> None:
        for p in other.partials:
            self.add(p)

    @property
    def value(self) -> float:
        if self.overflow:
            return self.overflow
        try:
            return math.fsum(self.partials)
        except OverflowError:
            return math.copysign(math.inf, self.partials[-1])

    def canonical(self) -> list[float]:
        """A representation that depends only on the exact sum, not on how it was built:
        each term is the correctly rounded value of what the previous terms leave."""
        if self.overflow or not math.isfinite(self.value):
            return [self.value]
        terms: list[float] = []
        rest = ExactSum(self.partials)
        while True:
            head = math.fsum(rest.partials)
            if head == 0.0:  # the exact sum of finite floats rounds to 0 only when it is 0
                return terms
            terms.append(head)
            rest.add(-head)
