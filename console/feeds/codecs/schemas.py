"""FIWARE JSON Schemas for `--strict`: loaded from folders the operator names, resolved offline.

The smart-data-models schemas `$ref` each other by remote URL; here every reference resolves
against the loaded files (by `$id`, else by file name), never over the network. A reference that
cannot be resolved offline is reported, not fetched.
"""

from __future__ import annotations

import datetime as dt
import json
import logging
from pathlib import Path
from typing import Any
from urllib.parse import urldefrag

from console.feeds.codecs.base import DecodeResult

log = logging.getLogger(__name__)


def _rfc3339(value: object) -> bool:
    if not isinstance(value, str):
        return True
    text = value[:-1] + "+00:00" if value.endswith(("Z", "z")) else value
    try:
        moment = dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return "T" in value.upper() and moment.tzinfo is not None


class SchemaRegistry:
    def __init__(self, folders: list[Path] | None = None):
        self.by_id: dict[str, dict] = {}
        self.by_name: dict[str, dict] = {}
        self.by_type: dict[str, dict] = {}
        self._validators: dict[str, Any] = {}
        self._registry = None
        for folder in folders or []:
            self.load(Path(folder))

    def load(self, folder: Path) -> int:
        count = 0
        for path in sorted(folder.rglob("*.json")):
            if path.stat().st_size > 2_000_000:
                continue
            try:
                doc = json.loads(path.read_text(encoding="utf-8"))
            except (OSError, UnicodeDecodeError, ValueError):
                continue
            if not isinstance(doc, dict) or "$schema" not in doc:
                continue
            sid = doc.get("$id") or path.resolve().as_uri()
            self.by_id[urldefrag(sid)[0]] = doc
            self.by_name.setdefault(path.name, doc)
            if path.name == "schema.json":
                self.by_type[path.parent.name] = doc
            count += 1
        self._registry = None
        self._validators.clear()
        return count

    def __len__(self) -> int:
        return len(self.by_id)

    def has(self, etype: str) -> bool:
        return etype in self.by_type

    def _retrieve(self, uri: str):
        from referencing import Resource
        from referencing.exceptions import NoSuchResource

        base = urldefrag(uri)[0]
        doc = self.by_id.get(base) or self.by_name.get(base.rsplit("/", 1)[-1])
        if doc is None:
            raise NoSuchResource(ref=uri)
        return Resource.from_contents(doc)

    def validator(self, etype: str):
        if etype in self._validators:
            return self._validators[etype]
        from jsonschema import Draft202012Validator, FormatChecker
        from referencing import Registry, Resource

        if self._registry is None:
            self._registry = Registry(retrieve=self._retrieve).with_resources(
                (sid, Resource.from_contents(doc)) for sid, doc in self.by_id.items()
            )
        checker = FormatChecker()
        checker.checks("date-time")(_rfc3339)
        schema = self.by_type[etype]
        v = Draft202012Validator(schema, registry=self._registry, format_checker=checker)
        self._validators[etype] = v
        return v

    def check(
        self, plain: dict[str, Any], etype: str, where: str, result: DecodeResult, flavour: str = "v2"
    ) -> None:
        """Schema violations of one entity (key-values projection) become warnings naming the field."""
        if not self.has(etype):
            result.notes.append(f"no JSON Schema for {etype}; structural checks only")
            return
        from referencing.exceptions import Unresolvable

        try:
            errors = sorted(self.validator(etype).iter_errors(plain), key=lambda e: list(e.absolute_path))
            for err in errors:
                path = ".".join(str(p) for p in err.absolute_path)
                field = f"{where}.{path}" if path else where
                result.warn(field, f"schema: {_message(err)}")
        except Unresolvable as exc:
            result.notes.append(f"{etype} schema has a reference not available offline: {exc}")


def _message(err) -> str:
    text = err.message
    if err.validator == "format":
        return f"{text}"
    return text if len(text) <= 160 else text[:159] + "…"
