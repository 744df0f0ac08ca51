"""Operator accounts: argon2id password hashes, roles, activation; every change journaled.

Bootstrap: while the database holds no active admin, operators may be created from the console's own
command line without credentials (`python main.py operators add NAME --role admin`); that is how a
deployment creates its first admin. From then on, managing operators needs an admin
(`operator.manage` in console.roles).
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import argon2
import sqlalchemy as sa

from console.model import AuditEvent, Operator, Role, now_ns
from console.roles import require
from console.store.schema import operators

NAME_RE = re.compile(r"^[\w][\w.\-]{1,39}$")
MIN_PASSWORD = 8
_hasher = argon2.PasswordHasher()
# verified against when the name is unknown, so a wrong name costs as long as a wrong password
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class OperatorError(ValueError):
    """A one-line, user-presentable problem with an operator account."""


class AuthenticationFailed(OperatorError):
    pass


def parse_roles(values: Iterable[str]) -> frozenset[Role]:
    roles = set()
    for v in values:
        for part in str(v).split(","):
            part = part.strip()
            if not part:
                continue
            try:
                roles.add(Role(part))
            except ValueError:
                known = ", ".join(r.value for r in Role)
                raise OperatorError(f"unknown role {part!r} (known: {known})") from None
    if not roles:
        raise OperatorError("an operator needs at least one role")
    return frozenset(roles)


def _roles_text(roles: Iterable[Role]) -> str:
    return ",".join(sorted(r.value for r in roles))


def _operator(row) -> Operator:
    return Operator(
        row.name,
        display_name=row.display_name,
        roles=frozenset(Role(r) for r in row.roles.split(",") if r),
    )


class Operators:
    """Operator accounts in the store's database (`store.record_audit` journals every change)."""

    def __init__(self, store):
        self.store = store
        self.engine: sa.Engine = store.db.durable

    # -- reading ----------------------------------------------------------------------------------
    def get(self, name: str, *, active_only: bool = True) -> Operator | None:
        with self.engine.connect() as conn:
            stmt = sa.select(operators).where(operators.c.name == name)
            if active_only:
                stmt = stmt.where(operators.c.active.is_(True))
            row = conn.execute(stmt).first()
        return _operator(row) if row else None

    def list(self) -> list[tuple[Operator, bool]]:
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(operators).order_by(operators.c.name)).all()
        return [(_operator(r), bool(r.active)) for r in rows]

    def bootstrap_open(self) -> bool:
        """True while no active admin exists (operators may be created without credentials)."""
        with self.engine.connect() as conn:
            rows = conn.execute(sa.select(operators.c.roles).where(operators.c.active.is_(True))).scalars()
            return not any(Role.ADMIN.value in r.split(",") for r in rows)

    def count(self) -> int:
        with self.engine.connect() as conn:
            return conn.execute(sa.select(sa.func.count()).select_from(operators)).scalar() or 0

    # -- authentication ---------------------------------------------------------------------------
    def authenticate(self, name: str, password: str) -> Operator:
        """The operator when the password is right; AuthenticationFailed (journaled) otherwise."""
        with self.engine.connect() as conn:
            row = conn.execute(
                sa.select(operators).where(operators.c.name == name, operators.c.active.is_(True))
            ).first()
        try:
            _hasher.verify(row.password_hash if row else _DUMMY_HASH, password)
            if row is None:
                raise argon2.exceptions.VerifyMismatchError
        except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
            self._journal("login-failed", name, name, {})
            raise AuthenticationFailed("wrong operator name or password") from None
        if _hasher.check_needs_rehash(row.password_hash):
            self._update(name, password_hash=_hasher.hash(password))
        return _operator(row)

    # -- managing (journaled) ---------------------------------------------------------------------
    def _gate(self, by: Operator | None) -> str:
        if by is None:
            if not self.bootstrap_open():
                raise OperatorError("an admin exists: sign in as an admin to manage operators (--as NAME)")
            return "local-bootstrap"
        require(by, "operator.manage")
        return by.name

    def add(
        self,
        name: str,
        roles: Iterable[Role | str],
        password: str,
        *,
        display_name: str = "",
        by: Operator | None = None,
    ) -> Operator:
        actor = self._gate(by)
        if not NAME_RE.match(name):
            raise OperatorError(f"bad operator name {name!r}: 2–40 letters, digits, '.', '-', '_'")
        _check_password(password)
        role_set = parse_roles(roles)
        t = now_ns()
        with self.engine.begin() as conn:
            if conn.execute(sa.select(operators.c.name).where(operators.c.name == name)).first():
                raise OperatorError(f"operator {name!r} exists already")
            conn.execute(
                sa.insert(operators).values(
                    name=name,
                    display_name=display_name,
                    roles=_roles_text(role_set),
                    password_hash=_hasher.hash(password),
                    active=True,
                    created_t=t,
                    updated_t=t,
                )
            )
        self._journal("operator-add", actor, name, {"roles": sorted(r.value for r in role_set)})
        return Operator(name, display_name=display_name, roles=role_set)

    def set_password(self, name: str, password: str, *, by: Operator | None = None) -> None:
        actor = name if by is not None and by.name == name else self._gate(by)
        _check_password(password)
        self._update(name, password_hash=_hasher.hash(password))
        self._journal("operator-password", actor, name, {})

    def set_roles(self, name: str, roles: Iterable[Role | str], *, by: Operator | None = None) -> None:
        actor = self._gate(by)
        role_set = parse_roles(roles)
        self._update(name, roles=_roles_text(role_set))
        self._journal("operator-roles", actor, name, {"roles": sorted(r.value for r in role_set)})

    def set_active(self, name: str, active: bool, *, by: Operator | None = None) -> None:
        actor = self._gate(by)
        self._update(name, active=active)
        self._journal("operator-activate" if active else "operator-deactivate", actor, name, {})

    def _update(self, name: str, **values) -> None:
        with self.engine.begin() as conn:
            n = conn.execute(
                sa.update(operators).where(operators.c.name == name).values(updated_t=now_ns(), **values)
            ).rowcount
        if n != 1:
            raise OperatorError(f"no operator named {name!r}")

    def _journal(self, kind: str, actor: str, subject: str, detail: dict) -> None:
        self.store.record_audit(
            [AuditEvent(t=now_ns(), kind=kind, operator=actor, subject=subject, detail=detail)]
        )


def _check_password(password: str) -> None:
    if len(password or "") < MIN_PASSWORD:
        raise OperatorError(f"password too short (at least {MIN_PASSWORD} characters)")
