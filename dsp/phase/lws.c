/* phase/lws.c: the lws phase method, online locally weighted sums (Le
 * Roux, Kameoka, Ono, Sagayama, DAFx 2010; Le Roux et al. 2010, phase
 * initialisation schemes), and its weights (lws.h).
 *
 * Why weighted sums: the projection of a spectrogram onto the consistent
 * ones, P(X) = STFT(ISTFT(X)), is what one Griffin-Lim step applies, and
 * it is linear with weights fixed by the windows and the hop. Analysis
 * X_m[k] = sum_n wa(n) x(mH + n) e^{-2 pi i k n / N}, synthesis
 * y(t) = sum_m ws(t - mH) (IDFT X_m)(t - mH) with ws the dual window with
 * the IDFT's 1/N folded in (stft.c). Substituting, frame m + d sample
 * n - dH meets frame m sample n, and
 *   P(X)_m[k] = sum_d sum_k' X_{m+d}[k'] e^{-2 pi i k' d H / N} W_d[k - k']
 *   W_d[j]    = sum_n wa(n) ws(n - dH) e^{-2 pi i j n / N}
 * (ws zero outside 0..N-1). With k' = k - j the phase factor splits into
 * tw_d[k] = e^{-2 pi i k d H / N} (per output bin) and a per-tap part
 * folded into the weight: w_d[j] = W_d[j] e^{+2 pi i j d H / N}. The
 * products wa ws are smooth, so W_d decays fast in j (Hann: W_0 has only
 * |j| <= 2 when the hop divides N/2) and in |d|: a few taps per frame
 * hold almost all the weight. The own weight W_0[0] is 1 / redundancy.
 *
 * The method (online, non-iterative): frames wait in a look-ahead buffer
 * of L = setup->lookahead frames. Each push does, in this order:
 *  1. first estimates of the new frame: anchored bins take est's phase
 *     for good; with setup->init = mix the other bins take est's phase
 *     where est has one, else the phase of the weighted sum over the
 *     frames before and over the bins of the frame already set, loudest
 *     first (a peak takes its phase from the past, its skirt from the
 *     peak); with setup->init = pghi, a nested pghi (look-ahead 1 when L
 *     >= 1, else 0) gives every free bin its estimate, so the newest frame
 *     waits, out of the sums, for the estimate pghi returns one push later
 *     (no latency is added: it is part of the L frames);
 *  2. one pass of updates over the buffered frames, newest first, each
 *     bin taking the phase of its weighted sum over every frame present
 *     (committed frames with their final phases, buffered ones with their
 *     current estimates); with pghi and L >= 1 the newest estimated frame
 *     is left out (below). Frames not pushed yet are missing from the
 *     sums; for bins seeded by est or pghi their share is stood in for by
 *     the bin's own estimate (see sm_lws_new);
 *  3. the oldest frame is committed.
 * No inner iteration: a frame is updated at most L + 1 times, once per
 * hop. Bins below -60 dB of their frame's peak are not updated (their
 * first estimate stays: too quiet to matter, as costly as loud ones).
 * Anchored bins are never updated and count in their neighbours' sums:
 * that is how a bin of a single source keeps that source's phase and
 * pulls the bins around it into line. Work per hop: at most (L + 2) x
 * bins x taps complex multiply-adds (plus pghi's heap with init = pghi),
 * no FFT. The sums are in a fixed order: the output is deterministic.
 */
#include "phase/lws.h"
#include "phase/lwskernels.h"
#include "phase/phase.h"

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* ---- the weights ----------------------------------------------------- */

struct sm_lws_kernel {
    int n, hop, bins;
    int D;     /* frames either side that overlap (|d| hop < n) */
    int Q;     /* largest bin offset kept (the rows' guard bins) */
    int taps;  /* kept taps, for cost estimates */
    sm_cpx *w; /* (2D+1) x (2Q+1) taps w_d[j] */
    int *half; /* 2D+1: taps |j| <= half[d] kept, -1 for none */
    sm_cpx *tw; /* (2D+1) x bins twiddles tw_d[k] */
    float *pr, *pi; /* w packed for sm_lws_bin_sum */
    int *off;
};

void sm_lws_kernel_free(sm_lws_kernel *k)
{
    if (!k)
        return;
    free(k->w);
    free(k->half);
    free(k->tw);
    free(k->pr);
    free(k->pi);
    free(k->off);
    free(k);
}

int sm_lws_kernel_taps(const sm_lws_kernel *k) { return k->taps; }

/* e^{i 2 pi num / N} from a table of one period (cs, sn: N entries),
 * num reduced first, so large products keep their accuracy. */
static void unit_phasor(const double *cs, const double *sn, long long num,
                        int N, double *re, double *im)
{
    long long r = num % N;
    if (r < 0)
        r += N;
    *re = cs[r];
    *im = sn[r];
}

/* Bin offsets beyond this never hold a tap above 1e-4 of the own weight
 * for the Hann window (at most 1.2e-5 at any geometry: the products of
 * the windows are smooth), so a kernel cut at a threshold of 1e-4 or more
 * needs no more; only the full kernel computes all N/2. */
#define LWS_MAX_OFFSET 32

/* Packs taps w[(d + D) * (2Q + 1) + Q + j] (|j| <= half[d + D]) the way
 * sm_lws_bin_sum reads them (lwskernels.h). NRT; 0 or SM_ERR_NOMEM. */
static int taps_pack(const sm_cpx *w, const int *half, int D, int Q,
                     float **pr, float **pi, int **off)
{
    const int nd = 2 * D + 1, taps = 2 * Q + 1;
    size_t n = 0;
    *off = malloc(sizeof(int) * (size_t)nd);
    if (!*off)
        return SM_ERR_NOMEM;
    for (int i = 0; i < nd; i++) {
        (*off)[i] = (int)n;
        if (half[i] >= 0)
            n += 4 * (size_t)(half[i] + 1);
    }
    *pr = calloc(n ? n : 1, sizeof(float));
    *pi = calloc(n ? n : 1, sizeof(float));
    if (!*pr || !*pi)
        return SM_ERR_NOMEM;
    for (int i = 0; i < nd; i++) {
        const int q = half[i];
        for (int t = 0; t <= 2 * q; t++) {
            const sm_cpx c = w[(size_t)i * (size_t)taps + (size_t)(Q + q - t)];
            const size_t at = (size_t)(*off)[i] + 4 * (size_t)(t / 2) +
                              2 * (size_t)(t % 2);
            (*pr)[at] = (*pr)[at + 1] = c.re;
            (*pi)[at] = (*pi)[at + 1] = c.im;
        }
    }
    return 0;
}

sm_lws_kernel *sm_lws_kernel_new(int window, int hop, double rel_threshold,
                                 sm_error *err)
{
    sm_error e = SM_ERR_CONFIG;
    sm_lws_kernel *k = NULL;
    float *wa = NULL, *ws = NULL;
    double *Wre = NULL, *Wim = NULL, *cs = NULL, *sn = NULL;
    if (window < 4 || (window & 1) || hop < 1 || hop > window / 2)
        goto fail;
    e = SM_ERR_NOMEM;
    const int N = window, H = hop, bins = N / 2 + 1;
    const int D = (N - 1) / H; /* largest d with d H < N */
    const int nd = 2 * D + 1;
    /* Bin offsets -J .. J; with J = N/2, -J+1 .. J cover the circle. */
    const int full = !(rel_threshold >= 1e-4);
    const int J = full || N / 2 < LWS_MAX_OFFSET ? N / 2 : LWS_MAX_OFFSET;
    k = calloc(1, sizeof *k);
    cs = malloc(sizeof(double) * (size_t)N);
    sn = malloc(sizeof(double) * (size_t)N);
    wa = malloc(sizeof(float) * (size_t)N);
    ws = malloc(sizeof(float) * (size_t)N);
    Wre = malloc(sizeof(double) * (size_t)nd * (size_t)(2 * J + 1));
    Wim = malloc(sizeof(double) * (size_t)nd * (size_t)(2 * J + 1));
    if (!k || !wa || !ws || !Wre || !Wim || !cs || !sn)
        goto fail;
    k->n = N;
    k->hop = H;
    k->bins = bins;
    k->D = D;

    for (int i = 0; i < N; i++) {
        cs[i] = cos(2.0 * M_PI * (double)i / (double)N);
        sn[i] = sin(2.0 * M_PI * (double)i / (double)N);
    }
    /* The windows exactly as stft.c builds them (float values). */
    for (int i = 0; i < N; i++)
        wa[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)N));
    for (int i = 0; i < N; i++) {
        double den = 0.0;
        for (int j = i % H; j < N; j += H)
            den += (double)wa[j] * (double)wa[j];
        if (!(den > 1e-9)) {
            e = SM_ERR_CONFIG;
            goto fail;
        }
        ws[i] = (float)((double)wa[i] / (den * (double)N));
    }

    /* W_d[j] for j = -J .. J by direct sums in double (NRT, once; the
     * exponent's index advances by -j mod N per sample). */
    double peak = 0.0;
    for (int d = -D; d <= D; d++) {
        int lo = d > 0 ? d * H : 0, hi = d < 0 ? N + d * H : N;
        for (int j = -J; j <= J; j++) {
            double re = 0.0, im = 0.0;
            const int step = ((-j) % N + N) % N;
            int idx = (int)(((long long)step * lo) % N);
            for (int n = lo; n < hi; n++) {
                double p = (double)wa[n] * (double)ws[n - d * H];
                re += p * cs[idx];
                im += p * sn[idx];
                idx += step;
                if (idx >= N)
                    idx -= N;
            }
            size_t at =
                (size_t)(d + D) * (size_t)(2 * J + 1) + (size_t)(j + J);
            Wre[at] = re;
            Wim[at] = im;
            if (d == 0 && j == 0)
                peak = hypot(re, im);
        }
    }

    /* Which taps to keep: symmetric in j per frame offset, up to the
     * farthest tap at or above the threshold. */
    k->half = malloc(sizeof(int) * (size_t)nd);
    if (!k->half)
        goto fail;
    int Q = 0;
    for (int d = -D; d <= D; d++) {
        int h = -1;
        for (int j = -J; j <= J; j++) {
            size_t at =
                (size_t)(d + D) * (size_t)(2 * J + 1) + (size_t)(j + J);
            double a = hypot(Wre[at], Wim[at]);
            int aj = j < 0 ? -j : j;
            if ((full || a >= rel_threshold * peak) && aj > h)
                h = aj;
        }
        if (full)
            h = J;
        k->half[d + D] = h;
        if (h > Q)
            Q = h;
    }
    k->Q = Q;
    const int taps = 2 * Q + 1;
    k->w = calloc((size_t)nd * (size_t)taps, sizeof(sm_cpx));
    k->tw = calloc((size_t)nd * (size_t)bins, sizeof(sm_cpx));
    if (!k->w || !k->tw)
        goto fail;
    k->taps = 0;
    for (int d = -D; d <= D; d++) {
        int h = k->half[d + D];
        for (int j = -h; j <= h; j++) {
            size_t at =
                (size_t)(d + D) * (size_t)(2 * J + 1) + (size_t)(j + J);
            double c, s;
            unit_phasor(cs, sn, (long long)j * d * H, N, &c, &s);
            double re = Wre[at] * c - Wim[at] * s;
            double im = Wre[at] * s + Wim[at] * c;
            /* With every tap kept, j = -J and j = J are the same bin
             * offset on the circle: each carries half of it. */
            if (full && (j == J || j == -J)) {
                re *= 0.5;
                im *= 0.5;
            }
            k->w[(size_t)(d + D) * (size_t)taps + (size_t)(j + Q)] =
                (sm_cpx){(float)re, (float)im};
            k->taps++;
        }
        for (int b = 0; b < bins; b++) {
            double c, s;
            unit_phasor(cs, sn, -(long long)b * d * H, N, &c, &s);
            k->tw[(size_t)(d + D) * (size_t)bins + (size_t)b] =
                (sm_cpx){(float)c, (float)s};
        }
    }
    if (taps_pack(k->w, k->half, D, Q, &k->pr, &k->pi, &k->off))
        goto fail;
    free(wa);
    free(ws);
    free(Wre);
    free(Wim);
    free(cs);
    free(sn);
    return k;
fail:
    free(wa);
    free(ws);
    free(Wre);
    free(Wim);
    free(cs);
    free(sn);
    sm_lws_kernel_free(k);
    if (err)
        *err = e;
    return NULL;
}

/* Refreshes the guard bins of an extended row (r points at bin 0) from
 * bins 0 .. bins-1: X[-j] = conj X[j], X[N/2 + j] = conj X[N/2 - j]. */
static void row_mirror(sm_cpx *r, int bins, int Q)
{
    const int ny = bins - 1;
    for (int j = 1; j <= Q; j++) {
        r[-j] = (sm_cpx){r[j].re, -r[j].im};
        r[ny + j] = (sm_cpx){r[ny - j].re, -r[ny - j].im};
    }
}

sm_error sm_lws_kernel_apply(const sm_lws_kernel *k, const sm_cpx *spec,
                             int frames, sm_cpx *out)
{
    if (!k || (!spec && frames > 0) || (!out && frames > 0))
        return SM_ERR_NULL;
    if (frames <= 0)
        return SM_OK;
    const int bins = k->bins, Q = k->Q, D = k->D, G = Q + 1;
    const int stride = bins + 2 * G;
    sm_cpx *ext = calloc((size_t)frames * (size_t)stride, sizeof(sm_cpx));
    const sm_cpx **rows = malloc(sizeof(*rows) * (size_t)(2 * D + 1));
    if (!ext || !rows) {
        free(ext);
        free(rows);
        return SM_ERR_NOMEM;
    }
    for (int m = 0; m < frames; m++) {
        sm_cpx *r = ext + (size_t)m * (size_t)stride + G;
        memcpy(r, spec + (size_t)m * (size_t)bins,
               sizeof(sm_cpx) * (size_t)bins);
        row_mirror(r, bins, Q);
    }
    for (int m = 0; m < frames; m++) {
        for (int d = -D; d <= D; d++) {
            int f = m + d;
            rows[d + D] = f >= 0 && f < frames
                              ? ext + (size_t)f * (size_t)stride + G
                              : NULL;
        }
        for (int b = 0; b < bins; b++)
            out[(size_t)m * (size_t)bins + (size_t)b] = sm_lws_bin_sum(
                rows, D, k->pr, k->pi, k->off, k->half, k->tw, bins, b);
    }
    free(ext);
    free(rows);
    return SM_OK;
}

/* ---- the streaming method -------------------------------------------- */

/* Where a bin's current phase came from. */
enum { SRC_SUM, SRC_SEED, SRC_ANCHOR };

struct sm_lws {
    sm_lws_kernel *k;
    int bins, L, D, Q, stride;
    int slots;            /* ring of frames m-L-D .. m */
    sm_cpx *w;            /* the kernel's taps, own tap scaled by LWS_SELF */
    float *pr, *pi;       /* the same packed (sm_lws_bin_sum) */
    int *off;
    float w_own;          /* W_0[0] (the unscaled own weight) */
    float *miss;          /* D+1: own-weight multiples standing in for the
                             last n frames when they are not pushed yet */
    sm_cpx *ring;         /* slots x stride extended rows */
    float *mag;           /* slots x bins target magnitudes */
    unsigned char *src;   /* slots x bins: where a bin's phase came from
                             (SRC_SUM, SRC_SEED, SRC_ANCHOR) */
    int *list;            /* slots x bins: the bins the passes update */
    int *nlist;           /* slots: how many */
    int *order, *order_tmp; /* bins: scratch of the magnitude sort */
    uint32_t *key, *key_tmp;
    const sm_cpx **rows;  /* 2D+1 scratch */
    sm_pghi *pg;          /* first estimates (setup init = pghi), or NULL */
    int pg_la;            /* its look-ahead: 0, or 1 when L >= 1 */
    sm_cpx *pg_out;       /* bins */
    int64_t count;        /* frames pushed since reset */
};

/* Bins below this fraction of their frame's peak magnitude (-60 dB) get
 * their phase once, when the frame arrives, and are not updated after:
 * they matter little to the error and cost as much as loud ones. */
#define LWS_QUIET 1e-3f
/* The own bin's weight in an update, as a multiple of its weight in the
 * projection: 1 would be the projection (one Griffin-Lim step), 0 the
 * neighbours alone (Le Roux's LWS); slightly negative over-relaxes, which
 * measured 0.3 .. 1 dB better with one pass per frame and hop. */
#define LWS_SELF (-0.5f)

int sm_lws_lookahead(const sm_phase_setup *s)
{
    int L = s ? s->lookahead : 0;
    if (L < 0)
        L = 0;
    if (L > SM_PHASE_MAX_LOOKAHEAD)
        L = SM_PHASE_MAX_LOOKAHEAD;
    return L;
}

void sm_lws_free(sm_lws *p)
{
    if (!p)
        return;
    sm_lws_kernel_free(p->k);
    sm_pghi_free(p->pg);
    free(p->w);
    free(p->pr);
    free(p->pi);
    free(p->off);
    free(p->miss);
    free(p->ring);
    free(p->mag);
    free(p->src);
    free(p->list);
    free(p->nlist);
    free(p->order);
    free(p->order_tmp);
    free(p->key);
    free(p->key_tmp);
    free(p->rows);
    free(p->pg_out);
    free(p);
}

void sm_lws_reset(sm_lws *p)
{
    const size_t S = (size_t)p->slots, B = (size_t)p->bins;
    memset(p->ring, 0, sizeof(sm_cpx) * S * (size_t)p->stride);
    memset(p->mag, 0, sizeof(float) * S * B);
    memset(p->src, 0, S * B);
    memset(p->nlist, 0, sizeof(int) * S);
    if (p->pg)
        sm_pghi_reset(p->pg);
    p->count = 0;
}

sm_lws *sm_lws_new(const sm_phase_setup *s, sm_error *err)
{
    sm_error e = SM_ERR_NOMEM;
    sm_lws *p = NULL;
    if (!s) {
        e = SM_ERR_NULL;
        goto fail;
    }
    p = calloc(1, sizeof *p);
    if (!p)
        goto fail;
    p->k = sm_lws_kernel_new(s->window, s->hop, SM_LWS_KERNEL_THRESHOLD, &e);
    if (!p->k)
        goto fail;
    e = SM_ERR_NOMEM;
    const sm_lws_kernel *k = p->k;
    p->bins = k->bins;
    p->L = sm_lws_lookahead(s);
    p->D = k->D;
    p->Q = k->Q;
    p->stride = p->bins + 2 * (p->Q + 1);
    p->slots = p->L + p->D + 1;
    const int D = p->D, taps = 2 * p->Q + 1, nd = 2 * D + 1;
    const size_t S = (size_t)p->slots, B = (size_t)p->bins;

    /* The update weights: the kernel's, own tap scaled. */
    p->w = malloc(sizeof(sm_cpx) * (size_t)nd * (size_t)taps);
    p->miss = calloc((size_t)D + 1, sizeof(float));
    if (!p->w || !p->miss)
        goto fail;
    memcpy(p->w, k->w, sizeof(sm_cpx) * (size_t)nd * (size_t)taps);
    sm_cpx *own = &p->w[(size_t)D * (size_t)taps + (size_t)p->Q];
    p->w_own = own->re;
    own->re *= LWS_SELF;
    own->im *= LWS_SELF;
    if (taps_pack(p->w, k->half, D, p->Q, &p->pr, &p->pi, &p->off))
        goto fail;
    /* Frames not pushed yet: for a bin seeded by est or pghi, the sums of
     * the frames still missing are stood in for by the bin's own estimate,
     * weighted by the magnitude of their taps. Without this the partial
     * sums pull good estimates toward what the past alone says (measured
     * 1 .. 3 dB better with pghi's estimates; a consistent est stays
     * consistent). Bins first set from the sums get no such weight: their
     * estimate is no better than the sums (it made them 0.5 .. 1 dB
     * worse). */
    for (int n = 1; n <= D; n++) {
        double mass = 0.0;
        for (int d = D - n + 1; d <= D; d++) {
            int h = k->half[d + D];
            for (int j = -h; j <= h; j++) {
                sm_cpx c = k->w[(size_t)(d + D) * (size_t)taps +
                                (size_t)(p->Q + j)];
                mass += sqrt((double)c.re * c.re + (double)c.im * c.im);
            }
        }
        p->miss[n] = (float)(mass / (double)p->w_own);
    }

    p->ring = malloc(sizeof(sm_cpx) * S * (size_t)p->stride);
    p->mag = malloc(sizeof(float) * S * B);
    p->src = malloc(S * B);
    p->list = malloc(sizeof(int) * S * B);
    p->nlist = malloc(sizeof(int) * S);
    p->order = malloc(sizeof(int) * B);
    p->order_tmp = malloc(sizeof(int) * B);
    p->key = malloc(sizeof(uint32_t) * B);
    p->key_tmp = malloc(sizeof(uint32_t) * B);
    p->rows = malloc(sizeof(*p->rows) * (size_t)nd);
    if (!p->ring || !p->mag || !p->src || !p->list || !p->nlist ||
        !p->order || !p->order_tmp || !p->key || !p->key_tmp || !p->rows)
        goto fail;

    if (s->init == SM_PHASE_INIT_PGHI) {
        /* First estimates from phase-gradient integration: one frame of
         * its look-ahead when lws has one to give, none otherwise. */
        sm_phase_setup t = *s;
        t.method = SM_PHASE_PGHI;
        t.lookahead = p->L >= 1 ? 1 : 0;
        p->pg_la = sm_pghi_lookahead(&t);
        p->pg = sm_pghi_new(&t, &e);
        if (!p->pg)
            goto fail;
        e = SM_ERR_NOMEM;
        p->pg_out = malloc(sizeof(sm_cpx) * B);
        if (!p->pg_out)
            goto fail;
    }
    sm_lws_reset(p);
    return p;
fail:
    sm_lws_free(p);
    if (err)
        *err = e;
    return NULL;
}

static int slot_of(const sm_lws *p, int64_t f) { return (int)(f % p->slots); }

static sm_cpx *row_of(sm_lws *p, int64_t f)
{
    return p->ring + (size_t)slot_of(p, f) * (size_t)p->stride + p->Q + 1;
}

/* Points rows[] at the frames around f that are present: pushed and
 * estimated (<= top), not before the stream. The caller guarantees they
 * are still in the ring (f >= top - L). */
static void rows_around(sm_lws *p, int64_t f, int64_t top)
{
    const int D = p->D;
    for (int d = -D; d <= D; d++) {
        int64_t g = f + d;
        p->rows[d + D] = g >= 0 && g <= top ? row_of(p, g) : NULL;
    }
}

/* Keeps the guard bins of a row in step with bin b. */
static void mirror_bin(sm_cpx *r, int bins, int Q, int b)
{
    const int ny = bins - 1;
    if (b >= 1 && b <= Q)
        r[-b] = (sm_cpx){r[b].re, -r[b].im};
    if (b < ny && ny - b <= Q)
        r[ny + (ny - b)] = (sm_cpx){r[b].re, -r[b].im};
}

/* Sorts order[0..n) by magnitude, loudest first, ties in ascending bin
 * order: an LSD radix sort on the bits of the non-negative floats (which
 * order like the floats), stable, so the order is fully determined. No
 * allocation; four passes leave the result back in order[]. */
static void order_by_mag(sm_lws *p, const float *mag, int n)
{
    int *a = p->order, *t = p->order_tmp;
    uint32_t *ka = p->key, *kt = p->key_tmp;
    for (int i = 0; i < n; i++) {
        uint32_t u;
        memcpy(&u, &mag[a[i]], sizeof u);
        ka[i] = ~u;
    }
    for (int shift = 0; shift < 32; shift += 8) {
        int cnt[257] = {0};
        for (int i = 0; i < n; i++)
            cnt[((ka[i] >> shift) & 255u) + 1]++;
        for (int c = 0; c < 256; c++)
            cnt[c + 1] += cnt[c];
        for (int i = 0; i < n; i++) {
            int at = cnt[(ka[i] >> shift) & 255u]++;
            t[at] = a[i];
            kt[at] = ka[i];
        }
        int *x = a;
        a = t;
        t = x;
        uint32_t *y = ka;
        ka = kt;
        kt = y;
    }
}

/* The first phase of the bins of the newest frame m that have none (no
 * est, no pghi): the phase of the sum over the frames before it and over
 * its own bins already set, loudest first, so that a peak takes its phase
 * from the past and its skirt from the peak. */
static void frame_init(sm_lws *p, int64_t m)
{
    const int bins = p->bins, Q = p->Q;
    const int sl = slot_of(p, m);
    sm_cpx *r = row_of(p, m);
    const float *mag = p->mag + (size_t)sl * (size_t)bins;
    int n = 0;
    for (int b = 0; b < bins; b++)
        if (mag[b] > 0.0f && r[b].re == 0.0f && r[b].im == 0.0f)
            p->order[n++] = b;
    order_by_mag(p, mag, n);
    rows_around(p, m, m);
    for (int i = 0; i < n; i++) {
        const int b = p->order[i];
        sm_cpx s = sm_lws_bin_sum(p->rows, p->D, p->pr, p->pi, p->off,
                                  p->k->half, p->k->tw, bins, b);
        r[b] = sm_lws_bin_set(s, r[b], mag[b], b == 0 || b == bins - 1);
        mirror_bin(r, bins, Q, b);
    }
}

/* One update of the listed bins of frame f (ascending, in place: each bin
 * sees the new values of the bins below it), frames up to top present. */
static void frame_update(sm_lws *p, int64_t f, int64_t top)
{
    const int bins = p->bins, Q = p->Q;
    const int sl = slot_of(p, f);
    sm_cpx *r = row_of(p, f);
    const float *mag = p->mag + (size_t)sl * (size_t)bins;
    const int *list = p->list + (size_t)sl * (size_t)bins;
    const int n = p->nlist[sl];
    int64_t missing = f + p->D - top;
    const float ex = missing > 0 ? p->miss[missing] * p->w_own : 0.0f;
    const unsigned char *src = p->src + (size_t)sl * (size_t)bins;
    rows_around(p, f, top);
    for (int i = 0; i < n; i++) {
        const int b = list[i];
        sm_cpx s = sm_lws_bin_sum(p->rows, p->D, p->pr, p->pi, p->off,
                                  p->k->half, p->k->tw, bins, b);
        if (src[b] == SRC_SEED) {
            s.re += ex * r[b].re;
            s.im += ex * r[b].im;
        }
        r[b] = sm_lws_bin_set(s, r[b], mag[b], b == 0 || b == bins - 1);
        mirror_bin(r, bins, Q, b);
    }
}

void sm_lws_process(sm_lws *p, const sm_phase_in *in, sm_cpx *out)
{
    const int bins = p->bins, Q = p->Q, L = p->L;
    const int64_t m = p->count;
    const int sl = slot_of(p, m);
    sm_cpx *r = row_of(p, m);
    float *mag = p->mag + (size_t)sl * (size_t)bins;
    unsigned char *src = p->src + (size_t)sl * (size_t)bins;

    /* The new frame: magnitudes (anything not a finite non-negative
     * number counts as 0), anchors, est where it has a phase; the other
     * bins stay 0 until an estimate sets them. */
    float peak = 0.0f;
    for (int b = 0; b < bins; b++) {
        float a = in->mag[b];
        if (!(a > 0.0f && a <= 3.0e38f))
            a = a > 3.0e38f ? 3.0e38f : 0.0f;
        mag[b] = a;
        peak = a > peak ? a : peak;
        sm_cpx e = in->est ? in->est[b] : (sm_cpx){0.0f, 0.0f};
        int has = e.re != 0.0f || e.im != 0.0f;
        has = has && a > 0.0f;
        src[b] = !has ? SRC_SUM
                      : in->anchor && in->anchor[b] ? SRC_ANCHOR : SRC_SEED;
        r[b] = has ? sm_phasor_with_mag(e, a) : (sm_cpx){0.0f, 0.0f};
    }
    /* The bins the passes update: free and loud enough. */
    {
        int *list = p->list + (size_t)sl * (size_t)bins, n = 0;
        const float quiet = peak * LWS_QUIET;
        for (int b = 0; b < bins; b++)
            if (src[b] != SRC_ANCHOR && mag[b] > 0.0f && mag[b] >= quiet)
                list[n++] = b;
        p->nlist[sl] = n;
    }

    /* First estimates. With pghi, its estimate replaces est on the free
     * bins of the frame it returns (m, or m-1 with its look-ahead; the
     * newest frame then waits, out of the sums, for its estimate). */
    int64_t top = m;
    if (p->pg) {
        sm_pghi_process(p->pg, in, p->pg_out);
        const int64_t g = m - p->pg_la;
        if (g >= 0) {
            const int sg = slot_of(p, g);
            sm_cpx *rg = row_of(p, g);
            const float *mg = p->mag + (size_t)sg * (size_t)bins;
            unsigned char *sr = p->src + (size_t)sg * (size_t)bins;
            for (int b = 0; b < bins; b++)
                if (sr[b] != SRC_ANCHOR && mg[b] > 0.0f) {
                    rg[b] = sm_phasor_with_mag(p->pg_out[b], mg[b]);
                    sr[b] = SRC_SEED;
                }
            row_mirror(rg, bins, Q);
        }
        top = g;
    } else {
        row_mirror(r, bins, Q);
        frame_init(p, m);
    }
    row_mirror(r, bins, Q);

    /* One pass over the buffered frames, newest first. With pghi and a
     * look-ahead, the newest estimated frame is left out: every later
     * neighbour of it is missing, so its sum says what the past alone
     * implies, which pghi's estimate already does better (measured: 0.3 to
     * 1.5 dB better without that update, and it is a pass less). */
    const int64_t first = m - L < 0 ? 0 : m - L;
    const int64_t start = p->pg && L >= 1 ? top - 1 : top;
    for (int64_t f = start; f >= first; f--)
        frame_update(p, f, top);

    /* Commit the oldest. */
    const int64_t c = m - L;
    if (c < 0)
        memset(out, 0, sizeof(sm_cpx) * (size_t)bins);
    else
        memcpy(out, row_of(p, c), sizeof(sm_cpx) * (size_t)bins);
    p->count = m + 1;
}
