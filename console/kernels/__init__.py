"""Numeric kernels: compiled Cython (`_name.pyx`) with a pure-Python/numpy twin (`name.py`).

`load(name)` returns the compiled module `console.kernels._<name>` unless `RASAD_PURE_PYTHON=1`
(or it is not built), then the twin `console.kernels.<name>`. Tests run both against each other.
"""

from __future__ import annotations

import importlib
import logging
import os
from types import ModuleType

log = logging.getLogger(__name__)


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
