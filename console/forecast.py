"""Short-term forecasts from a recent series, with an honest uncertainty (Qt-free, numpy).

Damped-trend exponential smoothing (Holt's linear method with Gardner's damping; ETS(A,Ad,N) in
Hyndman's state-space form), fitted per series by least squares over a small parameter grid, all
series and all parameter sets at once (one numpy pass per time step, so thirty parking lots cost
about as much as one). The prediction interval is the model's own: the one-step residual spread
grown with the horizon, σ²_h = σ² (1 + Σ_{j<h} c_j²), c_j = α + β φ (1 − φ^j)/(1 − φ).

A series is first put on a regular grid of `step_s` bins (the mean of each bin; empty bins are
skipped by the recursion, not invented). With fewer than `min_points` filled bins there is no
forecast: the caller shows "not enough history", never a number.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

NS = 1_000_000_000
ALPHAS = np.array([0.1, 0.2, 0.35, 0.5, 0.7, 0.9, 1.0])
BETA_SHARES = np.array([0.02, 0.08, 0.2, 0.5])  # β as a share of α (β ≤ α keeps the model stable)
PHIS = np.array([0.8, 0.9, 0.95, 0.98, 1.0])
Z = {0.8: 1.2816, 0.9: 1.6449, 0.95: 1.9600}


@dataclass(frozen=True)
class Forecast:
    """One series' forecast on its grid: `t` (ns) of each future step, point `mean`, interval `lo`..`hi`."""

    t: np.ndarray
    mean: np.ndarray
    lo: np.ndarray
    hi: np.ndarray
    sigma: float  # one-step residual standard deviation
    alpha: float
    beta: float
    phi: float
    points: int  # filled bins the fit used
    level: float  # coverage of [lo, hi]

    def at(self, minutes: float) -> tuple[float, float, float]:
        """(mean, lo, hi) `minutes` after the last observation (the nearest grid step)."""
        step_s = (self.t[1] - self.t[0]) / NS if len(self.t) > 1 else 60.0
        i = int(np.clip(round(minutes * 60.0 / step_s) - 1, 0, len(self.t) - 1))
        return float(self.mean[i]), float(self.lo[i]), float(self.hi[i])

    def crossing(
        self, threshold: float, rising: bool = True
    ) -> tuple[float | None, float | None, float | None]:
        """Minutes until the forecast crosses `threshold`: (earliest, expected, latest); None = not in the horizon.

        Rising: earliest is when the upper bound crosses, latest when the lower bound does.
        """
        step_s = (self.t[1] - self.t[0]) / NS if len(self.t) > 1 else 60.0

        def first(series: np.ndarray) -> float | None:
            hit = np.flatnonzero(series >= threshold if rising else series <= threshold)
            return None if not len(hit) else (int(hit[0]) + 1) * step_s / 60.0

        early, late = (self.hi, self.lo) if rising else (self.lo, self.hi)
        return first(early), first(self.mean), first(late)


def regular_grid(
    t: np.ndarray, v: np.ndarray, step_s: float, window_s: float, end_ns: int | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """Mean of `v` per `step_s` bin over the last `window_s` up to `end_ns`: (bin end times, values;
    NaN = empty). Each bin covers (end - step, end]."""
    n = max(1, round(window_s / step_s))
    step = int(step_s * NS)
    end = int(end_ns if end_ns is not None else (t[-1] if len(t) else 0))
    edges_end = end - step * np.arange(n - 1, -1, -1, dtype=np.int64)
    sums = np.zeros(n)
    counts = np.zeros(n)
    if len(t):
        idx = n - 1 - (end - np.asarray(t, np.int64)) // step
        ok = (idx >= 0) & (idx < n)
        np.add.at(sums, idx[ok], np.asarray(v, np.float64)[ok])
        np.add.at(counts, idx[ok], 1.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        values = np.where(counts > 0, sums / np.maximum(counts, 1.0), np.nan)
    return edges_end, values


def _grid() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a, s, p = np.meshgrid(ALPHAS, BETA_SHARES, PHIS, indexing="ij")
    return a.ravel(), (a * s).ravel(), p.ravel()


def damped_holt(
    y: np.ndarray,
    horizon: int,
    *,
    level: float = 0.8,
    min_points: int = 10,
    bounds: tuple[float | None, float | None] = (None, None),
) -> list[dict | None]:
    """Fit and forecast every row of `y` (series x time, NaN = no data). Per row a dict with
    `mean`, `lo`, `hi` (length `horizon`), `sigma`, `alpha`, `beta`, `phi`, `points`; None without enough data.
    """
    y = np.atleast_2d(np.asarray(y, np.float64))
    n_series, n_t = y.shape
    alpha, beta, phi = _grid()
    filled = ~np.isnan(y)
    out: list[dict | None] = [None] * n_series
    usable = np.flatnonzero(filled.sum(axis=1) >= max(min_points, 4))
    if not len(usable) or horizon < 1:
        return out
    yu = y[usable]
    fu = filled[usable]
    # start each series at its first observation; slope from its first few observations
    first = fu.argmax(axis=1)
    rows = np.arange(len(usable))
    lvl = np.repeat(yu[rows, first][:, None], len(alpha), axis=1)
    slope0 = np.zeros(len(usable))
    for k, r in enumerate(rows):
        idx = np.flatnonzero(fu[r])[:4]
        if len(idx) >= 2:
            slope0[k] = (yu[r, idx[-1]] - yu[r, idx[0]]) / (idx[-1] - idx[0])
    trend = np.repeat(slope0[:, None], len(alpha), axis=1)
    sse = np.zeros_like(lvl)
    count = np.zeros(len(usable))
    for i in range(n_t):
        started = i > first  # the state starts at each series' first observation
        pred = lvl + phi * trend
        obs = fu[:, i] & started
        err = np.where(obs[:, None], yu[:, i][:, None] - pred, 0.0)
        sse += err * err
        count += obs
        lvl = np.where(started[:, None], pred + alpha * err, lvl)
        trend = np.where(started[:, None], phi * trend + beta * err, trend)
    best = sse.argmin(axis=1)
    steps = np.arange(1, horizon + 1)
    z = Z.get(level, 1.2816)
    lo_b, hi_b = bounds
    for k, r in enumerate(usable):
        j = best[k]
        a, b, p = float(alpha[j]), float(beta[j]), float(phi[j])
        dof = max(1.0, count[k] - 3.0)
        sigma = float(np.sqrt(sse[k, j] / dof))
        damp = np.cumsum(p**steps)  # φ + φ² + ... + φ^h
        mean = lvl[k, j] + damp * trend[k, j]
        c = a + b * p * (1.0 - p ** steps[:-1]) / (1.0 - p) if p < 1.0 else a + b * steps[:-1]
        var = sigma**2 * (1.0 + np.concatenate(([0.0], np.cumsum(c * c))))
        half = z * np.sqrt(var)
        lo, hi = mean - half, mean + half
        if lo_b is not None or hi_b is not None:
            mean, lo, hi = (np.clip(x, lo_b, hi_b) for x in (mean, lo, hi))
        out[r] = {
            "mean": mean,
            "lo": lo,
            "hi": hi,
            "sigma": sigma,
            "alpha": a,
            "beta": b,
            "phi": p,
            "points": int(fu[k].sum()),
        }
    return out


def forecast_many(
    series: list[tuple[np.ndarray, np.ndarray]],
    *,
    horizon_s: float,
    step_s: float = 60.0,
    window_s: float = 5400.0,
    end_ns: int | None = None,
    level: float = 0.8,
    min_points: int = 10,
    bounds: tuple[float | None, float | None] = (None, None),
) -> list[Forecast | None]:
    """Forecasts of several (t ns, values) series on one shared grid ending at `end_ns` (default: the
    newest sample of any series), `horizon_s` ahead. None where a series has too little recent data."""
    if not series:
        return []
    if end_ns is None:
        end_ns = max((int(t[-1]) for t, _ in series if len(t)), default=0)
    grids = [regular_grid(t, v, step_s, window_s, end_ns) for t, v in series]
    y = np.vstack([g[1] for g in grids])
    horizon = max(1, round(horizon_s / step_s))
    fits = damped_holt(y, horizon, level=level, min_points=min_points, bounds=bounds)
    future = end_ns + int(step_s * NS) * np.arange(1, horizon + 1, dtype=np.int64)
    return [
        None
        if f is None
        else Forecast(
            future,
            f["mean"],
            f["lo"],
            f["hi"],
            f["sigma"],
            f["alpha"],
            f["beta"],
            f["phi"],
            f["points"],
            level,
        )
        for f in fits
    ]
