"""Persian-first text: one string catalog (fa/en), Persian digits, Jalali dates, local city time.

Every string shown to a person goes through `tr(key)`; the catalog is resources/i18n/*.toml
(catalog.toml for the shell, one file per room) and plugins add their own entries with `add_strings`.
"""

from __future__ import annotations

import datetime as _dt
import logging
import threading
import tomllib
from collections.abc import Callable
from functools import lru_cache
from zoneinfo import ZoneInfo

import jdatetime

from console.paths import resource

log = logging.getLogger(__name__)

LANGS = ("fa", "en")
_FA_DIGITS = str.maketrans("0123456789.,-", "۰۱۲۳۴۵۶۷۸۹٫٬−")
_FA_DIGITS_ONLY = str.maketrans("0123456789", "۰۱۲۳۴۵۶۷۸۹")
_TO_ASCII = str.maketrans("۰۱۲۳۴۵۶۷۸۹٠١٢٣٤٥٦٧٨٩", "01234567890123456789")

_state = {"lang": "fa", "loaded": False}
_catalog: dict[str, dict[str, str]] = {}
_added: set[str] = set()
_lock = threading.Lock()
_listeners: list[Callable[[str], None]] = []
_missing_logged: set[str] = set()


def catalog_files() -> list:
    """catalog.toml (the shell) first, then one file per room (feeds.toml, alarms.toml, ...)."""
    folder = resource("i18n")
    return sorted(folder.glob("*.toml"), key=lambda p: (p.name != "catalog.toml", p.name))


def _load_catalog() -> None:
    _state["loaded"] = True
    for path in catalog_files():
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        with _lock:
            for key, entry in data.items():
                if key in _catalog and path.name != "catalog.toml":
                    log.warning("i18n: %s redefines %r", path.name, key)
                if key not in _added:  # a plugin's strings registered before the files were read stay
                    _catalog[key] = {k: str(v) for k, v in entry.items()}


def add_strings(entries: dict[str, dict[str, str]]) -> None:
    """Register strings (key -> {"fa": ..., "en": ...}); plugins call this from activate()."""
    with _lock:
        for key, entry in entries.items():
            _catalog[key] = dict(entry)
            _added.add(key)


def lang() -> str:
    return _state["lang"]


def is_rtl(language: str | None = None) -> bool:
    return (language or lang()) == "fa"


def set_lang(language: str) -> None:
    if language not in LANGS:
        raise ValueError(f"unknown language {language!r}; expected one of {', '.join(LANGS)}")
    if _state["lang"] == language:
        return
    _state["lang"] = language
    for fn in list(_listeners):
        fn(language)


def on_lang_changed(fn: Callable[[str], None]) -> Callable[[], None]:
    _listeners.append(fn)
    return lambda: _listeners.remove(fn) if fn in _listeners else None


def tr(key: str, language: str | None = None, **fmt: object) -> str:
    """The text for `key` in the current language (English, then the key itself, as fallbacks)."""
    if not _state["loaded"]:
        _load_catalog()
    language = language or lang()
    entry = _catalog.get(key)
    if entry is None:
        if key not in _missing_logged:
            _missing_logged.add(key)
            log.warning("i18n: no catalog entry for %r", key)
        text = key
    else:
        text = entry.get(language) or entry.get("en") or key
    if fmt:
        if language == "fa":
            fmt = {k: digits(v) if isinstance(v, int | float) else v for k, v in fmt.items()}
        text = text.format(**fmt)
    return text


def has_key(key: str) -> bool:
    if not _state["loaded"]:
        _load_catalog()
    return key in _catalog


def catalog_keys() -> list[str]:
    if not _state["loaded"]:
        _load_catalog()
    return sorted(_catalog)


def unit(symbol: str, language: str | None = None) -> str:
    """A unit of measure as people read it: "کیلوولت" for kV in Persian; unknown symbols as given."""
    if not symbol:
        return ""
    key = f"unit.{symbol}"
    return tr(key, language) if has_key(key) else symbol


def digits(value: object, language: str | None = None) -> str:
    """Numbers as people read them: Persian digits and separators in the Persian UI."""
    text = str(value)
    return text.translate(_FA_DIGITS_ONLY) if (language or lang()) == "fa" else text


def number(
    value: float | int | None, decimals: int = 0, language: str | None = None, grouping: bool = True
) -> str:
    """Format a number with grouping and the language's digits; None shows as an em dash."""
    if value is None or (isinstance(value, float) and value != value):
        return "—"
    text = f"{value:,.{decimals}f}" if grouping else f"{value:.{decimals}f}"
    if text.startswith("-") and not any(c in "123456789" for c in text):
        text = text[1:]  # "-0.0" is zero
    if (language or lang()) != "fa":
        return text
    text = text.translate(_FA_DIGITS)
    # a left-to-right mark keeps the minus sign before the digits inside right-to-left text
    return "\u200e" + text if text.startswith("−") else text


def parse_number(text: str) -> float:
    """Accept Persian/Arabic-Indic digits and separators as typed by operators."""
    t = (
        text.strip()
        .replace("\u200e", "")
        .translate(_TO_ASCII)
        .replace("٬", "")
        .replace(",", "")
        .replace("٫", ".")
        .replace("−", "-")
    )
    return float(t)


@lru_cache(maxsize=8)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_time(t_ns: int | None = None, tz: str = "Asia/Tehran") -> _dt.datetime:
    if t_ns is None:
        return _dt.datetime.now(zone(tz))
    return _dt.datetime.fromtimestamp(t_ns / 1e9, zone(tz))


def jalali(moment: _dt.datetime) -> jdatetime.datetime:
    return jdatetime.datetime.fromgregorian(datetime=moment, locale=jdatetime.FA_LOCALE)


def format_jalali_date(moment: _dt.datetime, language: str | None = None) -> str:
    """E.g. "چهارشنبه ۴ آذر ۱۴۰۵" (fa) or "Wednesday 4 Azar 1405" (en)."""
    language = language or lang()
    j = jdatetime.datetime.fromgregorian(
        datetime=moment, locale=jdatetime.FA_LOCALE if language == "fa" else "en_US"
    )
    text = f"{j.strftime('%A')} {j.day} {j.strftime('%B')} {j.year}"
    return digits(text, language)


def format_gregorian_date(moment: _dt.datetime, language: str | None = None) -> str:
    return digits(moment.strftime("%Y-%m-%d"), language)


def format_clock(moment: _dt.datetime, language: str | None = None, seconds: bool = True) -> str:
    return digits(moment.strftime("%H:%M:%S" if seconds else "%H:%M"), language)


def format_jalali_short(moment: _dt.datetime, language: str | None = None, with_time: bool = True) -> str:
    """Compact Jalali stamp for axes and tables: "1405/09/04 03:59"."""
    j = jdatetime.datetime.fromgregorian(datetime=moment)
    text = j.strftime("%Y/%m/%d %H:%M" if with_time else "%Y/%m/%d")
    return digits(text, language)
