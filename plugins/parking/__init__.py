"""Parking department: occupancy per lot and district, full-lot alarms, a one-hour forecast per lot."""

from pathlib import Path

from console.departments import DepartmentPlugin

from .rules import ParkingDesk

plugin = DepartmentPlugin(
    lambda: ParkingDesk(Path(__file__).parent), __name__, ".panel:ParkingPanel", "پارکینگ", "Parking"
)
activate, deactivate = plugin.activate, plugin.deactivate
