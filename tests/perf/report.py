"""Benchmark report: rows of measured figures with their peer and target, printed and saved as JSON."""

from __future__ import annotations

import json
import platform
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path


@dataclass
class Row:
    group: str
    name: str
    value: float
    unit: str
    peer: str = ""
    peer_value: float | None = None
    ratio: float | None = None  # ours relative to the peer, >1 = better
    target: str = ""
    passed: bool | None = None
    note: str = ""


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    started: float = field(default_factory=time.time)

    def add(self, group: str, name: str, value: float, unit: str, **kw) -> Row:
        row = Row(group, name, value, unit, **kw)
        self.rows.append(row)
        return row

    def table(self) -> str:
        head = ("group", "measure", "value", "unit", "peer", "peer value", "ratio", "target", "ok")
        lines = []
        for r in self.rows:
            lines.append(
                (
                    r.group,
                    r.name,
                    _fmt(r.value),
                    r.unit,
                    r.peer,
                    _fmt(r.peer_value),
                    "" if r.ratio is None else f"{r.ratio:.2f}x",
                    r.target,
                    "" if r.passed is None else ("PASS" if r.passed else "FAIL"),
                )
            )
        widths = [max(len(str(x)) for x in col) for col in zip(head, *lines, strict=False)]
        out = ["  ".join(str(h).ljust(w) for h, w in zip(head, widths, strict=False))]
        out.append("  ".join("-" * w for w in widths))
        out += ["  ".join(str(c).ljust(w) for c, w in zip(line, widths, strict=False)) for line in lines]
        return "\n".join(out)

    def save(self, folder: Path) -> Path:
        folder.mkdir(parents=True, exist_ok=True)
        doc = {
            "started": self.started,
            "machine": {
                "python": platform.python_version(),
                "platform": platform.platform(),
                "processor": platform.processor(),
            },
            "rows": [asdict(r) for r in self.rows],
        }
        stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(self.started))
        path = folder / f"bench-{stamp}.json"
        path.write_text(json.dumps(doc, indent=1), encoding="utf-8")
        (folder / "latest.json").write_text(json.dumps(doc, indent=1), encoding="utf-8")
        return path


def _fmt(v: float | None) -> str:
    if v is None:
        return ""
    if abs(v) >= 1e6:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:,.1f}"
    return f"{v:.3g}"
