from __future__ import annotations

import datetime as dt
import tomllib

import pytest

from console import i18n
from console.settings import Settings, load_settings, save_settings


def test_catalog_has_both_languages_for_every_key():
    files = i18n.catalog_files()
    assert files[0].name == "catalog.toml"
    seen: dict[str, str] = {}
    for path in files:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for key, entry in data.items():
            assert key not in seen, f"{key} defined in {seen.get(key)} and {path.name}"
            seen[key] = path.name
            assert entry.get("fa", "").strip(), f"{path.name}: {key}: missing fa"
            assert entry.get("en", "").strip(), f"{path.name}: {key}: missing en"
    assert len(seen) > 40


def test_tr_switches_language_and_formats_with_persian_digits():
    i18n.set_lang("fa")
    assert i18n.tr("dock.alarms") == "هشدارها"
    assert i18n.tr("status.feeds", ok=3, total=12) == "منابع: ۳ از ۱۲ برقرار"
    i18n.set_lang("en")
    assert i18n.tr("dock.alarms") == "Alarms"
    assert i18n.tr("status.feeds", ok=3, total=12) == "Feeds: 3 of 12 up"
    with pytest.raises(ValueError):
        i18n.set_lang("de")


def test_missing_key_falls_back_to_key():
    assert i18n.tr("no.such.key") == "no.such.key"


def test_numbers_and_digits():
    assert i18n.number(1234567.891, 2, "fa") == "۱٬۲۳۴٬۵۶۷٫۸۹"
    assert i18n.number(1234567.891, 2, "en") == "1,234,567.89"
    assert i18n.number(None) == "—"
    assert i18n.number(float("nan")) == "—"
    assert i18n.digits(2026, "fa") == "۲۰۲۶"
    assert i18n.parse_number("۱٬۲۳۴٫۵") == 1234.5
    assert i18n.parse_number("−۳") == -3


def test_jalali_and_tehran_time():
    moment = dt.datetime(2026, 11, 25, 0, 30, tzinfo=dt.UTC)
    local = i18n.local_time(int(moment.timestamp() * 1e9), "Asia/Tehran")
    assert (local.hour, local.minute) == (4, 0)  # Tehran is UTC+3:30 (no DST since 2022)
    assert i18n.format_jalali_date(local, "fa") == "چهارشنبه ۴ آذر ۱۴۰۵"
    assert i18n.format_jalali_date(local, "en") == "Wednesday 4 Azar 1405"
    assert i18n.format_jalali_short(local, "en") == "1405/09/04 04:00"
    assert i18n.format_clock(local, "fa") == "۰۴:۰۰:۰۰"
    # Nowruz boundary
    nowruz = dt.datetime(2027, 3, 21, 12, tzinfo=i18n.zone("Asia/Tehran"))
    assert i18n.format_jalali_short(nowruz, "en", with_time=False) == "1406/01/01"


def test_settings_roundtrip_and_overrides(tmp_path):
    path = tmp_path / "settings.toml"
    assert load_settings(path) == Settings()
    save_settings(Settings(lang="en", large_type=True, disabled_plugins=["taxi"]), path)
    s = load_settings(path)
    assert (s.lang, s.large_type, s.disabled_plugins) == ("en", True, ["taxi"])
    s2 = s.with_overrides(lang="fa", operator=None, nonsense=1)
    assert s2.lang == "fa" and s2.operator == s.operator


def test_broken_settings_fall_back_to_defaults(tmp_path, caplog):
    path = tmp_path / "settings.toml"
    path.write_text('lang = "xx"\n', encoding="utf-8")
    assert load_settings(path) == Settings()
    assert "unreadable" in caplog.text
    path.write_text("lang = \n", encoding="utf-8")
    assert load_settings(path) == Settings()
    path.write_text('lang = "en"\nfrobnicate = 1\n', encoding="utf-8")
    assert load_settings(path).lang == "en"
    assert "frobnicate" in caplog.text
