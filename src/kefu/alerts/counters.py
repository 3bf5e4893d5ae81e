"""Sliding windows over bucketed counts, O(1) per event.

Time is cut into buckets of ``grain`` seconds (bucket ``k`` holds events with ``k*grain <= t < (k+1)*grain``).
A window of ``w`` seconds at time ``t`` counts the current bucket and the ``w/grain - 1`` before it: with a
one-minute grain, "30 minutes" at 10:29:40 counts the events from 10:00:00 on. The live store keeps the very
same buckets as rows, so what the engine says and what the server says agree.

``BucketCounts`` keeps the current bucket's count apart (an event only adds one to it) and, for each window,
the sum of the *completed* buckets inside it, moved along with a pointer when a new bucket begins; completed
buckets are kept with cumulative totals, so a count over any past range (growth: the same window a week
earlier) is two binary searches.
"""

from __future__ import annotations

from bisect import bisect_right

_COMPACT = 2048  # drop this many expired buckets at once


class BucketCounts:
    __slots__ = ("grain", "spans", "keep", "bucket", "cur", "keys", "cum", "base", "lo", "past")

    def __init__(self, grain: int, windows: tuple[int, ...], keep: int) -> None:
        self.grain = grain
        self.spans = [w // grain for w in windows]  # window lengths in buckets
        self.keep = max(keep // grain, max(self.spans, default=1)) + 1  # buckets of history kept
        self.bucket: int | None = None  # the current bucket's index
        self.cur = 0  # events in the current bucket
        self.keys: list[int] = []  # completed, non-empty buckets, oldest first
        self.cum: list[int] = []  # cum[j]: events in keys[0..j] plus base
        self.base = 0  # events in buckets already dropped
        self.lo = [0] * len(self.spans)  # per window: index of its oldest completed bucket
        self.past = [0] * len(self.spans)  # per window: events in its completed buckets

    def advance(self, bucket: int) -> None:
        """Begin ``bucket`` (later than the current one): the current bucket is completed, windows slide."""
        keys, cum = self.keys, self.cum
        if self.cur:
            keys.append(self.bucket)
            cum.append((cum[-1] if cum else self.base) + self.cur)
        self.bucket, self.cur = bucket, 0
        n = len(keys)
        total = cum[-1] if cum else self.base
        lo, past, base = self.lo, self.past, self.base
        i = 0
        for span in self.spans:  # a plain loop: this runs once per new bucket of every category
            j = lo[i]
            limit = bucket - span
            if j < n and keys[j] <= limit:
                j = lo[i] = bisect_right(keys, limit, j)
            past[i] = total - (cum[j - 1] if j else base)
            i += 1
        if n > _COMPACT and keys[_COMPACT - 1] <= bucket - self.keep:
            self._trim(bucket - self.keep)

    def _trim(self, limit: int) -> None:
        """Drop the buckets at or before ``limit`` that no window still needs (some thousands at a time)."""
        keys = self.keys
        cut = min(bisect_right(keys, limit), *self.lo) if self.lo else bisect_right(keys, limit)
        if cut:
            self.base = self.cum[cut - 1]
            del keys[:cut], self.cum[:cut]
            self.lo[:] = [j - cut for j in self.lo]

    def counts(self) -> list[int]:
        """Each window's count now (completed buckets plus the current one)."""
        return [p + self.cur for p in self.past]

    def between(self, first: int, last: int) -> int:
        """Events in buckets ``first..last`` inclusive (those already dropped count as zero)."""
        keys, cum = self.keys, self.cum
        hi = bisect_right(keys, last)
        lo = bisect_right(keys, first - 1)
        total = (cum[hi - 1] if hi else self.base) - (cum[lo - 1] if lo else self.base)
        if self.bucket is not None and first <= self.bucket <= last:
            total += self.cur
        return total

    def window_at(self, seconds: int, *, bucket: int, back: int = 0) -> int:
        """Events in the ``seconds`` window ending at ``bucket - back`` (back in buckets)."""
        end = bucket - back
        return self.between(end - seconds // self.grain + 1, end)
