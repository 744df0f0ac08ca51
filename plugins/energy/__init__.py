"""Energy department: substation load, outage areas with the people in them, solar production
against its diurnal expectation."""

from pathlib import Path

from console.departments import DepartmentPlugin

from .rules import EnergyDesk

plugin = DepartmentPlugin(
    lambda: EnergyDesk(Path(__file__).parent), __name__, ".panel:EnergyPanel", "انرژی", "Energy"
)
activate, deactivate = plugin.activate, plugin.deactivate
