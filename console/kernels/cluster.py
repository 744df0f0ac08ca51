"""Grid clustering of map points (numpy twin of `_cluster.pyx`).

Points are in world pixels at the current zoom (web mercator). Cells are `cell` pixels wide,
anchored at multiples of `cell` so clusters do not jump while the map pans; only cells of the
`nx` x `ny` window starting at cell (`cx0`, `cy0`) count. `group` is the fleet index (0..n_groups-1)
of each point, or -1 to skip it.

grid_cluster(px, py, group, cx0, cy0, cell, nx, ny, n_groups)
    -> (cell_of int32[n] (-1 outside), count int32[nx*ny], sum_x float64[nx*ny], sum_y float64[nx*ny],
        mix int32[nx*ny, n_groups])
"""

from __future__ import annotations

import numpy as np


def grid_cluster(
    px: np.ndarray,
    py: np.ndarray,
    group: np.ndarray,
    cx0: int,
    cy0: int,
    cell: float,
    nx: int,
    ny: int,
    n_groups: int,
):
    px = np.asarray(px, np.float64)
    py = np.asarray(py, np.float64)
    group = np.asarray(group, np.int32)
    finite = np.isfinite(px) & np.isfinite(py)
    ix = np.floor(np.where(finite, px, 0.0) / cell).astype(np.int64) - cx0
    iy = np.floor(np.where(finite, py, 0.0) / cell).astype(np.int64) - cy0
    ok = finite & (group >= 0) & (group < n_groups) & (ix >= 0) & (ix < nx) & (iy >= 0) & (iy < ny)
    cell_of = np.full(len(px), -1, np.int32)
    cell_of[ok] = (iy[ok] * nx + ix[ok]).astype(np.int32)
    m = nx * ny
    idx = cell_of[ok]
    count = np.bincount(idx, minlength=m).astype(np.int32)
    sum_x = np.bincount(idx, weights=px[ok], minlength=m)
    sum_y = np.bincount(idx, weights=py[ok], minlength=m)
    mix = np.zeros((m, n_groups), np.int32)
    np.add.at(mix, (idx, group[ok]), 1)
    return cell_of, count, sum_x, sum_y, mix
