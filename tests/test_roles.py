import pytest

from console.model import Operator, Role
from console.roles import PERMISSIONS, PermissionDenied, allowed, require


def test_role_gates():
    op = Operator("sara", roles=frozenset({Role.OPERATOR}))
    sup = Operator("reza", roles=frozenset({Role.SUPERVISOR}))
    cm = Operator("mina", roles=frozenset({Role.CRISIS_MANAGER}))
    admin = Operator("root", roles=frozenset({Role.ADMIN}))
    assert allowed(op, "alarm.ack") and not allowed(op, "alarm.shelve")
    assert allowed(sup, "alarm.shelve") and not allowed(sup, "cap.publish")
    assert allowed(cm, "cap.publish") and not allowed(cm, "alarm.oos")
    assert all(allowed(admin, a) for a in PERMISSIONS)
    with pytest.raises(PermissionDenied, match="needs one of"):
        require(op, "alarm.shelve", "maintenance")
    with pytest.raises(PermissionDenied, match="needs a reason"):
        require(sup, "alarm.shelve", "  ")
    require(sup, "alarm.shelve", "sensor under maintenance")
    require(op, "alarm.ack")
    with pytest.raises(KeyError):
        allowed(op, "launch.missiles")
