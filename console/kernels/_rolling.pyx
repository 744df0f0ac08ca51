# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Rolling statistics for the alarm engine, compiled: the fast twin of `rolling.py` (see there).

Windows are scanned once with Welford's add/remove recurrence (O(n) whatever the window), and
re-summed exactly whenever the samples removed since the last exact sum outnumber the window (slow
drift over days of data) or a removal cancelled most digits of the spread (an outlier leaving a flat
window), so a flat baseline reads flat again.

The recurrence runs on offsets from the mean of the last exact sum, so on a baseline at a high level
its roundings are ulps of the spread, not of the level; exact sums are corrected two-pass, so they do
not depend on summation order. Both matter to z-scores: over a window whose std sits at its floor
(1e-9 of the level) one ulp of the mean is 2e-7 of z. What rounding is left is bounded in the tests.
"""

import numpy as np

cimport numpy as cnp
from libc.math cimport NAN, expm1, isfinite
from libc.stdint cimport int64_t

from console.kernels import prep

cnp.import_array()


cdef void _exact(const double *y, int64_t lo, int64_t hi, double *mean, double *m2, int64_t *cnt) noexcept nogil:
    """Mean and M2 of the finite samples of y[lo:hi], corrected two-pass (Chan, Golub & LeVeque):
    the second pass sums the deviations too and moves the mean by their average, so the result does
    not depend on the order of the first sum (the twin sums pairwise, this loop sequentially)."""
    cdef int64_t j, c = 0
    cdef double s = 0.0, m, d, acc = 0.0, dsum = 0.0
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
            dsum += d
            acc += d * d
    mean[0] = m + dsum / <double>c
    acc -= dsum * dsum / <double>c
    m2[0] = acc if acc > 0.0 else 0.0
    cnt[0] = c


cdef void _welford(const double *y, const int64_t *lo, const int64_t *hi, Py_ssize_t n, double *out_mean,
                   double *out_m2, int64_t *out_cnt) noexcept nogil:
    # The recurrence runs on x = v - shift, shift being the mean of the last exact sum (or the first
    # sample): on a baseline at a high level the running offset rounds to its own small magnitude,
    # not to ulps of the level, and the mean is rounded once (shift + offset) when it is output.
    cdef double shift = 0.0, off = 0.0, m2 = 0.0, v, x, d, term
    cdef int64_t c = 0, add = 0, rem = 0, removed = 0
    cdef bint lost
    cdef Py_ssize_t i
    for i in range(n):
        while add < hi[i]:
            v = y[add]
            add += 1
            if isfinite(v):
                if c == 0:
                    shift = v
                    off = 0.0
                    m2 = 0.0
                x = v - shift
                c += 1
                d = x - off
                off += d / <double>c
                m2 += d * (x - off)
        lost = False
        while rem < lo[i] and rem < add:
            v = y[rem]
            rem += 1
            if isfinite(v):
                c -= 1
                removed += 1
                if c == 0:
                    off = 0.0
                    m2 = 0.0
                else:
                    x = v - shift
                    d = x - off
                    off -= d / <double>c
                    term = d * (x - off)
                    m2 -= term
                    # an outlier left: digits of the spread (and of the mean) cancelled. Below ~1e-154
                    # the squares underflow to 0 and hide that, so a departure that moved the mean
                    # but left no trace in the squares re-sums too.
                    lost = lost or m2 < 1e-3 * term or (term == 0.0 and d != 0.0)
        if lost or removed > c + 16:
            _exact(y, rem, add, &shift, &m2, &c)
            off = 0.0
            removed = 0
        out_mean[i] = shift + off if c > 0 else 0.0
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
