"""Citizen reports (137): the triage desk of the observatory's call centre, as a department plugin.

Qt-free at import: the panel (panel.py, case_view.py) is imported only when the console builds it.
"""

from __future__ import annotations

from pathlib import Path

from console.departments import DepartmentPlugin

from .rules import CitizenDepartment

plugin = DepartmentPlugin(
    lambda: CitizenDepartment(Path(__file__).parent),
    __name__,
    ".panel:TriagePanel",
    "گزارش‌های شهروندان (۱۳۷)",
    "Citizen reports (137)",
)
activate, deactivate = plugin.activate, plugin.deactivate
