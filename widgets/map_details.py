"""The details panel beside the map: what was clicked or selected, and a vehicle's track replay.

Entities show kind, source and its health, last update (Jalali and local clock, age), every value
with its catalog title, unit and band colour, their attributes and position; stale data says so in
words, not only in grey. Features (alarms, CAP areas, geofences, plugin layers) show their layer,
title and properties. Vehicles get the track replay: the last N minutes from EntityState (and the
storage room's history provider), a time slider and play.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
from PySide6.QtCore import QLocale, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QFormLayout,
    QFrame,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QSizePolicy,
    QSlider,
    QSpinBox,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from console import i18n, mapstyle
from console.catalog import TOPICS, signal_meta
from console.entities import EntityInfo, EntityState, Trail
from console.health import FeedHealth
from console.maplayers import MapFeature, MapLayer
from widgets.photo_view import pixmap_from_data_uri

LEVEL_KEYS = {0: "map.legend.ok", 1: "map.legend.warn", 2: "map.legend.alarm", 3: "map.legend.alarm"}


def _time_text(t_ns: int, tz: str) -> str:
    moment = i18n.local_time(t_ns, tz)
    return f"{i18n.format_jalali_short(moment)}:{i18n.digits(moment.strftime('%S'))}"


def _value_colour(etype: str, key: str, v: float) -> str:
    m = signal_meta(etype, key)
    if (m.alarm_hi is not None and v >= m.alarm_hi) or (m.alarm_lo is not None and v <= m.alarm_lo):
        return mapstyle.LEVEL_COLOURS[2]
    if (m.warn_hi is not None and v >= m.warn_hi) or (m.warn_lo is not None and v <= m.warn_lo):
        return mapstyle.LEVEL_COLOURS[1]
    return ""


def _shown_attr(key: str, v: object) -> bool:
    """Attributes worth a row: not names (in the title), not images (shown as a picture), not nested,
    and only the current language of a bilingual pair (category_fa / category_en)."""
    if key.startswith("name") or key.startswith("image") or isinstance(v, dict | list):
        return False
    other = "_en" if i18n.lang() == "fa" else "_fa"
    return not key.endswith(other)


def _number_locale() -> QLocale:
    """Spin boxes show Persian digits in the Persian UI."""
    return QLocale(QLocale.Persian, QLocale.Iran) if i18n.lang() == "fa" else QLocale.c()


_photo = pixmap_from_data_uri


class TrackReplay(QFrame):
    """Trail of the last N minutes and a slider that moves a marker along it."""

    sig_trail = Signal(list)  # [[lat, lon], ...] or []
    sig_ghost = Signal(object)  # (lat, lon, heading) or None

    def __init__(self, state: EntityState, tz: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mapTrackReplay")
        self.state = state
        self.tz = tz
        self.entity = ""
        self.trail = Trail.empty()
        lay = QVBoxLayout(self)
        lay.setContentsMargins(0, 6, 0, 0)
        self.title = QLabel(self)
        self.title.setObjectName("mapSectionTitle")
        row = QHBoxLayout()
        self.window_label = QLabel(self)
        self.show_box = QCheckBox(self)
        self.show_box.setChecked(True)
        self.show_box.toggled.connect(lambda _on: self.reload())
        self.minutes = QSpinBox(self)
        self.minutes.setLocale(_number_locale())
        top = max(1, int(state.trail_minutes))
        self.minutes.setRange(1, top)
        self.minutes.setValue(min(15, top))
        self.minutes.valueChanged.connect(lambda _v: self.reload())
        row.addWidget(self.show_box, 1)
        row.addWidget(self.window_label)
        row.addWidget(self.minutes)
        self.slider = QSlider(Qt.Horizontal, self)
        self.slider.setRange(0, 1000)
        self.slider.setValue(1000)
        self.slider.valueChanged.connect(self._on_slider)
        row2 = QHBoxLayout()
        self.play = QToolButton(self)
        self.play.setCheckable(True)
        self.play.toggled.connect(self._on_play)
        self.time_label = QLabel(self)
        self.time_label.setObjectName("mapTrackTime")
        self.points_label = QLabel(self)
        row2.addWidget(self.play)
        row2.addWidget(self.time_label, 1)
        row2.addWidget(self.points_label)
        lay.addWidget(self.title)
        lay.addLayout(row)
        lay.addWidget(self.slider)
        lay.addLayout(row2)
        self._timer = QTimer(self)
        self._timer.setInterval(100)
        self._timer.timeout.connect(self._step)
        self.retranslate()

    def set_entity(self, entity: str) -> None:
        self.entity = entity
        self.play.setChecked(False)
        self.reload()

    def reload(self) -> None:
        if not self.entity or not self.show_box.isChecked():
            self.trail = Trail.empty()
            self.sig_trail.emit([])
            self.sig_ghost.emit(None)
            self._update_labels()
            return
        self.trail = self.state.trail(self.entity, float(self.minutes.value()))
        coords = (
            np.column_stack([self.trail.lat, self.trail.lon]).round(6).tolist() if len(self.trail) else []
        )
        self.sig_trail.emit(coords)
        self.slider.blockSignals(True)
        self.slider.setValue(1000)
        self.slider.blockSignals(False)
        self.sig_ghost.emit(None)
        self._update_labels()

    def time_at(self, value: int) -> int | None:
        if not len(self.trail):
            return None
        t0, t1 = int(self.trail.t[0]), int(self.trail.t[-1])
        return t0 + (t1 - t0) * value // 1000

    def _on_slider(self, value: int) -> None:
        t = self.time_at(value)
        if t is None:
            return
        self.sig_ghost.emit(self.trail.at(t))
        self._update_labels()

    def _on_play(self, on: bool) -> None:
        if on:
            if self.slider.value() >= 1000:
                self.slider.setValue(0)
            self._timer.start()
        else:
            self._timer.stop()
        self.play.setText(i18n.tr("map.track.pause" if on else "map.track.play"))

    def _step(self) -> None:
        v = self.slider.value() + 4  # the whole window in 25 s
        if v >= 1000:
            v = 1000
            self.play.setChecked(False)
        self.slider.setValue(v)

    def _update_labels(self) -> None:
        t = self.time_at(self.slider.value())
        self.time_label.setText(_time_text(t, self.tz) if t is not None else i18n.tr("map.track.empty"))
        self.points_label.setText(i18n.tr("map.track.points", n=len(self.trail)))

    def stop(self) -> None:
        self.play.setChecked(False)
        self.entity = ""
        self.trail = Trail.empty()

    def retranslate(self) -> None:
        self.minutes.setLocale(_number_locale())
        self.title.setText(i18n.tr("map.track"))
        self.show_box.setText(i18n.tr("map.track.show"))
        self.window_label.setText(i18n.tr("map.track.window"))
        self.play.setText(i18n.tr("map.track.pause" if self.play.isChecked() else "map.track.play"))
        self._update_labels()


class DetailsPanel(QFrame):
    sig_closed = Signal()
    sig_delete_geofence = Signal(str)

    def __init__(self, state: EntityState, health: FeedHealth | None, tz: str, parent: QWidget | None = None):
        super().__init__(parent)
        self.setObjectName("mapDetails")
        self.setSizePolicy(QSizePolicy.Fixed, QSizePolicy.Preferred)
        self.setMinimumWidth(300)
        self.state = state
        self.health = health
        self.tz = tz
        self.current: tuple[str, str, str] | None = None  # ("entity", id, "") | ("feature", layer, id)
        self._feature: tuple[MapLayer, MapFeature] | None = None
        lay = QVBoxLayout(self)
        head = QHBoxLayout()
        self.title = QLabel(self)
        self.title.setObjectName("mapDetailsTitle")
        self.title.setWordWrap(True)
        self.close_button = QToolButton(self)
        self.close_button.setText("✕")
        self.close_button.clicked.connect(self._on_close)
        head.addWidget(self.title, 1)
        head.addWidget(self.close_button, 0, Qt.AlignTop)
        self.kind = QLabel(self)
        self.kind.setObjectName("mapDetailsKind")
        self.status = QLabel(self)
        self.status.setObjectName("mapDetailsStatus")
        self.form = QFormLayout()
        self.form.setLabelAlignment(Qt.AlignLeading)
        self.form.setHorizontalSpacing(12)
        self.photo = QLabel(self)
        self.photo.setAlignment(Qt.AlignCenter)
        self.photo.hide()
        self.replay = TrackReplay(state, tz, self)
        self.delete_button = QPushButton(self)
        self.delete_button.clicked.connect(self._on_delete)
        lay.addLayout(head)
        lay.addWidget(self.kind)
        lay.addWidget(self.status)
        lay.addLayout(self.form)
        lay.addWidget(self.photo)
        lay.addWidget(self.replay)
        lay.addWidget(self.delete_button)
        lay.addStretch(1)
        self.replay.hide()
        self.delete_button.hide()
        self.retranslate()

    # -- content ---------------------------------------------------------------------------------------
    def _clear_form(self) -> None:
        while self.form.rowCount():
            self.form.removeRow(0)

    def _add(self, label: str, value: str, colour: str = "") -> None:
        v = QLabel(value, self)
        v.setWordWrap(True)
        v.setTextInteractionFlags(Qt.TextSelectableByMouse)
        if colour:
            v.setStyleSheet(f"color: {colour}; font-weight: bold;")
        self.form.addRow(QLabel(label, self), v)

    def show_entity(self, entity: str) -> None:
        new = self.current != ("entity", entity, "")
        self.current = ("entity", entity, "")
        self._feature = None
        info = self.state.get(entity)
        self.delete_button.hide()
        if info is None:
            self._gone(entity)
            return
        self._fill_entity(info)
        if info.kind in mapstyle.VEHICLE_KINDS:
            self.replay.show()
            if new:
                self.replay.set_entity(entity)
        else:
            self.replay.hide()
            if new:
                self.replay.stop()
                self.replay.reload()

    def _attr_text(self, key: str, v: object) -> str:
        if isinstance(v, bool):
            return str(v)
        if isinstance(v, int | float):
            return i18n.number(v, 0 if float(v).is_integer() else 2)
        text = str(v)
        if key == "district" and self.state.city is not None:
            d = next((d for d in self.state.city.districts if d.id == text), None)
            if d is not None:
                return d.name(i18n.lang())
        return i18n.tr(f"map.value.{text}") if i18n.has_key(f"map.value.{text}") else text

    def _show_photo(self, uri: object) -> None:
        pm = _photo(uri)
        if pm is None:
            self.photo.hide()
            return
        if self.photo.property("uri") != uri:
            self.photo.setPixmap(pm.scaledToWidth(min(pm.width(), 280), Qt.SmoothTransformation))
            self.photo.setProperty("uri", uri)
        self.photo.show()

    def _gone(self, ref: str) -> None:
        self.title.setText(ref)
        self.kind.setText("")
        self.status.setText(i18n.tr("map.details.gone", id=ref))
        self.status.setProperty("mapLevel", "stale")
        self._clear_form()
        self.replay.hide()

    def _fill_entity(self, info: EntityInfo) -> None:
        r = info.reading
        name = ""
        if r is not None:
            a = r.attrs
            name = str(
                (a.get("name_en") if i18n.lang() == "en" else None) or a.get("name_fa") or a.get("name") or ""
            )
        self.title.setText(f"{name} ({info.id})" if name else info.id)
        self.kind.setText(i18n.tr(f"map.kind.{info.kind}"))
        if info.stale:
            text, level = "⚠ " + i18n.tr("map.details.stale"), "stale"
        else:
            lk = LEVEL_KEYS.get(info.level)
            text = ("● " + i18n.tr("map.details.live")) + (f" — {i18n.tr(lk)}" if lk and info.level else "")
            level = str(min(info.level, 3)) if info.level != mapstyle.LEVEL_UNKNOWN else "0"
        self.status.setText(text)
        self.status.setProperty("mapLevel", level)
        self.status.style().unpolish(self.status)
        self.status.style().polish(self.status)
        self._clear_form()
        if r is not None:
            for key, v in r.values.items():
                m = signal_meta(r.etype, key)
                title = (m.title_fa if i18n.lang() == "fa" else m.title_en) or key
                value = f"{i18n.number(v, m.decimals)} {m.unit}".strip() if v == v else "—"
                self._add(title, value, "" if info.stale else _value_colour(r.etype, key, v))
            for key, v in r.attrs.items():
                if not _shown_attr(key, v):
                    continue
                base = key.removesuffix("_fa").removesuffix("_en")
                label = i18n.tr(f"map.attr.{base}") if i18n.has_key(f"map.attr.{base}") else base
                text = self._attr_text(base, v)
                self._add(label, text if len(text) <= 400 else text[:400] + "…")
            self._show_photo(r.attrs.get("image"))
        age = i18n.tr("map.details.age", s=round(info.age_s))
        self._add(
            i18n.tr("map.details.updated"), f"{_time_text(r.t, self.tz)} — {age}" if r is not None else age
        )
        src_state = ""
        if self.health is not None and info.source:
            st = self.health.get(info.source)
            if st is not None:
                src_state = f" ({st.state.value})"
        topic = TOPICS.get(info.topic)
        topic_title = (topic[1] if i18n.lang() == "fa" else topic[2]) if topic else info.topic
        self._add(i18n.tr("map.details.source"), f"{info.source}{src_state} — {topic_title}")
        if not math.isnan(info.lat):
            sep = "، " if i18n.lang() == "fa" else ", "
            where = (
                f"{i18n.number(info.lat, 5, grouping=False)}{sep}{i18n.number(info.lon, 5, grouping=False)}"
            )
            if info.heading is not None:
                where += f"  ({i18n.number(info.heading, 0)}°)"
            self._add(i18n.tr("map.details.position"), where)

    def show_feature(self, layer: MapLayer, feature: MapFeature) -> None:
        self.current = ("feature", layer.key, feature.id)
        self._feature = (layer, feature)
        self.replay.stop()
        self.replay.hide()
        self.photo.hide()
        self.title.setText(feature.title(i18n.lang()))
        self.kind.setText(layer.title(i18n.lang()))
        self.status.setText("")
        self.status.setProperty("mapLevel", "")
        self._clear_form()
        for key, v in feature.props.items():
            label = i18n.tr(key) if i18n.has_key(key) else key
            self._add(label, i18n.digits(v) if isinstance(v, int | float) else str(v))
        if feature.t:
            self._add(i18n.tr("map.details.updated"), _time_text(feature.t, self.tz))
        if feature.entity:
            self._add(i18n.tr("map.kind.other"), feature.entity)
        self.delete_button.setVisible(layer.key == "geofences")

    def refresh(self) -> None:
        if self.current is None or not self.isVisible():
            return
        if self.current[0] == "entity":
            self.show_entity(self.current[1])
        elif self._feature is not None:
            layer, feature = self._feature
            fresh = layer.get(feature.id)
            if fresh is None:
                self._gone(feature.id)
            elif fresh is not feature:
                self.show_feature(layer, fresh)

    def _on_close(self) -> None:
        self.replay.stop()
        self.replay.reload()
        self.current = None
        self.hide()
        self.sig_closed.emit()

    def _on_delete(self) -> None:
        if self.current and self.current[0] == "feature" and self.current[1] == "geofences":
            self.sig_delete_geofence.emit(self.current[2])
            self._on_close()

    def retranslate(self) -> None:
        self.delete_button.setText(i18n.tr("map.details.geofence_delete"))
        self.close_button.setToolTip(i18n.tr("map.details.close"))
        self.replay.retranslate()
        self.refresh()

    def describe(self) -> dict[str, Any]:
        """For tests: what the panel shows, as text."""
        rows = {}
        for i in range(self.form.rowCount()):
            lab = self.form.itemAt(i, QFormLayout.LabelRole)
            val = self.form.itemAt(i, QFormLayout.FieldRole)
            if lab and val:
                rows[lab.widget().text()] = val.widget().text()
        return {
            "title": self.title.text(),
            "kind": self.kind.text(),
            "status": self.status.text(),
            "rows": rows,
        }
