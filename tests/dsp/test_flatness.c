/* test_flatness.c: per-bin spectral flatness of the tonality modulator
 * (dsp/flatness.c), on the STFTs the engine's bands use.
 *
 * White noise scores near 1 in every bin (the bias correction removes the
 * 0.56 a raw periodogram gives); a sine scores near 0 around its peak; a
 * sine over noise is tonal at the peak and noise-like away from it. */
#include "flatness.h"
#include "modkernels.h"
#include "stft.h"
#include "testutil.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FS 48000
static const int layouts[][2] = {{4096, 1024}, {2048, 512}, {512, 128}};
#define N_LAYOUTS (int)(sizeof layouts / sizeof layouts[0])

typedef struct stats {
    double mean;    /* over bins and frames */
    double pw_mean; /* power-weighted */
    float min;
    float last[4097]; /* flatness of the last frame */
    float power[4097];
} stats;

/* Streams x through an STFT and the flatness analysis; statistics over
 * the frames after the first 250 ms. */
static void analyse(int win, int hop, const float *x, size_t n, stats *s)
{
    const int bins = win / 2 + 1;
    sm_stft *st = sm_stft_new(win, hop, NULL);
    sm_flatness *fl = sm_flatness_new(bins, hop, FS, NULL);
    assert_non_null(st);
    assert_non_null(fl);
    sm_cpx *spec = sm_stft_alloc_spec(st);
    float *frame = tu_alloc((size_t)win);
    double sum = 0.0, wsum = 0.0, psum = 0.0;
    long count = 0;
    s->min = 1.0f;
    for (size_t t = 0; (t + 1) * (size_t)hop <= n; t++) {
        memmove(frame, frame + hop, (size_t)(win - hop) * sizeof(float));
        memcpy(frame + win - hop, x + t * (size_t)hop,
               (size_t)hop * sizeof(float));
        sm_stft_analyze(st, frame, spec);
        float *p = sm_flatness_input(fl);
        for (int k = 0; k < bins; k++)
            p[k] = spec[k].re * spec[k].re + spec[k].im * spec[k].im;
        memcpy(s->power, p, (size_t)bins * sizeof(float));
        const float *f = sm_flatness_frame(fl);
        memcpy(s->last, f, (size_t)bins * sizeof(float));
        if ((t + 1) * (size_t)hop < (size_t)(0.25 * FS))
            continue;
        for (int k = 0; k < bins; k++) {
            assert_true(f[k] >= 0.0f && f[k] <= 1.0f);
            sum += f[k];
            wsum += (double)f[k] * p[k];
            psum += p[k];
            s->min = f[k] < s->min ? f[k] : s->min;
            count++;
        }
    }
    s->mean = sum / (double)count;
    s->pw_mean = wsum / psum;
    free(frame);
    sm_stft_free_buf(spec);
    sm_flatness_free(fl);
    sm_stft_free(st);
}

static void test_white_noise_near_one(void **state)
{
    (void)state;
    const size_t n = FS;
    float *x = tu_alloc(n);
    stats *s = calloc(1, sizeof *s);
    assert_non_null(s);
    tu_noise(x, n, 0.3f, 17);
    for (int l = 0; l < N_LAYOUTS; l++) {
        analyse(layouts[l][0], layouts[l][1], x, n, s);
        print_message("  noise %d/%d: mean %.3f, lowest %.3f\n",
                      layouts[l][0], layouts[l][1], s->mean, s->min);
        assert_true(s->mean > 0.95);
        assert_true(s->min > 0.35f);
    }
    free(s);
    free(x);
}

static void test_sine_near_zero(void **state)
{
    (void)state;
    const size_t n = FS;
    float *x = tu_alloc(n);
    stats *s = calloc(1, sizeof *s);
    assert_non_null(s);
    const double hz = 1000.0, amp = 0.5;
    tu_sines(x, n, FS, &hz, &amp, 1);
    for (int l = 0; l < N_LAYOUTS; l++) {
        const int win = layouts[l][0];
        const int pk = (int)(hz * win / FS + 0.5);
        analyse(win, layouts[l][1], x, n, s);
        float worst = 0.0f;
        for (int k = pk - 2; k <= pk + 2; k++)
            worst = s->last[k] > worst ? s->last[k] : worst;
        print_message("  sine %d/%d: peak bins <= %.4f, power-weighted "
                      "mean %.4f\n", win, layouts[l][1], worst, s->pw_mean);
        assert_true(worst < 0.01f);
        assert_true(s->pw_mean < 0.01);
    }
    free(s);
    free(x);
}

/* A sine 40 dB over its noise (per bin): tonal at the peak, noise-like
 * beyond the neighbourhood. */
static void test_sine_in_noise(void **state)
{
    (void)state;
    const size_t n = FS;
    float *x = tu_alloc(n), *z = tu_alloc(n);
    stats *s = calloc(1, sizeof *s);
    assert_non_null(s);
    const double hz = 3000.0, amp = 0.3;
    tu_sines(x, n, FS, &hz, &amp, 1);
    tu_noise(z, n, 0.01f, 23);
    for (size_t i = 0; i < n; i++)
        x[i] += z[i];
    for (int l = 0; l < N_LAYOUTS; l++) {
        const int win = layouts[l][0], bins = win / 2 + 1;
        const int pk = (int)(hz * win / FS + 0.5);
        analyse(win, layouts[l][1], x, n, s);
        assert_true(s->last[pk] < 0.02f);
        double far = 0.0;
        int nf = 0;
        for (int k = 1; k < bins - 1; k++)
            if (abs(k - pk) > 2 * SM_FLAT_HALF_BINS) {
                far += s->last[k];
                nf++;
            }
        print_message("  sine+noise %d/%d: peak %.4f, away %.3f\n", win,
                      layouts[l][1], s->last[pk], far / nf);
        assert_true(far / nf > 0.9);
    }
    free(s);
    free(x);
    free(z);
}

/* The kernel: a flat spectrum is exactly noise-like (log flatness
 * gamma > 0, flatness 1), a single peak is not; silence counts as flat,
 * and a negative mean (impossible for powers) still gives no NaN. */
static void test_kernel(void **state)
{
    (void)state;
    float v = sm_flatness_log(sm_fast_logf(2.0f), 2.0f);
    assert_float_equal(v, SM_EULER_GAMMA, 1e-6f);
    assert_true(sm_flatness_from_log(v) == 1.0f);
    /* 16 bins of 1 and one of 1e6 */
    float mlp = (16.0f * 0.0f + sm_fast_logf(1e6f)) / 17.0f;
    float mp = (16.0f + 1e6f) / 17.0f;
    assert_true(sm_flatness_from_log(sm_flatness_log(mlp, mp)) < 0.01f);
    float sil = sm_fast_logf(SM_LOG_POWER_FLOOR);
    assert_true(sm_flatness_from_log(sm_flatness_log(sil, 0.0f)) == 1.0f);
    float neg = sm_flatness_log(sil, -1e-9f);
    assert_true(isfinite(neg));
}

/* The CPU loop's window sums agree with the direct neighbourhood means
 * (in double) on a spectrum of 160 dB range: peaks, noise and silence,
 * each keeping its own level right next to the others (a running sum
 * would carry a peak's rounding into the quiet bins after it). */
static void test_window_sums_match_direct(void **state)
{
    (void)state;
    const int bins = 1025, h = SM_FLAT_HALF_BINS;
    sm_flatness *fl = sm_flatness_new(bins, 512, FS, NULL);
    assert_non_null(fl);
    float *p = sm_flatness_input(fl), *z = tu_alloc((size_t)bins);
    tu_noise(z, (size_t)bins, 1.0f, 99);
    for (int k = 0; k < bins; k++) {
        p[k] = 1e-4f * z[k] * z[k];
        if (k % 97 == 5)
            p[k] = 1e12f; /* peaks */
        if (k > 600 && k < 640)
            p[k] = 0.0f; /* digital silence */
    }
    float *ref = tu_alloc((size_t)bins);
    for (int k = 0; k < bins; k++) {
        int lo = k - h < 0 ? 0 : k - h, hi = k + h >= bins ? bins - 1 : k + h;
        double sl = 0.0, sp = 0.0;
        for (int j = lo; j <= hi; j++) {
            sl += sm_fast_logf(p[j] + SM_LOG_POWER_FLOOR);
            sp += p[j];
        }
        double n = hi - lo + 1;
        ref[k] = sm_flatness_from_log(
            sm_flatness_log((float)(sl / n), (float)(sp / n)));
    }
    const float *f = sm_flatness_frame(fl); /* first frame: unsmoothed */
    for (int k = 0; k < bins; k++)
        if (fabsf(f[k] - ref[k]) > 1e-4f * (ref[k] + 1e-3f))
            fail_msg("bin %d: %g, direct %g", k, f[k], ref[k]);
    free(ref);
    free(z);
    sm_flatness_free(fl);
}

/* The window sums of modkernels.h against direct sums, for every bin of
 * arrays of several lengths (blocks cut short at the end included). */
static void test_window_sums(void **state)
{
    (void)state;
    static const int lens[] = {1, 5, 17, 18, 33, 257, 1025};
    for (size_t t = 0; t < sizeof lens / sizeof lens[0]; t++)
        for (int h = 1; h <= 8; h += 7) {
            const int n = lens[t], w = 2 * h + 1;
            float *x = tu_alloc((size_t)n), *pre = tu_alloc((size_t)n),
                  *suf = tu_alloc((size_t)n);
            for (int i = 0; i < n; i++)
                x[i] = (float)((i * 37) % 11); /* small integers: exact */
            for (int j = 0; j * w < n; j++)
                sm_window_scan(x, n, w, j, pre, suf);
            for (int i = 0; i < n; i++) {
                int a = i - h < 0 ? 0 : i - h;
                int e = i + h >= n ? n - 1 : i + h;
                float s = 0.0f;
                for (int j = a; j <= e; j++)
                    s += x[j];
                assert_true(sm_window_sum(x, pre, suf, n, i, h) == s);
                assert_int_equal(sm_window_count(n, i, h), e - a + 1);
            }
            free(x);
            free(pre);
            free(suf);
        }
}

/* sm_fast_logf against log() over the whole normal range. */
static void test_fast_log(void **state)
{
    (void)state;
    double worst = 0.0;
    for (double x = 1e-30; x < 1e30; x *= 1.0137) {
        float xf = (float)x;
        double err = fabs(sm_fast_logf(xf) - log((double)xf));
        double rel = err / (1.0 + fabs(log((double)xf)));
        worst = rel > worst ? rel : worst;
    }
    print_message("  sm_fast_logf: worst error %.2g (relative to 1 + |ln x|)\n",
                  worst);
    assert_true(worst < 3e-7);
    assert_true(sm_fast_logf(1.0f) == 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_white_noise_near_one),
        cmocka_unit_test(test_sine_near_zero),
        cmocka_unit_test(test_sine_in_noise),
        cmocka_unit_test(test_kernel),
        cmocka_unit_test(test_window_sums_match_direct),
        cmocka_unit_test(test_window_sums),
        cmocka_unit_test(test_fast_log),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
