# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True, initializedcheck=False
"""Decimation for charts, compiled: the fast twin of `decimate.py` (same results, index for index).

The scans run in C (`_simd.h`: block-wise AVX2 min/max with a rescan of the winning block, and a
lane-parallel LTTB bucket scan, chosen at run time); the bins are spread over the cores with OpenMP
(`prange`, GIL released) when the input is large enough to pay for it. See decimate.py for the
contract shared by both implementations.
"""

import numpy as np

cimport numpy as cnp
from cython.parallel cimport prange
from libc.stddef cimport ptrdiff_t
from libc.stdint cimport int64_t
from libc.math cimport NAN
from libc.stdlib cimport free, malloc

from console.kernels import prep

cnp.import_array()


cdef extern from "_simd.h" nogil:
    ctypedef ptrdiff_t rasad_idx
    void rasad_argminmax(const double *y, rasad_idx n, rasad_idx *imin, rasad_idx *imax)
    rasad_idx rasad_lttb_pick(const double *y, rasad_idx n, double d1, double d2, double offset, double ax0)
    rasad_idx rasad_lttb_pick_x(const double *y, const double *x, rasad_idx n, double d1, double d2,
                                double offset)
    double rasad_nansum(const double *y, rasad_idx n, rasad_idx *count)
    void rasad_set_simd(int enabled)
    const char *rasad_simd_name()


ctypedef fused xnum:
    int64_t
    double


def simd() -> str:
    """The instruction set the scans use on this CPU: "avx2" or "scalar"."""
    return rasad_simd_name().decode()


def set_simd(enabled: bool) -> None:
    """Allow (default) or forbid the AVX2 paths; tests use it to check the portable path too."""
    rasad_set_simd(1 if enabled else 0)


cdef inline void _bin(const double *y, int64_t s, int64_t e, int64_t *lo, int64_t *hi) noexcept nogil:
    """Sorted (first argmin, first argmax) of y[s:e], NaN ignored, as absolute indices."""
    cdef rasad_idx a, b
    rasad_argminmax(y + s, e - s, &a, &b)
    if a <= b:
        lo[0] = s + a
        hi[0] = s + b
    else:
        lo[0] = s + b
        hi[0] = s + a


cdef void _index_bins(const double *y, Py_ssize_t n, Py_ssize_t nb, int64_t *out, int per_bin,
                      int nt) noexcept nogil:
    """MinMax (per_bin=2) or M4 (per_bin=4) over tsdownsample's index bins, written straight to out."""
    cdef double block = <double>(n - 1) / <double>nb
    cdef Py_ssize_t i, chunk = max(1, nb // (8 * nt))
    cdef int64_t s, e
    # dynamic chunks: a thread preempted by a neighbour on a shared machine delays one chunk, not half
    for i in prange(nb, num_threads=nt, schedule="dynamic", chunksize=chunk):
        s = 0 if i == 0 else <int64_t>(block * <double>i) + 1
        e = <int64_t>(block * <double>(i + 1)) + 1
        if per_bin == 2:
            _bin(y, s, e, &out[2 * i], &out[2 * i + 1])
        else:
            out[4 * i] = s
            _bin(y, s, e, &out[4 * i + 1], &out[4 * i + 2])
            out[4 * i + 3] = e - 1


cdef void _value_bins(const double *y, const int64_t *starts, const int64_t *ends, Py_ssize_t nb,
                      int64_t *lo, int64_t *hi, int nt) noexcept nogil:
    cdef Py_ssize_t k, chunk = max(1, nb // (8 * nt))
    for k in prange(nb, num_threads=nt, schedule="dynamic", chunksize=chunk):
        _bin(y, starts[k], ends[k], &lo[k], &hi[k])


def _binned(x, y, n_out, threads, int per_bin):
    y = prep.as_y(y)
    x = prep.as_x(x, len(y))
    n_out = prep.check_n_out(n_out, multiple=per_bin, minimum=per_bin)
    cdef Py_ssize_t n = len(y)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    cdef int nt = prep.thread_count(n, threads)
    cdef Py_ssize_t nb = n_out // per_bin
    cdef const double[::1] yv = y
    cdef int64_t[::1] ov
    if x is None:
        out = np.empty(nb * per_bin, dtype=np.int64)
        ov = out
        with nogil:
            _index_bins(&yv[0], n, nb, &ov[0], per_bin, nt)
        return out
    starts, ends = prep.x_bins(x, nb)
    lo = np.empty(len(starts), dtype=np.int64)
    hi = np.empty(len(starts), dtype=np.int64)
    cdef const int64_t[::1] sv = starts
    cdef const int64_t[::1] ev = ends
    cdef int64_t[::1] lv = lo
    cdef int64_t[::1] hv = hi
    with nogil:
        _value_bins(&yv[0], &sv[0], &ev[0], sv.shape[0], &lv[0], &hv[0], nt)
    if per_bin == 2:
        return prep.assemble_bins(starts, ends, [lo, hi], 2)
    return prep.assemble_bins(starts, ends, [starts, lo, hi, ends - 1], 4)


def bin_minmax(y, starts, ends, *, threads=None):
    y = prep.as_y(y)
    starts, ends = prep.as_bins(starts, ends, len(y))
    cdef Py_ssize_t nb = len(starts)
    lo = np.empty(nb, dtype=np.int64)
    hi = np.empty(nb, dtype=np.int64)
    if nb == 0:
        return lo, hi
    cdef int nt = prep.thread_count(int(ends[nb - 1] - starts[0]), threads)
    cdef const double[::1] yv = y
    cdef const int64_t[::1] sv = starts
    cdef const int64_t[::1] ev = ends
    cdef int64_t[::1] lv = lo
    cdef int64_t[::1] hv = hi
    with nogil:
        _value_bins(&yv[0], &sv[0], &ev[0], nb, &lv[0], &hv[0], nt)
    return lo, hi


def minmax(x, y, n_out, *, threads=None):
    return _binned(x, y, n_out, threads, 2)


def m4(x, y, n_out, *, threads=None):
    return _binned(x, y, n_out, threads, 4)


cdef inline double _bucket_mean(const double *y, Py_ssize_t s, Py_ssize_t e) noexcept nogil:
    """Mean of the non-NaN values of y[s:e]; NaN when there are none."""
    cdef rasad_idx cnt
    cdef double total = rasad_nansum(y + s, e - s, &cnt)
    if cnt == 0:
        return NAN
    return total / <double>cnt


cdef inline void _buckets(double every, Py_ssize_t i, Py_ssize_t n, Py_ssize_t *offs, Py_ssize_t *upto,
                          Py_ssize_t *avg_end) noexcept nogil:
    """LTTB bucket i is [offs, upto); the next bucket, whose mean is the third vertex, [upto, avg_end)."""
    upto[0] = <Py_ssize_t>(every * <double>(i + 1)) + 1
    avg_end[0] = min(<Py_ssize_t>(every * <double>(i + 2)) + 1, n)
    offs[0] = <Py_ssize_t>(every * <double>i) + 1


cdef inline void _vertices(const double *y, Py_ssize_t a, Py_ssize_t upto, Py_ssize_t avg_end, double *ay,
                           double *avg_y) noexcept nogil:
    """y of the chosen point a and the mean of the next bucket; a NaN one borrows the other."""
    avg_y[0] = _bucket_mean(y, upto, avg_end)
    ay[0] = y[a]
    if avg_y[0] != avg_y[0]:
        avg_y[0] = ay[0]
    if ay[0] != ay[0]:
        ay[0] = avg_y[0]


cdef void _lttb_index(const double *y, Py_ssize_t n, Py_ssize_t n_out, int64_t *out) noexcept nogil:
    cdef double every = <double>(n - 2) / <double>(n_out - 2)
    cdef Py_ssize_t i, a = 0, avg_end, offs, upto
    cdef double avg_y, ay, ax, d1
    cdef rasad_idx j
    out[0] = 0
    for i in range(n_out - 2):
        _buckets(every, i, n, &offs, &upto, &avg_end)
        _vertices(y, a, upto, avg_end, &ay, &avg_y)
        ax = <double>a
        d1 = ax - <double>(upto + avg_end - 1) / 2.0
        j = rasad_lttb_pick(y + offs, upto - offs, d1, avg_y - ay, d1 * ay, ax - <double>offs)
        a = offs + (j if j >= 0 else 0)
        out[i + 1] = a
    out[n_out - 1] = n - 1


cdef void _lttb_x(const double *y, const xnum *x, Py_ssize_t n, Py_ssize_t n_out, int64_t *out,
                  double *buf) noexcept nogil:
    cdef double every = <double>(n - 2) / <double>(n_out - 2)
    cdef Py_ssize_t i, k, a = 0, avg_end, offs, upto
    cdef double avg_y, ay, ax, d1, d2
    cdef xnum x0 = x[0]
    cdef rasad_idx j
    out[0] = 0
    for i in range(n_out - 2):
        _buckets(every, i, n, &offs, &upto, &avg_end)
        _vertices(y, a, upto, avg_end, &ay, &avg_y)
        ax = <double>(x[a] - x0)
        d1 = ax - (<double>(x[avg_end - 1] - x0) + <double>(x[upto] - x0)) / 2.0
        d2 = avg_y - ay
        for k in range(offs, upto):
            buf[k - offs] = <double>(x[k] - x0)
        j = rasad_lttb_pick_x(y + offs, buf, upto - offs, d1, d2, d1 * ay + d2 * ax)
        a = offs + (j if j >= 0 else 0)
        out[i + 1] = a
    out[n_out - 1] = n - 1


def _lttb(x, y, Py_ssize_t n_out):
    """LTTB over checked arrays (x None, int64 or float64)."""
    cdef Py_ssize_t n = len(y)
    if n_out >= n:
        return np.arange(n, dtype=np.int64)
    out = np.empty(n_out, dtype=np.int64)
    cdef int64_t[::1] ov = out
    cdef const double[::1] yv = y
    cdef const int64_t[::1] xi
    cdef const double[::1] xf
    cdef double *buf
    if x is None:
        with nogil:
            _lttb_index(&yv[0], n, n_out, &ov[0])
        return out
    buf = <double *>malloc(sizeof(double) * (<Py_ssize_t>((<double>(n - 2)) / (n_out - 2)) + 3))
    if buf == NULL:
        raise MemoryError()
    try:
        if x.dtype == np.int64:
            xi = x
            with nogil:
                _lttb_x(&yv[0], &xi[0], n, n_out, &ov[0], buf)
        else:
            xf = x
            with nogil:
                _lttb_x(&yv[0], &xf[0], n, n_out, &ov[0], buf)
    finally:
        free(buf)
    return out


def lttb(x, y, n_out, *, threads=None):
    y = prep.as_y(y)
    x = prep.as_x(x, len(y))
    return _lttb(x, y, prep.check_n_out(n_out, minimum=3))


def minmax_lttb(x, y, n_out, ratio=4, *, threads=None):
    if x is not None:
        return prep.minmax_lttb(
            x, y, n_out, ratio, minmax=lambda xx, yy, k: minmax(xx, yy, k, threads=threads), lttb=_lttb
        )
    # without x, the whole MinMax stage runs in C into one index array (no Python in between)
    y = prep.as_y(y)
    n_out = prep.check_n_out(n_out, minimum=3)
    ratio = prep.check_ratio(ratio)
    cdef Py_ssize_t n = len(y)
    if n // n_out <= ratio:
        return _lttb(None, y, n_out)
    cdef Py_ssize_t inner = n_out * ratio // 2 * 2, m = n - 2, k
    if inner >= m:
        idx = np.arange(n, dtype=np.int64)
    else:
        idx = np.empty(inner + 2, dtype=np.int64)
        ov = idx
        yv = y
        nt = prep.thread_count(m, threads)
        _minmax_inner(yv, ov, m, inner, nt)
    return idx[_lttb(idx, y[idx], n_out)]


cdef void _minmax_inner(const double[::1] yv, int64_t[::1] ov, Py_ssize_t m, Py_ssize_t inner, int nt):
    """MinMax of y[1:n-1] into ov[1:-1] (as indices into y), with ov[0] = 0 and ov[-1] = n - 1."""
    cdef Py_ssize_t k
    with nogil:
        _index_bins(&yv[1], m, inner // 2, &ov[1], 2, nt)
        for k in range(1, inner + 1):
            ov[k] += 1
        ov[0] = 0
        ov[inner + 1] = m + 1
