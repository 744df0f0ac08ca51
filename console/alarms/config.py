"""Alarm settings: `<config dir>/alarms.toml` (optional), defaults otherwise. A broken file is reported
once and the defaults are used: the alarm engine always starts.

    console = "desk-3"               # this console's name in multi-console sync (default: host name)
    shelve_max_s = 28800             # shelving is limited to 8 h
    shelve_default_s = 3600
    band_rules = true                # threshold rules from the catalog's warn/alarm bands
    rule_dirs = ["/etc/rasad/rules"] # more rule folders besides resources/rules
    [areas]                          # operator areas: flood control counts per area
    north = ["d1", "d2"]
    [annunciation]
    flood_enter = 10
    [escalation.after_s]
    extreme = 60
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path

import msgspec

from console.alarms.annunciation import AnnunciationConfig
from console.alarms.escalation import EscalationConfig
from console.paths import config_dir

log = logging.getLogger(__name__)


class AlarmConfig(msgspec.Struct, frozen=True, kw_only=True, forbid_unknown_fields=True):
    console: str = ""
    shelve_max_s: float = 8 * 3600.0
    shelve_default_s: float = 3600.0
    band_rules: bool = True
    rule_dirs: list[str] = []
    areas: dict[str, list[str]] = {}
    tick_s: float = 1.0
    chunk: int = 4096  # readings evaluated per lock hold (the UI's actions wait at most one chunk)
    cap_sender: str = ""  # CAP <sender> of the warnings this console publishes (default rasad@<console>)
    cap_schema: str = ""  # an XSD file to validate published CAP against (e.g. the OASIS CAP 1.2 schema)
    cap_dir: str = ""  # where published warnings are saved (default <data dir>/cap)
    annunciation: AnnunciationConfig = AnnunciationConfig()
    escalation: EscalationConfig = EscalationConfig()

    def area_of(self, district: str) -> str:
        for name, districts in self.areas.items():
            if district in districts:
                return name
        return "all"


def load_alarm_config(path: Path | None = None) -> AlarmConfig:
    path = path or config_dir() / "alarms.toml"
    if not path.exists():
        return AlarmConfig()
    try:
        return msgspec.convert(tomllib.loads(path.read_text(encoding="utf-8")), AlarmConfig)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        log.error("alarm settings %s unusable (%s); using defaults", path, exc)
        return AlarmConfig()
