"""Qt-free handlers for `audit`, `operators` and `export` (and the `--db` check for run/snapshot)."""

from __future__ import annotations

import argparse
import datetime as dt
import getpass
import re
import sys
from zoneinfo import ZoneInfo

from console.cli.commands import settings_from_args
from console.cli.parser import CliError
from console.logsetup import setup_logging
from console.model import Operator


def check_db_arg(url: str) -> None:
    """A malformed --db fails the command in one line (an unreachable server does not: the console
    starts and keeps trying)."""
    from console.store.db import DatabaseError, normalize_url

    try:
        normalize_url(url)
    except DatabaseError as exc:
        raise CliError(str(exc)) from None


def _open_db(args: argparse.Namespace):
    """The database named by --db (or settings), opened for reading: no migration, nothing changed."""
    import sqlalchemy as sa

    from console.store.db import Database, DatabaseError, safe_url

    settings = settings_from_args(args)
    try:
        db = Database(settings.db)
        with db.read.connect() as conn:
            if not sa.inspect(conn).has_table("journal"):
                raise CliError(f"{safe_url(db.url)} holds no Rasad data (no journal table)")
    except DatabaseError as exc:
        raise CliError(str(exc)) from None
    except sa.exc.OperationalError as exc:
        raise CliError(f"cannot open {safe_url(db.url)}: {str(exc.orig).strip().splitlines()[0]}") from None
    return db


# -- audit --------------------------------------------------------------------------------------------
def cmd_audit(args: argparse.Namespace) -> int:
    from console.store import journal
    from console.store.service import anchor_for

    setup_logging("WARNING")
    db = _open_db(args)
    try:
        with db.read.connect() as conn:
            if args.action == "verify":
                anchor = None if args.no_anchor else anchor_for(db).read()
                verdict = journal.verify(conn, anchor)
                print(verdict.line() + ("" if anchor or args.no_anchor else " (no anchor on this console)"))
                return 0 if verdict.ok else 1
            if args.action == "head":
                seq, h = journal.head(conn)
                print(f"{seq} {h}")
                return 0
            return _audit_list(conn, args)
    finally:
        db.dispose()


def _audit_list(conn, args: argparse.Namespace) -> int:
    import sqlalchemy as sa

    from console.store.export import iso
    from console.store.schema import journal as jt

    stmt = sa.select(jt).order_by(jt.c.seq.desc()).limit(max(1, args.last))
    if args.kind:
        stmt = stmt.where(jt.c.kind == args.kind)
    rows = list(conn.execute(stmt).mappings())[::-1]
    for r in rows:
        print(
            f"{r['seq']:>7}  {iso(r['t'])}  {r['kind']:<16} {r['operator']:<14} {r['console']:<12} {r['subject']}  {r['detail']}"
        )
    return 0


# -- operators ----------------------------------------------------------------------------------------
class _Passwords:
    """Passwords from stdin (one per line) or asked on the terminal."""

    def __init__(self, from_stdin: bool):
        self.lines = [line.rstrip("\r\n") for line in sys.stdin] if from_stdin else None

    def get(self, prompt: str, confirm: bool = False) -> str:
        if self.lines is not None:
            if not self.lines:
                raise CliError("not enough passwords on stdin")
            return self.lines.pop(0)
        if not sys.stdin.isatty():
            raise CliError("no terminal to ask for a password: use --password-stdin")
        first = getpass.getpass(prompt)
        if confirm and getpass.getpass("again: ") != first:
            raise CliError("the passwords differ")
        return first


def cmd_operators(args: argparse.Namespace) -> int:
    from console.bus import FeedBus
    from console.store import Store
    from console.store.operators import OperatorError, Operators

    setup_logging("WARNING")
    settings = settings_from_args(args)
    check_db_arg(settings.db)
    bus = FeedBus()
    store = Store(settings, bus)
    store.open()
    if not store.wait_ready(15):
        store.close()
        raise CliError(f"database unavailable: {store.error}")
    ops = Operators(store)
    try:
        if args.action == "list":
            for op, active in ops.list():
                roles = ",".join(sorted(r.value for r in op.roles))
                print(f"{op.name:<20} {roles:<36} {'active' if active else 'disabled':<9} {op.display_name}")
            return 0
        pw = _Passwords(args.password_stdin)
        new_pw = (
            pw.get(f"password for {args.name}: ", confirm=True) if args.action in ("add", "passwd") else None
        )
        by = _admin(ops, args, pw)
        if args.action == "add":
            op = ops.add(args.name, args.role, new_pw, display_name=args.display_name, by=by)
            print(f"operator {op.name} created ({', '.join(sorted(r.value for r in op.roles))})")
        elif args.action == "passwd":
            ops.set_password(args.name, new_pw, by=by)
            print(f"password of {args.name} changed")
        elif args.action == "roles":
            ops.set_roles(args.name, args.role, by=by)
            print(f"roles of {args.name}: {', '.join(sorted(args.role))}")
        else:
            ops.set_active(args.name, args.action == "enable", by=by)
            print(f"operator {args.name} {args.action}d")
        return 0
    except (OperatorError, PermissionError) as exc:
        raise CliError(str(exc)) from None
    finally:
        store.close()
        bus.close()


def _admin(ops, args: argparse.Namespace, pw: _Passwords) -> Operator | None:
    if not args.as_admin:
        return None
    return ops.authenticate(args.as_admin, pw.get(f"password for {args.as_admin}: "))


# -- export -------------------------------------------------------------------------------------------
_REL = re.compile(r"^-(\d+(?:\.\d+)?)\s*([smhd])$")
_UNIT_S = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_time(text: str, tz: str, now: dt.datetime | None = None) -> int:
    """ISO 8601 (local city time unless it has an offset), 'now', or -30m / -2h / -7d → int ns UTC."""
    now = now or dt.datetime.now(dt.UTC)
    text = text.strip()
    if text == "now":
        return int(now.timestamp() * 1e9)
    m = _REL.match(text)
    if m:
        return int((now.timestamp() - float(m.group(1)) * _UNIT_S[m.group(2)]) * 1e9)
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise CliError(
            f"bad time {text!r}: use ISO 8601 (2026-03-21T08:00), 'now' or -2h / -30m / -7d"
        ) from None
    if when.tzinfo is None:
        when = when.replace(tzinfo=ZoneInfo(tz))
    return int(when.timestamp() * 1_000_000) * 1000


def cmd_export(args: argparse.Namespace) -> int:
    from console.store import export

    setup_logging("WARNING")
    settings = settings_from_args(args)
    t0, t1 = parse_time(args.t_from, settings.timezone), parse_time(args.t_to, settings.timezone)
    if t1 <= t0:
        raise CliError("--to must be after --from")
    fmt = args.format or ("geojson" if args.out.lower().endswith((".geojson", ".json")) else "csv")
    if args.what in ("series", "layer", "track") and not args.name:
        raise CliError(f"export {args.what} needs a name")
    db = _open_db(args)
    try:
        with db.read.connect() as conn:
            table = {
                "series": lambda: export.series(conn, args.name, t0, t1),
                "layer": lambda: export.layer(conn, args.name, t0, t1),
                "track": lambda: export.track(conn, args.name, t0, t1),
                "alarms": lambda: export.alarms(conn, t0, t1),
                "journal": lambda: export.journal_entries(conn, t0, t1),
            }[args.what]()
            n = export.write(table, fmt, sys.stdout if args.out == "-" else args.out)
    except export.ExportError as exc:
        raise CliError(str(exc)) from None
    finally:
        db.dispose()
    if args.out != "-":
        print(f"wrote {n} rows to {args.out} ({fmt})", file=sys.stderr)
    return 0
