# cython: language_level=3
"""Grid clustering of map points (compiled twin of `cluster.py`; same signature and results)."""

import numpy as np

cimport numpy as cnp
from libc.math cimport floor, isfinite

cnp.import_array()


def grid_cluster(px, py, group, long cx0, long cy0, double cell, long nx, long ny, long n_groups):
    cdef const double[::1] x = np.ascontiguousarray(px, dtype=np.float64)
    cdef const double[::1] y = np.ascontiguousarray(py, dtype=np.float64)
    cdef const int[::1] g = np.ascontiguousarray(group, dtype=np.int32)
    cdef Py_ssize_t n = x.shape[0], i
    cdef long m = nx * ny
    cell_of_a = np.full(n, -1, np.int32)
    count_a = np.zeros(m, np.int32)
    sum_x_a = np.zeros(m, np.float64)
    sum_y_a = np.zeros(m, np.float64)
    mix_a = np.zeros((m, n_groups), np.int32)
    cdef int[::1] cell_of = cell_of_a
    cdef int[::1] count = count_a
    cdef double[::1] sum_x = sum_x_a
    cdef double[::1] sum_y = sum_y_a
    cdef int[:, ::1] mix = mix_a
    cdef double inv = 1.0 / cell
    cdef long ix, iy, k
    cdef int gi
    with nogil:
        for i in range(n):
            gi = g[i]
            if gi < 0 or gi >= n_groups or not isfinite(x[i]) or not isfinite(y[i]):
                continue
            ix = <long>floor(x[i] * inv) - cx0
            iy = <long>floor(y[i] * inv) - cy0
            if ix < 0 or ix >= nx or iy < 0 or iy >= ny:
                continue
            k = iy * nx + ix
            cell_of[i] = <int>k
            count[k] += 1
            sum_x[k] += x[i]
            sum_y[k] += y[i]
            mix[k, gi] += 1
    return cell_of_a, count_a, sum_x_a, sum_y_a, mix_a
