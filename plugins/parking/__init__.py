"""Parking department: occupancy per lot and district, full-lot alarms, a one-hour forecast per lot."""

from __future__ import annotations

from pathlib import Path

from .rules import ParkingDesk

_desk: ParkingDesk | None = None


def activate(ctx) -> None:
    global _desk
    desk = ParkingDesk(Path(__file__).parent)
    desk.activate(ctx)

    def make_panel(parent):
        from .panel import ParkingPanel  # Qt only when the console has a screen

        return ParkingPanel(desk, parent)

    ctx.add_panel(make_panel, "پارکینگ", "Parking")
    ctx.on_dispose(_forget)
    _desk = desk


def _forget() -> None:
    global _desk
    _desk = None


def deactivate() -> None:
    """Everything was registered through ctx; the host undoes it."""
