"""Parks and green space: irrigation and soil moisture per green space, park facilities.
Logic in rules.py (Qt-free), panel in panel.py."""

from pathlib import Path

from console.departments import Department

from .rules import ParksDesk

department = Department("parks", Path(__file__).parent, desk=ParksDesk, panel=f"{__name__}.panel:ParksPanel")
activate, deactivate = department.activate, department.deactivate
