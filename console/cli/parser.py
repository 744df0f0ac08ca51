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


def scenario_arg(text: str) -> str:
    from console.paths import resource

    known = sorted(p.stem for p in resource("scenarios").glob("*.toml"))
    name = text.strip().lower()
    if name not in known:
        raise argparse.ArgumentTypeError(f"unknown scenario {text!r}; known: {', '.join(known)}")
    return name


def vehicles_arg(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"vehicles must be a whole number, not {text!r}") from None
    if not 0 <= n <= 100_000:
        raise argparse.ArgumentTypeError(f"vehicles {n} out of range (0 .. 100000)")
    return n


def port_arg(text: str) -> int:
    try:
        n = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"port must be a number, not {text!r}") from None
    if not 0 <= n <= 65535:
        raise argparse.ArgumentTypeError(f"port {n} out of range (0 .. 65535; 0 = any free port)")
    return n


def hostport_arg(text: str) -> tuple[str, int]:
    host, sep, port = text.rpartition(":")
    if not sep or not host:
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, not {text!r}")
    return host, port_arg(port)


def _add_sim(p: argparse.ArgumentParser) -> None:
    """Options of the embedded (or standalone) city simulator."""
    p.add_argument(
        "--scenario", type=scenario_arg, help="play this scenario in the simulator (default: calm)"
    )
    p.add_argument("--vehicles", type=vehicles_arg, help="simulated vehicles (buses, taxis, service)")
    p.add_argument("--seed", type=int, help="simulator seed (same seed, same city day)")


def speed_arg(text: str) -> float:
    try:
        v = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"speed must be a number, not {text!r}") from None
    if not 0 < v <= 1000:
        raise argparse.ArgumentTypeError(
            f"speed {text} out of range (0 .. 1000 simulated seconds per second)"
        )
    return v


def _add_sim_speed(p: argparse.ArgumentParser) -> None:
    """The embedded simulator's pace (run, snapshot; `simulate` has its own --speed)."""
    p.add_argument(
        "--sim-speed",
        type=speed_arg,
        metavar="X",
        help="embedded simulator: simulated seconds per real second (default 1; e.g. 60 to see an hour in a minute)",
    )


def _add_common(p: argparse.ArgumentParser) -> None:
    p.add_argument("--lang", choices=["fa", "en"], help="interface language (default: fa, from settings)")
    p.add_argument("--operator", help="operator name shown in the status bar")
    p.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], help="logging level")
    p.add_argument("--no-plugins", action="store_true", help="do not load department plugins")


ROLES = ("operator", "supervisor", "crisis-manager", "admin")


def _add_db(p: argparse.ArgumentParser) -> None:
    p.add_argument(
        "--db",
        metavar="URL",
        help="database: a SQLite file or postgresql+psycopg://user:pass@host/db (default: SQLite in the data dir)",
    )


def _add_store_options(p: argparse.ArgumentParser) -> None:
    _add_db(p)
    p.add_argument("--console", metavar="NAME", help="this console's name in the journal and in sync")
    p.add_argument(
        "--role",
        action="append",
        choices=ROLES,
        help="with --operator: the demo session's role (repeatable; default: the operator's stored roles)",
    )


# command -> handler ("module:function"), resolved lazily by main.py
HANDLERS: dict[str, str] = {
    "run": "console.cli.commands:cmd_run",
    "snapshot": "widgets.snapshot:cmd_snapshot",
    "plugins": "console.cli.commands:cmd_plugins",
    "audit": "console.cli.store_commands:cmd_audit",
    "operators": "console.cli.store_commands:cmd_operators",
    "export": "console.cli.store_commands:cmd_export",
    "simulate": "console.sim.cli:cmd_simulate",
    "ingest": "console.cli.ingest:cmd_ingest",
    "geo": "console.cli.geo:cmd_geo",
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
    _add_store_options(run)
    _add_sim(run)
    _add_sim_speed(run)
    run.add_argument(
        "--feed",
        action="append",
        metavar="URL",
        help="connect to this feed instead of the embedded simulator (ws://, mqtt://host:port/topic, "
        "or a recording to replay); repeatable",
    )
    run.add_argument(
        "--record",
        metavar="FILE",
        help="record the embedded simulator's feed to FILE (replay with --feed FILE)",
    )

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
    _add_store_options(snap)
    _add_sim(snap)
    _add_sim_speed(snap)

    sim = sub.add_parser(
        "simulate",
        help="run the Qom city simulator standalone (websocket server)",
        description="Serve the simulated city on ws://HOST:PORT (native frames with resume on /, "
        "NGSI-LD notifications on /ngsi-ld, GTFS-Realtime protobuf on /gtfs-rt).",
    )
    sim.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    sim.add_argument("--port", type=port_arg, default=8765, help="port (default 8765; 0 = any free port)")
    _add_sim(sim)
    sim.add_argument("--speed", type=float, default=1.0, help="simulated seconds per real second (default 1)")
    sim.add_argument(
        "--mqtt", type=hostport_arg, metavar="HOST:PORT", help="also publish to this MQTT broker"
    )
    sim.add_argument(
        "--journal", metavar="DIR", help="keep a journal so a restarted simulator resumes its sequences"
    )
    sim.add_argument("--seconds", type=seconds_arg, help="stop after N seconds")
    sim.add_argument("--log-level", choices=["DEBUG", "INFO", "WARNING", "ERROR"], default="INFO")

    ingest = sub.add_parser(
        "ingest",
        help="decode feed files and print normalized readings as JSON lines",
        description="Decode files (native, NGSI v2, NGSI-LD, GTFS-Realtime, SensorThings, CAP) and print one "
        "JSON object per reading/entity/event. Exit 0 when every file decoded, 2 when any was rejected.",
    )
    ingest.add_argument(
        "--format",
        default="auto",
        choices=["auto", "native", "ngsi-v2", "ngsi-ld", "gtfs-rt", "sensorthings", "cap"],
        help="input format (default: detect)",
    )
    ingest.add_argument(
        "--strict", action="store_true", help="schema violations reject the file (else warnings)"
    )
    ingest.add_argument(
        "--schemas",
        action="append",
        metavar="DIR",
        help="folder of FIWARE JSON Schemas (<Model>/schema.json)",
    )
    ingest.add_argument("files", nargs="+", metavar="FILE")

    plugins = sub.add_parser(
        "plugins",
        help="list discovered plugins and their state",
        description="Discover and activate plugins headless; list version and state.",
    )
    plugins.add_argument("--json", action="store_true", help="machine-readable output")
    _add_audit(sub)
    _add_operators(sub)
    _add_export(sub)

    geo = sub.add_parser(
        "geo", help="geography tools (import district polygons)", description="Geography tools."
    )
    geo_sub = geo.add_subparsers(dest="geo_command", metavar="ACTION", required=True)
    gimp = geo_sub.add_parser(
        "import",
        help="convert GeoJSON or raw OSM Overpass JSON into a district layer",
        description="Convert GeoJSON or OSM Overpass JSON (relations: rings assembled from ways) into the "
        "district layer of the map. Without --out the result replaces the city's synthetic districts "
        "(<data dir>/geo/<city>/districts.geojson).",
    )
    gimp.add_argument("files", nargs="+", metavar="FILE", help="GeoJSON or Overpass JSON files (merged)")
    gimp.add_argument("--out", help="write here instead of the city's district override")
    gimp.add_argument("--city", help="city whose districts to replace (default: from settings)")
    gimp.add_argument(
        "--simplify", type=float, default=0.0, metavar="M", help="simplify to M metres (0: keep)"
    )
    return parser


def _add_audit(sub) -> None:
    audit = sub.add_parser(
        "audit",
        help="verify or read the hash-chained audit journal",
        description="The audit journal: verify its chain (exit 0 intact, 1 broken), print its head, list entries.",
    )
    acts = audit.add_subparsers(dest="action", metavar="ACTION", required=True)
    verify = acts.add_parser("verify", help="check every entry; exit 1 naming the first broken one")
    _add_db(verify)
    verify.add_argument(
        "--no-anchor", action="store_true", help="ignore this console's anchor (chain and head only)"
    )
    head = acts.add_parser("head", help="print the chain head (seq and hash) to record elsewhere")
    _add_db(head)
    show = acts.add_parser("list", help="print the latest entries")
    _add_db(show)
    show.add_argument("--kind", help="only entries of this kind (alarm, login, handover, denied ...)")
    show.add_argument("--last", type=int, default=50, help="how many (default 50)")


def _add_operators(sub) -> None:
    ops = sub.add_parser(
        "operators",
        help="create and manage operator accounts",
        description=(
            "Operator accounts (argon2id password hashes). While no admin exists, accounts can be "
            "created here without credentials (create the first admin that way); after that, pass "
            "--as ADMIN and that admin's password."
        ),
    )
    acts = ops.add_subparsers(dest="action", metavar="ACTION", required=True)

    def action(name: str, help_: str, *, needs_name: bool = True) -> argparse.ArgumentParser:
        p = acts.add_parser(name, help=help_)
        if needs_name:
            p.add_argument("name", help="operator login name")
        _add_db(p)
        p.add_argument(
            "--as", dest="as_admin", metavar="ADMIN", help="act as this admin (asks their password)"
        )
        p.add_argument(
            "--password-stdin",
            action="store_true",
            help="read passwords from stdin, one per line (new password first, then the admin's)",
        )
        return p

    add = action("add", "create an operator (asks for a password)")
    add.add_argument("--role", action="append", choices=ROLES, required=True, help="role (repeatable)")
    add.add_argument("--display-name", default="", help="name shown to people (Persian welcome)")
    roles = action("roles", "replace an operator's roles")
    roles.add_argument("--role", action="append", choices=ROLES, required=True, help="role (repeatable)")
    action("passwd", "set an operator's password")
    action("disable", "deactivate an operator (kept in the journal, cannot sign in)")
    action("enable", "reactivate an operator")
    action("list", "list operators and roles", needs_name=False)


def _add_export(sub) -> None:
    exp = sub.add_parser(
        "export",
        help="export a series, a layer, a track, alarms or the journal (CSV / GeoJSON)",
        description=(
            "Open-data export. Times are ISO 8601 (local city time unless an offset is given), "
            "'now', or relative like -2h, -30m, -7d. The format follows --out's extension "
            "(.csv, .geojson, .json) unless --format is given."
        ),
    )
    exp.add_argument("what", choices=["series", "layer", "track", "alarms", "journal"], help="what to export")
    exp.add_argument(
        "name",
        nargs="?",
        default="",
        help="series: ENTITY/KEY; layer: a topic (e.g. vehicle/bus) or entity type; track: ENTITY",
    )
    _add_db(exp)
    exp.add_argument("--from", dest="t_from", default="-24h", help="start (default -24h)")
    exp.add_argument("--to", dest="t_to", default="now", help="end (default now)")
    exp.add_argument("--out", required=True, help="file to write ('-' for stdout)")
    exp.add_argument("--format", choices=["csv", "geojson"], help="csv or geojson (default: from --out)")


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
