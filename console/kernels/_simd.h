/* Rasad decimation primitives in C, included by _decimate.pyx.
 *
 * Two hot loops decide the speed of every decimation algorithm:
 *   - rasad_argminmax: NaN-ignoring argmin/argmax of a slice (first occurrence on ties; an all-NaN
 *     slice gives (0, 0)).  It runs block by block: the min and max *values* of each block are
 *     computed with packed min/max (4 lanes of AVX2, or 2 of SSE2), the first block that improves
 *     the running min (max) is remembered, and only that block is rescanned for the index.  gcc does
 *     not vectorise a NaN-safe scalar argmin loop, so this is where parity with tsdownsample comes from.
 *   - rasad_lttb_pick: the Largest-Triangle scan of one LTTB bucket (first index of the largest
 *     |area|, NaN areas ignored), with exactly the scalar operation order of tsdownsample, so results
 *     are bit-identical on finite data.
 *
 * The AVX2 versions are compiled with a function-level target attribute and chosen at run time
 * (__builtin_cpu_supports), so the extension still loads on a CPU without AVX2 (x86-64-v2 baseline).
 * NaN handling relies on the IEEE semantics of MINPD/MAXPD: when an operand is NaN the *second*
 * operand is returned, so min(x, acc) ignores a NaN x as long as acc is never NaN.
 */
#ifndef RASAD_SIMD_H
#define RASAD_SIMD_H

#include <math.h>
#include <stddef.h>
#include <stdint.h>

#if defined(__GNUC__) && (defined(__x86_64__) || defined(__i386__))
#define RASAD_X86 1
#include <immintrin.h>
#else
#define RASAD_X86 0
#endif

typedef ptrdiff_t rasad_idx;

#define RASAD_BLOCK 256

/* ------------------------------------------------------------------------------ scalar helpers */

static inline rasad_idx rasad_first_equal(const double *y, rasad_idx n, double v)
{
    for (rasad_idx i = 0; i < n; i++)
        if (y[i] == v)
            return i;
    return -1;
}

static inline void rasad_block_minmax_scalar(const double *y, rasad_idx n, double *mn, double *mx)
{
    double lo = INFINITY, hi = -INFINITY;
    for (rasad_idx i = 0; i < n; i++) {
        double v = y[i];
        lo = v < lo ? v : lo; /* NaN compares false: ignored */
        hi = v > hi ? v : hi;
    }
    *mn = lo;
    *mx = hi;
}

/* Resolve the running result once every block has been seen.  kmin/kmax < 0 means no block ever
 * beat +inf/-inf: the slice is all NaN, or its min is +inf (its max -inf). */
/* First index of vmin and of vmax in y[0:n] (both known to be present), in one pass. */
static inline void rasad_first_equal2(const double *y, rasad_idx n, double vmin, double vmax, rasad_idx *imin,
                                      rasad_idx *imax)
{
    rasad_idx a = -1, b = -1;
    for (rasad_idx i = 0; i < n && (a < 0 || b < 0); i++) {
        if (a < 0 && y[i] == vmin)
            a = i;
        if (b < 0 && y[i] == vmax)
            b = i;
    }
    *imin = a;
    *imax = b;
}

#define RASAD_RESOLVE(FIRST, FIRST2, y, n, bmin, bmax, kmin, kmax, imin, imax)                         \
    do {                                                                                               \
        rasad_idx i_;                                                                                  \
        if (kmin >= 0 && kmin == kmax) { /* same block: one rescan finds both */                       \
            FIRST2(y + kmin, n - kmin < RASAD_BLOCK ? n - kmin : RASAD_BLOCK, bmin, bmax, imin, imax); \
            *imin += kmin;                                                                             \
            *imax += kmin;                                                                             \
            break;                                                                                     \
        }                                                                                              \
        if (kmin < 0) {                                                                                \
            i_ = FIRST(y, n, INFINITY);                                                                \
            *imin = i_ < 0 ? 0 : i_;                                                                   \
        } else {                                                                                       \
            *imin = kmin + FIRST(y + kmin, n - kmin < RASAD_BLOCK ? n - kmin : RASAD_BLOCK, bmin);     \
        }                                                                                              \
        if (kmax < 0) {                                                                                \
            i_ = FIRST(y, n, -INFINITY);                                                               \
            *imax = i_ < 0 ? 0 : i_;                                                                   \
        } else {                                                                                       \
            *imax = kmax + FIRST(y + kmax, n - kmax < RASAD_BLOCK ? n - kmax : RASAD_BLOCK, bmax);     \
        }                                                                                              \
    } while (0)

/* The block driver, stamped out once per instruction set (a target-attributed function cannot be
 * inlined into one without the attribute, so each variant carries its own copy). */
#define RASAD_ARGMINMAX_DRIVER(NAME, ATTR, BLOCKFN, FIRST, FIRST2)                                                    \
    ATTR static void NAME(const double *y, rasad_idx n, rasad_idx *imin, rasad_idx *imax)             \
    {                                                                                                  \
        double bmin = INFINITY, bmax = -INFINITY, mn, mx;                                              \
        rasad_idx kmin = -1, kmax = -1;                                                                \
        for (rasad_idx s = 0; s < n; s += RASAD_BLOCK) {                                               \
            rasad_idx len = n - s < RASAD_BLOCK ? n - s : RASAD_BLOCK;                                 \
            BLOCKFN(y + s, len, &mn, &mx);                                                             \
            if (mn < bmin) {                                                                           \
                bmin = mn;                                                                             \
                kmin = s;                                                                              \
            }                                                                                          \
            if (mx > bmax) {                                                                           \
                bmax = mx;                                                                             \
                kmax = s;                                                                              \
            }                                                                                          \
        }                                                                                              \
        RASAD_RESOLVE(FIRST, FIRST2, y, n, bmin, bmax, kmin, kmax, imin, imax);                        \
    }

RASAD_ARGMINMAX_DRIVER(rasad_argminmax_scalar, , rasad_block_minmax_scalar, rasad_first_equal,
                       rasad_first_equal2)

/* Bucket scan of LTTB: the first j in [0, n) maximising |(d1*y[j] - ax[j]*d2) - offset|, where
 * ax[j] = ax0 - j (without x) or the product d2*x[j] is used (with x).  Returns -1 when every area is
 * NaN.  Operation order matches tsdownsample's scalar code. */
static inline rasad_idx rasad_lttb_pick_scalar(const double *y, rasad_idx n, double d1, double d2,
                                               double offset, double ax0)
{
    double best = -1.0;
    rasad_idx at = -1;
    double ax = ax0;
    for (rasad_idx j = 0; j < n; j++) {
        double area = fabs(d1 * y[j] - ax * d2 - offset);
        ax -= 1.0;
        if (area > best) {
            best = area;
            at = j;
        }
    }
    return at;
}

static inline rasad_idx rasad_lttb_pick_x_scalar(const double *y, const double *x, rasad_idx n, double d1,
                                                 double d2, double offset)
{
    double best = -1.0;
    rasad_idx at = -1;
    for (rasad_idx j = 0; j < n; j++) {
        double area = fabs(d1 * y[j] + d2 * x[j] - offset);
        if (area > best) {
            best = area;
            at = j;
        }
    }
    return at;
}

#if RASAD_X86
/* --------------------------------------------------------------------------------------- AVX2 */

#define RASAD_AVX2 __attribute__((target("avx2")))

RASAD_AVX2 static inline double rasad_hmin4(__m256d v)
{
    __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    lo = _mm_min_pd(lo, hi);
    return _mm_cvtsd_f64(_mm_min_sd(lo, _mm_unpackhi_pd(lo, lo)));
}

RASAD_AVX2 static inline double rasad_hmax4(__m256d v)
{
    __m128d lo = _mm256_castpd256_pd128(v), hi = _mm256_extractf128_pd(v, 1);
    lo = _mm_max_pd(lo, hi);
    return _mm_cvtsd_f64(_mm_max_sd(lo, _mm_unpackhi_pd(lo, lo)));
}

RASAD_AVX2 static inline void rasad_block_minmax_avx2(const double *y, rasad_idx n, double *mn, double *mx)
{
    __m256d lo0 = _mm256_set1_pd(INFINITY), lo1 = lo0, lo2 = lo0, lo3 = lo0;
    __m256d hi0 = _mm256_set1_pd(-INFINITY), hi1 = hi0, hi2 = hi0, hi3 = hi0;
    rasad_idx i = 0;
    for (; i + 16 <= n; i += 16) {
        __m256d a = _mm256_loadu_pd(y + i), b = _mm256_loadu_pd(y + i + 4);
        __m256d c = _mm256_loadu_pd(y + i + 8), d = _mm256_loadu_pd(y + i + 12);
        lo0 = _mm256_min_pd(a, lo0);
        hi0 = _mm256_max_pd(a, hi0);
        lo1 = _mm256_min_pd(b, lo1);
        hi1 = _mm256_max_pd(b, hi1);
        lo2 = _mm256_min_pd(c, lo2);
        hi2 = _mm256_max_pd(c, hi2);
        lo3 = _mm256_min_pd(d, lo3);
        hi3 = _mm256_max_pd(d, hi3);
    }
    for (; i + 4 <= n; i += 4) {
        __m256d a = _mm256_loadu_pd(y + i);
        lo0 = _mm256_min_pd(a, lo0);
        hi0 = _mm256_max_pd(a, hi0);
    }
    lo0 = _mm256_min_pd(_mm256_min_pd(lo0, lo1), _mm256_min_pd(lo2, lo3));
    hi0 = _mm256_max_pd(_mm256_max_pd(hi0, hi1), _mm256_max_pd(hi2, hi3));
    double l = rasad_hmin4(lo0), h = rasad_hmax4(hi0);
    for (; i < n; i++) {
        double v = y[i];
        l = v < l ? v : l;
        h = v > h ? v : h;
    }
    *mn = l;
    *mx = h;
}

RASAD_AVX2 static inline rasad_idx rasad_first_equal_avx2(const double *y, rasad_idx n, double v)
{
    const __m256d vv = _mm256_set1_pd(v);
    rasad_idx i = 0;
    for (; i + 8 <= n; i += 8) {
        int m0 = _mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(y + i), vv, _CMP_EQ_OQ));
        int m1 = _mm256_movemask_pd(_mm256_cmp_pd(_mm256_loadu_pd(y + i + 4), vv, _CMP_EQ_OQ));
        int m = m0 | (m1 << 4);
        if (m)
            return i + __builtin_ctz(m);
    }
    for (; i < n; i++)
        if (y[i] == v)
            return i;
    return -1;
}

RASAD_AVX2 static inline void rasad_first_equal2_avx2(const double *y, rasad_idx n, double vmin, double vmax,
                                                      rasad_idx *imin, rasad_idx *imax)
{
    const __m256d lo = _mm256_set1_pd(vmin), hi = _mm256_set1_pd(vmax);
    rasad_idx a = -1, b = -1, i = 0;
    for (; i + 4 <= n; i += 4) {
        __m256d v = _mm256_loadu_pd(y + i);
        if (a < 0) {
            int m = _mm256_movemask_pd(_mm256_cmp_pd(v, lo, _CMP_EQ_OQ));
            if (m)
                a = i + __builtin_ctz(m);
        }
        if (b < 0) {
            int m = _mm256_movemask_pd(_mm256_cmp_pd(v, hi, _CMP_EQ_OQ));
            if (m)
                b = i + __builtin_ctz(m);
        }
        if (a >= 0 && b >= 0)
            break;
    }
    for (; i < n && (a < 0 || b < 0); i++) {
        if (a < 0 && y[i] == vmin)
            a = i;
        if (b < 0 && y[i] == vmax)
            b = i;
    }
    *imin = a;
    *imax = b;
}

RASAD_ARGMINMAX_DRIVER(rasad_argminmax_avx2, RASAD_AVX2, rasad_block_minmax_avx2, rasad_first_equal_avx2,
                       rasad_first_equal2_avx2)

/* One lane-parallel pass: every lane keeps its own best |area| and the first index reaching it
 * (strict >, so later equal areas never replace it); the lanes are merged at the end by (area desc,
 * index asc), which is the scalar order.  Arithmetic per lane is the same sequence of IEEE ops. */
RASAD_AVX2 static rasad_idx rasad_lttb_merge(__m256d best, __m256d at, double sbest, rasad_idx sat)
{
    double b[4], a[4];
    _mm256_storeu_pd(b, best);
    _mm256_storeu_pd(a, at);
    double top = -1.0;
    rasad_idx where = -1;
    for (int k = 0; k < 4; k++) {
        if (a[k] < 0)
            continue;
        rasad_idx ak = (rasad_idx)a[k];
        if (b[k] > top || (b[k] == top && ak < where)) {
            top = b[k];
            where = ak;
        }
    }
    if (sat >= 0 && (sbest > top || (sbest == top && (where < 0 || sat < where)))) {
        top = sbest;
        where = sat;
    }
    return where;
}

/* Per lane: keep the larger |area| and its index (strict >: the first of equal areas stays). */
RASAD_AVX2 static inline void rasad_lane_keep(__m256d area, __m256d index, __m256d *best, __m256d *at)
{
    __m256d gt = _mm256_cmp_pd(area, *best, _CMP_GT_OQ);
    *best = _mm256_blendv_pd(*best, area, gt);
    *at = _mm256_blendv_pd(*at, index, gt);
}

RASAD_AVX2 static rasad_idx rasad_lttb_pick_avx2(const double *y, rasad_idx n, double d1, double d2,
                                                  double offset, double ax0)
{
    const __m256d vd1 = _mm256_set1_pd(d1), vd2 = _mm256_set1_pd(d2), voff = _mm256_set1_pd(offset);
    const __m256d sign = _mm256_set1_pd(-0.0), four = _mm256_set1_pd(4.0);
    __m256d vax = _mm256_setr_pd(ax0, ax0 - 1.0, ax0 - 2.0, ax0 - 3.0);
    __m256d vj = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
    __m256d best = _mm256_set1_pd(-1.0), at = _mm256_set1_pd(-1.0);
    rasad_idx j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d v = _mm256_loadu_pd(y + j);
        __m256d area = _mm256_sub_pd(_mm256_sub_pd(_mm256_mul_pd(vd1, v), _mm256_mul_pd(vax, vd2)), voff);
        rasad_lane_keep(_mm256_andnot_pd(sign, area), vj, &best, &at);
        vax = _mm256_sub_pd(vax, four);
        vj = _mm256_add_pd(vj, four);
    }
    /* the last < 4 samples: the scalar scan, then merged with the lanes */
    rasad_idx sat = rasad_lttb_pick_scalar(y + j, n - j, d1, d2, offset, ax0 - (double)j);
    double sbest = sat < 0 ? -1.0 : fabs(d1 * y[j + sat] - (ax0 - (double)(j + sat)) * d2 - offset);
    return rasad_lttb_merge(best, at, sbest, sat < 0 ? -1 : j + sat);
}

RASAD_AVX2 static rasad_idx rasad_lttb_pick_x_avx2(const double *y, const double *x, rasad_idx n, double d1,
                                                    double d2, double offset)
{
    const __m256d vd1 = _mm256_set1_pd(d1), vd2 = _mm256_set1_pd(d2), voff = _mm256_set1_pd(offset);
    const __m256d sign = _mm256_set1_pd(-0.0), four = _mm256_set1_pd(4.0);
    __m256d vj = _mm256_setr_pd(0.0, 1.0, 2.0, 3.0);
    __m256d best = _mm256_set1_pd(-1.0), at = _mm256_set1_pd(-1.0);
    rasad_idx j = 0;
    for (; j + 4 <= n; j += 4) {
        __m256d v = _mm256_loadu_pd(y + j), w = _mm256_loadu_pd(x + j);
        __m256d area = _mm256_sub_pd(_mm256_add_pd(_mm256_mul_pd(vd1, v), _mm256_mul_pd(vd2, w)), voff);
        rasad_lane_keep(_mm256_andnot_pd(sign, area), vj, &best, &at);
        vj = _mm256_add_pd(vj, four);
    }
    rasad_idx sat = rasad_lttb_pick_x_scalar(y + j, x + j, n - j, d1, d2, offset);
    double sbest = sat < 0 ? -1.0 : fabs(d1 * y[j + sat] + d2 * x[j + sat] - offset);
    return rasad_lttb_merge(best, at, sbest, sat < 0 ? -1 : j + sat);
}

/* Sum and count of the non-NaN values of y[0:n]. */
RASAD_AVX2 static double rasad_nansum_avx2(const double *y, rasad_idx n, rasad_idx *count)
{
    __m256d s0 = _mm256_setzero_pd(), s1 = s0, c0 = s0, c1 = s0;
    const __m256d one = _mm256_set1_pd(1.0);
    rasad_idx i = 0;
    for (; i + 8 <= n; i += 8) {
        __m256d a = _mm256_loadu_pd(y + i), b = _mm256_loadu_pd(y + i + 4);
        __m256d ma = _mm256_cmp_pd(a, a, _CMP_ORD_Q), mb = _mm256_cmp_pd(b, b, _CMP_ORD_Q);
        s0 = _mm256_add_pd(s0, _mm256_and_pd(a, ma));
        s1 = _mm256_add_pd(s1, _mm256_and_pd(b, mb));
        c0 = _mm256_add_pd(c0, _mm256_and_pd(one, ma));
        c1 = _mm256_add_pd(c1, _mm256_and_pd(one, mb));
    }
    double s[4], c[4];
    _mm256_storeu_pd(s, _mm256_add_pd(s0, s1));
    _mm256_storeu_pd(c, _mm256_add_pd(c0, c1));
    double sum = (s[0] + s[1]) + (s[2] + s[3]);
    double cnt = (c[0] + c[1]) + (c[2] + c[3]);
    for (; i < n; i++) {
        if (y[i] == y[i]) {
            sum += y[i];
            cnt += 1.0;
        }
    }
    *count = (rasad_idx)cnt;
    return sum;
}

static int rasad_have_avx2(void)
{
    static int have = -1;
    if (have < 0) {
        __builtin_cpu_init();
        have = __builtin_cpu_supports("avx2") ? 1 : 0;
    }
    return have;
}
#else
static int rasad_have_avx2(void) { return 0; }
#endif

static double rasad_nansum_scalar(const double *y, rasad_idx n, rasad_idx *count)
{
    double sum = 0.0; /* left to right, like a plain fold */
    rasad_idx c = 0;
    for (rasad_idx i = 0; i < n; i++) {
        if (y[i] == y[i]) {
            sum += y[i];
            c++;
        }
    }
    *count = c;
    return sum;
}

/* --------------------------------------------------------------------------- public dispatchers */

/* Force the portable path (tests compare both paths; RASAD_NO_SIMD=1 in the environment). */
static int rasad_simd_disabled = 0;

static inline int rasad_use_avx2(void) { return !rasad_simd_disabled && rasad_have_avx2(); }

static void rasad_argminmax(const double *y, rasad_idx n, rasad_idx *imin, rasad_idx *imax)
{
#if RASAD_X86
    if (rasad_use_avx2()) {
        rasad_argminmax_avx2(y, n, imin, imax);
        return;
    }
#endif
    rasad_argminmax_scalar(y, n, imin, imax);
}

/* Below this many samples the vector set-up and lane merge cost more than they save. */
#define RASAD_SHORT 16

static rasad_idx rasad_lttb_pick(const double *y, rasad_idx n, double d1, double d2, double offset, double ax0)
{
#if RASAD_X86
    if (n >= RASAD_SHORT && rasad_use_avx2())
        return rasad_lttb_pick_avx2(y, n, d1, d2, offset, ax0);
#endif
    return rasad_lttb_pick_scalar(y, n, d1, d2, offset, ax0);
}

static rasad_idx rasad_lttb_pick_x(const double *y, const double *x, rasad_idx n, double d1, double d2,
                                   double offset)
{
#if RASAD_X86
    if (n >= RASAD_SHORT && rasad_use_avx2())
        return rasad_lttb_pick_x_avx2(y, x, n, d1, d2, offset);
#endif
    return rasad_lttb_pick_x_scalar(y, x, n, d1, d2, offset);
}

static double rasad_nansum(const double *y, rasad_idx n, rasad_idx *count)
{
#if RASAD_X86
    if (n >= RASAD_SHORT && rasad_use_avx2())
        return rasad_nansum_avx2(y, n, count);
#endif
    return rasad_nansum_scalar(y, n, count);
}

static void rasad_set_simd(int enabled) { rasad_simd_disabled = !enabled; }

static const char *rasad_simd_name(void) { return rasad_use_avx2() ? "avx2" : "scalar"; }

#endif /* RASAD_SIMD_H */
