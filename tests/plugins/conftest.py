"""Fixtures for department plugin tests: a screenless console (tests/plugins/rig.py) per test."""

from __future__ import annotations

import pytest

from tests.plugins.rig import PluginRig


@pytest.fixture
def make_rig(tmp_path):
    rigs: list[PluginRig] = []

    def make(*names: str, **alarm_config) -> PluginRig:
        rig = PluginRig(tmp_path, *names, **alarm_config)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()


from tests.gui.conftest import qapp  # noqa: E402,F401  (the one offscreen QApplication)
