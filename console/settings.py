"""Settings: a TOML file in the platform config dir, overridden by command-line flags.

Precedence: defaults < settings.toml < CLI flags. A broken settings file never stops the console:
it is reported once and the defaults are used.
"""

from __future__ import annotations

import logging
import tomllib
from pathlib import Path
from typing import Any, Literal

import msgspec

from console.feeds.config import FeedSpec
from console.paths import config_dir

log = logging.getLogger(__name__)

Lang = Literal["fa", "en"]


class MapSettings(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    """[map] in settings.toml (see console/basemap.py for `base`)."""

    base: str = "vector"  # vector | xyz:<provider or template> | mbtiles:<file> | pmtiles:<file>
    batch_hz: float = 4.0  # live batches sent to the page per second
    cluster: bool = True  # cluster vehicles below `cluster_below_zoom`
    cluster_below_zoom: int = 15
    heat_metric: str = "aqi"  # aqi | pm25 | pm10 | no2 | o3 | co | noise | reports
    trail_minutes: float = 30.0  # track replay window kept in memory per vehicle
    trail_step_s: float = 10.0  # at most one trail point per this many seconds (plus turns)


class Settings(msgspec.Struct, kw_only=True, forbid_unknown_fields=False):
    lang: Lang = "fa"
    city: str = "qom"
    timezone: str = "Asia/Tehran"
    operator: str = "demo"
    theme: str = "dark"
    large_type: bool = False
    layout: str = "default"
    fullscreen: bool = False
    # Bus delivery cadence (ticks per second) and UI redraw cap.
    bus_hz: float = 20.0
    redraw_hz: float = 30.0
    # Plugins: extra folders to scan, names not to activate, activation deadline.
    plugin_dirs: list[str] = []
    disabled_plugins: list[str] = []
    plugin_deadline_s: float = 5.0
    # Live series (charts): ring length per signal and the memory all rings may use together.
    series_points_per_signal: int = 1 << 20
    series_memory_mb: float = 512.0
    log_level: str = "INFO"
    # Feeds. With no `feeds` configured the embedded simulator serves the city on a free loopback
    # port and the console connects to it through the production websocket client.
    feeds: list[FeedSpec] = []
    simulator: bool = True
    scenario: str = "calm"
    vehicles: int = 1400
    seed: int = 1405
    sim_speed: float = 1.0
    record: str = (
        ""  # record the embedded simulator's session to this file (JSON lines; replay with --feed FILE)
    )
    # Folders of FIWARE JSON Schemas (smart-data-models) for `ingest --strict`.
    schema_dirs: list[str] = []
    map: MapSettings = msgspec.field(default_factory=MapSettings)
    # Storage: database URL ("" = SQLite in the data dir; postgresql+psycopg://... for several
    # consoles), this console's name in the journal and in sync ("" = host name), readings writer
    # batching, and the ages at which readings are sealed into blocks and rolled up into minutes.
    db: str = ""
    console_id: str = ""
    store_batch_max: int = 5000
    store_queue_max: int = 200_000
    store_flush_s: float = 0.5
    store_seal_after_s: float = 600.0
    store_rollup_after_s: float = 30 * 86400.0
    store_maintenance_s: float = 60.0

    def with_overrides(self, **overrides: Any) -> Settings:
        """A copy with every non-None override applied (CLI flags)."""
        clean = {k: v for k, v in overrides.items() if v is not None and k in self.__struct_fields__}
        return msgspec.structs.replace(self, **clean)


def settings_path() -> Path:
    return config_dir() / "settings.toml"


def load_settings(path: Path | None = None) -> Settings:
    path = path or settings_path()
    if not path.exists():
        return Settings()
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        known = {k: v for k, v in raw.items() if k in Settings.__struct_fields__}
        unknown = sorted(set(raw) - set(known))
        if unknown:
            log.warning("settings %s: ignoring unknown keys: %s", path, ", ".join(unknown))
        return msgspec.convert(known, Settings)
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError, msgspec.ValidationError) as exc:
        log.error("settings %s unreadable (%s); using defaults", path, exc)
        return Settings()


def save_settings(settings: Settings, path: Path | None = None) -> Path:
    import tomli_w

    path = path or settings_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(tomli_w.dumps(msgspec.to_builtins(settings)), encoding="utf-8")
    tmp.replace(path)
    return path
