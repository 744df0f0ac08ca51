"""Public-warning drafts: CAP 1.2 alerts a department composed, waiting for a person to publish them.

A plugin that sees a public hazard begin (the environment plugin on an air-pollution episode)
composes the warning at once, in Persian and English (console.alarms.cap.compose_warning), with
CAP `status` "Draft", and saves it here. Nothing leaves the console until a crisis manager (role
with `cap.publish`) reviews it and publishes it with a reason: publishing re-issues the alert as
"Actual" with the time of publication and hands it to the alarm engine's `publish_cap` (checks,
XSD when configured, file, audit journal). A draft whose hazard ended before anyone published it
is marked "expired"; a person may also withdraw one (with a reason).

Drafts are JSON files in one folder, written atomically, so every plugin and process sharing the
folder sees the same drafts; the draft's XML is kept beside it for people and other tools. The core
service "cap_drafts" keeps them beside a SQLite database (so a snapshot's throw-away database takes
its drafts with it), else in `<data dir>/cap/drafts`. Consoles sharing a PostgreSQL database do not
share drafts (each keeps its own folder).
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import msgspec

from console.model import Operator, now_ns
from console.paths import data_dir
from console.roles import require

log = logging.getLogger(__name__)

STATES = ("draft", "published", "withdrawn", "expired")


class DraftError(ValueError):
    """A draft that cannot be saved, found or published; the message says which and why."""


class CapDraft(msgspec.Struct, kw_only=True):
    identifier: str
    created: int  # ns UTC
    source: str  # who composed it: "plugin:environment"
    alarm_id: str = ""  # the alarm whose start caused it
    state: str = "draft"
    headline_fa: str = ""
    headline_en: str = ""
    severity: str = ""
    alert: dict[str, Any] = {}  # console.alarms.cap.CapAlert as builtins
    xml: str = ""  # CAP 1.2 XML of the draft (status Draft)
    problems: list[str] = []  # what validation found (XSD, own import); empty when clean
    schema: str = ""  # the XSD the draft was checked against ("" = none configured)
    updated: int = 0
    by: str = ""  # who published / withdrew it
    note: str = ""  # the reason given, or why it expired
    published_file: str = ""
    published_sent: str = ""  # <sent> of the published alert, as written (for references of an Update)


class CapDrafts:
    def __init__(self, folder: Path | None = None):
        self.folder = Path(folder) if folder is not None else data_dir() / "cap" / "drafts"
        self._lock = threading.Lock()

    def _path(self, identifier: str) -> Path:
        if not identifier or any(c in identifier for c in "/\\") or identifier.startswith("."):
            raise DraftError(f"unusable draft identifier {identifier!r}")
        return self.folder / f"{identifier}.json"

    def save(self, draft: CapDraft) -> Path:
        if draft.state not in STATES:
            raise DraftError(f"draft {draft.identifier}: state {draft.state!r} not in {STATES}")
        path = self._path(draft.identifier)
        with self._lock:
            self.folder.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".json.tmp")
            tmp.write_bytes(msgspec.json.format(msgspec.json.encode(draft), indent=2))
            tmp.replace(path)
            if draft.xml:
                xml_tmp = path.with_suffix(".xml.tmp")
                xml_tmp.write_text(draft.xml, encoding="utf-8")
                xml_tmp.replace(path.with_suffix(".xml"))
        return path

    def get(self, identifier: str) -> CapDraft | None:
        path = self._path(identifier)
        try:
            return msgspec.json.decode(path.read_bytes(), type=CapDraft)
        except FileNotFoundError:
            return None
        except (OSError, msgspec.DecodeError, msgspec.ValidationError) as exc:
            log.error("CAP draft %s unreadable: %s", path, exc)
            return None

    def list(self, state: str | None = None) -> list[CapDraft]:
        """Every readable draft, newest first (an unreadable file is logged and skipped)."""
        if not self.folder.is_dir():
            return []
        out = []
        for path in self.folder.glob("*.json"):
            draft = self.get(path.stem)
            if draft is not None and (state is None or draft.state == state):
                out.append(draft)
        return sorted(out, key=lambda d: d.created, reverse=True)

    def _update(self, identifier: str, **changes: Any) -> CapDraft:
        draft = self.get(identifier)
        if draft is None:
            raise DraftError(f"no CAP draft {identifier!r}")
        for key, value in changes.items():
            setattr(draft, key, value)
        draft.updated = now_ns()
        self.save(draft)
        return draft

    def expire(self, identifier: str, note: str) -> CapDraft | None:
        """The hazard ended before anyone published: the draft must not go out any more."""
        draft = self.get(identifier)
        if draft is None or draft.state != "draft":
            return draft
        return self._update(identifier, state="expired", note=note)

    def withdraw(self, identifier: str, operator: Operator, reason: str) -> CapDraft:
        require(operator, "cap.publish", reason)
        draft = self.get(identifier)
        if draft is None or draft.state != "draft":
            raise DraftError(f"draft {identifier!r} is not waiting to be published")
        return self._update(identifier, state="withdrawn", by=operator.name, note=reason.strip())

    def publish(self, identifier: str, engine: Any, operator: Operator, reason: str) -> CapDraft:
        """Issue the draft as an Actual alert through the alarm engine (role cap.publish and a reason)."""
        require(operator, "cap.publish", reason)
        from console.alarms.cap import CapAlert, cap_time

        draft = self.get(identifier)
        if draft is None or draft.state != "draft":
            raise DraftError(f"draft {identifier!r} is not waiting to be published")
        alert = msgspec.convert(draft.alert, CapAlert)
        sent = now_ns()
        shift = sent - alert.sent  # the warning's validity runs from its publication, not its drafting
        infos = [
            msgspec.structs.replace(
                info,
                **{
                    k: getattr(info, k) + shift for k in ("effective", "onset", "expires") if getattr(info, k)
                },
            )
            for info in alert.infos
        ]
        tz = getattr(getattr(engine, "settings", None), "timezone", "") or "Asia/Tehran"
        sent_text = cap_time(sent, tz)
        actual = msgspec.structs.replace(alert, status="Actual", sent=sent, sent_text=sent_text, infos=infos)
        path = engine.publish_cap(actual, operator, reason)
        return self._update(
            identifier,
            state="published",
            by=operator.name,
            note=reason.strip(),
            published_file=str(path),
            published_sent=sent_text,
        )


def folder_for(settings: Any) -> Path:
    """Beside the SQLite database when there is one, else `<data dir>/cap/drafts`."""
    db = str(getattr(settings, "db", "") or "")
    if db.startswith("sqlite:///") and db != "sqlite:///:memory:":
        return Path(db.removeprefix("sqlite:///")).parent / "cap-drafts"
    return data_dir() / "cap" / "drafts"


_default: CapDrafts | None = None


def default_store() -> CapDrafts:
    """The drafts of this data folder (one instance per process)."""
    global _default
    if _default is None or _default.folder != data_dir() / "cap" / "drafts":
        _default = CapDrafts()
    return _default
