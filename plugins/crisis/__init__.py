"""Crisis management: the crisis cell's overview of the city, as a department plugin.

Qt-free at import: the panel (panel.py, cap_dialog.py) is imported only when the console builds it.
"""

from __future__ import annotations

from pathlib import Path

from console.departments import DepartmentPlugin

from .rules import CrisisDepartment

plugin = DepartmentPlugin(
    lambda: CrisisDepartment(Path(__file__).parent),
    __name__,
    ".panel:CrisisPanel",
    "مدیریت بحران",
    "Crisis management",
)
activate, deactivate = plugin.activate, plugin.deactivate
