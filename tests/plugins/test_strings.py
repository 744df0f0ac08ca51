"""Every string of the four utility plugins exists in Persian and English, keys are the plugin's own,
and every key their code names is defined."""

from __future__ import annotations

import re
import tomllib

import pytest

from console import i18n
from console.departments import load_strings
from console.paths import IN_TREE_PLUGINS, resource

PLUGINS = ("parking", "environment", "energy", "water")
KEY = re.compile(r"""["']((?:parking|environment|energy|water|capdraft)\.[a-z0-9_]+(?:\.[a-z0-9_]+)*)["']""")


def shipped_keys() -> set[str]:
    keys: set[str] = set()
    for path in resource("i18n").glob("*.toml"):
        keys |= set(tomllib.loads(path.read_text(encoding="utf-8")))
    return keys


@pytest.mark.parametrize("name", PLUGINS)
def test_plugin_strings_are_bilingual_own_and_complete(name):
    folder = IN_TREE_PLUGINS / name
    strings = load_strings(folder / "strings.toml")  # raises unless every key has fa and en
    assert all(k.startswith(f"{name}.") for k in strings)
    assert not set(strings) & shipped_keys()  # no clash with the console's own catalog
    i18n.add_strings(strings)
    used = set()
    for path in folder.glob("*.py"):
        used |= set(KEY.findall(path.read_text(encoding="utf-8")))
    rules = tomllib.loads((folder / "rules.toml").read_text(encoding="utf-8"))
    not_text = {r["id"] for r in rules["rule"]} | {str(v) for v in rules["department"].values()}
    missing = sorted(k for k in used - not_text if not i18n.has_key(k))
    assert not missing, missing
