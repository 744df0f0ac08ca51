"""Taxi management: fleet positions and availability, payment terminals, shortage areas.
Logic in rules.py (Qt-free), panel in panel.py."""

from pathlib import Path

from console.departments import Department

from .rules import TaxiDesk

department = Department("taxi", Path(__file__).parent, desk=TaxiDesk, panel=f"{__name__}.panel:TaxiPanel")
activate, deactivate = department.activate, department.deactivate
