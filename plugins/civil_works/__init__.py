"""Civil works: the service fleet and its crews, work sites (planned and emergency), road closures on
the map. Logic in rules.py (Qt-free), panel in panel.py."""

from pathlib import Path

from console.departments import Department

from .rules import WorksDesk

department = Department(
    "civil-works", Path(__file__).parent, desk=WorksDesk, panel=f"{__name__}.panel:WorksPanel"
)
activate, deactivate = department.activate, department.deactivate
