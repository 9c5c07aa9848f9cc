/* test_gccphat.c: the lag estimator alone: no bias at any fractional
 * delay (where the plain parabola has one), speech-like material, both
 * signs and the range edges, polarity, silence gating, low confidence for
 * unrelated inputs, the FFT size. */
#include "gccphat.h"
#include "testutil.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FS 48000
#define W 4800 /* 100 ms */
#define L 2400 /* 50 ms */
#define LEN 216000 /* 4.5 s; 2^6 3^3 5^3 for the reference FFT */

typedef struct errs {
    double mean, max_abs, par_mean;
    float min_conf, mean_conf;
    int n;
} errs;

/* Runs the estimator every 1200 samples over a and b (b(t) = a(t - d))
 * from 0.5 s to 4 s and collects the errors of the valid estimates whose
 * confidence reaches min_conf. */
static errs sweep(sm_gccphat *g, const float *a, const float *b, double d,
                  float min_conf)
{
    errs e = {0, 0, 0, 2.0f, 0, 0};
    for (size_t t = FS / 2; t <= 4 * FS; t += 1200) {
        sm_gccphat_result r =
            sm_gccphat_run(g, a + t - L - W, b + t - W - 2 * L);
        if (!r.valid || r.confidence < min_conf)
            continue;
        double err = r.lag_samples - d;
        e.mean += err;
        e.par_mean += sm_gccphat_parabolic_lag(g) - d;
        e.mean_conf += r.confidence;
        if (fabs(err) > e.max_abs)
            e.max_abs = fabs(err);
        if (r.confidence < e.min_conf)
            e.min_conf = r.confidence;
        e.n++;
    }
    if (e.n) {
        e.mean /= e.n;
        e.par_mean /= e.n;
        e.mean_conf /= (float)e.n;
    }
    return e;
}

/* Noise, delays 123.0 .. 123.9 samples and their negatives: every single
 * estimate within 0.03 samples, the mean within 0.002 at every fraction.
 * The parabola on the same correlation is off by more than 0.08 samples
 * at fractions 0.3 and 0.7 (its bias), so the comparison can fail. */
static void test_unbiased_on_noise(void **state)
{
    (void)state;
    sm_error err;
    sm_gccphat *g = sm_gccphat_new(W, L, &err);
    assert_non_null(g);
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    tu_noise(x, LEN, 0.3f, 7);
    double worst_mean = 0.0, worst_par = 0.0;
    for (int sign = 1; sign >= -1; sign -= 2) {
        for (int f = 0; f < 10; f++) {
            double d = sign * (123.0 + 0.1 * f);
            tu_delay_exact(x, a, b, LEN, d);
            errs e = sweep(g, a, b, d, 0.0f);
            assert_int_equal(e.n, 141);
            if (fabs(e.mean) > 0.002 || e.max_abs > 0.03)
                fail_msg("delay %.1f: mean error %.4f, max %.4f samples", d,
                         e.mean, e.max_abs);
            assert_true(e.min_conf > 0.3f);
            worst_mean = fmax(worst_mean, fabs(e.mean));
            if (f == 3 || f == 7) {
                if (!(fabs(e.par_mean) > 0.08))
                    fail_msg("delay %.1f: parabola error %.4f (expected its "
                             "bias)", d, e.par_mean);
                worst_par = fmax(worst_par, fabs(e.par_mean));
            }
        }
    }
    print_message("noise: worst mean error %.5f samples (parabola %.4f)\n",
                  worst_mean, worst_par);
    sm_gccphat_free(g);
    free(x);
    free(a);
    free(b);
}

/* Speech-like material, delays of either sign: at least 40 % of the
 * estimates are confident (>= 0.1), and those are right within 0.5
 * samples each (0.01 ms, before the tracker averages them) and 0.03 on
 * average. */
static void test_speech_like(void **state)
{
    (void)state;
    sm_error err;
    sm_gccphat *g = sm_gccphat_new(W, L, &err);
    assert_non_null(g);
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    tu_voice(x, LEN, FS, 3);
    static const double ds[] = {592.5936, -592.5936, 1920.25, -1920.75, 0.4};
    for (size_t k = 0; k < sizeof ds / sizeof ds[0]; k++) {
        tu_delay_exact(x, a, b, LEN, ds[k]);
        errs e = sweep(g, a, b, ds[k], 0.1f);
        print_message("voice %.4f: %d confident, mean %.4f max %.4f conf "
                      "%.2f\n", ds[k], e.n, e.mean, e.max_abs, e.mean_conf);
        if (e.n < 58 || fabs(e.mean) > 0.03 || e.max_abs > 0.5)
            fail_msg("delay %.4f: %d confident, mean %.4f, max %.4f", ds[k],
                     e.n, e.mean, e.max_abs);
    }
    sm_gccphat_free(g);
    free(x);
    free(a);
    free(b);
}

/* Lags at the ends of the range are found; lags beyond it never give a
 * confident estimate (the peak is cut off at the edge). */
static void test_range_edges(void **state)
{
    (void)state;
    sm_error err;
    sm_gccphat *g = sm_gccphat_new(W, L, &err);
    assert_non_null(g);
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    tu_noise(x, LEN, 0.3f, 9);
    static const double in[] = {L - 1.5, -(L - 1.5), 0.0, 0.25};
    for (size_t k = 0; k < 4; k++) {
        tu_delay_exact(x, a, b, LEN, in[k]);
        errs e = sweep(g, a, b, in[k], 0.1f);
        assert_int_equal(e.n, 141);
        assert_true(e.max_abs < 0.03);
    }
    static const double out[] = {L + 40.0, -(L + 40.0), 3.0 * L};
    for (size_t k = 0; k < 3; k++) {
        tu_delay_exact(x, a, b, LEN, out[k]);
        errs e = sweep(g, a, b, out[k], 0.1f);
        if (e.n)
            fail_msg("delay %.1f outside +-%d: %d confident estimates",
                     out[k], L, e.n);
    }
    sm_gccphat_free(g);
    free(x);
    free(a);
    free(b);
}

/* B = -A delayed: the same lag, as confidently. */
static void test_polarity_inverted(void **state)
{
    (void)state;
    sm_error err;
    sm_gccphat *g = sm_gccphat_new(W, L, &err);
    assert_non_null(g);
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    tu_noise(x, LEN, 0.3f, 10);
    tu_delay_exact(x, a, b, LEN, -321.7);
    for (size_t i = 0; i < LEN; i++)
        b[i] = -b[i];
    errs e = sweep(g, a, b, -321.7, 0.3f);
    assert_int_equal(e.n, 141);
    assert_true(e.max_abs < 0.03);
    sm_gccphat_free(g);
    free(x);
    free(a);
    free(b);
}

/* Silence (either input, or a level under -80 dBFS) is gated; unrelated
 * inputs (independent noises, voice against noise, two different voices)
 * never reach the tracker's threshold of 0.1. */
static void test_silence_and_unrelated(void **state)
{
    (void)state;
    sm_error err;
    sm_gccphat *g = sm_gccphat_new(W, L, &err);
    assert_non_null(g);
    float *a = tu_alloc(W + 2 * L), *b = tu_alloc(W + 2 * L);
    tu_noise(a, W + 2 * L, 0.3f, 1);
    sm_gccphat_result r = sm_gccphat_run(g, a, b); /* b silent */
    assert_false(r.valid);
    assert_true(r.confidence == 0.0f);
    tu_noise(b, W + 2 * L, 1e-5f, 2); /* -100 dBFS */
    assert_false(sm_gccphat_run(g, a, b).valid);
    free(a);
    free(b);

    float *x = tu_alloc(LEN), *y = tu_alloc(LEN);
    float worst = 0.0f;
    for (int c = 0; c < 3; c++) {
        if (c == 0) {
            tu_noise(x, LEN, 0.3f, 11);
            tu_noise(y, LEN, 0.3f, 12);
        } else if (c == 1) {
            tu_voice(x, LEN, FS, 1);
            tu_noise(y, LEN, 0.1f, 13);
        } else {
            tu_voice(x, LEN, FS, 1);
            tu_voice(y, LEN, FS * 1.13, 4); /* another speaker */
        }
        for (size_t t = W + 2 * L; t <= LEN; t += 1200) {
            r = sm_gccphat_run(g, x + t - L - W, y + t - W - 2 * L);
            worst = fmaxf(worst, r.confidence);
        }
        if (worst >= 0.1f)
            fail_msg("case %d: unrelated inputs reached confidence %.3f", c,
                     worst);
    }
    print_message("unrelated: highest confidence %.3f\n", worst);
    sm_gccphat_free(g);
    free(x);
    free(y);
}

/* FFT size: at least window + 2 max_lag, factors 2, 3 and 5 only; bad
 * sizes are refused. */
static void test_fft_size(void **state)
{
    (void)state;
    static const int cases[][2] = {{4800, 2400}, {16, 1}, {4801, 7},
                                   {48000, 24000}, {1999, 1001}};
    for (size_t k = 0; k < 5; k++) {
        sm_error err;
        sm_gccphat *g = sm_gccphat_new(cases[k][0], cases[k][1], &err);
        assert_non_null(g);
        int n = sm_gccphat_fft_size(g), r = n;
        assert_true(n >= cases[k][0] + 2 * cases[k][1]);
        assert_true(n % 2 == 0);
        while (r % 2 == 0)
            r /= 2;
        while (r % 3 == 0)
            r /= 3;
        while (r % 5 == 0)
            r /= 5;
        assert_int_equal(r, 1);
        sm_gccphat_free(g);
    }
    /* The defaults at 48 kHz: 9600 = 2^7 3 5^2, no padding to 16384. */
    sm_gccphat *g = sm_gccphat_new(4800, 2400, NULL);
    assert_non_null(g);
    assert_int_equal(sm_gccphat_fft_size(g), 9600);
    sm_gccphat_free(g);
    sm_error err = SM_OK;
    assert_null(sm_gccphat_new(15, 10, &err));
    assert_int_equal(err, SM_ERR_CONFIG);
    assert_null(sm_gccphat_new(100, 0, &err));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_unbiased_on_noise),
        cmocka_unit_test(test_speech_like),
        cmocka_unit_test(test_range_edges),
        cmocka_unit_test(test_polarity_inverted),
        cmocka_unit_test(test_silence_and_unrelated),
        cmocka_unit_test(test_fft_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
