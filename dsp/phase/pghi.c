/* phase/pghi.c: phase-gradient heap integration, streaming (RTPGHI,
 * Průša & Holighaus 2016) and offline (PGHI, Průša, Balazs, Søndergaard
 * 2017).
 *
 * The magnitude alone fixes the phase gradient (pghikernels.h): the phase
 * advance of a bin per hop comes from the log-magnitude slope across
 * frequency, its slope across frequency from the log-magnitude change
 * across time. Integrating that gradient gives a phase with no iteration.
 * The order of integration matters because the gradient is only reliable
 * where the magnitude is large: a max-heap keyed by magnitude always
 * integrates next from the loudest bin whose phase is already known, so
 * errors made in weak bins never travel into strong ones.
 *
 * Streaming (phase.h's five functions): frame m is committed with the
 * previous frame's phases known. The heap starts with the previous frame's
 * bins that are significant in both frames (keyed by their old magnitude)
 * and with the anchored bins of frame m (phase from est, exactly); a popped
 * old bin passes its phase on in time (trapezoid rule over the two
 * frames' instantaneous frequencies), a popped new bin passes its phase
 * to its neighbours across frequency. A bin with no known neighbour in
 * time or frequency (an onset island) is seeded from est's phase when a
 * proposal is given (the sources' own phase at an onset), else by the
 * phase-vocoder advance of its old phase; it then spreads like the others.
 * Bins below tol times the frame maximum carry no usable gradient; they
 * take the phase-vocoder advance too (deterministic, never random). The
 * DC and Nyquist bins are snapped to the real axis (a real signal's are
 * real; measured +1.5 dB at 512/128, where bin 0 spans 0..94 Hz).
 * Look-ahead: min(setup lookahead, 1) frames. With 1, the group delay of
 * frame m comes from frames m-1 and m+1 through the Hann window's shape
 * (exact for impulses, pghikernels.h); with 0, from the backward
 * log-magnitude difference over m-1, m carried forward to m by the second
 * difference over m-2, m-1, m (Gaussian model).
 *
 * Offline (pghi.h): one heap over the whole time-frequency plane, centred
 * differences everywhere (silence before the first frame and after the
 * last), spreading in both time directions; a new component starts from
 * the loudest bin not reached yet, phase 0.
 *
 * The heap holds 64-bit keys: class bit, the magnitude's float bits (non-
 * negative floats order like their bit patterns) and the complement of a
 * unique entry code, so comparisons are integer compares and ties cannot
 * happen: the order, and so the output, is fully deterministic.
 */
#include "phase/pghi.h"
#include "phase/pghikernels.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* Relative tolerance (of the loudest bin of the frame pair, or of the
 * whole spectrogram offline) below which a bin is not integrated through.
 * Measured: SC moves by less than 0.01 dB from 1e-3 to 1e-10 on speech,
 * piano, drums and sweep + noise (bins 60 dB down hold no energy that
 * counts), while the heap, and the CPU time, grow as the tolerance falls
 * (1e-4 costs 15% less than 1e-5 and 25% less than 1e-8). 1e-4 keeps a
 * margin under the 1e-3 where quiet partials would start to lose the
 * integration. */
#define PGHI_TOL 1e-4f
#define PGHI_TOL_OFFLINE 1e-4f

/* Look-ahead 0: weight of the second difference that carries the
 * backward log-magnitude slope forward to the frame (sm_pghi_fdev_back):
 * the Taylor value. With the second difference bounded by the window's
 * own curvature (d2lim) it gains 3..5 dB at 2048/512 and 2048/256 over
 * the plain backward difference and 0..2.5 dB at 512/128. */
#define PGHI_BACK_EXTRAP 0.5f

/* ---- heap ------------------------------------------------------------- */

static inline uint64_t heap_key(unsigned cls, float mag, uint32_t code)
{
    uint32_t bits;
    memcpy(&bits, &mag, sizeof bits); /* mag >= 0, finite: bit 31 clear */
    return ((uint64_t)cls << 63) | ((uint64_t)bits << 32) |
           (uint64_t)(0xFFFFFFFFu - code);
}

static inline uint32_t heap_code(uint64_t key)
{
    return 0xFFFFFFFFu - (uint32_t)key;
}

/* The heap array always holds a 0 right after its n entries: 0 ranks
 * below every entry (their low word is never 0), so the larger child is
 * picked without testing whether the right one exists. Capacity: the
 * most entries plus one. */

/* Places e at hole i and sifts it down (max-heap of n entries). */
static void heap_sift_down(uint64_t *h, size_t n, size_t i, uint64_t e)
{
    for (;;) {
        size_t c = 2 * i + 1;
        if (c >= n)
            break;
        c += h[c + 1] > h[c];
        if (h[c] <= e)
            break;
        h[i] = h[c];
        i = c;
    }
    h[i] = e;
}

static void heap_push(uint64_t *h, size_t *n, uint64_t e)
{
    size_t i = (*n)++;
    h[*n] = 0;
    while (i > 0) {
        size_t p = (i - 1) / 2;
        if (h[p] >= e)
            break;
        h[i] = h[p];
        i = p;
    }
    h[i] = e;
}

static void heap_build(uint64_t *h, size_t n)
{
    h[n] = 0;
    for (size_t i = n / 2; i-- > 0;)
        heap_sift_down(h, n, i, h[i]);
}

/* Removes the top and inserts the ne entries e[] (the replaced top costs
 * one sift instead of a pop and a push). */
static void heap_settle(uint64_t *h, size_t *n, const uint64_t *e, int ne)
{
    if (ne == 0) {
        uint64_t last = h[--(*n)];
        h[*n] = 0;
        if (*n > 0)
            heap_sift_down(h, *n, 0, last);
        return;
    }
    heap_sift_down(h, *n, 0, e[0]);
    for (int i = 1; i < ne; i++)
        heap_push(h, n, e[i]);
}

/* ---- shared ----------------------------------------------------------- */

/* Magnitudes as the method uses them: non-finite or negative (never
 * given; phase.h asks for finite >= 0) count as silence. */
static inline float mag_clean(float m)
{
    return (m > 0.0f && m <= FLT_MAX) ? m : 0.0f;
}

static int geometry_ok(int window, int hop)
{
    return window >= 4 && !(window & 1) && hop >= 1 && hop <= window / 2;
}

/* Per-size constants of the gradient formulas (pghikernels.h). */
typedef struct pghi_consts {
    float tmul, tlim; /* instantaneous frequency deviation per hop */
    float fmul;       /* group delay slope, backward difference */
    float d2lim;      /* bound of the second log difference (look-ahead 0):
                         2 pi H^2 / lambda, the curvature of the Gaussian
                         window's log over a hop */
    float cotb;       /* cot(pi H / N), centred (Hann) group delay */
} pghi_consts;

static pghi_consts consts_of(int window, int hop)
{
    const double N = window, H = hop, lambda = SM_PGHI_LAMBDA_HANN * N * N;
    pghi_consts c;
    c.tmul = (float)(H * N / (2.0 * lambda));
    c.tlim = (float)(2.0 * M_PI * H * (double)SM_PGHI_LOBE_BINS / N);
    c.fmul = (float)(-lambda / (N * H));
    c.cotb = (float)(1.0 / tan(M_PI * H / N));
    c.d2lim = (float)(2.0 * M_PI * H * H / lambda);
    return c;
}

/* 2 pi k H / N wrapped, from the exact integer k H mod N. */
static void advance_fill(float *adv, int bins, int window, int hop)
{
    for (int k = 0; k < bins; k++) {
        long r = ((long)k * hop) % window;
        adv[k] = sm_pghi_wrap((float)(2.0 * M_PI * (double)r / window));
    }
}

/* Instantaneous frequency deviations of one frame (real spectrum: the
 * magnitude is even around DC and Nyquist, so their slope is 0). */
static void tdev_frame(const float *lm, int bins, const pghi_consts *c,
                       float *dev)
{
    dev[0] = 0.0f;
    for (int k = 1; k < bins - 1; k++)
        dev[k] = sm_pghi_tdev(lm[k - 1], lm[k + 1], c->tmul, c->tlim);
    dev[bins - 1] = 0.0f;
}

/* An estimate usable as a phase: nonzero and finite. */
static inline int est_ok(sm_cpx z)
{
    return (z.re != 0.0f || z.im != 0.0f) && fabsf(z.re) <= FLT_MAX &&
           fabsf(z.im) <= FLT_MAX;
}

/* The phase an anchored bin gets: that of sm_phasor_with_mag(z, .), the
 * output it is given, so its neighbours integrate from what is heard. */
static inline float est_phase(sm_cpx z)
{
    sm_cpx u = sm_phasor_with_mag(z, 1.0f);
    return atan2f(u.im, u.re);
}

/* ---- streaming -------------------------------------------------------- */

struct sm_pghi {
    int window, hop, bins, la;
    pghi_consts c;
    float *mag[3], *lm[3]; /* ring of input frames: cleaned, log */
    float *sq[3];          /* and square roots (look-ahead 1 only) */
    int slot;              /* ring slot of the next input frame */
    sm_cpx *est[2];        /* est and anchors of the last two inputs */
    unsigned char *anc[2];
    int has_est[2], has_anc[2];
    int par;               /* est/anchor slot of the next input frame */
    float *dev_prev, *dev_cur; /* instantaneous frequency deviations */
    float *fg;                 /* group delay slopes of the frame */
    float *ph_prev, *ph_cur;   /* phases, wrapped */
    float *adv;                /* 2 pi k H / N wrapped */
    unsigned char *done;       /* 0 open, 1 integrated, 2 anchored */
    uint64_t *heap;            /* 3 bins + 1: old, new, seed entries */
};

int sm_pghi_lookahead(const sm_phase_setup *s)
{
    if (!s || s->lookahead <= 0)
        return 0;
    return 1;
}

void sm_pghi_free(sm_pghi *p)
{
    if (!p)
        return;
    for (int i = 0; i < 3; i++) {
        free(p->mag[i]);
        free(p->lm[i]);
        free(p->sq[i]);
    }
    for (int i = 0; i < 2; i++) {
        free(p->est[i]);
        free(p->anc[i]);
    }
    free(p->dev_prev);
    free(p->dev_cur);
    free(p->fg);
    free(p->ph_prev);
    free(p->ph_cur);
    free(p->adv);
    free(p->done);
    free(p->heap);
    free(p);
}

sm_pghi *sm_pghi_new(const sm_phase_setup *s, sm_error *err)
{
    if (!s || !geometry_ok(s->window, s->hop)) {
        if (err)
            *err = SM_ERR_CONFIG;
        return NULL;
    }
    sm_pghi *p = calloc(1, sizeof *p);
    if (!p)
        goto nomem;
    p->window = s->window;
    p->hop = s->hop;
    p->bins = s->window / 2 + 1;
    p->la = sm_pghi_lookahead(s);
    p->c = consts_of(s->window, s->hop);
    const size_t B = (size_t)p->bins;
    int ok = 1;
    for (int i = 0; i < 3; i++) {
        ok &= (p->mag[i] = malloc(B * sizeof(float))) != NULL;
        ok &= (p->lm[i] = malloc(B * sizeof(float))) != NULL;
        ok &= (p->sq[i] = malloc(B * sizeof(float))) != NULL;
    }
    for (int i = 0; i < 2; i++) {
        ok &= (p->est[i] = malloc(B * sizeof(sm_cpx))) != NULL;
        ok &= (p->anc[i] = malloc(B)) != NULL;
    }
    ok &= (p->dev_prev = malloc(B * sizeof(float))) != NULL;
    ok &= (p->dev_cur = malloc(B * sizeof(float))) != NULL;
    ok &= (p->fg = malloc(B * sizeof(float))) != NULL;
    ok &= (p->ph_prev = malloc(B * sizeof(float))) != NULL;
    ok &= (p->ph_cur = malloc(B * sizeof(float))) != NULL;
    ok &= (p->adv = malloc(B * sizeof(float))) != NULL;
    ok &= (p->done = malloc(B)) != NULL;
    ok &= (p->heap = malloc((3 * B + 1) * sizeof(uint64_t))) != NULL;
    if (!ok)
        goto nomem;
    advance_fill(p->adv, p->bins, p->window, p->hop);
    sm_pghi_reset(p);
    return p;
nomem:
    sm_pghi_free(p);
    if (err)
        *err = SM_ERR_NOMEM;
    return NULL;
}

void sm_pghi_reset(sm_pghi *p)
{
    const size_t B = (size_t)p->bins;
    const float lfloor = sm_pghi_logmag(0.0f);
    for (int i = 0; i < 3; i++) {
        memset(p->mag[i], 0, B * sizeof(float));
        memset(p->sq[i], 0, B * sizeof(float));
        for (size_t k = 0; k < B; k++)
            p->lm[i][k] = lfloor;
    }
    for (int i = 0; i < 2; i++) {
        memset(p->est[i], 0, B * sizeof(sm_cpx));
        memset(p->anc[i], 0, B);
        p->has_est[i] = p->has_anc[i] = 0;
    }
    memset(p->dev_prev, 0, B * sizeof(float));
    memset(p->dev_cur, 0, B * sizeof(float));
    memset(p->fg, 0, B * sizeof(float));
    memset(p->ph_prev, 0, B * sizeof(float));
    memset(p->ph_cur, 0, B * sizeof(float));
    memset(p->done, 0, B);
    p->slot = 0;
    p->par = 0;
}

/* Integrates the phases of the frame in ring slot sc (the previous
 * frame's phases in p->ph_prev) into p->ph_cur and writes the spectrum.
 * With look-ahead 1 the slot after sc holds the next frame; with 0 the
 * one before the previous frame holds the frame two back. */
static void commit_frame(sm_pghi *p, int sc, const sm_cpx *est,
                         const unsigned char *anc, sm_cpx *out)
{
    const int sp = (sc + 2) % 3, so = (sc + 1) % 3;
    const float *mc = p->mag[sc], *mp = p->mag[sp];
    const int B = p->bins;
    float *ph = p->ph_cur, *fg = p->fg;
    const float *php = p->ph_prev, *adv = p->adv, *dvp = p->dev_prev;
    float *dvc = p->dev_cur;
    unsigned char *done = p->done;
    uint64_t *h = p->heap;

    tdev_frame(p->lm[sc], B, &p->c, dvc);
    if (p->la) {
        const float *se = p->sq[sp], *sl = p->sq[so];
        for (int k = 0; k < B; k++)
            fg[k] = sm_pghi_fdev_hann(se[k], sl[k], p->c.cotb);
    } else {
        const float *l2 = p->lm[so], *l1 = p->lm[sp], *l0 = p->lm[sc];
        for (int k = 0; k < B; k++)
            fg[k] = sm_pghi_fdev_back(l2[k], l1[k], l0[k], p->c.fmul,
                                      PGHI_BACK_EXTRAP, p->c.d2lim);
    }
    float mx = 0.0f;
    for (int k = 0; k < B; k++) {
        mx = mc[k] > mx ? mc[k] : mx;
        mx = mp[k] > mx ? mp[k] : mx;
    }
    const float tol = PGHI_TOL * mx;

    /* Seeds: anchored bins (known now) and old bins known last frame. */
    size_t n = 0;
    int open = 0;
    memset(done, 0, (size_t)(unsigned)B);
    if (anc)
        for (int k = 0; k < B; k++)
            if (anc[k] && est_ok(est[k])) {
                ph[k] = est_phase(est[k]);
                done[k] = 2;
                h[n++] = heap_key(1, mc[k], (uint32_t)(B + k));
            }
    for (int k = 0; k < B; k++)
        if (mc[k] > tol && !done[k]) {
            open++;
            if (mp[k] > tol)
                h[n++] = heap_key(1, mp[k], (uint32_t)k);
        }
    heap_build(h, n);

    int seeded = 0;
    while (open > 0) {
        if (n == 0) {
            /* Nothing known reaches the rest: islands, loudest first
             * (class 0 ranks below every propagated entry). */
            if (seeded)
                break; /* cannot happen: every open bin has a seed entry */
            seeded = 1;
            for (int k = 0; k < B; k++)
                if (!done[k] && mc[k] > tol)
                    h[n++] = heap_key(0, mc[k], (uint32_t)(2 * B + k));
            heap_build(h, n);
            continue;
        }
        const uint32_t code = heap_code(h[0]);
        uint64_t e[2];
        int ne = 0;
        if (code < (uint32_t)B) { /* old bin: on in time */
            const int k = (int)code;
            if (!done[k]) {
                ph[k] = sm_pghi_step_time(php[k], adv[k], dvp[k], dvc[k]);
                done[k] = 1;
                open--;
                e[ne++] = heap_key(1, mc[k], (uint32_t)(B + k));
            }
        } else if (code < (uint32_t)(2 * B)) { /* new bin: across freq */
            const int k = (int)code - B;
            if (k + 1 < B && !done[k + 1] && mc[k + 1] > tol) {
                ph[k + 1] = sm_pghi_step_freq(ph[k], fg[k], fg[k + 1], 1.0f);
                done[k + 1] = 1;
                open--;
                e[ne++] = heap_key(1, mc[k + 1], (uint32_t)(B + k + 1));
            }
            if (k > 0 && !done[k - 1] && mc[k - 1] > tol) {
                ph[k - 1] = sm_pghi_step_freq(ph[k], fg[k], fg[k - 1], -1.0f);
                done[k - 1] = 1;
                open--;
                e[ne++] = heap_key(1, mc[k - 1], (uint32_t)(B + k - 1));
            }
        } else { /* island seed */
            const int k = (int)code - 2 * B;
            if (!done[k]) {
                ph[k] = (est && est_ok(est[k]))
                            ? est_phase(est[k])
                            : sm_pghi_step_time(php[k], adv[k], dvp[k],
                                                dvc[k]);
                done[k] = 1;
                open--;
                e[ne++] = heap_key(1, mc[k], (uint32_t)(B + k));
            }
        }
        heap_settle(h, &n, e, ne);
    }

    for (int k = 0; k < B; k++) {
        if (done[k] == 2) {
            out[k] = sm_phasor_with_mag(est[k], mc[k]);
            continue;
        }
        if (!done[k]) /* below tolerance: phase-vocoder advance */
            ph[k] = sm_pghi_step_time(php[k], adv[k], dvp[k], dvc[k]);
        if (k == 0 || k == B - 1)
            ph[k] = sm_pghi_real_axis(ph[k]);
        out[k] = sm_pghi_polar(mc[k], ph[k]);
    }

    float *t = p->ph_prev;
    p->ph_prev = p->ph_cur;
    p->ph_cur = t;
    t = p->dev_prev;
    p->dev_prev = p->dev_cur;
    p->dev_cur = t;
}

void sm_pghi_process(sm_pghi *p, const sm_phase_in *in, sm_cpx *out)
{
    const int B = p->bins;
    const int si = p->slot, pi = p->par;
    float *mi = p->mag[si], *li = p->lm[si], *qi = p->sq[si];
    for (int k = 0; k < B; k++) {
        mi[k] = mag_clean(in->mag[k]);
        li[k] = sm_pghi_logmag(mi[k]);
    }
    if (p->la)
        for (int k = 0; k < B; k++)
            qi[k] = sqrtf(mi[k]);
    p->has_est[pi] = in->est != NULL;
    p->has_anc[pi] = in->est != NULL && in->anchor != NULL;
    if (p->has_est[pi])
        memcpy(p->est[pi], in->est, (size_t)(unsigned)B * sizeof(sm_cpx));
    if (p->has_anc[pi])
        memcpy(p->anc[pi], in->anchor, (size_t)(unsigned)B);

    /* The committed frame: this input's (look-ahead 0) or the one
     * before (1). */
    const int sc = (si + 3 - p->la) % 3;
    const int pc = (pi + 2 - p->la) & 1;
    commit_frame(p, sc, p->has_est[pc] ? p->est[pc] : NULL,
                 p->has_anc[pc] ? p->anc[pc] : NULL, out);

    p->slot = (si + 1) % 3;
    p->par = pi ^ 1;
}

/* ---- offline ---------------------------------------------------------- */

static int key_desc(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? 1 : (x > y ? -1 : 0);
}

sm_error sm_pghi_offline(int window, int hop, const float *mag, int frames,
                         sm_cpx *spec)
{
    if (!mag || !spec)
        return SM_ERR_NULL;
    if (!geometry_ok(window, hop) || frames < 0)
        return SM_ERR_CONFIG;
    if (frames == 0)
        return SM_OK;
    const int B = window / 2 + 1;
    const size_t P = (size_t)frames * (size_t)B;
    if (P > 0x3FFFFFFFu) /* entry codes are 32-bit */
        return SM_ERR_CONFIG;

    sm_error e = SM_ERR_NOMEM;
    float *mg = malloc(P * sizeof(float)), *lm = malloc(P * sizeof(float));
    float *dev = malloc(P * sizeof(float)), *fg = malloc(P * sizeof(float));
    float *ph = malloc(P * sizeof(float)), *adv = malloc(B * sizeof(float));
    unsigned char *done = calloc(P, 1);
    uint64_t *h = malloc((P + 1) * sizeof(uint64_t));
    uint64_t *order = malloc(P * sizeof(uint64_t));
    if (!mg || !lm || !dev || !fg || !ph || !adv || !done || !h || !order)
        goto out;

    const pghi_consts c = consts_of(window, hop);
    advance_fill(adv, B, window, hop);
    float mx = 0.0f;
    for (size_t i = 0; i < P; i++) {
        mg[i] = mag_clean(mag[i]);
        lm[i] = sm_pghi_logmag(mg[i]);
        mx = mg[i] > mx ? mg[i] : mx;
        ph[i] = 0.0f;
    }
    for (int m = 0; m < frames; m++) {
        const size_t o = (size_t)m * (size_t)B;
        tdev_frame(lm + o, B, &c, dev + o);
        for (int k = 0; k < B; k++) {
            /* Silence before the first frame and after the last. */
            float se = m > 0 ? sqrtf(mg[o - (size_t)B + (size_t)k]) : 0.0f;
            float sl = m + 1 < frames ? sqrtf(mg[o + (size_t)B + (size_t)k])
                                      : 0.0f;
            fg[o + (size_t)k] = sm_pghi_fdev_hann(se, sl, c.cotb);
        }
    }
    const float tol = PGHI_TOL_OFFLINE * mx;

    /* Component seeds, loudest first (keys are unique: a total order). */
    size_t ns = 0;
    for (size_t i = 0; i < P; i++)
        if (mg[i] > tol)
            order[ns++] = heap_key(1, mg[i], (uint32_t)i);
    qsort(order, ns, sizeof *order, key_desc);

    size_t n = 0, cur = 0, open = ns;
    while (open > 0) {
        if (n == 0) {
            while (cur < ns && done[heap_code(order[cur])])
                cur++;
            if (cur == ns)
                break; /* cannot happen while open > 0 */
            const uint32_t i = heap_code(order[cur]);
            ph[i] = 0.0f;
            done[i] = 1;
            open--;
            h[n++] = order[cur];
            h[n] = 0;
            continue;
        }
        const uint32_t i = heap_code(h[0]);
        const int m = (int)(i / (uint32_t)B), k = (int)(i % (uint32_t)B);
        uint64_t ent[4];
        int ne = 0;
        /* Neighbours: next and previous frame, bin above and below. */
        if (m + 1 < frames) {
            size_t j = i + (size_t)B;
            if (!done[j] && mg[j] > tol) {
                ph[j] = sm_pghi_step_time(ph[i], adv[k], dev[i], dev[j]);
                done[j] = 1;
                open--;
                ent[ne++] = heap_key(1, mg[j], (uint32_t)j);
            }
        }
        if (m > 0) {
            size_t j = i - (size_t)B;
            if (!done[j] && mg[j] > tol) {
                ph[j] = sm_pghi_step_time(ph[i], -adv[k], -dev[i], -dev[j]);
                done[j] = 1;
                open--;
                ent[ne++] = heap_key(1, mg[j], (uint32_t)j);
            }
        }
        if (k + 1 < B) {
            size_t j = i + 1;
            if (!done[j] && mg[j] > tol) {
                ph[j] = sm_pghi_step_freq(ph[i], fg[i], fg[j], 1.0f);
                done[j] = 1;
                open--;
                ent[ne++] = heap_key(1, mg[j], (uint32_t)j);
            }
        }
        if (k > 0) {
            size_t j = i - 1;
            if (!done[j] && mg[j] > tol) {
                ph[j] = sm_pghi_step_freq(ph[i], fg[i], fg[j], -1.0f);
                done[j] = 1;
                open--;
                ent[ne++] = heap_key(1, mg[j], (uint32_t)j);
            }
        }
        heap_settle(h, &n, ent, ne);
    }

    /* Below tolerance: the phase-vocoder advance from the frame before. */
    for (int m = 0; m < frames; m++) {
        const size_t o = (size_t)m * (size_t)B;
        for (int k = 0; k < B; k++) {
            size_t i = o + (size_t)k;
            if (!done[i] && m > 0)
                ph[i] = sm_pghi_step_time(ph[i - (size_t)B], adv[k],
                                          dev[i - (size_t)B], dev[i]);
            if (k == 0 || k == B - 1)
                ph[i] = sm_pghi_real_axis(ph[i]);
            spec[i] = sm_pghi_polar(mg[i], ph[i]);
        }
    }
    e = SM_OK;
out:
    free(mg);
    free(lm);
    free(dev);
    free(fg);
    free(ph);
    free(adv);
    free(done);
    free(h);
    free(order);
    return e;
}
