from __future__ import annotations

import pytest

from tests.plugins.rig import Rig


@pytest.fixture
def make_rig(tmp_path):
    rigs = []

    def make(*plugins: str, alarms: bool = True) -> Rig:
        rig = Rig(plugins, tmp_path / "no-rules", alarms=alarms)
        rigs.append(rig)
        return rig

    yield make
    for rig in rigs:
        rig.close()
