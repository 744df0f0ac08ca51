"""Alarm tones the project makes itself: one WAV per priority, each one repeat period long.

Patterns follow the spirit of IEC 60601-1-8 (the more urgent, the higher, faster and more pulses),
with soft harmonics and 12 ms ramps so they are unmistakable without being harsh:

    extreme   880 Hz, two bursts of 5 fast pulses, every 2.5 s
    severe    660 Hz, 3 pulses, every 3 s
    moderate  523 Hz, 2 pulses, every 4 s
    minor     440 Hz, 1 pulse, every 6 s

`python -m console.alarms.tones [FOLDER]` writes them (default resources/sounds); `ensure_tones()`
regenerates any that are missing at run time (into the data dir when resources are read-only).
"""

from __future__ import annotations

import sys
import wave
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from console.model import Priority
from console.paths import data_dir, resource

RATE = 22_050


@dataclass(frozen=True)
class Pattern:
    freq: float
    pulses: tuple[float, ...]  # start times (s) of the pulses within one period
    pulse_s: float
    period_s: float


PATTERNS: dict[Priority, Pattern] = {
    Priority.EXTREME: Pattern(880.0, (0.0, 0.18, 0.36, 0.54, 0.72, 1.2, 1.38, 1.56, 1.74, 1.92), 0.13, 2.5),
    Priority.SEVERE: Pattern(660.0, (0.0, 0.3, 0.6), 0.2, 3.0),
    Priority.MODERATE: Pattern(523.25, (0.0, 0.35), 0.25, 4.0),
    Priority.MINOR: Pattern(440.0, (0.0,), 0.3, 6.0),
}


def synthesize(p: Pattern, rate: int = RATE) -> np.ndarray:
    """int16 samples of one period of the pattern."""
    n = int(p.period_s * rate)
    out = np.zeros(n, dtype=np.float64)
    m = int(p.pulse_s * rate)
    t = np.arange(m) / rate
    tone = (
        np.sin(2 * np.pi * p.freq * t)
        + 0.4 * np.sin(4 * np.pi * p.freq * t)
        + 0.15 * np.sin(6 * np.pi * p.freq * t)
    )
    ramp = min(int(0.012 * rate), m // 2)
    env = np.ones(m)
    env[:ramp] = np.linspace(0.0, 1.0, ramp)
    env[-ramp:] = np.linspace(1.0, 0.0, ramp)
    pulse = tone * env
    for start in p.pulses:
        i = int(start * rate)
        out[i : i + m] += pulse[: max(0, min(m, n - i))]
    peak = np.max(np.abs(out)) or 1.0
    return np.round(out / peak * 0.5 * 32767).astype(np.int16)  # -6 dBFS


def file_name(priority: Priority) -> str:
    return f"alarm-{priority.name.lower()}.wav"


def write_tones(folder: Path) -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for priority, pattern in PATTERNS.items():
        path = folder / file_name(priority)
        with wave.open(str(path), "wb") as w:
            w.setnchannels(1)
            w.setsampwidth(2)
            w.setframerate(RATE)
            w.writeframes(synthesize(pattern).tobytes())
        paths.append(path)
    return paths


def ensure_tones() -> dict[Priority, Path]:
    """The tone file of every priority, writing any that are missing."""
    for folder in (resource("sounds"), data_dir() / "sounds"):
        if all((folder / file_name(p)).is_file() for p in PATTERNS):
            return {p: folder / file_name(p) for p in PATTERNS}
        try:
            write_tones(folder)
            return {p: folder / file_name(p) for p in PATTERNS}
        except OSError:
            continue
    raise OSError("no writable folder for the alarm tones")


if __name__ == "__main__":
    for path in write_tones(Path(sys.argv[1]) if len(sys.argv) > 1 else resource("sounds")):
        print(path)
