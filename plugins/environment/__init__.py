"""Environment department: air quality per station and pollutant, episodes with a drafted public
warning (CAP 1.2, Persian and English), an AQI heat map and noise."""

from pathlib import Path

from console.departments import DepartmentPlugin

from .rules import EnvDesk

plugin = DepartmentPlugin(
    lambda: EnvDesk(Path(__file__).parent), __name__, ".panel:EnvironmentPanel", "محیط زیست", "Environment"
)
activate, deactivate = plugin.activate, plugin.deactivate
