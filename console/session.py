"""`core.services["session"]`: who is at this console now, their shift, and role gates that leave a trace.

- `login(name, password)`: argon2-verified (a wrong password is journaled as `login-failed`).
- `login_demo(name, roles)`: no password, for demos and headless runs; the session is marked `demo`
  (the status bar says so) and its journal entry says so too.
- `handover(to, password, note)`: the incoming operator signs in; one `handover` entry holds both
  names and the note.
- `require(action, reason, subject)`: console.roles.require for the current operator; a refusal is
  journaled (`denied`) before it is raised.
Sign-ins, sign-outs, handovers and refusals go to the journal as AuditEvents on the bus
(`audit/event`): the store writes them durably (and keeps the `shifts` table as their projection),
so signing in never waits on the database. Listeners added with `on_change` hear every change of
operator (the status bar follows).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterable

from console.model import AuditEvent, Operator, Role, now_ns
from console.roles import PermissionDenied, require
from console.store.operators import OperatorError, Operators, parse_roles

log = logging.getLogger(__name__)
TOPIC_AUDIT = "audit/event"


class Session:
    def __init__(self, store):
        self.store = store
        self.bus = store.bus
        self.operators = Operators(store)
        self.operator: Operator | None = None
        self.demo = False
        self.auto_login: tuple[str, tuple[str, ...]] | None = None  # (name, roles): demo sign-in at start
        self._listeners: list[Callable[[Session], None]] = []

    async def async_start(self) -> None:
        if self.auto_login is not None and self.operator is None:
            name, roles = self.auto_login
            await asyncio.to_thread(self.login_demo, name, roles)

    async def async_stop(self) -> None:
        # The alarm engine has stopped; transitions it published may still wait for the journal on
        # the store's worker. They are journaled first, so a shift's last entry is its logout.
        if self.operator is not None:
            self.bus.drain_workers(10.0)
        self.logout("console stopped")

    # -- who ----------------------------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.operator.name if self.operator else ""

    def on_change(self, fn: Callable[[Session], None]) -> Callable[[], None]:
        self._listeners.append(fn)
        return lambda: self._listeners.remove(fn) if fn in self._listeners else None

    def _set(self, op: Operator | None, demo: bool) -> None:
        self.operator, self.demo = op, demo
        for fn in list(self._listeners):
            try:
                fn(self)
            except Exception:
                log.exception("session listener failed")

    # -- signing in and out ---------------------------------------------------------------------------
    def login(self, name: str, password: str) -> Operator:
        op = self.operators.authenticate(name, password)
        self._journal("login", {"roles": _roles(op)}, who=op.name)
        self._set(op, demo=False)
        return op

    def login_demo(self, name: str, roles: Iterable[str] = ()) -> Operator:
        """Sign in without a password (demo, headless). A known operator keeps its roles."""
        roles = tuple(roles)
        known = self.operators.get(name) if self.store.ready and not roles else None
        op = known or Operator(name, roles=parse_roles(roles) if roles else frozenset({Role.OPERATOR}))
        self._journal("login", {"roles": _roles(op), "demo": True}, who=op.name)
        self._set(op, demo=True)
        log.warning("demo session: %s (%s) signed in without a password", op.name, ",".join(_roles(op)))
        return op

    def logout(self, reason: str = "") -> None:
        if self.operator is None:
            return
        self._journal("logout", {"reason": reason} if reason else {})
        self._set(None, demo=False)

    def handover(self, to: str, password: str | None, note: str = "") -> Operator:
        """End this shift and hand the console to `to` (who signs in; no password in a demo session)."""
        if self.operator is None:
            raise OperatorError("nobody is signed in to hand over from")
        if password is None:
            if not self.demo:
                raise OperatorError("the incoming operator must sign in with a password")
            incoming = self.operators.get(to) or Operator(to, roles=frozenset({Role.OPERATOR}))
        else:
            incoming = self.operators.authenticate(to, password)
        demo = password is None
        self._journal(
            "handover",
            {"from": self.name, "to": incoming.name, "note": note, "roles": _roles(incoming), "demo": demo},
            subject=incoming.name,
        )
        self._set(incoming, demo=demo)
        return incoming

    # -- gates ----------------------------------------------------------------------------------------
    def require(self, action: str, reason: str | None = None, subject: str = "") -> Operator:
        """The current operator when allowed to do `action` (with `reason` where needed); refusals journaled."""
        op = self.operator or Operator("nobody", roles=frozenset())
        try:
            require(op, action, reason)
        except PermissionDenied as exc:
            self._journal(
                "denied", {"action": action, "reason": reason or "", "why": str(exc)}, subject=subject
            )
            raise
        return op

    def _journal(self, kind: str, detail: dict, subject: str = "", who: str | None = None) -> None:
        ev = AuditEvent(
            t=now_ns(),
            kind=kind,
            operator=who or self.name or "nobody",
            console=self.store.console,
            subject=subject,
            detail=detail,
        )
        self.bus.publish(TOPIC_AUDIT, ev)


def _roles(op: Operator) -> list[str]:
    return sorted(r.value for r in op.roles)
