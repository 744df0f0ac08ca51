"""The CAP 1.2 codec slot, filled by the alarms room (CAP in and out lives with the alarms).

The XML safety gate (no DTD, no entities, no external references) runs before this codec in every
case; the codec parses again with the same guards, validates each alert and yields one Reading per
alert on "cap/alert" (`attrs["cap"]` holds the alert). See console/alarms/cap.py.
"""

from __future__ import annotations

from console.alarms.cap import CAP_NAMESPACES, CODEC

__all__ = ["CAP_NAMESPACES", "CODEC"]
