"""Heat grids for the map (numpy twin of `_heat.pyx`).

Coordinates are metres in a local projection; the grid is the outer product of `gx` (columns) and
`gy` (rows).

idw(sx, sy, sv, gx, gy, power) -> (value float32[ny, nx], nearest float32[ny, nx])
    Inverse-distance-weighted interpolation of station values `sv` at (`sx`, `sy`);
    `nearest` is the distance to the closest station (the caller fades the colour with it).
    A station closer than 1 m to a cell gives the cell its own value.
density(sx, sy, w, gx, gy, bandwidth) -> float32[ny, nx]
    Gaussian kernel density of weighted points (e.g. citizen reports), not normalised.
"""

from __future__ import annotations

import numpy as np

_CHUNK = 16384  # grid cells per broadcast block (bounds temporary memory)


def _distances2(sx, sy, gx, gy):
    """(first cell, squared distances cells x points) for blocks of grid cells, row-major."""
    cx = np.tile(gx, len(gy))
    cy = np.repeat(gy, len(gx))
    for start in range(0, len(cx), _CHUNK):
        x = cx[start : start + _CHUNK, None]
        y = cy[start : start + _CHUNK, None]
        yield start, (x - sx[None, :]) ** 2 + (y - sy[None, :]) ** 2


def idw(sx, sy, sv, gx, gy, power: float = 2.0):
    sx, sy, sv = (np.asarray(a, np.float64) for a in (sx, sy, sv))
    gx, gy = np.asarray(gx, np.float64), np.asarray(gy, np.float64)
    ny, nx = len(gy), len(gx)
    value = np.full(ny * nx, np.nan, np.float32)
    nearest = np.full(ny * nx, np.inf, np.float32)
    if len(sx) == 0:
        return value.reshape(ny, nx), nearest.reshape(ny, nx)
    for start, d2 in _distances2(sx, sy, gx, gy):
        dmin2 = d2.min(axis=1)
        w = 1.0 / np.power(np.maximum(d2, 1.0), power / 2.0)
        v = (w * sv[None, :]).sum(axis=1) / w.sum(axis=1)
        close = dmin2 < 1.0
        if close.any():
            v[close] = sv[d2[close].argmin(axis=1)]
        value[start : start + _CHUNK] = v
        nearest[start : start + _CHUNK] = np.sqrt(dmin2)
    return value.reshape(ny, nx), nearest.reshape(ny, nx)


def density(sx, sy, w, gx, gy, bandwidth: float):
    sx, sy, w = (np.asarray(a, np.float64) for a in (sx, sy, w))
    gx, gy = np.asarray(gx, np.float64), np.asarray(gy, np.float64)
    ny, nx = len(gy), len(gx)
    out = np.zeros(ny * nx, np.float32)
    if len(sx) == 0:
        return out.reshape(ny, nx)
    inv = -0.5 / (bandwidth * bandwidth)
    for start, d2 in _distances2(sx, sy, gx, gy):
        out[start : start + _CHUNK] = (w[None, :] * np.exp(d2 * inv)).sum(axis=1)
    return out.reshape(ny, nx)
