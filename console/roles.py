"""Who may do what. One table, used by the alarm engine, CAP publishing, rule editing and the UI.

Actions that change what the room sees (shelving, out-of-service, rule edits, CAP publication) also
need a reason, which goes into the audit journal.
"""

from __future__ import annotations

from console.model import Operator, Role

_ALL = frozenset(Role)
PERMISSIONS: dict[str, frozenset[Role]] = {
    "alarm.ack": _ALL,
    "alarm.silence": _ALL,
    "alarm.shelve": frozenset({Role.SUPERVISOR, Role.CRISIS_MANAGER, Role.ADMIN}),
    "alarm.suppress": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "alarm.oos": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "rule.edit": frozenset({Role.SUPERVISOR, Role.ADMIN}),
    "cap.publish": frozenset({Role.CRISIS_MANAGER, Role.ADMIN}),
    "incident.manage": frozenset({Role.SUPERVISOR, Role.CRISIS_MANAGER, Role.ADMIN}),
    "operator.manage": frozenset({Role.ADMIN}),
    "config.change": frozenset({Role.SUPERVISOR, Role.ADMIN}),
}
NEEDS_REASON = frozenset(
    {"alarm.shelve", "alarm.suppress", "alarm.oos", "rule.edit", "cap.publish", "config.change"}
)


class PermissionDenied(PermissionError):
    """Raised with a one-line, user-presentable reason."""


def allowed(operator: Operator, action: str) -> bool:
    roles = PERMISSIONS.get(action)
    if roles is None:
        raise KeyError(f"unknown action {action!r}")
    return Role.ADMIN in operator.roles or bool(operator.roles & roles)


def require(operator: Operator, action: str, reason: str | None = None) -> None:
    if not allowed(operator, action):
        need = ", ".join(sorted(r.value for r in PERMISSIONS[action]))
        raise PermissionDenied(f"{operator.name} may not {action} (needs one of: {need})")
    if action in NEEDS_REASON and not (reason and reason.strip()):
        raise PermissionDenied(f"{action} needs a reason")
