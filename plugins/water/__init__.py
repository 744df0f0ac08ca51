"""Water department: flood gauges, rising-rate alarms, flooded areas and the roads they affect."""

from pathlib import Path

from console.departments import DepartmentPlugin

from .rules import WaterDesk

plugin = DepartmentPlugin(
    lambda: WaterDesk(Path(__file__).parent), __name__, ".panel:WaterPanel", "آب و سیلاب", "Water"
)
activate, deactivate = plugin.activate, plugin.deactivate
