"""Traffic control centre: congestion by district, slowest corridors, accident detection, traffic elements.

The logic (Qt-free) is in rules.py, the panel (Qt) in panel.py, default rules and detector settings
in rules.toml, strings in strings.toml. `console.departments.Department` wires them to the console.
"""

from pathlib import Path

from console.departments import Department

from .rules import TrafficDesk

department = Department(
    "traffic", Path(__file__).parent, desk=TrafficDesk, panel=f"{__name__}.panel:TrafficPanel"
)
activate, deactivate = department.activate, department.deactivate
