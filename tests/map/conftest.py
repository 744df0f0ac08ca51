"""Map-room fixtures: one offscreen QApplication (WebEngine-ready, rasad: scheme registered)."""

from __future__ import annotations

import pytest


@pytest.fixture(scope="session")
def qapp():
    from console.settings import Settings
    from widgets.app import create_app, prepare_environment
    from widgets.map_scheme import is_registered

    prepare_environment(offscreen=True)
    app = create_app(Settings())
    if not is_registered():
        pytest.fail("the rasad: URL scheme was not registered before the QApplication was created")
    return app


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
