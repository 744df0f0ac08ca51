"""Intercity terminals: arrivals and departures boards, delayed and cancelled services, crowding.
Logic in rules.py (Qt-free), panel in panel.py."""

from pathlib import Path

from console.departments import Department

from .rules import TerminalsDesk

department = Department(
    "terminals", Path(__file__).parent, desk=TerminalsDesk, panel=f"{__name__}.panel:TerminalsPanel"
)
activate, deactivate = department.activate, department.deactivate
