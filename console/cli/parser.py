"""Argument parser for `python main.py ...` (English help, no traceback on bad arguments)."""

from __future__ import annotations

import argparse
import re

from console import __version__


class CliError(Exception):
    """A user-facing failure: printed as one line `rasad: <message>`, exit code 2."""


def size_arg(text: str) -> tuple[int, int]:
    m = re.fullmatch(r"\s*(\d{2,5})\s*[xX×]\s*(\d{2,5})\s*", text)
    if not m:
        raise argparse.ArgumentTypeError(f"size must look like 1920x1080, not {text!r}")
    w, h = int(m.group(1)), int(m.group(2))
    if not (64 <= w <= 16384 and 64 <= h <= 16384):
        raise argparse.ArgumentTypeError(f"size {w}x{h} out of range (64..16384 per side)")
    return w, h


def seconds_arg(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"seconds must be a number, not {text!r}") from None
    if not (0 <= v <= 7 * 24 * 3600) or v != v:
        raise argparse.ArgumentTypeError(f"seconds {text} out of range (0 .. one week)")
    return v


def points_arg(text: str) -> int:
    try:
        v = int(float(text))
    except ValueError:
        raise argparse.ArgumentTypeError(f"points must be a number like 1e7, not {text!r}") from None
    if not (2 <= v <= 200_000_000):
        raise argparse.ArgumentTypeError(f"points {text} out of range (2 .. 2e8)")
    return v


def charts_arg(text: str) -> int:
    if not text.strip().isdigit() or not (1 <= int(text) <= 48):
        raise argparse.ArgumentTypeError(f"charts must be a whole number from 1 to 48, not {text!r}")
    return int(text)


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=["fa", "en"], help="interface language (default: fa, from settings)")
    p.add_argument("--operator", help="operator name shown in the status bar")
    p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="logging level")
    p.add_argument("--no-plugins", action="store_true", help="do not load department plugins")


# command -> handler ("module:function"), resolved lazily by main.py
HANDLERS: dict[str, str] = {
    "run": "console.cli.commands:cmd_run",
    "snapshot": "widgets.snapshot:cmd_snapshot",
    "plugins": "console.cli.commands:cmd_plugins",
}
GUI_RUN_HANDLER = "widgets.app:cmd_run_gui"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="rasad",
        description="Rasad (رصد): the operations console of a city's urban observatory.",
        epilog="Without a command, `run` starts the console.",
    )
    parser.add_argument("--version", action="version", version=f"rasad {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")

    run = sub.add_parser("run", help="start the console (default)", description="Start the console.")
    _add_common(run)
    run.add_argument("--layout", help="restore the saved window layout NAME")
    run.add_argument(
        "--fullscreen", action="store_true", default=None, help="start full screen (F11 toggles)"
    )
    run.add_argument("--large-type", action="store_true", default=None, help="large type for the video wall")
    run.add_argument("--headless", action="store_true", help="core only (feeds, alarms, storage), no Qt")
    run.add_argument("--seconds", type=seconds_arg, help="stop cleanly after N seconds (exit 0)")

    snap = sub.add_parser(
        "snapshot",
        help="render the console offscreen and save a PNG",
        description="Start the console offscreen, let it run, save a screenshot.",
    )
    _add_common(snap)
    snap.add_argument("--out", required=True, help="PNG file to write")
    snap.add_argument("--size", type=size_arg, default=(1920, 1080), help="WIDTHxHEIGHT (default 1920x1080)")
    snap.add_argument(
        "--seconds", type=seconds_arg, default=2.0, help="run this long before the shot (default 2)"
    )
    snap.add_argument("--view", default="window", help="what to capture: window (default), charts")
    snap.add_argument(
        "--points",
        type=points_arg,
        help="charts view: draw GENERATED test data (labelled so on the image), N points in the first "
        "series, up to 1e6 in the others",
    )
    snap.add_argument("--charts", type=charts_arg, help="charts view: number of charts in the grid (1..48)")
    snap.add_argument("--large-type", action="store_true", default=None, help="large type for the video wall")

    plugins = sub.add_parser(
        "plugins",
        help="list discovered plugins and their state",
        description="Discover and activate plugins headless; list version and state.",
    )
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    return parser


def parse(argv: list[str] | None = None) -> argparse.Namespace:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        args = parser.parse_args(["run", *(argv or [])])
    return args


def handler_for(args: argparse.Namespace) -> str:
    if args.command == "run" and not args.headless:
        return GUI_RUN_HANDLER
    return HANDLERS[args.command]
