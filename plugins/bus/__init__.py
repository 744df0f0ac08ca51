"""Bus operations (AVL): every bus on its route, headways and bunching, off-route and long stops,
on-time performance per line, on-board Wi-Fi. Logic in rules.py (Qt-free), panel in panel.py."""

from pathlib import Path

from console.departments import Department

from .rules import BusDesk

department = Department("bus", Path(__file__).parent, desk=BusDesk, panel=f"{__name__}.panel:BusPanel")
activate, deactivate = department.activate, department.deactivate
