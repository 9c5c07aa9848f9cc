/* test_offline.c: whole-signal STFT, spectral convergence and the
 * offline Griffin-Lim methods (dsp/phase/offline.c, dsp/phase/gla.c).
 *
 * specmorph-image, the benchmark and every quality test of the phase
 * methods stand on three things checked here: the offline framing
 * inverts exactly for any signal length (so SC measures the phase and
 * nothing else), the SC measure gives the values its definition says on
 * cases worked out by hand, and Griffin-Lim does what the literature says
 * it does (monotone progress, momentum faster, a consistent spectrogram
 * is a fixed point).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phase/gla.h"
#include "phase/offline.h"
#include "testutil.h"

#define FS 44100.0

static sm_cpx *spec_alloc(int frames, int window)
{
    size_t n = (size_t)frames * (size_t)(window / 2 + 1);
    sm_cpx *s = calloc(n ? n : 1, sizeof(sm_cpx));
    assert_non_null(s);
    return s;
}

static float *mag_of(const sm_cpx *spec, int frames, int window)
{
    size_t n = (size_t)frames * (size_t)(window / 2 + 1);
    float *m = tu_alloc(n ? n : 1);
    for (size_t i = 0; i < n; i++)
        m[i] = sm_cabs(spec[i]);
    return m;
}

/* ---- framing ------------------------------------------------------- */

/* Frames = floor((len - 1 + window - hop) / hop) + 1: the last frame is
 * the last one that still starts inside the padded signal, so the last
 * sample is covered by every frame overlapping it. */
static void test_frames_count(void **state)
{
    (void)state;
    assert_int_equal(sm_spec_frames(0, 2048, 512), 0);
    assert_int_equal(sm_spec_frames(1, 2048, 512), 4);
    assert_int_equal(sm_spec_frames(512, 2048, 512), 4);
    assert_int_equal(sm_spec_frames(513, 2048, 512), 5);
    assert_int_equal(sm_spec_frames(1, 1000, 250), 4);
    assert_int_equal(sm_spec_frames(100, 512, 128), 4);
    /* Bad sizes give no frames rather than a division by zero. */
    assert_int_equal(sm_spec_frames(100, 1, 1), 0);
    assert_int_equal(sm_spec_frames(100, 512, 0), 0);
}

/* Analysis then synthesis gives the signal back to float rounding (the
 * -120 dB bound is rms relative error 1e-6, that of test_stft.c) for
 * power-of-two and other windows, hops dividing the window or not, and
 * lengths around every edge case of the framing. */
static void test_round_trip(void **state)
{
    (void)state;
    static const int pairs[][2] = {
        {2048, 512}, {2048, 256}, {512, 128}, {1000, 250}, {1000, 300}};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        const int W = pairs[p][0], H = pairs[p][1];
        const size_t lens[] = {1,
                               2,
                               (size_t)H - 1,
                               (size_t)H,
                               (size_t)H + 1,
                               (size_t)(W - H),
                               (size_t)W - 1,
                               (size_t)W,
                               (size_t)W + 3,
                               (size_t)(3 * W + H / 2 + 7),
                               20011};
        for (size_t li = 0; li < sizeof lens / sizeof lens[0]; li++) {
            const size_t n = lens[li];
            float *x = tu_alloc(n), *y = tu_alloc(n);
            tu_noise(x, n, 0.7f, (uint32_t)(17 + n));
            const int F = sm_spec_frames(n, W, H);
            assert_true(F >= 1);
            sm_cpx *X = spec_alloc(F, W);
            assert_int_equal(sm_spec_analyze(x, n, W, H, X), SM_OK);
            for (size_t i = 0; i < n; i++)
                y[i] = 12345.0f; /* every sample must be written */
            assert_int_equal(sm_spec_synth(X, F, W, H, y, n), SM_OK);
            double db = tu_err_db(y, x, n);
            if (!(db < -120.0))
                fail_msg("%d/%d len %zu: round trip error %.1f dB", W, H, n,
                         db);
            free(x);
            free(y);
            free(X);
        }
    }
}

static void test_analyze_args(void **state)
{
    (void)state;
    float x[16] = {0};
    sm_cpx spec[64];
    assert_int_equal(sm_spec_analyze(NULL, 16, 8, 4, spec), SM_ERR_NULL);
    assert_int_equal(sm_spec_analyze(x, 16, 8, 4, NULL), SM_ERR_NULL);
    assert_int_equal(sm_spec_analyze(x, 16, 7, 4, spec), SM_ERR_CONFIG);
    assert_int_equal(sm_spec_synth(NULL, 4, 8, 4, x, 16), SM_ERR_NULL);
    assert_int_equal(sm_spec_synth(spec, 4, 8, 5, x, 16), SM_ERR_CONFIG);
}

/* ---- spectral convergence ------------------------------------------ */

static void test_sc_values(void **state)
{
    (void)state;
    const int W = 1024, H = 256;
    const size_t n = 12000;
    float *x = tu_alloc(n), *y = tu_alloc(n);
    tu_voice(x, n, FS, 3);
    const int F = sm_spec_frames(n, W, H);
    sm_cpx *X = spec_alloc(F, W);
    assert_int_equal(sm_spec_analyze(x, n, W, H, X), SM_OK);
    float *mag = mag_of(X, F, W);

    /* The signal itself: the same analysis twice, bit for bit: -inf. */
    double sc = sm_spectral_convergence_db(mag, F, W, H, x, n);
    assert_true(isinf(sc) && sc < 0.0);

    /* y = 0: || |X| - 0 || = || |X| ||: exactly 0 dB. */
    memset(y, 0, n * sizeof(float));
    sc = sm_spectral_convergence_db(mag, F, W, H, y, n);
    assert_true(fabs(sc) < 1e-12);

    /* y = 2x: scaling by 2 is exact in binary floating point through the
     * FFT, so || |X| - 2|X| || = || |X| ||: 0 dB again. */
    for (size_t i = 0; i < n; i++)
        y[i] = 2.0f * x[i];
    sc = sm_spectral_convergence_db(mag, F, W, H, y, n);
    assert_true(fabs(sc) < 1e-9);

    /* y = x/2: half the magnitude off: 20 log10(1/2) = -6.02 dB. */
    for (size_t i = 0; i < n; i++)
        y[i] = 0.5f * x[i];
    sc = sm_spectral_convergence_db(mag, F, W, H, y, n);
    assert_true(fabs(sc - 20.0 * log10(0.5)) < 1e-6);

    /* y = -x: same magnitudes. */
    for (size_t i = 0; i < n; i++)
        y[i] = -x[i];
    sc = sm_spectral_convergence_db(mag, F, W, H, y, n);
    assert_true(isinf(sc) && sc < 0.0);

    /* A one-sample delay changes the magnitudes a little, not nothing. */
    y[0] = 0.0f;
    memcpy(y + 1, x, (n - 1) * sizeof(float));
    sc = sm_spectral_convergence_db(mag, F, W, H, y, n);
    assert_true(sc > -80.0 && sc < -10.0);

    /* Silence: target and signal silent is 0 dB (documented), a sound
     * against a silent target +inf, never NaN. */
    float *zmag = tu_alloc((size_t)F * (size_t)(W / 2 + 1));
    memset(zmag, 0, (size_t)F * (size_t)(W / 2 + 1) * sizeof(float));
    memset(y, 0, n * sizeof(float));
    sc = sm_spectral_convergence_db(zmag, F, W, H, y, n);
    assert_true(sc == 0.0);
    sc = sm_spectral_convergence_db(zmag, F, W, H, x, n);
    assert_true(isinf(sc) && sc > 0.0);
    free(zmag);
    free(x);
    free(y);
    free(X);
    free(mag);
}

/* ---- Griffin-Lim ----------------------------------------------------- */

typedef struct {
    int W, H, F;
    size_t n;
    float *x, *mag;
    sm_cpx *X;
} sig;

static sig sig_make(int W, int H, size_t n, int kind)
{
    sig s = {.W = W, .H = H, .n = n};
    s.x = tu_alloc(n);
    if (kind == 0)
        tu_voice(s.x, n, FS, 11);
    else
        tu_noise(s.x, n, 0.5f, 23);
    s.F = sm_spec_frames(n, W, H);
    s.X = spec_alloc(s.F, W);
    assert_int_equal(sm_spec_analyze(s.x, n, W, H, s.X), SM_OK);
    s.mag = mag_of(s.X, s.F, W);
    return s;
}

static void sig_free(sig *s)
{
    free(s->x);
    free(s->X);
    free(s->mag);
}

/* SC of spec (resynthesised) against the signal's magnitude; also checks
 * that spec carries the target magnitude. */
static double sc_of(const sig *s, const sm_cpx *spec)
{
    const size_t count = (size_t)s->F * (size_t)(s->W / 2 + 1);
    for (size_t i = 0; i < count; i++) {
        float m = sm_cabs(spec[i]);
        if (!(fabsf(m - s->mag[i]) <= 1e-5f * s->mag[i] + 1e-30f))
            fail_msg("bin %zu: |spec| %g, target %g", i, (double)m,
                     (double)s->mag[i]);
    }
    float *y = tu_alloc(s->n);
    assert_int_equal(sm_spec_synth(spec, s->F, s->W, s->H, y, s->n), SM_OK);
    double sc = sm_spectral_convergence_db(s->mag, s->F, s->W, s->H, y, s->n);
    free(y);
    assert_false(isnan(sc));
    return sc;
}

static double offline_sc(const sig *s, int method, int iterations)
{
    sm_phase_setup st = {.window = s->W, .hop = s->H, .fs_hz = FS,
                         .method = method};
    sm_cpx *spec = spec_alloc(s->F, s->W);
    assert_int_equal(
        sm_phase_offline(&st, s->mag, s->F, NULL, iterations, spec), SM_OK);
    double sc = sc_of(s, spec);
    free(spec);
    return sc;
}

/* Griffin-Lim never increases the inconsistency, and in practice SC
 * falls steadily; fast Griffin-Lim is not monotone from one iteration
 * to the next but is far along after 100. And the point of the momentum
 * (Perraudin et al. 2013): fgla with 30 iterations beats gla with 100 on
 * speech at the default 2048/512. */
static void test_gla_progress(void **state)
{
    (void)state;
    sig s = sig_make(2048, 512, (size_t)(1.5 * FS), 0);
    double g5 = offline_sc(&s, SM_PHASE_GLA, 5);
    double g20 = offline_sc(&s, SM_PHASE_GLA, 20);
    double g100 = offline_sc(&s, SM_PHASE_GLA, 100);
    double f10 = offline_sc(&s, SM_PHASE_FGLA, 10);
    double f30 = offline_sc(&s, SM_PHASE_FGLA, 30);
    double f100 = offline_sc(&s, SM_PHASE_FGLA, 100);
    print_message("gla 5/20/100: %.2f %.2f %.2f dB; fgla 10/30/100: %.2f "
                  "%.2f %.2f dB\n",
                  g5, g20, g100, f10, f30, f100);
    assert_true(g20 < g5 - 1.0);
    assert_true(g100 < g20 - 1.0);
    assert_true(f100 < f10 - 3.0);
    assert_true(f30 < g100);
    /* Well past the reach of any phase that ignores consistency (zero or
     * random phase sit near 0 dB .. -5 dB). */
    assert_true(f100 < -15.0);
    sig_free(&s);
}

/* A consistent spectrogram is a fixed point of both projections: started
 * on the true spectrum, Griffin-Lim (with or without momentum) must stay
 * there up to float rounding (-60 dB is the bound). */
static void test_gla_consistent_fixed_point(void **state)
{
    (void)state;
    static const int pairs[][2] = {{2048, 512}, {512, 128}, {1000, 250}};
    for (size_t p = 0; p < sizeof pairs / sizeof pairs[0]; p++) {
        for (int kind = 0; kind < 2; kind++) {
            sig s = sig_make(pairs[p][0], pairs[p][1], 30000, kind);
            const size_t count = (size_t)s.F * (size_t)(s.W / 2 + 1);
            sm_cpx *spec = spec_alloc(s.F, s.W);
            for (int fast = 0; fast < 2; fast++) {
                memcpy(spec, s.X, count * sizeof(sm_cpx));
                assert_int_equal(sm_gla_run(s.W, s.H, s.mag, s.F, spec, 30,
                                            fast ? 0.99f : 0.0f),
                                 SM_OK);
                double sc = sc_of(&s, spec);
                print_message("%d/%d %s %s from the true phase: %.1f dB\n",
                              s.W, s.H, kind ? "noise" : "voice",
                              fast ? "fgla" : "gla", sc);
                if (!(sc <= -60.0))
                    fail_msg("%d/%d %s %s: %.1f dB from the true phase", s.W,
                             s.H, kind ? "noise" : "voice",
                             fast ? "fgla" : "gla", sc);
            }
            free(spec);
            sig_free(&s);
        }
    }
}

/* Same input, bit-identical output; silence stays exact silence. */
static void test_gla_deterministic_and_silence(void **state)
{
    (void)state;
    sig s = sig_make(512, 128, 8000, 0);
    const size_t count = (size_t)s.F * (size_t)(s.W / 2 + 1);
    sm_cpx *a = spec_alloc(s.F, s.W), *b = spec_alloc(s.F, s.W);
    for (size_t i = 0; i < count; i++)
        a[i] = b[i] = (sm_cpx){s.mag[i], 0.0f};
    assert_int_equal(sm_gla_run(s.W, s.H, s.mag, s.F, a, 7, 0.99f), SM_OK);
    assert_int_equal(sm_gla_run(s.W, s.H, s.mag, s.F, b, 7, 0.99f), SM_OK);
    assert_memory_equal(a, b, count * sizeof(sm_cpx));

    float *z = tu_alloc(count);
    memset(z, 0, count * sizeof(float));
    for (size_t i = 0; i < count; i++)
        a[i] = s.X[i]; /* a phase proposal, but silence is the target */
    assert_int_equal(sm_gla_run(s.W, s.H, z, s.F, a, 5, 0.99f), SM_OK);
    for (size_t i = 0; i < count; i++)
        assert_true(a[i].re == 0.0f && a[i].im == 0.0f);

    /* Denormal magnitudes (and a huge one next to them): finite, with the
     * target magnitude. */
    for (size_t i = 0; i < count; i++) {
        z[i] = (i % 3) ? 1e-40f : 0.0f;
        a[i] = (sm_cpx){0.0f, 0.0f};
    }
    z[count / 2] = 1e4f;
    assert_int_equal(sm_gla_run(s.W, s.H, z, s.F, a, 5, 0.99f), SM_OK);
    for (size_t i = 0; i < count; i++) {
        assert_true(isfinite(a[i].re) && isfinite(a[i].im));
        /* in double: the float |z| of a denormal underflows */
        double m = hypot((double)a[i].re, (double)a[i].im);
        assert_true(fabs(m - (double)z[i]) <= 1e-5 * z[i] + 1e-44);
    }
    free(z);
    free(a);
    free(b);
    sig_free(&s);
}

/* 0 iterations only imposes the magnitude; bad arguments are refused. */
static void test_gla_args(void **state)
{
    (void)state;
    float mag[3 * 5] = {1, 2, 3, 4, 5, 0, 1, 0, 2, 0, 3, 3, 3, 3, 3};
    sm_cpx spec[3 * 5];
    for (int i = 0; i < 15; i++)
        spec[i] = (sm_cpx){(float)(i % 4) - 1.5f, (float)(i % 3) - 1.0f};
    spec[0] = (sm_cpx){0.0f, 0.0f};
    sm_cpx orig[15];
    memcpy(orig, spec, sizeof spec);
    assert_int_equal(sm_gla_run(8, 4, mag, 3, spec, 0, 0.0f), SM_OK);
    for (int i = 0; i < 15; i++) {
        assert_float_equal(sm_cabs(spec[i]), mag[i], 1e-6);
        if (mag[i] > 0.0f && sm_cabs(orig[i]) > 0.0f) {
            /* same direction: cross product 0, dot product > 0 */
            float cr = spec[i].re * orig[i].im - spec[i].im * orig[i].re;
            float dt = spec[i].re * orig[i].re + spec[i].im * orig[i].im;
            assert_true(fabsf(cr) < 1e-5f && dt > 0.0f);
        }
    }
    assert_true(spec[0].re == 1.0f && spec[0].im == 0.0f); /* no phase: 0 */
    /* Proposals far from the magnitude's scale (squares that underflow
     * or overflow, denormals) keep their direction and take the target
     * magnitude exactly enough. */
    static const sm_cpx odd[] = {{1e-21f, -2e-21f}, {3e-42f, 1e-42f},
                                 {-1e30f, 2e30f},   {0.0f, -7e-39f},
                                 {0.0f, 0.0f}};
    for (size_t j = 0; j < sizeof odd / sizeof odd[0]; j++) {
        float one[5] = {1.0f, 1.0f, 1.0f, 1.0f, 1.0f};
        sm_cpx z[5];
        for (int k = 0; k < 5; k++)
            z[k] = odd[j];
        assert_int_equal(sm_gla_run(8, 4, one, 1, z, 0, 0.0f), SM_OK);
        double dr = (double)odd[j].re, di = (double)odd[j].im;
        double n = hypot(dr, di);
        assert_true(fabs(hypot(z[0].re, z[0].im) - 1.0) < 1e-6);
        if (n > 0.0) /* same direction as the proposal */
            assert_true(fabs(z[0].re - dr / n) < 1e-6 &&
                        fabs(z[0].im - di / n) < 1e-6);
        else
            assert_true(z[0].re == 1.0f && z[0].im == 0.0f);
    }
    assert_int_equal(sm_gla_run(8, 4, NULL, 3, spec, 1, 0.0f), SM_ERR_NULL);
    assert_int_equal(sm_gla_run(8, 4, mag, 3, NULL, 1, 0.0f), SM_ERR_NULL);
    assert_int_equal(sm_gla_run(7, 3, mag, 3, spec, 1, 0.0f), SM_ERR_CONFIG);
    assert_int_equal(sm_gla_run(8, 5, mag, 3, spec, 1, 0.0f), SM_ERR_CONFIG);
    assert_int_equal(sm_gla_run(8, 4, mag, 3, spec, -1, 0.0f),
                     SM_ERR_CONFIG);
    assert_int_equal(sm_gla_run(8, 4, mag, 3, spec, 1, -0.5f),
                     SM_ERR_CONFIG);
    assert_int_equal(sm_gla_run(8, 4, mag, 3, spec, 1, NAN), SM_ERR_CONFIG);
    assert_int_equal(sm_gla_run(8, 4, mag, 0, spec, 3, 0.5f), SM_OK);
}

/* Every streaming method also runs offline (flushed through its
 * look-ahead): complete spectra with the target magnitude, finite. And
 * mix given the true spectrum as its proposal returns it. */
static void test_offline_streaming(void **state)
{
    (void)state;
    sig s = sig_make(512, 128, 9000, 0);
    const size_t count = (size_t)s.F * (size_t)(s.W / 2 + 1);
    sm_cpx *spec = spec_alloc(s.F, s.W);
    for (int m = SM_PHASE_MIX; m <= SM_PHASE_HPSS; m++) {
        sm_phase_setup st = {.window = s.W, .hop = s.H, .fs_hz = FS,
                             .method = m, .lookahead = 2,
                             .init = SM_PHASE_INIT_PGHI,
                             .harmonic = SM_PHASE_PGHI,
                             .percussive = SM_PHASE_PGHI,
                             .hpss_ms = 100.0f, .hpss_hz = 500.0f};
        for (size_t i = 0; i < count; i++)
            spec[i] = (sm_cpx){NAN, NAN};
        assert_int_equal(sm_phase_offline(&st, s.mag, s.F, s.X, 4, spec),
                         SM_OK);
        for (size_t i = 0; i < count; i++)
            if (!isfinite(spec[i].re) || !isfinite(spec[i].im))
                fail_msg("%s: bin %zu not finite", sm_phase_name(m), i);
        if (m == SM_PHASE_MIX) {
            double sc = sc_of(&s, spec);
            assert_true(sc < -100.0);
        }
    }
    sm_phase_setup bad = {.window = 512, .hop = 300, .fs_hz = FS,
                          .method = SM_PHASE_FGLA};
    assert_int_equal(sm_phase_offline(&bad, s.mag, s.F, NULL, 4, spec),
                     SM_ERR_CONFIG);
    assert_int_equal(sm_phase_offline(NULL, s.mag, s.F, NULL, 4, spec),
                     SM_ERR_NULL);
    free(spec);
    sig_free(&s);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_frames_count),
        cmocka_unit_test(test_round_trip),
        cmocka_unit_test(test_analyze_args),
        cmocka_unit_test(test_sc_values),
        cmocka_unit_test(test_gla_progress),
        cmocka_unit_test(test_gla_consistent_fixed_point),
        cmocka_unit_test(test_gla_deterministic_and_silence),
        cmocka_unit_test(test_gla_args),
        cmocka_unit_test(test_offline_streaming),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
