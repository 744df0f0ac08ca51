"""Garbage-collector settings for a long-running console with a large, mostly permanent heap.

A full (generation 2) collection walks every tracked object: modules, the city geometry, plugin
state, caches... With the console's startup heap that took 40–50 ms on the reference machine,
and it runs on whichever thread triggers it while holding the GIL, so the Qt loop stalls for that
long (measured by tests/perf/bench_map.py). `settle_heap()` runs once the console is up: it
collects what startup left behind, then freezes the survivors into the permanent generation so
later full collections walk only what was allocated since (live readings, alarms, ...).
"""

from __future__ import annotations

import gc
import logging
import time

log = logging.getLogger(__name__)


def settle_heap() -> int:
    """Collect, then move every surviving object out of the collector's way. Returns how many were frozen."""
    t0 = time.perf_counter()
    gc.collect()
    gc.freeze()
    frozen = gc.get_freeze_count()
    log.info("gc: %d startup objects frozen in %.0f ms", frozen, (time.perf_counter() - t0) * 1000)
    return frozen
