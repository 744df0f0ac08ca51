from __future__ import annotations

import pytest

from tests.gui.conftest import qapp  # noqa: F401  (the one offscreen QApplication of the suite)
from tests.plugins.rig import Rig


@pytest.fixture
def make_rig(tmp_path):
    rigs = []

    def make(*plugins: str, alarms: bool = True) -> Rig:
        folder = tmp_path / f"no-rules-{len(rigs)}"
        folder.mkdir()
        rig = Rig(plugins, folder, alarms=alarms)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()
