"""The embedded city simulator: synthetic Qom (fleet on the road graph, sensors, 137 reports) driven
by data-file scenarios, served over a real websockets server with resume, NGSI-LD and GTFS-RT.

Offline use (tests of rules and views): `for s, batch in play("flood", 900): ...`.
"""

from console.sim.world import SOURCES, World, play

__all__ = ["SOURCES", "World", "play"]
