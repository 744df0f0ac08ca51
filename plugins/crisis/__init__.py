"""Crisis management: the crisis cell's overview of the city, as a department plugin.

Qt-free at import: the panel (panel.py, cap_dialog.py) is imported only when the console builds it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .rules import CrisisDepartment

department: CrisisDepartment | None = None  # the active department (tests may look)


def activate(ctx: Any) -> None:
    global department
    dept = CrisisDepartment(Path(__file__).parent)
    dept.activate(ctx)

    def make_panel(parent):
        from .panel import CrisisPanel

        return CrisisPanel(dept, parent)

    ctx.add_panel(make_panel, "مدیریت بحران", "Crisis management")
    ctx.on_dispose(_forget)
    department = dept


def _forget() -> None:
    global department
    department = None


def deactivate() -> None:
    """Everything was registered through ctx; the host undoes it."""
