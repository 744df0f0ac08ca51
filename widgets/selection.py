"""One selection across the wall: what the operator picks on the map is selected in the alarm list,
and the other way round.

Any two widgets that offer `sig_entity_selected(str)` and `select(str)` can be linked (the map
does; the alarm list is expected to). A ref is an entity id or "<layer>:<feature id>" (e.g.
"alarms:<alarm id>"). A guard keeps a selection from bouncing back and forth.
"""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def link_selection(a: QWidget, b: QWidget) -> bool:
    """Connect a ↔ b when both speak the selection protocol; returns whether they were linked."""
    if not all(hasattr(w, "sig_entity_selected") and callable(getattr(w, "select", None)) for w in (a, b)):
        return False
    busy = [False]

    def relay(target: QWidget):
        def on_selected(ref: str) -> None:
            if busy[0]:
                return
            busy[0] = True
            try:
                target.select(ref)
            finally:
                busy[0] = False

        return on_selected

    a.sig_entity_selected.connect(relay(b))
    b.sig_entity_selected.connect(relay(a))
    return True
