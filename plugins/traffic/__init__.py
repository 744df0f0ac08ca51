"""Traffic control centre: congestion by district, slowest corridors, accident detection, traffic elements.

The logic (Qt-free) is in rules.py, the panel (Qt) in panel.py, default rules and detector settings
in rules.toml, strings in strings.toml. `console.departments.Department` wires them to the console.
"""

from __future__ import annotations

from pathlib import Path

from console.departments import Department

from .rules import TrafficDesk


def _panel(department: Department, parent):
    from .panel import TrafficPanel  # Qt only when the console has a screen

    return TrafficPanel(department, parent)


department = Department("traffic", Path(__file__).parent, desk=TrafficDesk, panel=_panel)
activate = department.activate
deactivate = department.deactivate
