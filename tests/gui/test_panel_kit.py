from __future__ import annotations

from PySide6.QtCore import Qt

from console import i18n
from widgets.kpi_tiles import KpiStrip, Tile
from widgets.records_table import Column, RecordsTable


def test_kpi_tiles_show_persian_numbers_and_never_invent_values(qapp, qtbot):
    strip = KpiStrip(columns=2)
    qtbot.addWidget(strip)
    strip.set_tiles(
        [Tile("aqi", "شاخص هوا", "AQI", 153.0, status="alarm"), Tile("free", "جای خالی", "Free spaces", None)]
    )
    assert strip.tile("aqi").value.text() == "۱۵۳"
    assert "◆" in strip.tile("aqi").title.text()
    assert strip.tile("free").value.text() == "—"
    assert strip.tile("free").detail.text() == i18n.tr("kpi.no_data")
    i18n.set_lang("en")
    strip.set_tiles([Tile("aqi", "شاخص هوا", "AQI", 1530.5, decimals=1, unit="AQI", status="warn")])
    assert strip.tile("aqi").value.text() == "1,530.5 AQI"
    assert strip.tile("aqi").title.text() == "▲ AQI"


def test_records_table_sorts_by_value_not_by_persian_text(qapp, qtbot):
    table = RecordsTable([Column("name", "نام", "Name"), Column("n", "تعداد", "Count", kind="number")])
    qtbot.addWidget(table)
    table.set_rows(
        [{"name": "a", "n": 9}, {"name": "b", "n": 10}, {"name": "c", "n": None}, {"name": "d", "n": 2}]
    )
    table.sortByColumn(1, Qt.AscendingOrder)
    assert [table.row_at(i)["name"] for i in range(4)] == ["d", "a", "b", "c"]  # None sorts last
    assert table.proxy.index(2, 1).data() == "۱۰"
    assert table.model_.headerData(1, Qt.Horizontal) == "تعداد"
