"""The alarm room: rules → ISA-18.2 states → annunciation and escalation → journal; CAP 1.2 in and out.

- `rules.py`        rule definitions (TOML files, plugins) and their streaming evaluators
- `index.py`        the rule index: readings reach only the evaluators of their topic/entity/key
- `states.py`       the pure ISA-18.2 state machine
- `alarm.py`        one alarm as the engine keeps it, and the frozen view the UI reads
- `engine.py`       the core service "alarms": evaluation, state changes, journal, multi-console sync
- `annunciation.py` flood control, chatter, first-out, silence (Qt-free policy)
- `escalation.py`   unacknowledged too long → supervisor, then crisis manager
- `cap.py`          CAP 1.2 import (defused, validated) and export (Persian + English)
"""
