"""Numeric kernels: compiled Cython (`_name.pyx`) with a pure-Python/numpy twin (`name.py`).

`load(name)` returns the compiled module `console.kernels._<name>` unless `RASAD_PURE_PYTHON=1`
(or it is not built), then the twin `console.kernels.<name>`. Tests run both against each other.

The public API below dispatches to whichever implementation loaded (`IMPLEMENTATION`):

Decimation for charts (sorted int64 indices into `y`, `x` optional and sorted, NaN ignored):
`minmax(x, y, n_out)`, `m4(x, y, n_out)`, `minmax_lttb(x, y, n_out, ratio=4)`, `lttb(x, y, n_out)`,
and `bin_minmax(y, starts, ends)` over caller-chosen bins (pixel-aligned chart bins).

Rolling statistics for the alarm engine (float64 arrays as long as `y`; a window is a sample count,
or a duration in the units of `t` when `t` is given; non-finite samples are skipped):
`rolling_mean`, `rolling_std`, `ewma`, `zscore`, `anomalies`.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType

log = logging.getLogger(__name__)

# OpenMP threads sleep as soon as a kernel is done instead of spinning for a while: on a
# two-core console a spinning worker steals the CPU the Qt thread and the feed workers need next.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")


def pure_python_forced() -> bool:
    return os.environ.get("RASAD_PURE_PYTHON", "").strip() not in ("", "0", "false", "no")


def load(name: str) -> tuple[ModuleType, str]:
    """(module, "cython" | "python") for kernel family `name`."""
    if not pure_python_forced():
        try:
            return importlib.import_module(f"console.kernels._{name}"), "cython"
        except ImportError as exc:
            log.warning("compiled kernel %s unavailable (%s); using the numpy twin", name, exc)
    return importlib.import_module(f"console.kernels.{name}"), "python"


_decimate, IMPLEMENTATION = load("decimate")
_rolling, _rolling_impl = load("rolling")
if _rolling_impl != IMPLEMENTATION:  # one half built, the other not: say so rather than hide it
    log.warning("kernels: decimate is %s but rolling is %s", IMPLEMENTATION, _rolling_impl)

minmax = _decimate.minmax
m4 = _decimate.m4
lttb = _decimate.lttb
minmax_lttb = _decimate.minmax_lttb
bin_minmax = _decimate.bin_minmax

rolling_mean = _rolling.rolling_mean
rolling_std = _rolling.rolling_std
ewma = _rolling.ewma
zscore = _rolling.zscore
anomalies = _rolling.anomalies

__all__ = [
    "IMPLEMENTATION",
    "anomalies",
    "bin_minmax",
    "ewma",
    "load",
    "lttb",
    "m4",
    "minmax",
    "minmax_lttb",
    "pure_python_forced",
    "rolling_mean",
    "rolling_std",
    "zscore",
]
