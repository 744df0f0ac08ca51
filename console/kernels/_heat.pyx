# cython: language_level=3
"""Heat grids for the map (compiled twin of `heat.py`; same signatures and results).

Rows run in parallel (OpenMP) with the GIL released.
"""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport prange
from libc.math cimport INFINITY, NAN, exp, pow, sqrt

cnp.import_array()


def idw(sx, sy, sv, gx, gy, double power=2.0):
    cdef const double[::1] x = np.ascontiguousarray(sx, dtype=np.float64)
    cdef const double[::1] y = np.ascontiguousarray(sy, dtype=np.float64)
    cdef const double[::1] v = np.ascontiguousarray(sv, dtype=np.float64)
    cdef const double[::1] cx = np.ascontiguousarray(gx, dtype=np.float64)
    cdef const double[::1] cy = np.ascontiguousarray(gy, dtype=np.float64)
    cdef Py_ssize_t ns = x.shape[0], nx = cx.shape[0], ny = cy.shape[0]
    value_a = np.full((ny, nx), np.nan, np.float32)
    nearest_a = np.full((ny, nx), np.inf, np.float32)
    cdef float[:, ::1] value = value_a
    cdef float[:, ::1] nearest = nearest_a
    cdef Py_ssize_t r, c, k, kmin
    cdef double d2, dmin2, w, sw, swv, half = power / 2.0, dx, dy
    if ns == 0:
        return value_a, nearest_a
    with nogil:
        for r in prange(ny, schedule="static"):
            for c in range(nx):
                sw = 0.0
                swv = 0.0
                dmin2 = INFINITY
                kmin = 0
                for k in range(ns):
                    dx = cx[c] - x[k]
                    dy = cy[r] - y[k]
                    d2 = dx * dx + dy * dy
                    if d2 < dmin2:
                        dmin2 = d2
                        kmin = k
                    if d2 < 1.0:
                        d2 = 1.0
                    if half == 1.0:
                        w = 1.0 / d2
                    else:
                        w = 1.0 / pow(d2, half)
                    sw = sw + w
                    swv = swv + w * v[k]
                if dmin2 < 1.0:
                    value[r, c] = <float>v[kmin]
                else:
                    value[r, c] = <float>(swv / sw)
                nearest[r, c] = <float>sqrt(dmin2)
    return value_a, nearest_a


def density(sx, sy, w, gx, gy, double bandwidth):
    cdef const double[::1] x = np.ascontiguousarray(sx, dtype=np.float64)
    cdef const double[::1] y = np.ascontiguousarray(sy, dtype=np.float64)
    cdef const double[::1] wt = np.ascontiguousarray(w, dtype=np.float64)
    cdef const double[::1] cx = np.ascontiguousarray(gx, dtype=np.float64)
    cdef const double[::1] cy = np.ascontiguousarray(gy, dtype=np.float64)
    cdef Py_ssize_t ns = x.shape[0], nx = cx.shape[0], ny = cy.shape[0]
    out_a = np.zeros((ny, nx), np.float32)
    cdef float[:, ::1] out = out_a
    cdef Py_ssize_t r, c, k
    cdef double inv = -0.5 / (bandwidth * bandwidth), s, dx, dy
    with nogil:
        for r in prange(ny, schedule="static"):
            for c in range(nx):
                s = 0.0
                for k in range(ns):
                    dx = cx[c] - x[k]
                    dy = cy[r] - y[k]
                    s = s + wt[k] * exp((dx * dx + dy * dy) * inv)
                out[r, c] = <float>s
    return out_a
