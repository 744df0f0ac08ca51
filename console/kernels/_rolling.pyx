# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Rolling statistics for the alarm engine, compiled: the fast twin of `rolling.py` (see there).

Windows are scanned once with Welford's add/remove recurrence (O(n) whatever the window), and
re-summed exactly whenever the samples removed since the last exact sum outnumber the window (slow
drift over days of data) or a removal cancelled most digits of the spread (an outlier leaving a flat
window), so a flat baseline reads flat again.
"""

import numpy as np

cimport numpy as cnp
from libc.math cimport NAN, expm1, isfinite
from libc.stdint cimport int64_t

from console.kernels import prep

cnp.import_array()


cdef void _exact(const double *y, int64_t lo, int64_t hi, double *mean, double *m2, int64_t *cnt) noexcept nogil:
    """Two-pass mean and M2 of the finite samples of y[lo:hi]."""
    cdef int64_t j, c = 0
    cdef double s = 0.0, m, d, acc = 0.0
    for j in range(lo, hi):
        if isfinite(y[j]):
            s += y[j]
            c += 1
    if c == 0:
        mean[0] = 0.0
        m2[0] = 0.0
        cnt[0] = 0
        return
    m = s / <double>c
    for j in range(lo, hi):
        if isfinite(y[j]):
            d = y[j] - m
            acc += d * d
    mean[0] = m
    m2[0] = acc
    cnt[0] = c


cdef void _welford(const double *y, const int64_t *lo, const int64_t *hi, Py_ssize_t n, double *out_mean,
                   double *out_m2, int64_t *out_cnt) noexcept nogil:
    cdef double mean = 0.0, m2 = 0.0, v, d, term
    cdef int64_t c = 0, add = 0, rem = 0, removed = 0
    cdef bint lost
    cdef Py_ssize_t i
    for i in range(n):
        while add < hi[i]:
            v = y[add]
            add += 1
            if isfinite(v):
                c += 1
                d = v - mean
                mean += d / <double>c
                m2 += d * (v - mean)
        lost = False
        while rem < lo[i] and rem < add:
            v = y[rem]
            rem += 1
            if isfinite(v):
                c -= 1
                removed += 1
                if c == 0:
                    mean = 0.0
                    m2 = 0.0
                else:
                    d = v - mean
                    mean -= d / <double>c
                    term = d * (v - mean)
                    m2 -= term
                    lost = lost or m2 < 1e-3 * term  # an outlier left: digits of the spread cancelled
        if lost or removed > c + 16:
            _exact(y, rem, add, &mean, &m2, &c)
            removed = 0
        out_mean[i] = mean
        out_m2[i] = m2 if m2 > 0.0 else 0.0
        out_cnt[i] = c


def window_stats(y, lo, hi):
    """(mean, M2, count) of the finite samples in each [lo_i, hi_i); lo and hi non-decreasing."""
    cdef Py_ssize_t n = len(y)
    mean = np.empty(n)
    m2 = np.empty(n)
    cnt = np.empty(n, dtype=np.int64)
    if n == 0:
        return mean, m2, cnt
    cdef const double[::1] yv = y
    cdef const int64_t[::1] lv = np.ascontiguousarray(lo, dtype=np.int64)
    cdef const int64_t[::1] hv = np.ascontiguousarray(hi, dtype=np.int64)
    cdef double[::1] mv = mean
    cdef double[::1] qv = m2
    cdef int64_t[::1] cv = cnt
    with nogil:
        _welford(&yv[0], &lv[0], &hv[0], n, &mv[0], &qv[0], &cv[0])
    return mean, m2, cnt


def rolling_mean(y, window, *, t=None, min_periods=1):
    return prep.rolling_mean(y, window, t, min_periods, window_stats)


def rolling_std(y, window, *, t=None, min_periods=2, ddof=1):
    return prep.rolling_std(y, window, t, min_periods, ddof, window_stats)


def zscore(y, window, *, t=None, min_periods=5):
    return prep.zscore(y, window, t, min_periods, window_stats)


def anomalies(y, window, threshold=3.0, *, t=None, min_periods=5):
    return prep.anomalies(zscore(y, window, t=t, min_periods=min_periods), threshold)


cdef void _ewma(const double *y, Py_ssize_t n, double a, const double *tt, double ln2_neg,
                double *out) noexcept nogil:
    cdef double s = NAN, last = 0.0, k, v
    cdef Py_ssize_t i
    for i in range(n):
        v = y[i]
        if isfinite(v):
            if s != s:
                s = v
            else:
                k = a if tt == NULL else -expm1(ln2_neg * (tt[i] - last))
                s = s + k * (v - s)
            if tt != NULL:
                last = tt[i]
        out[i] = s


def ewma(y, *, alpha=None, halflife=None, t=None):
    y = prep.as_y(y)
    cdef Py_ssize_t n = len(y)
    a, tt = prep.ewma_alpha(n, alpha, halflife, t)
    out = np.empty(n)
    if n == 0:
        return out
    cdef const double[::1] yv = y
    cdef double[::1] ov = out
    cdef const double[::1] tv
    cdef double av = a, ln2 = prep.LN2_NEG
    if tt is None:
        with nogil:
            _ewma(&yv[0], n, av, NULL, ln2, &ov[0])
    else:
        tv = np.ascontiguousarray(tt, dtype=np.float64)
        with nogil:
            _ewma(&yv[0], n, av, &tv[0], ln2, &ov[0])
    return out
