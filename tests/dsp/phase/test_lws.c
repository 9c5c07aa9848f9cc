/* test_lws.c: the lws phase method (dsp/phase/lws.c) and its weights.
 *
 * What is checked, and why it can fail:
 *   - the weights: with every tap kept, the weighted sums are the
 *     consistency projection STFT(ISTFT(X)) itself, for any X (checked
 *     against the real STFT of the real inverse), so a consistent
 *     spectrogram comes back unchanged; with the method's truncated kernel
 *     the sums stay within a measured bound of it;
 *   - reconstruction quality from the magnitude alone (est = NULL): a
 *     spectral convergence bound per signal, setting and look-ahead, both
 *     with the method's own first estimates (init = mix) and with pghi's
 *     (init = pghi), and the look-ahead must pay;
 *   - anchors: every bin anchored to the true spectrum gives it back bit
 *     for bit; an anchored bin keeps est's phase exactly;
 *   - est: the true phase as a proposal without anchors stays consistent;
 *   - the contract of phase.h on this method: look-ahead reported =
 *     measured, silence -> exact zeros, finite output and |out| = mag on
 *     DC, full-scale noise, clicks and denormal magnitudes, determinism,
 *     reset = fresh.
 * Bounds are measured values plus a stated margin; they are properties of
 * the algorithm as specified (deterministic: the same build gives the same
 * numbers; the margins absorb compiler and libm differences).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phase/lws.h"
#include "phase/offline.h"
#include "stft.h"
#include "testutil.h"

#define FS 48000.0

/* ---- material --------------------------------------------------------- */

enum { SIG_VOICE, SIG_HARM, SIG_CLICKS, SIG_CHIRP, SIG_NOISE, SIG_DC };

/* Harmonic tone mix with vibrato: three notes of ten harmonics (1/h), each
 * with a 5.5 Hz, +-1 % vibrato of its own phase. */
static void harm_mix(float *x, size_t n)
{
    static const double f0[3] = {220.0, 330.0, 415.3};
    const double fv = 5.5, dv = 0.01;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / FS, v = 0.0;
        for (int c = 0; c < 3; c++) {
            double ph = 2.0 * M_PI * f0[c] *
                        (t - dv * cos(2.0 * M_PI * fv * t + c) /
                                 (2.0 * M_PI * fv));
            for (int h = 1; h <= 10; h++)
                v += 0.05 / h * sin(h * ph);
        }
        x[i] = (float)v;
    }
}

static void signal_make(float *x, size_t n, int kind)
{
    memset(x, 0, n * sizeof(float));
    switch (kind) {
    case SIG_VOICE: tu_voice(x, n, FS, 7); break;
    case SIG_HARM: harm_mix(x, n); break;
    case SIG_CLICKS: /* 0.8 impulses every 100 ms */
        for (size_t i = 2400; i < n; i += 4800)
            x[i] = 0.8f;
        break;
    case SIG_CHIRP: { /* exponential sweep 50 Hz .. 16 kHz + white noise */
        float *nz = tu_alloc(n);
        tu_noise(nz, n, 0.05f, 99);
        const double T = (double)n / FS, k = log(16000.0 / 50.0) / T;
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / FS;
            x[i] = (float)(0.3 * sin(2.0 * M_PI * 50.0 * (exp(k * t) - 1.0) /
                                     k)) +
                   nz[i];
        }
        free(nz);
        break;
    }
    case SIG_NOISE: tu_noise(x, n, 1.0f, 77); break;
    default:
        for (size_t i = 0; i < n; i++)
            x[i] = 1.0f;
        break;
    }
}

typedef struct sgram {
    int W, H, F, B;
    size_t n;
    float *x, *mag;
    sm_cpx *spec;
} sgram;

static sgram sg_make(int W, int H, size_t n, int kind)
{
    sgram g = {.W = W, .H = H, .B = W / 2 + 1, .n = n};
    g.x = tu_alloc(n);
    signal_make(g.x, n, kind);
    g.F = sm_spec_frames(n, W, H);
    g.spec = calloc((size_t)g.F * (size_t)g.B, sizeof(sm_cpx));
    assert_non_null(g.spec);
    assert_int_equal(sm_spec_analyze(g.x, n, W, H, g.spec), SM_OK);
    g.mag = tu_alloc((size_t)g.F * (size_t)g.B);
    for (size_t i = 0; i < (size_t)g.F * (size_t)g.B; i++)
        g.mag[i] = sm_cabs(g.spec[i]);
    return g;
}

static void sg_free(sgram *g)
{
    free(g->x);
    free(g->mag);
    free(g->spec);
}

static sm_phase_setup setup_of(int W, int H, int la, int init)
{
    sm_phase_setup s = {.window = W,
                        .hop = H,
                        .fs_hz = FS,
                        .method = SM_PHASE_LWS,
                        .lookahead = la,
                        .init = init};
    return s;
}

static sm_lws *make(int W, int H, int la, int init)
{
    sm_phase_setup s = setup_of(W, H, la, init);
    sm_error err = SM_OK;
    sm_lws *p = sm_lws_new(&s, &err);
    if (!p)
        fail_msg("sm_lws_new %d/%d la %d: %s", W, H, la, sm_strerror(err));
    return p;
}

/* Runs p over all frames of mag (est, anchor optional) and L silent
 * frames; out[F * B] gets frame m from call m + L. */
static void run_all(sm_lws *p, int L, int F, int B, const float *mag,
                    const sm_cpx *est, const unsigned char *anchor,
                    sm_cpx *out)
{
    float *zmag = calloc((size_t)B, sizeof(float));
    sm_cpx *o = calloc((size_t)B, sizeof(sm_cpx));
    assert_true(zmag && o);
    for (int m = 0; m < F + L; m++) {
        const size_t off = (size_t)m * (size_t)B;
        sm_phase_in in = {.mag = m < F ? mag + off : zmag,
                          .est = est && m < F ? est + off : NULL,
                          .anchor = anchor && m < F ? anchor + off : NULL};
        sm_lws_process(p, &in, o);
        if (m >= L)
            memcpy(out + (size_t)(m - L) * (size_t)B, o,
                   (size_t)B * sizeof(sm_cpx));
    }
    free(zmag);
    free(o);
}

/* Spectral convergence of spec (a reconstruction of g) in dB. */
static double sc_of(const sgram *g, const sm_cpx *spec)
{
    float *y = tu_alloc(g->n);
    assert_int_equal(sm_spec_synth(spec, g->F, g->W, g->H, y, g->n), SM_OK);
    double sc = sm_spectral_convergence_db(g->mag, g->F, g->W, g->H, y, g->n);
    free(y);
    return sc;
}

/* SC of lws on g from the magnitude alone. */
static double sc_lws(const sgram *g, int la, int init)
{
    sm_lws *p = make(g->W, g->H, la, init);
    sm_cpx *out = calloc((size_t)g->F * (size_t)g->B, sizeof(sm_cpx));
    assert_non_null(out);
    run_all(p, la, g->F, g->B, g->mag, NULL, NULL, out);
    double sc = sc_of(g, out);
    free(out);
    sm_lws_free(p);
    return sc;
}

/* Relative error in dB: 10 log10(sum |a - b|^2 / sum |b|^2). */
static double rel_err_db(const sm_cpx *a, const sm_cpx *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double dr = (double)a[i].re - b[i].re, di = (double)a[i].im - b[i].im;
        num += dr * dr + di * di;
        den += (double)b[i].re * b[i].re + (double)b[i].im * b[i].im;
    }
    if (num == 0.0)
        return -400.0;
    return 10.0 * log10(num / den);
}

/* ---- the weights ------------------------------------------------------ */

/* STFT(ISTFT(X)) of frames 0..F-1 by the streaming STFT itself: synthesis
 * overlap-added over the whole span (nothing cut), analysis of the same
 * frames. This is the reference the weighted sums must equal. */
static void project_by_stft(int W, int H, const sm_cpx *X, int F, sm_cpx *Y)
{
    const int B = W / 2 + 1;
    sm_error err = SM_OK;
    sm_stft *st = sm_stft_new(W, H, &err);
    assert_non_null(st);
    const size_t total = (size_t)F * (size_t)H + (size_t)W;
    float *y = sm_stft_alloc_real(total);
    sm_cpx *sp = sm_stft_alloc_spec(st);
    assert_true(y && sp);
    for (int m = 0; m < F; m++) {
        memcpy(sp, X + (size_t)m * (size_t)B, sizeof(sm_cpx) * (size_t)B);
        sm_stft_synth_add(st, sp, y + (size_t)m * (size_t)H);
    }
    for (int m = 0; m < F; m++) {
        sm_stft_analyze(st, y + (size_t)m * (size_t)H, sp);
        memcpy(Y + (size_t)m * (size_t)B, sp, sizeof(sm_cpx) * (size_t)B);
    }
    sm_stft_free_buf(y);
    sm_stft_free_buf(sp);
    sm_stft_free(st);
}

/* A random spectrogram (real DC and Nyquist, as the inverse real FFT
 * reads them). */
static sm_cpx *random_spec(int F, int B, uint32_t seed)
{
    const size_t n = (size_t)F * (size_t)B;
    sm_cpx *X = malloc(n * sizeof(sm_cpx));
    float *r = tu_alloc(2 * n);
    assert_non_null(X);
    tu_noise(r, 2 * n, 1.0f, seed);
    for (size_t i = 0; i < n; i++)
        X[i] = (sm_cpx){r[2 * i], r[2 * i + 1]};
    for (int m = 0; m < F; m++) {
        X[(size_t)m * (size_t)B].im = 0.0f;
        X[(size_t)m * (size_t)B + (size_t)B - 1].im = 0.0f;
    }
    free(r);
    return X;
}

static const int kgeoms[][2] = {{256, 64}, {512, 128}, {200, 60}, {64, 32}};
#define NKGEOMS (sizeof kgeoms / sizeof kgeoms[0])

/* Every tap kept: the sums are the projection. For any X they equal
 * STFT(ISTFT(X)) within float rounding (measured -131.9 .. -136.2 dB: the
 * sums run in float over thousands of taps; bound 1e-4 in amplitude,
 * -80 dB); a consistent spectrogram (analysis of a real signal in the
 * offline framing, which covers the signal by whole frames) comes back as
 * itself (measured -138 .. -143 dB, same bound). Geometries: hops that
 * divide the window at redundancy 4 and 2, and one that does not
 * (200/60). */
static void test_kernel_full_is_projection(void **state)
{
    (void)state;
    for (size_t g = 0; g < NKGEOMS; g++) {
        const int W = kgeoms[g][0], H = kgeoms[g][1], B = W / 2 + 1, F = 24;
        sm_error err = SM_OK;
        sm_lws_kernel *k = sm_lws_kernel_new(W, H, 0.0, &err);
        assert_non_null(k);
        sm_cpx *X = random_spec(F, B, 5u + (uint32_t)g);
        sm_cpx *Y = calloc((size_t)F * (size_t)B, sizeof(sm_cpx));
        sm_cpx *P = calloc((size_t)F * (size_t)B, sizeof(sm_cpx));
        assert_true(Y && P);
        project_by_stft(W, H, X, F, Y);
        assert_int_equal(sm_lws_kernel_apply(k, X, F, P), SM_OK);
        double e = rel_err_db(P, Y, (size_t)F * (size_t)B);
        print_message("full kernel %d/%d: random X vs STFT(ISTFT(X)) "
                      "%.1f dB\n",
                      W, H, e);
        assert_true(e < -80.0);

        sgram s = sg_make(W, H, (size_t)(12 * H), SIG_CHIRP);
        sm_cpx *Pc = calloc((size_t)s.F * (size_t)s.B, sizeof(sm_cpx));
        assert_non_null(Pc);
        assert_int_equal(sm_lws_kernel_apply(k, s.spec, s.F, Pc), SM_OK);
        double ec = rel_err_db(Pc, s.spec, (size_t)s.F * (size_t)s.B);
        print_message("full kernel %d/%d: consistent X %.1f dB\n", W, H, ec);
        assert_true(ec < -80.0);
        free(Pc);
        sg_free(&s);
        free(X);
        free(Y);
        free(P);
        sm_lws_kernel_free(k);
    }
}

/* The method's kernel (SM_LWS_KERNEL_THRESHOLD): the sums stay close to
 * the projection at redundancy 4 and 8 and at 1000/300: measured -30.3 ..
 * -31.3 dB for random X, -37.8 .. -38.4 dB for a consistent one (chirp +
 * noise); bounds -28 and -33 dB. The cost stays small: at most 64 taps per
 * bin (25 at redundancy 4, 55 at 8). */
static void test_kernel_truncated(void **state)
{
    (void)state;
    static const int geoms[][2] = {{2048, 512}, {2048, 256}, {512, 128},
                                   {1000, 300}};
    for (size_t g = 0; g < 4; g++) {
        const int W = geoms[g][0], H = geoms[g][1], B = W / 2 + 1, F = 16;
        sm_error err = SM_OK;
        sm_lws_kernel *k = sm_lws_kernel_new(W, H, SM_LWS_KERNEL_THRESHOLD,
                                             &err);
        assert_non_null(k);
        assert_true(sm_lws_kernel_taps(k) <= 64);
        sm_cpx *X = random_spec(F, B, 11u + (uint32_t)g);
        sm_cpx *Y = calloc((size_t)F * (size_t)B, sizeof(sm_cpx));
        sm_cpx *P = calloc((size_t)F * (size_t)B, sizeof(sm_cpx));
        assert_true(Y && P);
        project_by_stft(W, H, X, F, Y);
        assert_int_equal(sm_lws_kernel_apply(k, X, F, P), SM_OK);
        double e = rel_err_db(P, Y, (size_t)F * (size_t)B);

        sgram s = sg_make(W, H, (size_t)(12 * H), SIG_CHIRP);
        sm_cpx *Pc = calloc((size_t)s.F * (size_t)s.B, sizeof(sm_cpx));
        assert_non_null(Pc);
        assert_int_equal(sm_lws_kernel_apply(k, s.spec, s.F, Pc), SM_OK);
        double ec = rel_err_db(Pc, s.spec, (size_t)s.F * (size_t)s.B);
        print_message("kernel %d/%d: %d taps, random %.1f dB, consistent "
                      "%.1f dB\n",
                      W, H, sm_lws_kernel_taps(k), e, ec);
        assert_true(e < -28.0);
        assert_true(ec < -33.0);
        free(Pc);
        sg_free(&s);
        free(X);
        free(Y);
        free(P);
        sm_lws_kernel_free(k);
    }
}

/* Bad geometry is refused; a NULL kernel or spectrogram too. */
static void test_kernel_errors(void **state)
{
    (void)state;
    sm_error err = SM_OK;
    assert_null(sm_lws_kernel_new(7, 2, 0.01, &err));
    assert_int_equal(err, SM_ERR_CONFIG);
    err = SM_OK;
    assert_null(sm_lws_kernel_new(64, 33, 0.01, &err));
    assert_int_equal(err, SM_ERR_CONFIG);
    sm_lws_kernel *k = sm_lws_kernel_new(64, 16, 0.01, &err);
    assert_non_null(k);
    sm_cpx z[33];
    assert_int_equal(sm_lws_kernel_apply(k, NULL, 1, z), SM_ERR_NULL);
    assert_int_equal(sm_lws_kernel_apply(NULL, z, 1, z), SM_ERR_NULL);
    assert_int_equal(sm_lws_kernel_apply(k, z, 0, z), SM_OK);
    sm_lws_kernel_free(k);
    sm_phase_setup s = setup_of(64, 16, 2, SM_PHASE_INIT_MIX);
    s.hop = 40; /* over window / 2 */
    err = SM_OK;
    assert_null(sm_lws_new(&s, &err));
    assert_int_equal(err, SM_ERR_CONFIG);
}

/* ---- quality ---------------------------------------------------------- */

/* Spectral convergence from the magnitude alone, 1.5 s of each signal.
 * Measured (dB; look-ahead 0 1 2 3), init = mix (lws's own estimates):
 *   2048/512 voice  -12.5 -16.8 -17.5 -18.1   harm -18.4 -21.9 -22.9 -23.4
 *   512/128  voice  -13.3 -16.0 -18.5 -19.9   harm -12.7 -16.0 -18.2 -19.4
 * each bound is the measured value plus 1.5 dB, except 512/128 voice: its
 * greedy sign and phase choices cascade, so that a 1e-6 relative change of
 * the magnitudes moves it by up to 1.1 dB (-13.3 .. -13.5, -15.9 .. -16.4,
 * -17.5 .. -18.5, -18.8 .. -19.9 over six such changes); its bounds are
 * the worst of those plus 1 dB. The other cases move by 0.2 dB at most.
 * init = pghi (estimates from the pghi module, refined by the sums):
 *   2048/512 voice  -14.1 -14.5 -17.1 -18.1   harm -22.2 -22.0 -25.6 -27.0
 *   512/128  voice  -14.9 -16.6 -19.7 -21.4   harm -12.9 -15.6 -18.5 -20.1
 * bounds plus 3 dB (they also depend on the pghi module). Besides, three
 * frames of look-ahead must gain at least 3 dB over none (init = mix;
 * measured 4.9 .. 6.7), and with pghi's estimates lws at look-ahead 3 must
 * beat lws at look-ahead 1, which is pghi's output unchanged, by 2 dB
 * (measured 3.6 .. 5.1): the sums over the look-ahead are what the method
 * adds. */
typedef struct qcase {
    int W, H, kind, init;
    double bound[4]; /* per look-ahead 0..3 */
} qcase;

static const qcase qcases[] = {
    {2048, 512, SIG_VOICE, SM_PHASE_INIT_MIX, {-11.0, -15.0, -16.0, -16.5}},
    {2048, 512, SIG_HARM, SM_PHASE_INIT_MIX, {-17.0, -20.5, -21.5, -22.0}},
    {512, 128, SIG_VOICE, SM_PHASE_INIT_MIX, {-12.0, -14.5, -16.0, -17.5}},
    {512, 128, SIG_HARM, SM_PHASE_INIT_MIX, {-11.5, -14.5, -16.5, -18.0}},
    {2048, 512, SIG_VOICE, SM_PHASE_INIT_PGHI, {-11.0, -11.5, -14.0, -15.0}},
    {2048, 512, SIG_HARM, SM_PHASE_INIT_PGHI, {-19.0, -19.0, -22.5, -24.0}},
    {512, 128, SIG_VOICE, SM_PHASE_INIT_PGHI, {-12.0, -13.5, -16.5, -18.0}},
    {512, 128, SIG_HARM, SM_PHASE_INIT_PGHI, {-10.0, -12.5, -15.5, -17.0}},
};

static void test_quality(void **state)
{
    (void)state;
    for (size_t c = 0; c < sizeof qcases / sizeof qcases[0]; c++) {
        const qcase *q = &qcases[c];
        sgram g = sg_make(q->W, q->H, (size_t)(1.5 * FS), q->kind);
        double sc[4];
        for (int la = 0; la < 4; la++) {
            sc[la] = sc_lws(&g, la, q->init);
            print_message("%d/%d %s init %s la %d: SC %.2f dB (bound %.1f)\n",
                          q->W, q->H, q->kind == SIG_VOICE ? "voice" : "harm",
                          q->init == SM_PHASE_INIT_PGHI ? "pghi" : "mix", la,
                          sc[la], q->bound[la]);
            assert_true(sc[la] <= q->bound[la]);
        }
        if (q->init == SM_PHASE_INIT_MIX)
            assert_true(sc[3] <= sc[0] - 3.0);
        else
            assert_true(sc[3] <= sc[1] - 2.0);
        sg_free(&g);
    }
}

/* ---- anchors and proposals -------------------------------------------- */

/* Every bin anchored to the true spectrum: the output is that spectrum
 * bit for bit (|X| computed as sm_cabs does, so the scale factor of
 * sm_phasor_with_mag is exactly 1), for both inits and look-ahead 0..3;
 * bins of zero magnitude (the silent start) come out as +0 whatever the
 * sign of the zeros the FFT gave. */
static void test_all_anchored_exact(void **state)
{
    (void)state;
    sgram g = sg_make(512, 128, 9600, SIG_VOICE);
    const size_t n = (size_t)g.F * (size_t)g.B;
    unsigned char *anc = malloc(n);
    sm_cpx *out = calloc(n, sizeof(sm_cpx));
    assert_true(anc && out);
    memset(anc, 1, n);
    sm_cpx *want = malloc(n * sizeof(sm_cpx));
    assert_non_null(want);
    size_t zeros = 0;
    for (size_t i = 0; i < n; i++) {
        want[i] = g.spec[i];
        if (g.mag[i] == 0.0f) {
            want[i] = (sm_cpx){0.0f, 0.0f};
            zeros++;
        }
    }
    assert_true(zeros < n / 10);
    for (int init = 0; init < 2; init++)
        for (int la = 0; la < 4; la++) {
            sm_lws *p = make(g.W, g.H, la,
                             init ? SM_PHASE_INIT_PGHI : SM_PHASE_INIT_MIX);
            run_all(p, la, g.F, g.B, g.mag, g.spec, anc, out);
            assert_memory_equal(out, want, n * sizeof(sm_cpx));
            sm_lws_free(p);
        }
    free(want);
    free(anc);
    free(out);
    sg_free(&g);
}

/* Some bins anchored (one in three, fixed pattern) to a proposal that is
 * another signal's spectrum: each anchored bin with a target magnitude
 * comes out as sm_phasor_with_mag(est, mag) exactly (est's phase, the
 * target's magnitude), the others keep |out| = mag. */
static void test_anchored_bins_keep_phase(void **state)
{
    (void)state;
    sgram g = sg_make(2048, 512, 24000, SIG_VOICE);
    sgram e = sg_make(2048, 512, 24000, SIG_HARM);
    const size_t n = (size_t)g.F * (size_t)g.B;
    unsigned char *anc = malloc(n);
    sm_cpx *out = calloc(n, sizeof(sm_cpx));
    assert_true(anc && out);
    uint32_t s = 99u;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        anc[i] = (s % 3u) == 0u;
    }
    for (int init = 0; init < 2; init++)
        for (int la = 0; la < 4; la += 3) {
            sm_lws *p = make(g.W, g.H, la,
                             init ? SM_PHASE_INIT_PGHI : SM_PHASE_INIT_MIX);
            run_all(p, la, g.F, g.B, g.mag, e.spec, anc, out);
            size_t anchored = 0;
            for (size_t i = 0; i < n; i++) {
                int has = e.spec[i].re != 0.0f || e.spec[i].im != 0.0f;
                if (anc[i] && has) {
                    sm_cpx want = sm_phasor_with_mag(e.spec[i], g.mag[i]);
                    assert_memory_equal(&out[i], &want, sizeof want);
                    anchored++;
                } else {
                    double m = hypot(out[i].re, out[i].im);
                    assert_true(fabs(m - g.mag[i]) <= 1e-5 * g.mag[i]);
                }
            }
            assert_true(anchored > n / 4);
            sm_lws_free(p);
        }
    free(anc);
    free(out);
    sg_free(&g);
    sg_free(&e);
}

/* The true spectrum as est without anchors (init = mix: est is the first
 * estimate): the input is consistent, and the updates move it only by
 * what the truncated kernel (-30 dB, see above) and the frames not pushed
 * yet get wrong; the more look-ahead, the fewer of those when the frame is
 * committed. Measured SC (look-ahead 0 1 2 3):
 *   2048/512  -27.3 -35.9 -39.6 -41.8
 *   512/128   -27.2 -29.3 -36.0 -40.0
 *   2048/256  -27.1 -26.1 -30.6 -38.0
 * bounds 2 dB above. From the magnitude alone the same cases give -12 ..
 * -18 dB: est is used and the sums keep it. (Exactly consistent output,
 * the -60 dB of the issue, is what anchors give: see above.) */
static void test_true_est_stays_consistent(void **state)
{
    (void)state;
    static const int geoms[][2] = {{2048, 512}, {512, 128}, {2048, 256}};
    static const double bound[3][4] = {{-25.0, -33.5, -37.5, -39.5},
                                       {-25.0, -27.0, -34.0, -38.0},
                                       {-25.0, -24.0, -28.5, -36.0}};
    for (size_t gi = 0; gi < 3; gi++) {
        sgram g = sg_make(geoms[gi][0], geoms[gi][1], 36000, SIG_VOICE);
        const size_t n = (size_t)g.F * (size_t)g.B;
        sm_cpx *out = calloc(n, sizeof(sm_cpx));
        assert_non_null(out);
        for (int la = 0; la < 4; la++) {
            sm_lws *p = make(g.W, g.H, la, SM_PHASE_INIT_MIX);
            run_all(p, la, g.F, g.B, g.mag, g.spec, NULL, out);
            double sc = sc_of(&g, out);
            print_message("%d/%d true est, la %d: SC %.2f dB\n", g.W, g.H,
                          la, sc);
            assert_true(sc <= bound[gi][la]);
            sm_lws_free(p);
        }
        free(out);
        sg_free(&g);
    }
}

/* ---- the contract ----------------------------------------------------- */

/* Look-ahead: reported = asked (0..8, clamped outside) and measured: one
 * loud frame at call 3 among silent ones comes out first at call 3 + L,
 * with its magnitude. Both inits. */
static void test_lookahead(void **state)
{
    (void)state;
    sgram s = sg_make(512, 128, 128 * 10, SIG_NOISE);
    const int B = s.B;
    const float *loud = s.mag + (size_t)5 * (size_t)B;
    float *zmag = calloc((size_t)B, sizeof(float));
    sm_cpx *out = calloc((size_t)B, sizeof(sm_cpx));
    assert_true(zmag && out);
    sm_phase_setup t = setup_of(512, 128, -3, SM_PHASE_INIT_MIX);
    assert_int_equal(sm_lws_lookahead(&t), 0);
    t.lookahead = 99;
    assert_int_equal(sm_lws_lookahead(&t), SM_PHASE_MAX_LOOKAHEAD);
    for (int init = 0; init < 2; init++)
        for (int la = 0; la <= SM_PHASE_MAX_LOOKAHEAD; la++) {
            sm_phase_setup st = setup_of(512, 128, la,
                                         init ? SM_PHASE_INIT_PGHI : SM_PHASE_INIT_MIX);
            const int L = sm_lws_lookahead(&st);
            assert_int_equal(L, la);
            sm_lws *p = make(512, 128, la, st.init);
            int first = -1;
            for (int m = 0; m < 3 + SM_PHASE_MAX_LOOKAHEAD + 3; m++) {
                sm_phase_in in = {.mag = m == 3 ? loud : zmag};
                sm_lws_process(p, &in, out);
                int nz = 0;
                for (int k = 0; k < B; k++)
                    nz |= out[k].re != 0.0f || out[k].im != 0.0f;
                if (nz && first < 0) {
                    first = m;
                    for (int k = 0; k < B; k++)
                        assert_true(fabs(hypot(out[k].re, out[k].im) -
                                         loud[k]) <= 1e-5 * loud[k]);
                }
            }
            assert_int_equal(first, 3 + L);
            sm_lws_free(p);
        }
    free(zmag);
    free(out);
    sg_free(&s);
}

/* Silence in: every output bit is zero (not -0.0), with and without a
 * proposal and anchors, after real signal too (the ring holds past frames
 * that must not leak into silent ones: a zero magnitude has no phase to
 * give). */
static void test_silence(void **state)
{
    (void)state;
    sgram g = sg_make(512, 128, 6400, SIG_VOICE);
    const size_t n = (size_t)g.F * (size_t)g.B;
    float *zmag = calloc(n, sizeof(float));
    sm_cpx *out = calloc(n, sizeof(sm_cpx)), *zero = calloc(n, sizeof(sm_cpx));
    unsigned char *anc = malloc(n);
    assert_true(zmag && out && zero && anc);
    memset(anc, 1, n);
    for (int init = 0; init < 2; init++)
        for (int la = 0; la < 4; la++) {
            sm_lws *p = make(g.W, g.H, la,
                             init ? SM_PHASE_INIT_PGHI : SM_PHASE_INIT_MIX);
            run_all(p, la, g.F, g.B, zmag, NULL, NULL, out);
            assert_memory_equal(out, zero, n * sizeof(sm_cpx));
            run_all(p, la, g.F, g.B, zmag, g.spec, anc, out);
            assert_memory_equal(out, zero, n * sizeof(sm_cpx));
            /* signal, then silence: the silent frames' outputs are 0 */
            run_all(p, la, g.F, g.B, g.mag, NULL, NULL, out);
            run_all(p, la, g.F, g.B, zmag, NULL, NULL, out);
            assert_memory_equal(out + (size_t)la * (size_t)g.B,
                                zero + (size_t)la * (size_t)g.B,
                                (n - (size_t)la * (size_t)g.B) *
                                    sizeof(sm_cpx));
            sm_lws_free(p);
        }
    free(zmag);
    free(out);
    free(zero);
    free(anc);
    sg_free(&g);
}

/* Hard inputs give finite output with |out| = mag (1e-5 relative; 1e-38
 * absolute so that denormal targets may be off by their own rounding):
 * DC, full-scale noise, clicks, and denormal magnitudes (noise scaled to
 * 1e-40), each with and without a proposal, both inits. */
static void test_finite_hard_inputs(void **state)
{
    (void)state;
    static const int kinds[] = {SIG_DC, SIG_NOISE, SIG_CLICKS};
    for (int ki = 0; ki < 4; ki++) {
        sgram g = sg_make(512, 128, 9600, ki < 3 ? kinds[ki] : SIG_NOISE);
        const size_t n = (size_t)g.F * (size_t)g.B;
        if (ki == 3)
            for (size_t i = 0; i < n; i++)
                g.mag[i] *= 1e-40f / 64.0f;
        sm_cpx *out = calloc(n, sizeof(sm_cpx));
        assert_non_null(out);
        for (int init = 0; init < 2; init++)
            for (int pass = 0; pass < 2; pass++) {
                sm_lws *p = make(g.W, g.H, 2,
                                 init ? SM_PHASE_INIT_PGHI : SM_PHASE_INIT_MIX);
                run_all(p, 2, g.F, g.B, g.mag, pass ? g.spec : NULL, NULL,
                        out);
                for (size_t i = 0; i < n; i++) {
                    assert_true(isfinite(out[i].re) && isfinite(out[i].im));
                    double m = hypot((double)out[i].re, (double)out[i].im);
                    assert_true(fabs(m - (double)g.mag[i]) <=
                                1e-5 * (double)g.mag[i] + 1e-38);
                }
                sm_lws_free(p);
            }
        free(out);
        sg_free(&g);
    }
}

/* Two objects on the same input give bit-identical output; reset() makes
 * an object that has run something else behave as a fresh one. With a
 * proposal and anchors, both inits, look-ahead 0 and 3. */
static void test_deterministic_and_reset(void **state)
{
    (void)state;
    sgram g = sg_make(2048, 256, 24000, SIG_VOICE);
    sgram e = sg_make(2048, 256, 24000, SIG_CHIRP);
    const size_t n = (size_t)g.F * (size_t)g.B;
    unsigned char *anc = malloc(n);
    sm_cpx *a = calloc(n, sizeof(sm_cpx)), *b = calloc(n, sizeof(sm_cpx));
    assert_true(anc && a && b);
    for (size_t i = 0; i < n; i++)
        anc[i] = (i * 7u) % 5u == 0u;
    for (int init = 0; init < 2; init++)
        for (int la = 0; la < 4; la += 3) {
            const int it = init ? SM_PHASE_INIT_PGHI : SM_PHASE_INIT_MIX;
            sm_lws *p = make(g.W, g.H, la, it), *q = make(g.W, g.H, la, it);
            run_all(p, la, g.F, g.B, g.mag, e.spec, anc, a);
            run_all(q, la, g.F, g.B, g.mag, e.spec, anc, b);
            assert_memory_equal(a, b, n * sizeof(sm_cpx));
            /* q has run; something else, then reset, then the same */
            run_all(q, la, e.F, e.B, e.mag, NULL, NULL, b);
            sm_lws_reset(q);
            run_all(q, la, g.F, g.B, g.mag, e.spec, anc, b);
            assert_memory_equal(a, b, n * sizeof(sm_cpx));
            sm_lws_free(p);
            sm_lws_free(q);
        }
    free(anc);
    free(a);
    free(b);
    sg_free(&g);
    sg_free(&e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_kernel_full_is_projection),
        cmocka_unit_test(test_kernel_truncated),
        cmocka_unit_test(test_kernel_errors),
        cmocka_unit_test(test_quality),
        cmocka_unit_test(test_all_anchored_exact),
        cmocka_unit_test(test_anchored_bins_keep_phase),
        cmocka_unit_test(test_true_est_stays_consistent),
        cmocka_unit_test(test_lookahead),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_finite_hard_inputs),
        cmocka_unit_test(test_deterministic_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
