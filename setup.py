"""Build hook: cythonize every console/**/*.pyx kernel.

A missing C compiler is an error, never a silent fallback: the pure-Python twins exist for
tests and for `RASAD_PURE_PYTHON=1`, not to hide a broken build.
"""

from __future__ import annotations

import os
import shutil
import sys
import sysconfig
from pathlib import Path

import numpy
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).resolve().parent


# -ffp-contract=off: no fused multiply-add behind our back, so compiled kernels and their numpy twins
# (and tsdownsample) round identically. AVX2 code paths are selected at run time (see _simd.h), so the
# x86-64-v2 baseline keeps the wheel loadable on older CPUs.
def _kernel_sources() -> list[Path]:
    return sorted(p.relative_to(HERE) for p in (HERE / "console").rglob("*.pyx"))


def _openmp_flags() -> tuple[list[str], list[str]]:
    if os.environ.get("RASAD_NO_OPENMP") == "1" or sys.platform == "darwin":
        return [], []
    return ["-fopenmp"], ["-fopenmp"]


class StrictBuildExt(build_ext):
    """Fails with a clear message when no C compiler is present."""

    def run(self) -> None:
        cc = (sysconfig.get_config_var("CC") or "cc").split()[0]
        if self.extensions and shutil.which(os.environ.get("CC", cc).split()[0]) is None:
            raise SystemExit(
                f"rasad: cannot build the Cython kernels: C compiler '{cc}' not found. "
                "Install gcc and the Python headers (Debian: apt-get install build-essential python3-dev)."
            )
        super().run()


def _extensions() -> list[Extension]:
    compile_omp, link_omp = _openmp_flags()
    exts = []
    for src in _kernel_sources():
        module = ".".join(src.with_suffix("").parts)
        exts.append(
            Extension(
                module,
                [str(src)],
                include_dirs=[numpy.get_include(), str(src.parent)],
                depends=[str(h) for h in sorted(src.parent.glob("*.h"))],
                extra_compile_args=["-O3", "-march=x86-64-v2", "-ffp-contract=off", *compile_omp]
                if os.uname().machine == "x86_64"
                else ["-O3", "-ffp-contract=off", *compile_omp],
                extra_link_args=link_omp,
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
            )
        )
    return exts


setup(
    ext_modules=cythonize(
        _extensions(),
        language_level=3,
        compiler_directives={"boundscheck": False, "wraparound": False, "cdivision": True},
    ),
    cmdclass={"build_ext": StrictBuildExt},
)
