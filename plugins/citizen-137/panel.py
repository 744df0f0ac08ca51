"""The 137 desk's panel: KPI tiles, the triage queue beside the selected case, clusters, departments,
closed cases. Everything is read from the Qt-free desk once a second; nothing is computed here.
"""

from __future__ import annotations

from PySide6.QtWidgets import QScrollArea, QWidget

from console import i18n
from widgets.department_panel import Column, DepartmentPanel, Tile
from widgets.records_table import RecordsTable

from .case_view import TIMER_COLOURS, CaseView
from .rules import CLUSTERS, CitizenDepartment, urgency_colour
from .texts import duration_text, timer_text, when_text
from .triage import Case


def _urgency(value, row) -> str:
    return i18n.tr(f"c137.urgency.{value}") if value else "—"


def _priority(value, row) -> str:
    return i18n.tr(f"c137.priority.{value}") if value else "—"


class TriagePanel(DepartmentPanel):
    title_fa = "میز رسیدگی به گزارش‌های شهروندان (۱۳۷)"
    title_en = "Citizen reports (137) — triage desk"
    keep_order = True  # most urgent first, as the desk ranks them

    def __init__(self, department: CitizenDepartment, parent: QWidget | None = None):
        super().__init__(department, parent, tile_columns=6)

    # -- layout ----------------------------------------------------------------------------------------
    def build(self) -> None:
        self.desk = self.department.triage
        self.triage_config = self.department.triage_config
        self.queue_columns = [
            Column("urgency", "فوریت", "Urgency", render=_urgency),
            Column("opened", "زمان", "Time", kind="time"),
            Column("category_text", "موضوع", "Category"),
            Column("district", "منطقه", "District"),
            Column("street", "خیابان", "Street"),
            Column("status_text", "وضعیت", "Status"),
            Column("department_text", "ارجاع", "Assigned to"),
            Column("triage_text", "مهلت بررسی", "Triage timer"),
            Column("resolve_text", "مهلت رسیدگی", "Resolve timer"),
            Column("reports", "گزارش‌ها", "Reports", kind="number"),
            Column("dupes", "تکراری؟", "Duplicates?", kind="number"),
            Column("text", "متن", "Text"),
        ]
        self.queue = RecordsTable(self.queue_columns, self, keep_order=True)
        self.case_view = CaseView(self.department, self)
        self.case_view.sig_show_on_map.connect(self.show_on_map)
        self.case_view.sig_changed.connect(self.safe_refresh)
        scroll = QScrollArea(self)
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.case_view)
        self.split = self.add_split_tab(self.queue, scroll, "صف رسیدگی", "Triage queue", first_share=0.6)
        self.queue.sig_selected.connect(self._on_selected)
        self.queue.doubleClicked.connect(lambda index: self._on_row_activated(self.queue, index.row()))

        self.add_table(
            "clusters",
            "خوشه‌ها (هشدار)",
            "Clusters (alarms)",
            [
                Column("priority", "اولویت", "Priority", render=_priority),
                Column("title", "هشدار", "Alarm"),
                Column("district", "منطقه", "District"),
                Column("count", "گزارش در خوشه", "Reports in cluster", kind="number"),
                Column("open_cases", "پرونده‌های باز در دایره", "Open cases in circle", kind="number"),
                Column("state_text", "وضعیت", "State"),
                Column("raised", "زمان", "Raised", kind="time"),
            ],
            row_key="entity",
        )
        self.add_table(
            "departments",
            "ارجاع به بخش‌ها",
            "By department",
            [
                Column("department_text", "بخش", "Department"),
                Column("open", "باز", "Open", kind="number"),
                Column("overdue", "مهلت گذشته", "Overdue", kind="number"),
                Column("oldest", "قدیمی‌ترین", "Oldest open"),
            ],
            row_key="department",
        )
        self.add_table(
            "closed",
            "بسته‌شده",
            "Closed",
            [
                Column("closed", "بسته شد", "Closed", kind="time"),
                Column("id", "شناسه", "Id"),
                Column("category_text", "موضوع", "Category"),
                Column("status_text", "نتیجه", "Outcome"),
                Column("resolve_text", "زمان رسیدگی", "Time to resolve"),
                Column("reports", "گزارش‌ها", "Reports", kind="number"),
            ],
            row_key="entity",
        )

    def _on_selected(self, row: dict | None) -> None:
        if row is not None:
            self.case_view.show_case(row["entity"])

    # -- refresh ---------------------------------------------------------------------------------------
    def refresh(self) -> None:
        dept = self.department
        clusters = dept.clusters()
        now = dept.clock.now()
        cases = self.desk.cases(include_done=True)
        open_cases = [c for c in cases if c.is_open]
        dupes = self.desk.duplicate_counts()
        self.queue.set_rows([self._queue_row(c, now, dupes.get(c.id, 0)) for c in open_cases])
        if not self.case_view.case_id:
            if open_cases:
                self.queue.select_key(open_cases[0].id)
            else:
                self.case_view.show_case(None)  # says whether the queue is empty
        self.case_view.update_live()
        self.set_rows("clusters", [self._cluster_row(cl) for cl in clusters])
        self.set_rows("departments", self._department_rows(open_cases, now))
        done = sorted((c for c in cases if not c.is_open), key=lambda c: -(c.closed_t or 0))
        self.set_rows("closed", [self._closed_row(c) for c in done[:300]])
        self._tiles(self.desk.stats(), len(clusters))
        self._provenance(len(cases))

    def _queue_row(self, c: Case, now: int, dupes: int) -> dict:
        lang = i18n.lang()
        tri, res = self.desk.timers(c, now)
        worst = (
            "overdue"
            if "overdue" in (tri.state, res.state)
            else "warn"
            if "warn" in (tri.state, res.state)
            else ""
        )
        r = c.report
        return {
            "entity": c.id,
            "urgency": c.urgency,
            "opened": c.opened_t,
            "category_text": self.triage_config.category_title(c.category, lang),
            "district": self.department.district_name(r.district, lang, r.district_fa) if r.district else "—",
            "street": r.street or "—",
            "status_text": i18n.tr(f"c137.status.{c.status}"),
            "department_text": self.triage_config.department_title(c.department, lang)
            if c.department
            else "—",
            "triage_text": timer_text(tri),
            "resolve_text": timer_text(res),
            "reports": len(c.members),
            "dupes": dupes or None,
            "text": r.text,
            "_colour": TIMER_COLOURS[worst]
            if worst
            else (urgency_colour(c.urgency) if c.status == "new" else ""),
        }

    def _cluster_row(self, cl) -> dict:
        a, lang = cl.alarm, i18n.lang()
        return {
            "entity": f"{CLUSTERS}:{a.id}",
            "priority": int(a.priority),
            "title": a.title(lang),
            "district": self.department.district_name(a.district, lang) if a.district else "—",
            "count": a.value,
            "open_cases": len(cl.cases),
            "state_text": i18n.tr(f"c137.alarm.{a.state.value}"),
            "raised": a.raised_t or None,
            "_colour": urgency_colour(int(a.priority)),
        }

    def _department_rows(self, open_cases: list[Case], now: int) -> list[dict]:
        """Every department (and the unassigned), with its open and overdue cases and the oldest one."""
        lang = i18n.lang()
        rows: dict[str, dict] = {
            key: {
                "department": key,
                "department_text": d.title(lang),
                "open": 0,
                "overdue": 0,
                "_oldest": None,
            }
            for key, d in self.triage_config.departments.items()
        }
        rows[""] = {
            "department": "",
            "department_text": i18n.tr("c137.unassigned"),
            "open": 0,
            "overdue": 0,
            "_oldest": None,
        }
        for c in open_cases:
            row = rows.get(c.department) or rows[""]
            row["open"] += 1
            row["overdue"] += self.desk.overdue(c, now)
            row["_oldest"] = c.opened_t if row["_oldest"] is None else min(row["_oldest"], c.opened_t)
        for row in rows.values():
            oldest = row.pop("_oldest")
            row["oldest"] = duration_text((now - oldest) / 1e9) if oldest is not None else "—"
            row["_colour"] = TIMER_COLOURS["overdue"] if row["overdue"] else "" if row["open"] else "#8b98a5"
        return sorted(rows.values(), key=lambda r: (-r["overdue"], -r["open"], r["department_text"]))

    def _closed_row(self, c: Case) -> dict:
        _tri, res = self.desk.timers(c)
        outcome = i18n.tr(f"c137.status.{c.status}")
        if c.status == "closed" and c.resolution in self.triage_config.resolutions:
            outcome = self.triage_config.resolutions[c.resolution].title(i18n.lang())
        elif c.status == "merged":
            outcome += f" → {c.merged_into}"
        return {
            "entity": c.id,
            "closed": c.closed_t,
            "id": c.id,
            "category_text": self.triage_config.category_title(c.category, i18n.lang()),
            "status_text": outcome,
            "resolve_text": timer_text(res) if c.status == "closed" else "—",
            "reports": len(c.members),
        }

    def _tiles(self, st, clusters: int) -> None:
        sla = st.triaged_in_sla
        self.set_tiles(
            [
                Tile("open", "پرونده‌های باز", "Open cases", float(st.open), status="ok"),
                Tile("new", "بررسی‌نشده", "Not yet triaged", float(st.new), status="warn" if st.new else "ok"),
                Tile(
                    "overdue",
                    "مهلت گذشته",
                    "Overdue",
                    float(st.overdue),
                    status="alarm" if st.overdue else "ok",
                ),
                Tile(
                    "clusters",
                    "خوشه‌های فعال",
                    "Active clusters",
                    float(clusters),
                    status="alarm" if clusters else "ok",
                ),
                Tile(
                    "sla",
                    "بررسی به‌موقع (۲۴ ساعت)",
                    "Triaged in time (24 h)",
                    None if sla is None else 100.0 * sla,
                    unit="%",
                    status="none"
                    if sla is None
                    else "ok"
                    if sla >= 0.9
                    else "warn"
                    if sla >= 0.7
                    else "alarm",
                    detail="" if sla is not None else i18n.tr("c137.no_triage_yet"),
                ),
                Tile(
                    "median",
                    "میانهٔ زمان بررسی",
                    "Median time to triage",
                    st.median_triage_s,
                    text=duration_text(st.median_triage_s) if st.median_triage_s is not None else "",
                    detail=i18n.tr("c137.median_detail") if st.median_triage_s is not None else "",
                ),
            ]
        )

    def _provenance(self, n: int) -> None:
        clock = self.department.clock
        text = i18n.tr("c137.provenance", n=n, received=self.desk.received)
        if clock.started:
            text += " — " + i18n.tr("c137.data_time", t=when_text(clock.now()))
        if self.department.service("simulator") is not None:
            text += " — " + i18n.tr("dept.simulated")
        self.provenance.setText(text)

    def show_on_map(self, ref: str) -> bool:
        self.department.update_layers()
        return super().show_on_map(ref)

    def retranslate(self) -> None:
        self.queue.retranslate()
        self.case_view.retranslate()
        super().retranslate()
