"""`python main.py geo import FILE... [--out PATH] [--city KEY] [--simplify M]` (Qt-free)."""

from __future__ import annotations

import argparse
from pathlib import Path

from console.city.imported import district_override_path
from console.cli.parser import CliError
from console.geoimport import GeoImportError, import_files, write_collection
from console.settings import load_settings


def cmd_geo(args: argparse.Namespace) -> int:
    if args.geo_command != "import":
        raise CliError("usage: geo import FILE... [--out PATH] [--city KEY]")
    city = args.city or load_settings().city
    out = Path(args.out) if args.out else district_override_path(city)
    try:
        report = import_files([Path(p) for p in args.files], simplify_m=args.simplify)
    except GeoImportError as exc:
        raise CliError(str(exc)) from None
    for w in report.warnings:
        print(f"note: {w}")
    write_collection(report, out)
    names = ", ".join(f["properties"]["name_fa"] for f in report.features[:5])
    more = f" (+{len(report.features) - 5})" if len(report.features) > 5 else ""
    print(f"wrote {len(report.features)} districts to {out}: {names}{more}")
    if not args.out:
        print(f"the {city} map and console.city now use these districts (delete the file to go back)")
    return 0
