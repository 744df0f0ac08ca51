"""Exactly-once bookkeeping per source: dedup by (source, seq), gap detection, late fills.

Within one epoch a source numbers its messages 1, 2, 3 ... A `SeqTracker` remembers the highest
seq accepted and the holes below it (bounded), so a batch is split into: accepted (new, or filling
a hole), duplicates (already seen), and gaps (messages skipped over, counted once).
"""

from __future__ import annotations

from dataclasses import dataclass

from console.model import Reading

MAX_HOLES = 1024
UNKNOWN = -1  # position not known yet (new epoch): the next batch sets it


@dataclass
class Verdict:
    accepted: list[Reading]
    duplicates: int = 0
    gaps: int = 0  # new holes opened by this batch
    missing: int = 0  # messages in those holes
    filled: int = 0  # late arrivals that filled an earlier hole


class SeqTracker:
    __slots__ = ("epoch", "holes", "last")

    def __init__(self, epoch: str = "", last: int = 0):
        self.epoch = epoch
        self.last = last
        self.holes: list[list[int]] = []  # [first, last] ranges not yet received, oldest first

    def reset(self, epoch: str, last: int = UNKNOWN) -> None:
        """A new epoch: by default the next batch defines where we stand (joining mid-stream is not a gap)."""
        self.epoch, self.last, self.holes = epoch, last, []

    def check(self, items: list[Reading]) -> Verdict:
        if not items:
            return Verdict([])
        first = items[0].seq
        if self.last == UNKNOWN:
            self.last = first - 1
        if first == self.last + 1:
            n = len(items)
            seqs = [r.seq for r in items]
            if seqs[-1] == first + n - 1 and seqs == list(range(first, first + n)):
                self.last = seqs[-1]
                return Verdict(items)  # the normal case: one contiguous run after the last
        return self._slow(items)

    def _slow(self, items: list[Reading]) -> Verdict:
        v = Verdict([])
        for r in items:
            s = r.seq
            if s > self.last:
                if s > self.last + 1:
                    self.holes.append([self.last + 1, s - 1])
                    v.gaps += 1
                    v.missing += s - self.last - 1
                    if len(self.holes) > MAX_HOLES:
                        del self.holes[0]
                self.last = s
                v.accepted.append(r)
            elif self._fill(s):
                v.filled += 1
                v.accepted.append(r)
            else:
                v.duplicates += 1
        return v

    def _fill(self, s: int) -> bool:
        for i, (a, b) in enumerate(self.holes):
            if a <= s <= b:
                if a == b:
                    del self.holes[i]
                elif s == a:
                    self.holes[i][0] = a + 1
                elif s == b:
                    self.holes[i][1] = b - 1
                else:
                    self.holes[i : i + 1] = [[a, s - 1], [s + 1, b]]
                return True
        return False

    def mark_lost(self, first: int, last: int) -> int:
        """The server says first..last are gone for good: move past them; returns how many were new."""
        if self.last == UNKNOWN:
            self.last = last
            return 0
        if last <= self.last:
            return 0
        lost = last - max(first, self.last + 1) + 1
        self.last = last
        return max(0, lost)


class SeenKeys:
    """Dedup for formats without sequence numbers (NGSI-LD, GTFS-RT): bounded set of (entity, t)."""

    def __init__(self, limit: int = 200_000):
        self.limit = limit
        self._seen: dict[tuple[str, int], None] = {}

    def fresh(self, items: list[Reading]) -> tuple[list[Reading], int]:
        out = []
        dups = 0
        seen = self._seen
        for r in items:
            key = (r.entity, r.t)
            if key in seen:
                dups += 1
                continue
            seen[key] = None
            out.append(r)
        if len(seen) > self.limit:
            for k in list(seen)[: len(seen) - self.limit * 3 // 4]:
                del seen[k]
        return out, dups
