"""Alarm rules: what makes an alarm. Defined in TOML files (resources/rules/*.toml) or in code by plugins
(`ctx.add_rule(rule)`), evaluated by streaming evaluators that keep O(1) state per entity.

Rule types (the TOML `type`):
    threshold  value above `high` / below `low`, with a deadband and on/off delays
    rate       rate of change over a window (rise, fall or both), e.g. water rising 0.3 m/h
    stale      no data from an entity for `after_s` seconds
    geofence   a vehicle entering, leaving, or dwelling in an area (polygon or circle)
    count      at least `count` reports within `radius_m` metres in `window_s` (e.g. 137 floods)
    anomaly    rolling z-score of a value against its recent past
    composite  AND / OR of other rules' alarms within a window

Every rule has an `id`, a `priority` (minor / moderate / severe / extreme, mapped to CAP severity), the
`topic` it watches and `entity` ("*" = every entity of the topic). `suppresses` lists rule ids whose
alarms are suppressed by design while this rule has an active alarm (a parent alarm).

Evaluation lives beside: evaluators.py (value rules, stale, composite), fences.py (geofences),
clusters.py (count-in-area), index.py (routing readings to them).
"""

from __future__ import annotations

import tomllib
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import msgspec

from console import i18n
from console.catalog import TOPICS, known_signals
from console.model import Priority

if TYPE_CHECKING:
    from console.alarms.evaluators import Change

NS = 1_000_000_000


class RuleError(ValueError):
    """A rule that cannot be used; the message names its origin and the field."""


# -- definitions ---------------------------------------------------------------------------------------
class Rule(msgspec.Struct, frozen=True, kw_only=True, tag_field="type"):
    id: str
    priority: Priority = Priority.MODERATE
    topic: str = ""
    entity: str = "*"
    title_fa: str = ""
    title_en: str = ""
    department: str = ""
    message_fa: str = ""  # templates: {title} {entity} {name} {value} {unit} {count}
    message_en: str = ""
    unit: str = ""
    suppresses: tuple[str, ...] = ()
    enabled: bool = True
    owner: str = ""  # "file:<name>", "plugin:<name>", "catalog"

    def __post_init__(self) -> None:
        if not self.id or not self.id.strip() or any(c.isspace() for c in self.id):
            raise ValueError(f"rule id {self.id!r} must be a non-empty word (no spaces)")

    @property
    def kind(self) -> str:
        return type(self).__struct_config__.tag

    def title(self, language: str) -> str:
        return (self.title_fa if language == "fa" else self.title_en) or self.title_en or self.id


class Threshold(Rule, tag="threshold"):
    key: str
    high: float | None = None
    low: float | None = None
    deadband: float = 0.0
    on_delay_s: float = 0.0
    off_delay_s: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.high is None and self.low is None:
            raise ValueError(f"threshold rule {self.id}: needs high, low or both")
        if self.high is not None and self.low is not None and self.low >= self.high:
            raise ValueError(f"threshold rule {self.id}: low {self.low} must be below high {self.high}")
        if self.deadband < 0 or self.on_delay_s < 0 or self.off_delay_s < 0:
            raise ValueError(f"threshold rule {self.id}: deadband and delays must not be negative")


class RateOfChange(Rule, tag="rate"):
    key: str
    limit: float  # in units per `per_s` seconds (e.g. 0.3 with per_s=3600: 0.3 per hour)
    per_s: float = 60.0
    window_s: float = 300.0
    direction: Literal["rise", "fall", "both"] = "rise"
    deadband: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.limit <= 0 or self.per_s <= 0 or self.window_s <= 0:
            raise ValueError(f"rate rule {self.id}: limit, per_s and window_s must be positive")


class Stale(Rule, tag="stale"):
    after_s: float

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.after_s <= 0:
            raise ValueError(f"stale rule {self.id}: after_s must be positive")


class Area(msgspec.Struct, frozen=True, kw_only=True):
    """A polygon ring of (lon, lat) pairs (GeoJSON order) or a circle (centre lat, lon and radius)."""

    polygon: tuple[tuple[float, float], ...] = ()
    center: tuple[float, float] | None = None  # (lat, lon)
    radius_m: float = 0.0

    def __post_init__(self) -> None:
        if self.polygon and len(self.polygon) < 3:
            raise ValueError("an area polygon needs at least 3 points")
        if not self.polygon and (self.center is None or self.radius_m <= 0):
            raise ValueError("an area needs a polygon, or a center and a positive radius_m")


class Geofence(Rule, tag="geofence"):
    area: Area
    mode: Literal["enter", "exit", "dwell"] = "enter"
    dwell_s: float = 0.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.mode == "dwell" and self.dwell_s <= 0:
            raise ValueError(f"geofence rule {self.id}: dwell needs dwell_s > 0")


class CountInArea(Rule, tag="count"):
    count: int
    radius_m: float
    window_s: float
    match: dict[str, str] = {}  # attrs that a reading must carry to count, e.g. {category = "flood"}

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.count < 2 or self.radius_m <= 0 or self.window_s <= 0:
            raise ValueError(f"count rule {self.id}: count >= 2, radius_m and window_s > 0")


class Anomaly(Rule, tag="anomaly"):
    key: str
    window: int = 60  # samples
    z: float = 4.0
    z_clear: float = 2.0
    min_samples: int = 20
    direction: Literal["high", "low", "both"] = "both"

    def __post_init__(self) -> None:
        super().__post_init__()
        if self.window < 3 or not (0 < self.z_clear < self.z) or self.min_samples < 3:
            raise ValueError(f"anomaly rule {self.id}: window >= 3, min_samples >= 3, 0 < z_clear < z")


class Composite(Rule, tag="composite"):
    of: tuple[str, ...]
    op: Literal["and", "or"] = "and"
    window_s: float = 600.0

    def __post_init__(self) -> None:
        super().__post_init__()
        if len(self.of) < 2:
            raise ValueError(f"composite rule {self.id}: needs at least two rules in `of`")
        if self.id in self.of:
            raise ValueError(f"composite rule {self.id}: cannot include itself")


AnyRule = Threshold | RateOfChange | Stale | Geofence | CountInArea | Anomaly | Composite
RULE_TYPES: dict[str, type[Rule]] = {t.__struct_config__.tag: t for t in AnyRule.__args__}


# -- loading -------------------------------------------------------------------------------------------
def _priority(value: Any, where: str) -> Priority:
    if isinstance(value, Priority):
        return value
    if isinstance(value, int) and value in Priority._value2member_map_:
        return Priority(value)
    if isinstance(value, str) and value.strip().upper() in Priority.__members__:
        return Priority[value.strip().upper()]
    names = ", ".join(p.name.lower() for p in Priority)
    raise RuleError(f"{where}: priority {value!r} is not one of {names}")


def rule_from_dict(raw: dict[str, Any], origin: str = "code") -> Rule:
    """Validate one rule given as a plain dict (a TOML table); RuleError names origin, id and field."""
    where = f"{origin}: rule {raw.get('id', '?')!r}"
    if raw.get("type") not in RULE_TYPES:
        raise RuleError(f"{where}: type {raw.get('type')!r} is not one of {', '.join(RULE_TYPES)}")
    data = dict(raw)
    if "priority" in data:
        data["priority"] = _priority(data["priority"], where).value
    try:
        return msgspec.convert(data, AnyRule)
    except msgspec.ValidationError as exc:
        raise RuleError(f"{where}: {exc}") from None


def load_rules_text(text: str, origin: str) -> list[Rule]:
    """`[[rule]]` tables of one TOML document; the first bad rule fails the file with its reason."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise RuleError(f"{origin}: not valid TOML ({exc})") from None
    unknown = sorted(set(doc) - {"rule"})
    if unknown:
        raise RuleError(f"{origin}: unknown top-level keys {unknown} (rules go in [[rule]] tables)")
    rules = []
    for raw in doc.get("rule", []):
        raw.setdefault("owner", f"file:{Path(origin).name}")
        rules.append(rule_from_dict(raw, origin))
    ids = [r.id for r in rules]
    dupes = sorted({i for i in ids if ids.count(i) > 1})
    if dupes:
        raise RuleError(f"{origin}: duplicate rule ids {dupes}")
    return rules


def load_rule_files(folder: Path) -> tuple[list[Rule], list[str]]:
    """Every *.toml in `folder`: (rules, errors). A broken file is reported and skipped, never fatal."""
    rules: list[Rule] = []
    errors: list[str] = []
    if not folder.is_dir():
        return rules, errors
    for path in sorted(folder.glob("*.toml")):
        try:
            rules += load_rules_text(path.read_text(encoding="utf-8"), str(path))
        except (RuleError, OSError, UnicodeDecodeError) as exc:
            errors.append(str(exc))
    return rules, errors


# Which department answers for a band alarm of a topic (department rules set their own).
TOPIC_DEPARTMENT = {
    "air/station": "environment",
    "water/gauge": "crisis",
    "weather/station": "crisis",
    "traffic/segment": "traffic",
    "parking/lot": "traffic",
    "energy/substation": "energy",
    "energy/solar": "energy",
    "vehicle/bus": "bus",
    "vehicle/taxi": "taxi",
    "vehicle/service": "services",
}


def band_rules(tr: Callable[..., str] | None = None) -> list[Threshold]:
    """Default threshold rules from the catalog's warn/alarm bands (warn → moderate, alarm → severe)."""
    rules = []
    etypes: dict[str, list[str]] = {}
    for topic, (etype, _fa, _en) in TOPICS.items():
        etypes.setdefault(etype, []).append(topic)
    for meta in known_signals():
        span = (meta.hi - meta.lo) if meta.hi is not None and meta.lo is not None else 0.0
        deadband = round(span * 0.03, 6)  # 3% of the range: a value wandering on a band does not chatter
        delay = 2 * meta.sampling_s  # and must hold for two samples before it alarms or clears
        for topic in etypes.get(meta.etype, []):
            for band, prio, high, low in (
                ("warn_hi", Priority.MODERATE, meta.warn_hi, None),
                ("alarm_hi", Priority.SEVERE, meta.alarm_hi, None),
                ("warn_lo", Priority.MODERATE, None, meta.warn_lo),
                ("alarm_lo", Priority.SEVERE, None, meta.alarm_lo),
            ):
                if high is None and low is None:
                    continue
                word_fa = tr(f"alarms.band.{band}", "fa") if tr else band
                word_en = tr(f"alarms.band.{band}", "en") if tr else band
                rules.append(
                    Threshold(
                        id=f"band.{topic}.{meta.key}.{band}",
                        priority=prio,
                        topic=topic,
                        key=meta.key,
                        high=high,
                        low=low,
                        deadband=deadband,
                        on_delay_s=delay,
                        off_delay_s=delay,
                        unit=meta.unit,
                        department=TOPIC_DEPARTMENT.get(topic, ""),
                        title_fa=f"{meta.title_fa} {word_fa}",
                        title_en=f"{meta.title_en} {word_en}",
                        owner="catalog",
                    )
                )
    return rules


def render_message(rule: Rule, change: Change, language: str, fmt_number: Callable[..., str]) -> str:
    template = rule.message_fa if language == "fa" else rule.message_en
    r = change.reading
    name = ""
    if r is not None:
        name = str(r.attrs.get(f"name_{language}") or r.attrs.get("name") or "")
    values = {
        "title": rule.title(language),
        "entity": change.subject,
        "name": name or change.subject,
        "value": "" if change.value is None else fmt_number(change.value, 2 if abs(change.value) < 10 else 0),
        "unit": i18n.unit(rule.unit, language),
        "count": "" if change.value is None else fmt_number(change.value, 0),
    }
    if template:
        try:
            return template.format(**values)
        except (KeyError, IndexError, ValueError):
            pass  # a bad template never loses the alarm: fall back to the plain form
    parts = [
        values["name"] or values["title"]
    ]  # the title has its own column; the message says where and how much
    if values["value"]:
        sep = "" if values["unit"] in ("%", "٪") else " "
        parts.append(f"{values['value']}{sep}{values['unit']}".strip())
    return " — ".join(p for p in parts if p)


def iter_rules(items: Iterable[Any], errors: list[str] | None = None) -> Iterable[Rule]:
    """Rules from a registry (RuleSpec(plugin, rule)) or plain rules, with the owner filled in.

    A plugin may give a Rule or a dict in the TOML shape; anything unusable is reported in `errors`
    (one line naming the plugin and the reason) and skipped.
    """
    for item in items:
        rule = getattr(item, "rule", item)
        plugin = getattr(item, "plugin", "")
        origin = f"plugin:{plugin}" if plugin else "code"
        try:
            if isinstance(rule, dict):
                rule = rule_from_dict({"owner": origin, **rule}, origin)
            if not isinstance(rule, Rule):
                raise RuleError(f"{origin}: {type(rule).__name__} is not an alarm rule")
        except RuleError as exc:
            if errors is not None:
                errors.append(str(exc))
            continue
        yield msgspec.structs.replace(rule, owner=origin) if plugin and not rule.owner else rule
