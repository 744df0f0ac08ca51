"""Map-room fixtures: map harnesses on the run's one offscreen QApplication (`qapp`, tests/conftest.py)."""

from __future__ import annotations

import pytest


@pytest.fixture
def harness(qapp):
    from tests.map.harness import MapHarness

    made = []

    def make(**kw):
        h = MapHarness(**kw)
        made.append(h)
        return h

    yield make
    for h in made:
        h.close()
