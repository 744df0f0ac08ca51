"""What a chart draws: MinMax of one signal over pixel-aligned time bins, kept up to date
incrementally. Qt-free.

A live chart asks for [t0, t1) split into `width` bins of px = (t1 - t0) / width nanoseconds, with
t0 on a multiple of px (the grid quantises its window end to a pixel column). Bins are then fixed
in absolute time, so from one frame to the next:
- a scroll by k pixel columns drops k bins on the left and opens k on the right;
- appended samples only touch the bin holding the previous newest sample and those after it;
- samples dropped from a full ring only touch the bins before the new oldest sample.
Only those bins are rescanned (console.kernels.bin_minmax); a late merge into the ring
(`Ring.rewrites`) or a change of scale starts over. Fixed bins also keep the picture still while
it scrolls (no shimmer from bins that move with every new sample).

Per bin the first argmin and argmax are drawn (in time order, one point when they coincide), so no
spike is lost between pixels; an all-NaN bin yields a NaN point (a break). Where the ring does not
reach back to t0 and the store has a history provider, its reduced history is drawn before.
"""

from __future__ import annotations

import logging

import numpy as np

from console import kernels
from console.logsetup import LogOnce
from console.series import SeriesStore

_once = LogOnce(logging.getLogger(__name__))

_EMPTY = (np.empty(0, np.int64), np.empty(0, np.float64))


class PixelBins:
    def __init__(self, store: SeriesStore, signal: str):
        self.store = store
        self.signal = signal
        self.rescanned_bins = 0  # bins scanned by the last call (tests and benchmarks read it)
        self.changed_from = 0
        self.history_part: tuple[np.ndarray, np.ndarray] | None = None
        self._history_key: tuple | None = None
        self._reset()

    def _reset(self) -> None:
        self._key: tuple | None = None  # (px, rewrites, ring identity)
        self._k0 = 0
        self._newest: int | None = None
        self._oldest: int | None = None
        self._lo_t = self._hi_t = np.empty(0, np.int64)
        self._lo_v = self._hi_v = np.empty(0, np.float64)
        self._has = np.empty(0, bool)

    def points(self, t0: int, t1: int, width: int) -> tuple[np.ndarray, np.ndarray]:
        """(t, v) to draw for [t0, t1) at `width` pixel columns (history first, where there is one)."""
        self.update(t0, t1, width)
        t, v = self.segment(0, len(self._has))
        hist = self.history_part
        if hist is not None and len(hist[0]):
            return np.concatenate([hist[0], t]), np.concatenate([hist[1], v])
        return t, v

    def update(self, t0: int, t1: int, width: int) -> None:
        """Bring the bins of [t0, t1) at `width` columns up to date; `changed_from` tells the first
        bin whose points may differ from the previous call (== width: nothing changed)."""
        info = self.store.info(self.signal)
        width = max(1, int(width))
        ring = info.ring if info is not None else None
        span = ring.span() if ring is not None else None
        px = (t1 - t0) // width
        if ring is None or span is None or px <= 0:
            self._reset()
            self.history_part = None
            self.changed_from = 0
            return
        oldest, newest = span
        self.history_part = self._history(t0, min(t1, oldest), t1 - t0, width) if oldest > t0 else None
        aligned = px * width == t1 - t0 and t0 % px == 0
        key = (px, ring.rewrites, id(ring))
        k0 = t0 // px
        if not aligned or key != self._key or not (0 <= k0 - self._k0 < width) or len(self._has) != width:
            self._allocate(width)
            dirty = [(0, width)]
            self.changed_from = 0
        else:
            shift = k0 - self._k0
            dirty = self._shift(shift, width)
            if self._newest is not None and newest != self._newest:
                dirty.append((max(0, (self._newest - t0) // px), width))
            if self._oldest is not None and oldest != self._oldest and oldest > t0:
                dirty.append((0, min(width, (oldest - t0) // px + 1)))
            self.changed_from = 0 if shift else min((a for a, _ in dirty), default=width)
        self._key, self._k0, self._newest, self._oldest = key, k0, newest, oldest
        self.rescanned_bins = 0
        for a, b in _merge(dirty):
            self._scan(info, t0, px, a, b)

    def segment(self, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Points of bins [a, b) in time order."""
        has = self._has[a:b]
        lo_t, hi_t = self._lo_t[a:b][has], self._hi_t[a:b][has]
        t = np.stack([lo_t, hi_t], axis=1).ravel()
        v = np.stack([self._lo_v[a:b][has], self._hi_v[a:b][has]], axis=1).ravel()
        keep = np.ones(len(t), bool)
        keep[1::2] = hi_t != lo_t  # one point when the bin's min and max are the same sample
        return t[keep], v[keep]

    def _shift(self, k: int, width: int) -> list[tuple[int, int]]:
        if k == 0:
            return []
        for name in ("_lo_t", "_hi_t", "_lo_v", "_hi_v", "_has"):
            arr = getattr(self, name)
            arr[:-k] = arr[k:].copy()
        self._has[-k:] = False
        return [(width - k, width)]

    def _allocate(self, width: int) -> None:
        self._lo_t, self._hi_t = np.zeros(width, np.int64), np.zeros(width, np.int64)
        self._lo_v, self._hi_v = np.zeros(width), np.zeros(width)
        self._has = np.zeros(width, bool)

    def _scan(self, info, t0: int, px: int, a: int, b: int) -> None:
        """Recompute bins [a, b) from the ring."""
        view = info.ring.view(t0 + a * px, t0 + b * px - 1)
        edges = np.searchsorted(view.t, t0 + px * np.arange(a, b + 1, dtype=np.int64), side="left")
        starts, ends = edges[:-1], edges[1:]
        full = ends > starts
        self._has[a:b] = full
        self.rescanned_bins += b - a
        if not full.any():
            return
        lo, hi = kernels.bin_minmax(view.v, starts[full], ends[full])
        where = np.flatnonzero(full) + a
        self._lo_t[where], self._lo_v[where] = view.t[lo], view.v[lo]
        self._hi_t[where], self._hi_v[where] = view.t[hi], view.v[hi]

    def _history(self, t0: int, t_end: int, span: int, width: int) -> tuple[np.ndarray, np.ndarray] | None:
        if self.store.history is None or t_end <= t0:
            return None
        key = (id(self.store.history), t0, t_end, span, width)
        if key == self._history_key:  # same request as last frame: the provider is not asked again
            return self.history_part
        self._history_key = key
        n_out = max(4, int(2 * width * (t_end - t0) / span)) // 2 * 2
        try:
            got = self.store.history.history(self.signal, t0, t_end, n_out)
        except Exception as exc:  # a broken provider never blanks the live part of the chart
            _once.error(("chart-history", self.signal), "charts: history for %s failed: %r", self.signal, exc)
            return None
        if got is None:
            return None
        return np.asarray(got[0], np.int64), np.asarray(got[1], np.float64)


def _merge(ranges: list[tuple[int, int]]) -> list[tuple[int, int]]:
    out: list[tuple[int, int]] = []
    for a, b in sorted(r for r in ranges if r[1] > r[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out
