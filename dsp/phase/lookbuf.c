/* phase/lookbuf.c: the look-ahead buffer and the iteration driver of
 * rtisila and bregman; see lookbuf.h. Owns the OLA of the open frames,
 * their spectra, the normalising analysis windows per slot, the FFT plans,
 * the bin loops of a sweep (the per-bin math is phasekernels.h's; the
 * SSE2 loop runs the same float operations four bins at a time, so it is
 * bit-identical to the scalar kernel) and the iteration schedule.
 *
 * Transforms. A sweep analyses every open frame from the same OLA and
 * then applies every change (Jacobi, see the driver), so the frames go
 * through the FFT two at a time: one complex FFT of `window` points
 * carries two real frames (one in the real, one in the imaginary part)
 * and is split by Hermitian symmetry,
 *   A[k] = (C[k] + conj C[n-k]) / 2,  B[k] = (C[k] - conj C[n-k]) / 2i,
 * and one inverse complex FFT of A + iB (extended to n points) gives both
 * changes back at once. With FFTW_ESTIMATE plans this costs about half
 * of two real transforms (measured at 2048 on the 2-core VM: c2c 3.0 us
 * each way against 2 x 2.3 us r2c and 2 x 4.2 us c2r). A lone frame (an
 * odd number of open frames) uses the real transforms.
 *
 * The bin loop of the projection costs one square root and one division
 * per bin; with SSE2 four bins at a time (an AVX variant measured no
 * faster on this CPU: the divider is the limit).
 */
#include "phase/lookbuf.h"

#include "stft.h"

#include <fftw3.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#if defined(__SSE2__)
#include <emmintrin.h>
#define LB_SSE 1
#else
#define LB_SSE 0
#endif

/* The prediction of a new frame divides by the older frames' share of the
 * window sum down to this share and fades out below it (lookbuf.h). */
#define LB_PREDICT_SHARE 0.05

struct sm_lookbuf {
    int n, hop, bins, la, slots, span;
    int head;        /* ring index of slot 0 (the oldest) */
    int simd;        /* bin loops: 0 scalar, 1 SSE2 */
    float *ola;      /* span samples: OLA from the oldest slot's start */
    float *aw;       /* slots x n: analysis window / window sum present */
    float *awi;      /* n: the newest slot's without itself (predict) */
    float *gs;       /* n: synthesis (dual) window, 1/n of the FFT in it */
    float *tbuf;     /* n: real transform input / output */
    sm_cpx *zbuf;    /* bins: analysis of one frame */
    sm_cpx *delta;   /* bins: spectrum change of one frame */
    sm_cpx *zpair;   /* (slots + 1) / 2 x n: a sweep's paired analyses */
    sm_cpx *zone;    /* bins x 2: a pair split into its two frames */
    sm_cpx *dtwo;    /* bins x 2: the two frames' changes */
    sm_cpx *cbuf;    /* n: paired transform input */
    sm_cpx *cout;    /* n: paired inverse transform output */
    sm_lookbuf_slot *ring;
    float *mag_mem;
    sm_cpx *spec_mem, *prev_mem, *fix_mem;
    unsigned char *anch_mem;
    fftwf_plan fwd, inv, cfwd, cinv;
};

int sm_lookbuf_bins(const sm_lookbuf *b) { return b->bins; }
int sm_lookbuf_slots(const sm_lookbuf *b) { return b->slots; }

sm_lookbuf_slot *sm_lookbuf_at(sm_lookbuf *b, int j)
{
    return &b->ring[(b->head + j) % b->slots];
}

void sm_lookbuf_free(sm_lookbuf *b)
{
    if (!b)
        return;
    fftwf_plan plans[4] = {b->fwd, b->inv, b->cfwd, b->cinv};
    for (int i = 0; i < 4; i++)
        if (plans[i])
            fftwf_destroy_plan(plans[i]);
    void *bufs[] = {b->ola,  b->aw,    b->awi,      b->gs,       b->tbuf,
                    b->zbuf, b->delta, b->zpair,    b->zone,     b->dtwo,
                    b->cbuf, b->cout, b->mag_mem, b->spec_mem, b->prev_mem,
                    b->fix_mem};
    for (size_t i = 0; i < sizeof bufs / sizeof bufs[0]; i++)
        sm_stft_free_buf(bufs[i]);
    free(b->anch_mem);
    free(b->ring);
    free(b);
}

/* fftwf_alloc_real's alignment for complex arrays (two floats a bin). */
static sm_cpx *alloc_cpx(size_t count)
{
    return (sm_cpx *)sm_stft_alloc_real(2 * count);
}

/* Share of the full window sum (den, periodic in the hop) at span sample
 * u that the frames starting at q*hop with q <= qmax contribute. */
static double window_share(const double *w, const double *den, int n,
                           int hop, long u, long qmax)
{
    double p = 0.0;
    /* Frames covering u start at q*hop with u - n < q*hop <= u. */
    for (long q = u / hop; q * hop > u - n; q--)
        if (q <= qmax)
            p += w[u - q * hop] * w[u - q * hop];
    return p / den[u % hop];
}

sm_lookbuf *sm_lookbuf_new(int window, int hop, int lookahead, sm_error *err)
{
    sm_error e = SM_ERR_CONFIG;
    sm_lookbuf *b = NULL;
    double *w = NULL, *den = NULL;
    if (window < 4 || (window & 1) || hop < 1 || hop > window / 2 ||
        lookahead < 0 || lookahead > SM_PHASE_MAX_LOOKAHEAD)
        goto fail;
    e = SM_ERR_NOMEM;
    b = calloc(1, sizeof *b);
    if (!b)
        goto fail;
    const int n = window, bins = window / 2 + 1, slots = lookahead + 1;
    b->n = n;
    b->hop = hop;
    b->bins = bins;
    b->la = lookahead;
    b->slots = slots;
    b->span = lookahead * hop + n;
    const size_t sb = (size_t)slots * (size_t)bins;
    b->ola = sm_stft_alloc_real((size_t)b->span);
    b->aw = sm_stft_alloc_real((size_t)slots * (size_t)n);
    b->awi = sm_stft_alloc_real((size_t)n);
    b->gs = sm_stft_alloc_real((size_t)n);
    b->tbuf = sm_stft_alloc_real((size_t)n);
    b->zbuf = alloc_cpx((size_t)bins);
    b->delta = alloc_cpx((size_t)bins);
    b->zpair = alloc_cpx((size_t)((slots + 1) / 2) * (size_t)n);
    b->zone = alloc_cpx(2 * (size_t)bins);
    b->dtwo = alloc_cpx(2 * (size_t)bins);
    b->cbuf = alloc_cpx((size_t)n);
    b->cout = alloc_cpx((size_t)n);
    b->mag_mem = sm_stft_alloc_real(sb);
    b->spec_mem = alloc_cpx(sb);
    b->prev_mem = alloc_cpx(sb);
    b->fix_mem = alloc_cpx(sb);
    b->anch_mem = calloc(sb, 1);
    b->ring = calloc((size_t)slots, sizeof *b->ring);
    w = malloc(sizeof(double) * (size_t)n);
    den = malloc(sizeof(double) * (size_t)hop);
    if (!b->ola || !b->aw || !b->awi || !b->gs || !b->tbuf || !b->zbuf ||
        !b->delta || !b->zpair || !b->zone || !b->dtwo || !b->cbuf || !b->cout ||
        !b->mag_mem || !b->spec_mem || !b->prev_mem || !b->fix_mem ||
        !b->anch_mem || !b->ring || !w || !den)
        goto fail;
    for (int s = 0; s < slots; s++) {
        sm_lookbuf_slot *sl = &b->ring[s];
        size_t off = (size_t)s * (size_t)bins;
        sl->mag = b->mag_mem + off;
        sl->spec = b->spec_mem + off;
        sl->prev = b->prev_mem + off;
        sl->fix = b->fix_mem + off;
        sl->anch = b->anch_mem + off;
    }

    /* stft.c's windows: periodic Hann (rounded to float as there), the
     * full sum of its squares under every sample (periodic in the hop:
     * frames start on multiples of it) and the dual synthesis window. */
    for (int i = 0; i < n; i++)
        w[i] = (double)(float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)i /
                                                 (double)n));
    for (int i = 0; i < hop; i++) {
        double d = 0.0;
        for (int j = i; j < n; j += hop)
            d += w[j] * w[j];
        if (!(d > 1e-9)) {
            e = SM_ERR_CONFIG;
            goto fail;
        }
        den[i] = d;
    }
    for (int i = 0; i < n; i++)
        b->gs[i] = (float)(w[i] / (den[i % hop] * (double)n));
    /* Slot j's frame starts at span sample j*hop; the frames present are
     * those starting at q*hop, q <= lookahead (every earlier one is:
     * committed). Where nothing is present (the edge of the newest
     * window, w = 0) there is nothing to analyse. */
    for (int j = 0; j < slots; j++) {
        float *aw = b->aw + (size_t)j * (size_t)n;
        for (int i = 0; i < n; i++) {
            double p = window_share(w, den, n, hop, (long)j * hop + i,
                                    lookahead);
            aw[i] = p > 0.0 ? (float)(w[i] / p) : 0.0f;
        }
    }
    for (int i = 0; i < n; i++) {
        const double f = LB_PREDICT_SHARE;
        double p = window_share(w, den, n, hop, (long)lookahead * hop + i,
                                lookahead - 1);
        b->awi[i] = (float)(p < f ? w[i] * p / (f * f) : w[i] / p);
    }

    sm_lookbuf_set_simd(b, -1);
    sm_fftw_init();
    e = SM_ERR_FFT;
    b->fwd = fftwf_plan_dft_r2c_1d(n, b->tbuf, (fftwf_complex *)b->zbuf,
                                   FFTW_ESTIMATE);
    b->inv = fftwf_plan_dft_c2r_1d(n, (fftwf_complex *)b->delta, b->tbuf,
                                   FFTW_ESTIMATE);
    b->cfwd = fftwf_plan_dft_1d(n, (fftwf_complex *)b->cbuf,
                                (fftwf_complex *)b->zpair, FFTW_FORWARD,
                                FFTW_ESTIMATE);
    b->cinv = fftwf_plan_dft_1d(n, (fftwf_complex *)b->cbuf,
                                (fftwf_complex *)b->cout, FFTW_BACKWARD,
                                FFTW_ESTIMATE);
    if (!b->fwd || !b->inv || !b->cfwd || !b->cinv)
        goto fail;
    free(w);
    free(den);
    sm_lookbuf_reset(b);
    return b;
fail:
    free(w);
    free(den);
    sm_lookbuf_free(b);
    if (err)
        *err = e;
    return NULL;
}

void sm_lookbuf_reset(sm_lookbuf *b)
{
    const size_t sb = (size_t)b->slots * (size_t)b->bins;
    memset(b->ola, 0, sizeof(float) * (size_t)b->span);
    memset(b->mag_mem, 0, sizeof(float) * sb);
    memset(b->spec_mem, 0, sizeof(sm_cpx) * sb);
    memset(b->prev_mem, 0, sizeof(sm_cpx) * sb);
    memset(b->fix_mem, 0, sizeof(sm_cpx) * sb);
    memset(b->anch_mem, 0, sb);
    for (int s = 0; s < b->slots; s++) {
        b->ring[s].anchored = 0;
        b->ring[s].silent = 1;
    }
    b->head = 0;
}

void sm_lookbuf_push(sm_lookbuf *b, const float *mag, const sm_cpx *est,
                     const unsigned char *anchor)
{
    const int bins = b->bins, hop = b->hop;
    /* The oldest slot was committed by the previous call: its synthesis
     * stays in the OLA, whose first hop is final (output) now. */
    memmove(b->ola, b->ola + hop, sizeof(float) * (size_t)(b->span - hop));
    memset(b->ola + b->span - hop, 0, sizeof(float) * (size_t)hop);
    b->head = (b->head + 1) % b->slots;
    sm_lookbuf_slot *s = sm_lookbuf_at(b, b->la);
    int silent = 1, anchored = 0;
    for (int i = 0; i < bins; i++) {
        float r = mag[i];
        s->mag[i] = r;
        silent &= r == 0.0f;
    }
    if (est && anchor) {
        for (int i = 0; i < bins; i++) {
            unsigned char a = anchor[i] != 0;
            s->anch[i] = a;
            s->fix[i] = a ? sm_phasor_with_mag(est[i], s->mag[i])
                          : (sm_cpx){0.0f, 0.0f};
            anchored |= a;
        }
    } else {
        memset(s->anch, 0, (size_t)bins);
        memset(s->fix, 0, sizeof(sm_cpx) * (size_t)bins);
    }
    memset(s->spec, 0, sizeof(sm_cpx) * (size_t)bins);
    memset(s->prev, 0, sizeof(sm_cpx) * (size_t)bins);
    s->silent = silent;
    s->anchored = anchored;
    s->resid = 1.0f;
}

/* t[i] = x[i] * w[i]; the main loop's trip count is a multiple of 4 so
 * that -O2 vectorises it without an epilogue. */
static void mul_into(float *restrict t, const float *restrict x,
                     const float *restrict w, int n)
{
    const int n4 = n & ~3;
    for (int i = 0; i < n4; i++)
        t[i] = x[i] * w[i];
    for (int i = n4; i < n; i++)
        t[i] = x[i] * w[i];
}

/* x[i] += t[i] * g[i], as above. */
static void madd_into(float *restrict x, const float *restrict t,
                      const float *restrict g, int n)
{
    const int n4 = n & ~3;
    for (int i = 0; i < n4; i++)
        x[i] += t[i] * g[i];
    for (int i = n4; i < n; i++)
        x[i] += t[i] * g[i];
}

static const sm_cpx *analyze_with(sm_lookbuf *b, int j, const float *aw)
{
    mul_into(b->tbuf, b->ola + (size_t)j * (size_t)b->hop, aw, b->n);
    fftwf_execute_dft_r2c(b->fwd, b->tbuf, (fftwf_complex *)b->zbuf);
    return b->zbuf;
}

const sm_cpx *sm_lookbuf_analyze(sm_lookbuf *b, int j)
{
    return analyze_with(b, j, b->aw + (size_t)j * (size_t)b->n);
}

const sm_cpx *sm_lookbuf_predict(sm_lookbuf *b)
{
    return analyze_with(b, b->la, b->awi);
}

/* Adds the synthesis of d[bins] (destroyed) at slot j. */
static void synth_add(sm_lookbuf *b, int j, sm_cpx *d)
{
    /* A real signal's spectrum: DC and Nyquist are real (c2r ignores
     * their imaginary parts anyway; this makes it explicit). */
    d[0].im = 0.0f;
    d[b->bins - 1].im = 0.0f;
    if (d != b->delta)
        memcpy(b->delta, d, sizeof(sm_cpx) * (size_t)b->bins);
    fftwf_execute_dft_c2r(b->inv, (fftwf_complex *)b->delta, b->tbuf);
    madd_into(b->ola + (size_t)j * (size_t)b->hop, b->tbuf, b->gs, b->n);
}

/* ---- the per-bin loops --------------------------------------------------- */

#if LB_SSE
/* sm_rtisila_bin on 4 bins: the same float operations in the same order
 * (sm_phasor_with_mag's guards as masks), so bit-identical to it. A
 * group with a nonzero bin whose squared magnitude is not a normal float
 * (sm_phasor_with_mag rescales those first) is left to the scalar kernel:
 * returns 1 before touching anything. */
static inline int project4(const sm_cpx *z, const float *mag, float kappa,
                           float alpha, sm_cpx *prev, sm_cpx *spec,
                           sm_cpx *d, __m128 *acce, __m128 *accm)
{
    const __m128 z01 = _mm_loadu_ps(&z[0].re), z23 = _mm_loadu_ps(&z[2].re);
    const __m128 re = _mm_shuffle_ps(z01, z23, _MM_SHUFFLE(2, 0, 2, 0));
    const __m128 im = _mm_shuffle_ps(z01, z23, _MM_SHUFFLE(3, 1, 3, 1));
    const __m128 m = _mm_loadu_ps(mag), zero = _mm_setzero_ps();
    const __m128 r2 = _mm_add_ps(_mm_mul_ps(re, re), _mm_mul_ps(im, im));
    const __m128 normal =
        _mm_and_ps(_mm_cmpge_ps(r2, _mm_set1_ps(1.17549435e-38f)),
                   _mm_cmple_ps(r2, _mm_set1_ps(3.0e38f)));
    const __m128 zz = _mm_and_ps(_mm_cmpeq_ps(re, zero),
                                 _mm_cmpeq_ps(im, zero));
    if (_mm_movemask_ps(_mm_andnot_ps(_mm_or_ps(normal, zz),
                                      _mm_cmpneq_ps(m, zero))))
        return 1;
    const __m128 r = _mm_sqrt_ps(r2);
    /* r > 0 && r <= 3e38 (false for NaN), and m != 0. */
    const __m128 ok = _mm_and_ps(_mm_cmpgt_ps(r, zero),
                                 _mm_cmple_ps(r, _mm_set1_ps(3.0e38f)));
    const __m128 nz = _mm_cmpneq_ps(m, zero);
    /* sm_rtisila_resid into the lane sums. */
    const __m128 e = _mm_sub_ps(r, m);
    *acce = _mm_add_ps(*acce, _mm_mul_ps(e, e));
    *accm = _mm_add_ps(*accm, _mm_mul_ps(m, m));
    /* Divide only where ok: elsewhere by 1 (no 0/0 to mask out). */
    const __m128 den = _mm_or_ps(_mm_and_ps(ok, r),
                                 _mm_andnot_ps(ok, _mm_set1_ps(1.0f)));
    const __m128 g = _mm_div_ps(m, den);
    __m128 cre = _mm_or_ps(_mm_and_ps(ok, _mm_mul_ps(re, g)),
                           _mm_andnot_ps(ok, m));
    __m128 cim = _mm_and_ps(ok, _mm_mul_ps(im, g));
    cre = _mm_and_ps(nz, cre);
    cim = _mm_and_ps(nz, cim);
    const __m128 q01 = _mm_unpacklo_ps(cre, cim);
    const __m128 q23 = _mm_unpackhi_ps(cre, cim);
    const __m128 kp = _mm_set1_ps(kappa);
    const __m128 c01 = _mm_add_ps(q01, _mm_mul_ps(kp, _mm_sub_ps(q01, z01)));
    const __m128 c23 = _mm_add_ps(q23, _mm_mul_ps(kp, _mm_sub_ps(q23, z23)));
    const __m128 a = _mm_set1_ps(alpha);
    const __m128 p01 = _mm_loadu_ps(&prev[0].re);
    const __m128 p23 = _mm_loadu_ps(&prev[2].re);
    const __m128 t01 = _mm_add_ps(c01, _mm_mul_ps(a, _mm_sub_ps(c01, p01)));
    const __m128 t23 = _mm_add_ps(c23, _mm_mul_ps(a, _mm_sub_ps(c23, p23)));
    const __m128 s01 = _mm_loadu_ps(&spec[0].re);
    const __m128 s23 = _mm_loadu_ps(&spec[2].re);
    _mm_storeu_ps(&d[0].re, _mm_sub_ps(t01, s01));
    _mm_storeu_ps(&d[2].re, _mm_sub_ps(t23, s23));
    _mm_storeu_ps(&prev[0].re, c01);
    _mm_storeu_ps(&prev[2].re, c23);
    _mm_storeu_ps(&spec[0].re, t01);
    _mm_storeu_ps(&spec[2].re, t23);
    return 0;
}
#endif

int sm_lookbuf_set_simd(sm_lookbuf *b, int level)
{
    int best = 0;
#if LB_SSE
    best = 1;
#endif
    b->simd = level < 0 || level > best ? best : level;
    return b->simd;
}

/* One bin of the projection loop outside the SSE2 groups: the kernel,
 * and its residual into lane l of acc (as project4 would). */
static inline void project1(sm_lookbuf_slot *s, const sm_cpx *z, sm_cpx *d,
                            float kappa, float alpha, int i, int l,
                            float *acc)
{
    if (s->anch[i]) {
        d[i] = (sm_cpx){0.0f, 0.0f};
        return;
    }
    acc[l] += sm_rtisila_resid(z[i], s->mag[i]);
    acc[4 + l] += s->mag[i] * s->mag[i];
    d[i] = sm_rtisila_bin(z[i], s->mag[i], kappa, alpha, &s->prev[i],
                         &s->spec[i]);
}

/* sm_rtisila_bin over bins [from, to) of slot s (anchored bins: no
 * change), the changes into d; the residual sums of bin i into lane
 * (i - from) % 4 of acc (errors) and acc + 4 (targets), in increasing
 * order within a lane whatever the instruction set, so the sums too are
 * bit-identical. */
static void project_bins(int simd, sm_lookbuf_slot *s, const sm_cpx *z,
                         sm_cpx *d, float kappa, float alpha, int from,
                         int to, float *acc)
{
    int i = from;
#if LB_SSE
    if (simd >= 1 && i + 4 <= to) {
        /* The lane sums in registers; spilled around scalar groups. */
        __m128 acce = _mm_loadu_ps(acc), accm = _mm_loadu_ps(acc + 4);
        for (; i + 4 <= to; i += 4) {
            uint32_t a4;
            memcpy(&a4, s->anch + i, sizeof a4);
            if (a4 || project4(z + i, s->mag + i, kappa, alpha, s->prev + i,
                               s->spec + i, d + i, &acce, &accm)) {
                _mm_storeu_ps(acc, acce);
                _mm_storeu_ps(acc + 4, accm);
                for (int k = 0; k < 4; k++)
                    project1(s, z, d, kappa, alpha, i + k, k, acc);
                acce = _mm_loadu_ps(acc);
                accm = _mm_loadu_ps(acc + 4);
            }
        }
        _mm_storeu_ps(acc, acce);
        _mm_storeu_ps(acc + 4, accm);
    }
#else
    (void)simd;
#endif
    for (; i < to; i++)
        project1(s, z, d, kappa, alpha, i, (i - from) & 3, acc);
}

/* The momentum of a frame fades out as it becomes consistent: below a
 * relative magnitude error of LOOKITER_RESID (-60 dB) it is scaled by
 * error / LOOKITER_RESID. Without this, a consistent spectrogram is not a
 * fixed point of the stream: heavy-ball momentum amplifies by up to
 * 1/(1 - alpha) whatever acts along the newest frame's unconstrained
 * directions (its last hop, which no other frame covers yet), so rounding
 * errors of committed frames grow from hop to hop (-25 dB after a few
 * seconds at look-ahead 0 with 8 iterations, -53 dB at look-ahead 1).
 * Real material stays far above the threshold (its frames are -10..-40
 * dB from consistent) and is unaffected. The residual is the one of the
 * frame's previous update, so one pass over the bins suffices. */
#define LOOKITER_RESID 1e-3f

void sm_lookbuf_rule_bins(const sm_lookbuf *b, sm_lookbuf_slot *s,
                          const sm_cpx *z, sm_cpx *d,
                          const sm_lookbuf_rule *rule)
{
    const int bins = b->bins;
    const int calm = rule->calm_bins < bins ? rule->calm_bins : bins;
    if (rule->kind == SM_LOOKBUF_PROJECT) {
        float acc[8] = {0};
        float alpha = rule->alpha;
        if (s->resid < LOOKITER_RESID)
            alpha *= s->resid / LOOKITER_RESID;
        project_bins(b->simd, s, z, d, 0.0f, 0.0f, 0, calm, acc);
        project_bins(b->simd, s, z, d, rule->step - 1.0f, alpha, calm, bins,
                     acc);
        const float num = (acc[0] + acc[1]) + (acc[2] + acc[3]);
        const float den = (acc[4] + acc[5]) + (acc[6] + acc[7]);
        s->resid = den > 0.0f ? sqrtf(num / den) : 0.0f;
        return;
    }
    const int is = rule->kind == SM_LOOKBUF_IS;
    float alpha = rule->alpha, num = 0.0f, den = 0.0f;
    if (s->resid < LOOKITER_RESID)
        alpha *= s->resid / LOOKITER_RESID;
    for (int i = 0; i < bins; i++) {
        if (s->anch[i]) {
            d[i] = (sm_cpx){0.0f, 0.0f};
            continue;
        }
        num += sm_rtisila_resid(z[i], s->mag[i]);
        den += s->mag[i] * s->mag[i];
        d[i] = sm_bregman_bin(z[i], s->mag[i], rule->step, is,
                              i < calm ? 0.0f : alpha, &s->prev[i],
                              &s->spec[i]);
    }
    s->resid = den > 0.0f ? sqrtf(num / den) : 0.0f;
}

void sm_lookbuf_start(sm_lookbuf *b, const sm_cpx *init)
{
    sm_lookbuf_slot *s = sm_lookbuf_at(b, b->la);
    if (s->silent)
        return;
    /* spec and prev are 0 since the push: the projection's change is the
     * projection itself. */
    float acc[8] = {0};
    if (!init) { /* phase 0 */
        memset(b->zbuf, 0, sizeof(sm_cpx) * (size_t)b->bins);
        init = b->zbuf;
    }
    project_bins(b->simd, s, init, b->delta, 0.0f, 0.0f, 0, b->bins, acc);
    if (s->anchored)
        for (int i = 0; i < b->bins; i++)
            if (s->anch[i]) {
                s->spec[i] = s->fix[i];
                s->prev[i] = s->fix[i];
                b->delta[i] = s->fix[i];
            }
    synth_add(b, b->la, b->delta);
}

/* ---- a sweep ------------------------------------------------------------- */

/* The paired forward transform of slots ja (real part) and jb (imaginary
 * part) into C[n]. */
static void pair_analyze(sm_lookbuf *b, int ja, int jb, sm_cpx *C)
{
    const int n = b->n;
    const float *xa = b->ola + (size_t)ja * (size_t)b->hop;
    const float *xb = b->ola + (size_t)jb * (size_t)b->hop;
    const float *wa = b->aw + (size_t)ja * (size_t)n;
    const float *wb = b->aw + (size_t)jb * (size_t)n;
    sm_cpx *c = b->cbuf;
    int i = 0;
#if LB_SSE
    for (; i + 4 <= n; i += 4) {
        __m128 a = _mm_mul_ps(_mm_loadu_ps(xa + i), _mm_loadu_ps(wa + i));
        __m128 q = _mm_mul_ps(_mm_loadu_ps(xb + i), _mm_loadu_ps(wb + i));
        _mm_storeu_ps(&c[i].re, _mm_unpacklo_ps(a, q));
        _mm_storeu_ps(&c[i + 2].re, _mm_unpackhi_ps(a, q));
    }
#endif
    for (; i < n; i++)
        c[i] = (sm_cpx){xa[i] * wa[i], xb[i] * wb[i]};
    fftwf_execute_dft(b->cfwd, (fftwf_complex *)c, (fftwf_complex *)C);
}

/* Splits C[n] into the half spectra A, B[bins] of its two real frames. */
static void pair_split(const sm_cpx *C, int n, sm_cpx *A, sm_cpx *B)
{
    const int half = n / 2;
    A[0] = (sm_cpx){C[0].re, 0.0f};
    B[0] = (sm_cpx){C[0].im, 0.0f};
    int k = 1;
#if LB_SSE
    /* Bins k, k+1 against their partners n-k, n-k-1 (one load, halves
     * swapped); the same operations as the scalar loop. */
    const __m128 h = _mm_set1_ps(0.5f);
    const __m128 even = _mm_castsi128_ps(_mm_set_epi32(0, -1, 0, -1));
    for (; k + 1 <= half; k += 2) {
        const __m128 P = _mm_loadu_ps(&C[k].re);
        __m128 Q = _mm_loadu_ps(&C[n - k - 1].re);
        Q = _mm_shuffle_ps(Q, Q, _MM_SHUFFLE(1, 0, 3, 2));
        const __m128 S = _mm_add_ps(P, Q), D = _mm_sub_ps(P, Q);
        const __m128 Dn = _mm_sub_ps(Q, P);
        /* A = (S.re, D.im) / 2; B = (S.im, (Q - P).re) / 2 */
        const __m128 a = _mm_or_ps(_mm_and_ps(even, S), _mm_andnot_ps(even, D));
        const __m128 So = _mm_shuffle_ps(S, S, _MM_SHUFFLE(3, 3, 1, 1));
        const __m128 De = _mm_shuffle_ps(Dn, Dn, _MM_SHUFFLE(2, 2, 0, 0));
        const __m128 bb = _mm_or_ps(_mm_and_ps(even, So),
                                    _mm_andnot_ps(even, De));
        _mm_storeu_ps(&A[k].re, _mm_mul_ps(h, a));
        _mm_storeu_ps(&B[k].re, _mm_mul_ps(h, bb));
    }
#endif
    for (; k <= half; k++) {
        const sm_cpx p = C[k], q = C[n - k];
        A[k] = (sm_cpx){0.5f * (p.re + q.re), 0.5f * (p.im - q.im)};
        B[k] = (sm_cpx){0.5f * (p.im + q.im), 0.5f * (q.re - p.re)};
    }
}

/* The inverse of the pair: D = dA + i dB over n points (Hermitian
 * extension of the halves), transformed back, the real part added at
 * slot ja, the imaginary part at slot jb. */
static void pair_synth_add(sm_lookbuf *b, int ja, int jb, sm_cpx *dA,
                           sm_cpx *dB)
{
    const int n = b->n, half = n / 2;
    sm_cpx *D = b->cbuf;
    dA[0].im = dB[0].im = dA[half].im = dB[half].im = 0.0f;
    D[0] = (sm_cpx){dA[0].re, dB[0].re};
    D[half] = (sm_cpx){dA[half].re, dB[half].re};
    int k = 1;
#if LB_SSE
    /* Bins k, k+1; their mirror images land at n-k-1, n-k (one store,
     * halves swapped). */
    const __m128 sgn = _mm_set_ps(1.0f, -1.0f, 1.0f, -1.0f);
    for (; k + 1 < half; k += 2) {
        const __m128 a = _mm_loadu_ps(&dA[k].re);
        __m128 q = _mm_loadu_ps(&dB[k].re);
        q = _mm_shuffle_ps(q, q, _MM_SHUFFLE(2, 3, 0, 1)); /* (im, re) */
        /* D[k] = (a.re - q.im, a.im + q.re) */
        _mm_storeu_ps(&D[k].re, _mm_add_ps(a, _mm_mul_ps(sgn, q)));
        /* D[n-k] = (a.re + q.im, q.re - a.im) */
        __m128 m = _mm_sub_ps(q, _mm_mul_ps(sgn, a));
        m = _mm_shuffle_ps(m, m, _MM_SHUFFLE(1, 0, 3, 2));
        _mm_storeu_ps(&D[n - k - 1].re, m);
    }
#endif
    for (; k < half; k++) {
        const sm_cpx a = dA[k], q = dB[k];
        D[k] = (sm_cpx){a.re - q.im, a.im + q.re};
        D[n - k] = (sm_cpx){a.re + q.im, q.re - a.im};
    }
    sm_cpx *T = b->cout;
    fftwf_execute_dft(b->cinv, (fftwf_complex *)D, (fftwf_complex *)T);
    float *xa = b->ola + (size_t)ja * (size_t)b->hop;
    float *xb = b->ola + (size_t)jb * (size_t)b->hop;
    const float *g = b->gs;
    int i = 0;
#if LB_SSE
    for (; i + 4 <= n; i += 4) {
        __m128 d01 = _mm_loadu_ps(&T[i].re), d23 = _mm_loadu_ps(&T[i + 2].re);
        __m128 re = _mm_shuffle_ps(d01, d23, _MM_SHUFFLE(2, 0, 2, 0));
        __m128 im = _mm_shuffle_ps(d01, d23, _MM_SHUFFLE(3, 1, 3, 1));
        __m128 gg = _mm_loadu_ps(g + i);
        _mm_storeu_ps(xa + i,
                      _mm_add_ps(_mm_loadu_ps(xa + i), _mm_mul_ps(re, gg)));
        _mm_storeu_ps(xb + i,
                      _mm_add_ps(_mm_loadu_ps(xb + i), _mm_mul_ps(im, gg)));
    }
#endif
    for (; i < n; i++) {
        xa[i] += T[i].re * g[i];
        xb[i] += T[i].im * g[i];
    }
}

void sm_lookbuf_sweep(sm_lookbuf *b, const sm_lookbuf_rule *rules)
{
    const int n = b->n, bins = b->bins;
    /* The open frames with something to do, newest first. */
    int act[SM_PHASE_MAX_LOOKAHEAD + 1], na = 0;
    for (int j = b->la; j >= 0; j--)
        if (!sm_lookbuf_at(b, j)->silent)
            act[na++] = j;
    /* Every analysis first, from the same OLA (Jacobi)... */
    for (int p = 0; p + 1 < na; p += 2)
        pair_analyze(b, act[p], act[p + 1], b->zpair + (size_t)(p / 2) * n);
    if (na & 1)
        memcpy(b->zpair + (size_t)(na / 2) * n,
               sm_lookbuf_analyze(b, act[na - 1]), sizeof(sm_cpx) * bins);
    /* ...then every change. */
    sm_cpx *zA = b->zone, *zB = b->zone + bins;
    sm_cpx *dA = b->dtwo, *dB = b->dtwo + bins;
    for (int p = 0; p + 1 < na; p += 2) {
        const int ja = act[p], jb = act[p + 1];
        pair_split(b->zpair + (size_t)(p / 2) * n, n, zA, zB);
        sm_lookbuf_rule_bins(b, sm_lookbuf_at(b, ja), zA, dA, &rules[ja]);
        sm_lookbuf_rule_bins(b, sm_lookbuf_at(b, jb), zB, dB, &rules[jb]);
        pair_synth_add(b, ja, jb, dA, dB);
    }
    if (na & 1) {
        const int j = act[na - 1];
        sm_lookbuf_rule_bins(b, sm_lookbuf_at(b, j),
                             b->zpair + (size_t)(na / 2) * n, b->delta,
                             &rules[j]);
        synth_add(b, j, b->delta);
    }
}

void sm_lookbuf_commit(sm_lookbuf *b, sm_cpx *out, int resync)
{
    sm_lookbuf_slot *s = sm_lookbuf_at(b, 0);
    const int bins = b->bins;
    if (s->silent) {
        memset(out, 0, sizeof(sm_cpx) * (size_t)bins);
        return;
    }
    if (!resync) {
        /* The slot's spectrum is a projection (the caller's side of the
         * contract): |spec| = r already, anchored bins est's phase. */
        memcpy(out, s->spec, sizeof(sm_cpx) * (size_t)bins);
        return;
    }
    sm_cpx *d = b->delta;
    int changed = 0;
    for (int i = 0; i < bins; i++) {
        sm_cpx c = s->anch[i] ? s->fix[i]
                              : sm_phasor_with_mag(s->spec[i], s->mag[i]);
        out[i] = c;
        d[i] = (sm_cpx){c.re - s->spec[i].re, c.im - s->spec[i].im};
        changed |= d[i].re != 0.0f || d[i].im != 0.0f;
    }
    if (changed)
        synth_add(b, 0, d);
}

/* ---- the driver ----------------------------------------------------------
 *
 * Per call (one hop): push the new frame; give it a first estimate; run
 * `iterations` sweeps, each updating every open frame once; commit the
 * oldest. Each frame so gets (L+1) x iterations updates before it is
 * committed, the newest ones while the frames before them are final,
 * which is what makes a few iterations per hop enough. (Figures below:
 * sm-phasebench's material, the mean SC over speech x2, piano, drums and
 * sweep+noise, 2048/512, look-ahead 3, 8 iterations unless said.)
 *
 * First estimate. A bin with a proposal (est[i] != 0) starts from its
 * phase (init mix), or from PGHI's (init pghi). Without one, init mix
 * starts from the frames before it: the OLA of the committed and open
 * frames already covers the new frame but for its last hop, so its
 * analysis (sm_lookbuf_predict) is the classic RTISI start, and it agrees
 * with the frames that are final (-28.6 dB, against -26.9 dB from the
 * phase-vocoder advance of the previous frame). PGHI integrates its own
 * phase path, which drifts from the one the iterations settled on, so a
 * frame started from PGHI's phase alone is out of step with its
 * neighbours (-25.8 dB); init pghi therefore keeps PGHI's phase only where
 * the earlier frames predict less than PGHI_KEEP of the target magnitude
 * (onsets, new partials: where PGHI's integration across frequency knows
 * more than the past) and takes the prediction elsewhere: -30.2 dB, and
 * clicks 3..10 dB better than init mix, for PGHI's CPU on top (about as
 * much again at 2048/256); at 512/128 init mix is better (-26.1 against
 * -24.6 dB, 10 iterations).
 *
 * Sweeps. Every open frame is analysed from the same signal, then every
 * change is applied (Jacobi; the pairs share transforms, see the top).
 * Each update over-relaxes the projection p of the analysis z,
 * c = p + 0.3 (p - z), and extrapolates it from the frame's previous one,
 * t = c + 0.95 (c - c_prev), the momentum of fast Griffin-Lim over whole
 * spectrograms (Perraudin, Balazs, Sondergaard 2013). Heavy-ball momentum
 * alpha on a map with eigenvalue l is stable for 1 + (1 + 2 alpha) l > 0;
 * the relaxed projection's eigenvalues lie in [1 - mu, 1], so alpha 0.95
 * allows mu < 1.345 (measured: 1.3 works, 1.5 diverges to -7 dB). Plain
 * sequential RTISI-LA (neither) gives -24.1 dB; these Jacobi sweeps with
 * momentum alone -27.5 dB, with both -28.6 dB. Sequential
 * (Gauss-Seidel) sweeps gain a little more SC per iteration at some
 * settings, but with momentum they are unstable: a consistent spectrogram
 * given as est does not stay put (-28 dB on a piano at look-ahead 3,
 * alpha 0.8), small errors grow, and the result depends chaotically on
 * the signal. Jacobi sweeps keep it at -128 dB, with the residual damping
 * of sm_lookbuf_rule_bins (LOOKITER_RESID) for the newest frame's
 * unconstrained last hop. Bins below LOOKITER_CALM_BINS take neither
 * momentum nor relaxation: there a partial's positive- and
 * negative-frequency images overlap in the window's main lobe, the
 * magnitude depends on the phase, and extrapolation flips low partials
 * (kick drums, a sweep's start) instead of converging (512/128: -26.4 dB
 * with 2 calm bins, -25.9 with none, -25.6 with 4). The last update of the
 * frame to be committed is the plain projection, so its synthesis in the
 * OLA is exactly the committed frame.
 */

/* init pghi: PGHI's phase is kept where the prediction from the earlier
 * frames reaches less than this fraction of the target magnitude. */
#define PGHI_KEEP 0.3f

/* Bins updated without momentum (a partial's two images overlap in the
 * Hann window's main lobe, 2 bins either side of DC). */
#define LOOKITER_CALM_BINS 2

/* Momentum and over-relaxation of rtisila (see above). */
#define LOOKITER_MOMENTUM 0.95f
#define LOOKITER_RELAX 1.3f

/* Without look-ahead every update is of a frame whose last hop nothing
 * else constrains, and errors of the committed frames are continued
 * there: past 5 iterations a consistent input no longer stays consistent
 * (a chirp at 512/128 drifts to -19 dB with 8, momentum or not; at
 * 2048/256 to -22 dB), while look-ahead 1 is stable up to 64. Look-ahead
 * 0 runs at most this many iterations (SC gains 0.2 dB from 4 to 16). */
#define LOOKITER_MAX_IT_L0 4

struct sm_lookiter {
    sm_lookbuf *lb;
    sm_pghi *pghi; /* init pghi: an own PGHI without look-ahead */
    int bins, la;
    sm_cpx *ibuf; /* bins: first estimate of the newest frame */
};

float sm_lookiter_momentum(float step)
{
    /* Heavy-ball momentum alpha on a map with eigenvalue l is stable for
     * 1 + (1 + 2 alpha) l > 0; a step mu maps the projection's
     * eigenvalues [0, 1] to [1 - mu, 1], so alpha < (1/(mu - 1) - 1)/2
     * for mu > 1. Keep 10 % below that, and at most LOOKITER_MOMENTUM. */
    float a = LOOKITER_MOMENTUM;
    if (step > 1.0f) {
        float lim = 0.9f * 0.5f * (1.0f / (step - 1.0f) - 1.0f);
        if (lim < a)
            a = lim > 0.0f ? lim : 0.0f;
    }
    return a;
}

void sm_lookiter_free(sm_lookiter *p)
{
    if (!p)
        return;
    sm_lookbuf_free(p->lb);
    sm_pghi_free(p->pghi);
    sm_stft_free_buf(p->ibuf);
    free(p);
}

sm_lookiter *sm_lookiter_new(const sm_phase_setup *s, sm_error *err)
{
    sm_lookiter *p = calloc(1, sizeof *p);
    if (!p) {
        if (err)
            *err = SM_ERR_NOMEM;
        return NULL;
    }
    p->bins = s->window / 2 + 1;
    p->la = s->lookahead;
    p->lb = sm_lookbuf_new(s->window, s->hop, s->lookahead, err);
    if (!p->lb)
        goto fail;
    p->ibuf = alloc_cpx((size_t)p->bins);
    if (!p->ibuf) {
        if (err)
            *err = SM_ERR_NOMEM;
        goto fail;
    }
    if (s->init == SM_PHASE_INIT_PGHI) {
        sm_phase_setup ps = *s;
        ps.method = SM_PHASE_PGHI;
        ps.lookahead = 0;
        p->pghi = sm_pghi_new(&ps, err);
        if (!p->pghi)
            goto fail;
    }
    return p;
fail:
    sm_lookiter_free(p);
    return NULL;
}

void sm_lookiter_reset(sm_lookiter *p)
{
    sm_lookbuf_reset(p->lb);
    if (p->pghi)
        sm_pghi_reset(p->pghi);
}

static int has_est(const sm_phase_in *in, int i)
{
    return in->est && (in->est[i].re != 0.0f || in->est[i].im != 0.0f);
}

/* The newest frame's first estimate into p->ibuf (phases; start() gives
 * them the target magnitude). */
static void first_estimate(sm_lookiter *p, const sm_phase_in *in)
{
    const int bins = p->bins;
    sm_cpx *e = p->ibuf;
    const float *r = in->mag;
    if (p->pghi) {
        /* PGHI runs on every frame, silent or not: its state is the
         * previous frame. */
        sm_pghi_process(p->pghi, in, e);
        if (sm_lookbuf_at(p->lb, p->la)->silent)
            return;
        const sm_cpx *z = sm_lookbuf_predict(p->lb);
        for (int i = 0; i < bins; i++) {
            float m = sqrtf(z[i].re * z[i].re + z[i].im * z[i].im);
            if (m > PGHI_KEEP * r[i] && !has_est(in, i))
                e[i] = z[i];
        }
        return;
    }
    if (sm_lookbuf_at(p->lb, p->la)->silent)
        return;
    const sm_cpx *z = NULL;
    for (int i = 0; i < bins; i++) {
        if (has_est(in, i)) {
            e[i] = in->est[i];
            continue;
        }
        if (!z)
            z = sm_lookbuf_predict(p->lb);
        e[i] = z[i];
    }
}

void sm_lookiter_process(sm_lookiter *p, const sm_phase_in *in, int kind,
                         float step, sm_cpx *out)
{
    sm_lookbuf_push(p->lb, in->mag, in->est, in->anchor);
    first_estimate(p, in);
    sm_lookbuf_start(p->lb, p->ibuf);
    int it = in->iterations;
    if (it < 1)
        it = 1;
    if (it > SM_PHASE_MAX_ITERATIONS)
        it = SM_PHASE_MAX_ITERATIONS;
    if (p->la == 0 && it > LOOKITER_MAX_IT_L0)
        it = LOOKITER_MAX_IT_L0;
    float mu = step, alpha;
    if (kind == SM_LOOKBUF_PROJECT) {
        mu = LOOKITER_RELAX;
        alpha = sm_lookiter_momentum(mu);
    } else {
        /* A too quiet bin moves up to SM_BREGMAN_GAIN_MAX times the
         * step: the stability bound takes the largest. */
        alpha = sm_lookiter_momentum(
            step > 1.0f ? 1.0f + SM_BREGMAN_GAIN_MAX * (step - 1.0f) : step);
    }
    sm_lookbuf_rule rules[SM_PHASE_MAX_LOOKAHEAD + 1];
    for (int j = 0; j <= p->la; j++)
        rules[j] = (sm_lookbuf_rule){kind, mu, alpha, LOOKITER_CALM_BINS};
    for (int k = 0; k < it; k++) {
        if (k == it - 1) {
            /* The frame to commit: no momentum, and for rtisila the plain
             * projection (its spectrum is then the committed frame). */
            rules[0].alpha = 0.0f;
            if (kind == SM_LOOKBUF_PROJECT)
                rules[0].step = 1.0f;
        }
        sm_lookbuf_sweep(p->lb, rules);
    }
    sm_lookbuf_commit(p->lb, out, kind != SM_LOOKBUF_PROJECT);
}
