# cython: language_level=3, boundscheck=False, wraparound=False, cdivision=True
"""Alarm rule evaluators, compiled. Same API and behaviour as the twin `console/kernels/alarmeval.py`
(read its docstring); tests run both on the same streams and compare every Change.

Value evaluators are cdef classes: the bucket loop calls `_update` directly (no Python call, no
boxing of the value) and only builds a Python `Change` when a condition flips.
"""

from libc.math cimport fabs, sqrt, INFINITY, floor as c_floor

import numpy as np

from console.kernels.alarmeval import Change, _change

cdef long long NS = 1000000000


cdef class ValueEval:
    cdef public object rule
    cdef public bint active

    cdef object _update(self, double v, object r):
        return None

    def update(self, v, r):
        return self._update(<double>v, r)


cdef class ThresholdEval(ValueEval):
    cdef public double hi, lo, hi_clear, lo_clear

    def __init__(self, rule):
        self.rule = rule
        self.hi = INFINITY if rule.high is None else rule.high
        self.lo = -INFINITY if rule.low is None else rule.low
        self.hi_clear = self.hi - rule.deadband
        self.lo_clear = self.lo + rule.deadband
        self.active = False

    cdef object _update(self, double v, object r):
        if self.active:
            if self.lo_clear < v < self.hi_clear:
                self.active = False
                return _change(self.rule, r, False, v)
            return None
        if v >= self.hi or v <= self.lo:
            self.active = True
            return _change(self.rule, r, True, v)
        return None


cdef class DelayedThresholdEval(ThresholdEval):
    cdef public long long on_ns, off_ns
    cdef long long _since
    cdef bint _has_since

    def __init__(self, rule):
        ThresholdEval.__init__(self, rule)
        self.on_ns = <long long>(rule.on_delay_s * NS)
        self.off_ns = <long long>(rule.off_delay_s * NS)
        self._has_since = False

    @property
    def since(self):
        return self._since if self._has_since else None

    cdef object _update(self, double v, object r):
        cdef long long t = r.t
        if self.active:
            if self.lo_clear < v < self.hi_clear:
                if self.off_ns:
                    if not self._has_since:
                        self._since, self._has_since = t, True
                        return None
                    if t - self._since < self.off_ns:
                        return None
                self.active, self._has_since = False, False
                return _change(self.rule, r, False, v)
            self._has_since = False
            return None
        if v >= self.hi or v <= self.lo:
            if self.on_ns:
                if not self._has_since:
                    self._since, self._has_since = t, True
                    return None
                if t - self._since < self.on_ns:
                    return None
            self.active, self._has_since = True, False
            return _change(self.rule, r, True, v)
        self._has_since = False
        return None


cdef class RateEval(ValueEval):
    """Ring buffer of (t, v); the rate is taken against the oldest sample inside the window."""

    cdef public long long window_ns, half_ns
    cdef public double scale, sign, limit, clear
    cdef long long[::1] _t
    cdef double[::1] _v
    cdef Py_ssize_t _head, _n

    def __init__(self, rule):


        self.rule = rule
        self.window_ns = <long long>(rule.window_s * NS)
        self.half_ns = self.window_ns // 2
        self.scale = rule.per_s * NS
        self.sign = {"rise": 1.0, "fall": -1.0, "both": 0.0}[rule.direction]
        self.limit = rule.limit
        self.clear = rule.limit - rule.deadband
        self._t = np.zeros(16, dtype=np.int64)
        self._v = np.zeros(16, dtype=np.float64)
        self._head = 0
        self._n = 0
        self.active = False

    cdef void _grow(self):


        cdef Py_ssize_t cap = self._t.shape[0], i
        t2 = np.zeros(cap * 2, dtype=np.int64)
        v2 = np.zeros(cap * 2, dtype=np.float64)
        cdef long long[::1] tt = t2
        cdef double[::1] vv = v2
        for i in range(self._n):
            tt[i] = self._t[(self._head + i) % cap]
            vv[i] = self._v[(self._head + i) % cap]
        self._t, self._v, self._head = tt, vv, 0

    cdef object _update(self, double v, object r):
        if v != v:
            return None
        cdef long long t = r.t
        cdef Py_ssize_t cap = self._t.shape[0]
        if self._n and t <= self._t[(self._head + self._n - 1) % cap]:
            return None
        if self._n == cap:
            self._grow()
            cap = self._t.shape[0]
        cdef Py_ssize_t tail = (self._head + self._n) % cap
        self._t[tail] = t
        self._v[tail] = v
        self._n += 1
        while self._n > 2 and t - self._t[(self._head + 1) % cap] >= self.window_ns:
            self._head = (self._head + 1) % cap
            self._n -= 1
        cdef long long t0 = self._t[self._head]
        cdef double v0 = self._v[self._head]
        if t - t0 < self.half_ns:
            return None
        cdef double rate = (v - v0) / <double>(t - t0) * self.scale
        cdef double signed = fabs(rate) if self.sign == 0.0 else rate * self.sign
        if not self.active:
            if signed >= self.limit:
                self.active = True
                return _change(self.rule, r, True, rate)
        elif signed < self.clear:
            self.active = False
            return _change(self.rule, r, False, rate)
        return None


cdef class RollingZ:
    cdef public Py_ssize_t window, min_samples, n
    cdef double[::1] _buf
    cdef Py_ssize_t _i
    cdef long long _pushes
    cdef double _k, _s, _ss
    cdef bint _has_k

    def __init__(self, window, min_samples):


        self.window, self.min_samples = window, min_samples
        self._buf = np.zeros(window, dtype=np.float64)
        self._i = 0
        self.n = 0
        self._has_k = False
        self._s = 0.0
        self._ss = 0.0
        self._pushes = 0

    def mean_std(self):
        if self.n == 0:
            return 0.0, 0.0
        cdef double m = self._s / self.n
        cdef double var = (self._ss - self._s * m) / (self.n - 1) if self.n > 1 else 0.0
        return self._k + m, sqrt(var) if var > 0.0 else 0.0

    cdef object _push(self, double x):
        if not self._has_k:
            self._k, self._has_k = x, True
        cdef double d = x - self._k
        cdef Py_ssize_t n = self.n, i
        cdef double m, var, sd, floor, old
        z = None
        if n >= self.min_samples:
            m = self._s / n
            var = (self._ss - self._s * m) / (n - 1)
            sd = sqrt(var) if var > 0.0 else 0.0
            floor = 1e-9 * max(1.0, fabs(m + self._k))
            z = (d - m) / (sd if sd > floor else floor)
        if n == self.window:
            old = self._buf[self._i]
            self._buf[self._i] = d
            self._i = (self._i + 1) % n
            self._s += d - old
            self._ss += d * d - old * old
        else:
            self._buf[n] = d
            self.n = n + 1
            self._s += d
            self._ss += d * d
        self._pushes += 1
        if self._pushes % (8 * self.window) == 0:
            self._s = 0.0
            self._ss = 0.0
            for i in range(self.n):
                self._s += self._buf[i]
                self._ss += self._buf[i] * self._buf[i]
        return z

    def push(self, x):
        return self._push(<double>x)


cdef class AnomalyEval(ValueEval):
    cdef public RollingZ roll
    cdef double _z, _z_clear
    cdef int _dir

    def __init__(self, rule):
        self.rule = rule
        self.roll = RollingZ(rule.window, rule.min_samples)
        self._z = rule.z
        self._z_clear = rule.z_clear
        self._dir = {"high": 1, "low": -1, "both": 0}[rule.direction]
        self.active = False

    cdef object _update(self, double v, object r):
        if v != v:
            return None
        z = self.roll._push(v)
        if z is None:
            return None
        cdef double zz = z
        cdef double score = zz if self._dir == 1 else (-zz if self._dir == -1 else fabs(zz))
        if not self.active and score >= self._z:
            self.active = True
            return _change(self.rule, r, True, round(zz, 2))
        if self.active and score < self._z_clear:
            self.active = False
            return _change(self.rule, r, False, round(zz, 2))
        return None


cdef class FenceGrid:
    cdef public list shapes, bboxes
    cdef public double cell
    cdef public dict cells
    cdef Py_ssize_t _n
    cdef double[::1] _x0, _y0, _x1, _y1, _clat, _clon, _kx, _r2
    cdef Py_ssize_t[::1] _off
    cdef double[::1] _rlon, _rlat
    cdef unsigned char[::1] _ring

    def __init__(self, list shapes, list bboxes, double cell_deg):
        self.shapes, self.bboxes, self.cell, self.cells = shapes, bboxes, cell_deg, {}
        n = len(shapes)
        self._n = n
        self._x0 = np.array([b[0] for b in bboxes], dtype=np.float64).reshape(n)
        self._y0 = np.array([b[1] for b in bboxes], dtype=np.float64).reshape(n)
        self._x1 = np.array([b[2] for b in bboxes], dtype=np.float64).reshape(n)
        self._y1 = np.array([b[3] for b in bboxes], dtype=np.float64).reshape(n)
        clat, clon, kx, r2, ring, off, rlon, rlat = [], [], [], [], [], [0], [], []
        for s in shapes:
            if s[0] == "circle":
                clat.append(s[1]); clon.append(s[2]); kx.append(s[3]); r2.append(s[4]); ring.append(0)
            else:
                clat.append(0.0); clon.append(0.0); kx.append(0.0); r2.append(0.0); ring.append(1)
                rlon.extend(s[1]); rlat.extend(s[2])
            off.append(len(rlon))
        self._clat = np.array(clat, dtype=np.float64).reshape(n)
        self._clon = np.array(clon, dtype=np.float64).reshape(n)
        self._kx = np.array(kx, dtype=np.float64).reshape(n)
        self._r2 = np.array(r2, dtype=np.float64).reshape(n)
        self._ring = np.array(ring, dtype=np.uint8).reshape(n)
        self._off = np.array(off, dtype=np.intp)
        self._rlon = np.array(rlon + [0.0], dtype=np.float64)
        self._rlat = np.array(rlat + [0.0], dtype=np.float64)

    cdef tuple _fill(self, long long i, long long j):
        cdef double c = self.cell
        cdef double lon0 = i * c, lat0 = j * c
        cdef double lon1 = lon0 + c, lat1 = lat0 + c
        cdef Py_ssize_t k
        cands = []
        for k in range(self._n):
            if not (lon1 < self._x0[k] or lon0 > self._x1[k] or lat1 < self._y0[k] or lat0 > self._y1[k]):
                cands.append(k)
        result = tuple(cands)
        self.cells[(i, j)] = result
        return result

    cdef bint _contains(self, Py_ssize_t k, double lat, double lon):
        cdef double dx, dy
        cdef Py_ssize_t a, b, m, jj
        cdef bint inside
        if not self._ring[k]:
            dx = (lon - self._clon[k]) * self._kx[k]
            dy = lat - self._clat[k]
            return dx * dx + dy * dy <= self._r2[k]
        a, b = self._off[k], self._off[k + 1]
        inside = False
        jj = b - 1
        for m in range(a, b):
            if ((self._rlat[m] > lat) != (self._rlat[jj] > lat)) and lon < (self._rlon[jj] - self._rlon[m]) * (lat - self._rlat[m]) / (self._rlat[jj] - self._rlat[m]) + self._rlon[m]:
                inside = not inside
            jj = m
        return inside

    def contains(self, Py_ssize_t k, double lat, double lon):
        return self._contains(k, lat, lon)

    def hits(self, double lat, double lon):
        return self._hits(lat, lon)

    cdef tuple _hits(self, double lat, double lon):
        cdef double c = self.cell
        cdef long long i = <long long>c_floor(lon / c), j = <long long>c_floor(lat / c)
        cdef object cands = self.cells.get((i, j))
        if cands is None:
            cands = self._fill(i, j)
        cdef tuple cs = <tuple>cands
        if not cs:
            return ()
        cdef Py_ssize_t k, count = 0
        cdef list out = None
        for kk in cs:
            k = kk
            if self._contains(k, lat, lon):
                if out is None:
                    out = []
                out.append(kk)
        return () if out is None else tuple(out)


cdef class ReadingEval:
    cdef object _update_r(self, object r):
        return None

    def update(self, r):
        return self._update_r(r)


cdef class StaleCore(ReadingEval):
    cdef public object rule
    cdef public long long after_ns, due
    cdef public dict last, readings
    cdef public set stale

    def __init__(self, rule, long long after_ns):
        self.rule = rule
        self.after_ns = after_ns
        self.last, self.readings, self.stale = {}, {}, set()
        self.due = 1LL << 62

    cdef object _update_r(self, object r):
        cdef object e = r.entity
        cdef long long t = r.t
        cdef object last = self.last.get(e)
        if last is not None and t <= <long long>last:
            return None
        self.last[e] = t
        self.readings[e] = r
        if last is None and t + self.after_ns < self.due:
            self.due = t + self.after_ns
        if e in self.stale:
            self.stale.discard(e)
            if t + self.after_ns < self.due:
                self.due = t + self.after_ns
            return _change(self.rule, r, False, None)
        return None


cdef class FenceCore(ReadingEval):
    cdef public FenceGrid grid
    cdef public object prev
    cdef public long long due

    def __init__(self, FenceGrid grid):
        self.grid = grid
        self.prev = None
        self.due = 1LL << 62

    def changed(self, now, r):
        raise NotImplementedError

    cdef object _update_r(self, object r):
        cdef object lat = r.lat, lon = r.lon
        if lat is None or lon is None:
            return None
        cdef tuple now = self.grid._hits(<double>lat, <double>lon)
        if now == self.prev and <long long>r.t < self.due:
            return None
        return self.changed(now, r)


def value_entry(key, ev):
    return (key, ev)


def reading_entry(obj):
    return (None, obj if isinstance(obj, ReadingEval) else obj.update)


def evaluate(dict buckets, readings, list out, make_bucket):
    cdef object r, bucket, key, obj, v, ch, values
    cdef tuple entry
    for r in readings:
        bucket = buckets.get(r.entity)
        if bucket is None:
            bucket = make_bucket(r.entity)
        if not bucket:
            continue
        values = None
        for entry in bucket:
            key = entry[0]
            obj = entry[1]
            if key is None:
                if isinstance(obj, ReadingEval):
                    ch = (<ReadingEval>obj)._update_r(r)
                else:
                    ch = obj(r)
            else:
                if values is None:
                    values = r.values
                v = values.get(key)
                if v is None:
                    continue
                ch = (<ValueEval?>obj)._update(<double>v, r)
            if ch is not None:
                if type(ch) is list:
                    out.extend(ch)
                else:
                    out.append(ch)
