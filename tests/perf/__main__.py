"""`make bench`: run every tests/perf/bench_*.py (or those named), print one table, write JSON.

    python -m tests.perf [--only NAME ...] [--out DIR]
Exit status 1 when any row with a target failed it.
"""

from __future__ import annotations

import argparse
import importlib
import sys
import traceback
from pathlib import Path

from tests.perf.report import Report

HERE = Path(__file__).resolve().parent


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m tests.perf")
    ap.add_argument("--only", nargs="*", default=None, help="bench module names (e.g. decimate map)")
    ap.add_argument("--out", default="bench-results", help="folder for the JSON results")
    args = ap.parse_args(argv)
    names = sorted(p.stem.removeprefix("bench_") for p in HERE.glob("bench_*.py"))
    if args.only:
        names = [n for n in names if n in args.only]
    report = Report()
    failures = 0
    for name in names:
        print(f"== bench {name}", flush=True)
        try:
            importlib.import_module(f"tests.perf.bench_{name}").run(report)
        except Exception:
            failures += 1
            traceback.print_exc()
            report.add(name, "bench crashed", float("nan"), "", passed=False)
    print()
    print(report.table())
    path = report.save(Path(args.out))
    print(f"\nresults: {path}")
    failed = [r for r in report.rows if r.passed is False]
    return 1 if failed or failures else 0


if __name__ == "__main__":
    sys.exit(main())
