/* test_fdelay.c: the fractional delay line: whole-sample delays exact,
 * the response of fractional ones, the block path equal to the sample
 * path, a gliding delay without steps, the history copy. */
#include "fdelay.h"
#include "testutil.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FS 48000.0

/* Whole-sample delays (0 included) give the input back shifted, bit for
 * bit, through both paths; before the first sample, silence. */
static void test_whole_samples_exact(void **state)
{
    (void)state;
    sm_fdelay_kernel k;
    assert_int_equal(sm_fdelay_kernel_init(&k), 0);
    const size_t n = 5000;
    float *x = tu_alloc(n), *y = tu_alloc(n);
    tu_noise(x, n, 0.5f, 3);
    static const double ds[] = {0, 1, 5, 15, 16, 17, 100, 2400};
    for (size_t c = 0; c < sizeof ds / sizeof ds[0]; c++) {
        sm_fdelay d, e;
        assert_int_equal(sm_fdelay_init(&d, 2400.0, 0), 0);
        assert_int_equal(sm_fdelay_init(&e, 2400.0, 0), 0);
        memcpy(y, x, n * sizeof(float));
        sm_fdelay_run(&d, &k, y, n, ds[c]);
        size_t m = (size_t)ds[c];
        for (size_t i = 0; i < n; i++) {
            float want = i >= m ? x[i - m] : 0.0f;
            sm_fdelay_push(&e, x[i]);
            float got = sm_fdelay_read(&e, &k, ds[c]);
            if (y[i] != want || got != want)
                fail_msg("delay %g, sample %zu: %g / %g, expected %g", ds[c],
                         i, y[i], got, want);
        }
        sm_fdelay_free(&d);
        sm_fdelay_free(&e);
    }
    free(x);
    free(y);
    sm_fdelay_kernel_free(&k);
}

/* Complex gain of the line at f_hz for a fixed delay, against the ideal
 * e^{-i w delay}: the magnitude of the difference (0 = exact). */
static double response_error(const sm_fdelay_kernel *k, double delay,
                             double f_hz)
{
    sm_fdelay d;
    assert_int_equal(sm_fdelay_init(&d, 3000.0, 0), 0);
    const size_t n = 8000, from = 4000;
    double w = 2.0 * M_PI * f_hz / FS, re = 0.0, im = 0.0;
    for (size_t i = 0; i < n; i++) {
        sm_fdelay_push(&d, (float)cos(w * (double)i));
        float y = sm_fdelay_read(&d, k, delay);
        if (i >= from) { /* y ~ Re(H e^{i w i}) */
            double e = (double)y - cos(w * ((double)i - delay));
            re += e * e;
            im += cos(w * ((double)i - delay)) * cos(w * ((double)i - delay));
        }
    }
    sm_fdelay_free(&d);
    return sqrt(re / im);
}

/* From 16 samples on (the whole kernel): error under -60 dB (0.01 dB, or
 * 0.06 degrees) from 50 Hz to 20 kHz at 48 kHz, at any fraction (about
 * -80 dB in fact). Under 16 samples the truncated kernel is coarser:
 * within -12 dB error to 12 kHz at 0.5 samples (magnitude -1.4 dB there),
 * under -35 dB to 20 kHz from 8.5 samples on. */
static void test_fraction_response(void **state)
{
    (void)state;
    sm_fdelay_kernel k;
    assert_int_equal(sm_fdelay_kernel_init(&k), 0);
    static const double fr[] = {50, 1000, 5000, 10000, 15000, 20000};
    static const double full[] = {16.5, 100.25, 1000.75, 2400.1, 17.0001,
                                  33.999};
    double worst = 0.0;
    for (size_t c = 0; c < 6; c++)
        for (size_t f = 0; f < 6; f++) {
            double e = response_error(&k, full[c], fr[f]);
            if (e > 1e-3)
                fail_msg("delay %g at %g Hz: error %.1f dB", full[c], fr[f],
                         20.0 * log10(e));
            worst = fmax(worst, e);
        }
    print_message("full kernel: worst error %.1f dB\n", 20.0 * log10(worst));
    static const double fr2[] = {50, 1000, 5000, 10000, 12000};
    for (size_t f = 0; f < 5; f++)
        assert_true(response_error(&k, 0.5, fr2[f]) < 0.25);
    for (size_t f = 0; f < 6; f++)
        assert_true(response_error(&k, 8.5, fr[f]) < 0.018);
    sm_fdelay_kernel_free(&k);
}

/* A gliding delay never steps: a 1 kHz sine through a delay that sweeps
 * 0 -> 40.7 -> 0.3 samples (across every whole sample, the truncated
 * region included) changes from sample to sample by no more than the
 * sine itself can at the resampling ratio (1 % for the truncated
 * kernel's gain ripple), and follows the ideal delayed sine within
 * -50 dB where the kernel is whole. */
static void test_glide_no_steps(void **state)
{
    (void)state;
    sm_fdelay_kernel k;
    assert_int_equal(sm_fdelay_kernel_init(&k), 0);
    sm_fdelay d;
    assert_int_equal(sm_fdelay_init(&d, 64.0, 0), 0);
    const double w = 2.0 * M_PI * 1000.0 / FS, rate = 0.01;
    const size_t n = 10000;
    double delay = 0.0, bound = w * (1.0 + rate) * 1.01;
    float prev = 0.0f;
    double max_step = 0.0, max_err = 0.0;
    for (size_t i = 0; i < n; i++) {
        double target = i < n / 2 ? 40.7 : 0.3;
        double dd = target - delay;
        delay += dd > rate ? rate : dd < -rate ? -rate : dd;
        sm_fdelay_push(&d, (float)sin(w * (double)i));
        float y = sm_fdelay_read(&d, &k, delay);
        if (i > 100) {
            max_step = fmax(max_step, fabs((double)y - prev));
            if (delay >= 16.0)
                max_err = fmax(max_err,
                               fabs((double)y - sin(w * ((double)i - delay))));
        }
        prev = y;
    }
    print_message("glide: largest step %.6f (bound %.6f), error %.1f dB\n",
                  max_step, bound, 20.0 * log10(max_err));
    assert_true(max_step <= bound);
    assert_true(max_err < 3.2e-3);
    /* A jump of half a period instead of a glide steps: the test can
     * fail. */
    sm_fdelay_reset(&d);
    max_step = 0.0;
    for (size_t i = 0; i < 200; i++) {
        sm_fdelay_push(&d, (float)sin(w * (double)i));
        float y = sm_fdelay_read(&d, &k, i < 150 ? 0.0 : 24.5);
        if (i > 100)
            max_step = fmax(max_step, fabs((double)y - prev));
        prev = y;
    }
    assert_true(max_step > 5.0 * bound);
    sm_fdelay_free(&d);
    sm_fdelay_kernel_free(&k);
}

/* The block path (fixed kernel) equals push + read per sample, bit for
 * bit, also in the truncated region and across block boundaries. */
static void test_run_matches_read(void **state)
{
    (void)state;
    sm_fdelay_kernel k;
    assert_int_equal(sm_fdelay_kernel_init(&k), 0);
    const size_t n = 3000;
    float *x = tu_alloc(n), *y = tu_alloc(n);
    tu_noise(x, n, 0.5f, 5);
    static const double ds[] = {0.25, 3.5, 15.999, 16.001, 123.456, 500.0};
    for (size_t c = 0; c < 6; c++) {
        sm_fdelay d, e;
        assert_int_equal(sm_fdelay_init(&d, 600.0, 0), 0);
        assert_int_equal(sm_fdelay_init(&e, 600.0, 0), 0);
        memcpy(y, x, n * sizeof(float));
        for (size_t i = 0; i < n; i += 77)
            sm_fdelay_run(&d, &k, y + i, n - i < 77 ? n - i : 77, ds[c]);
        for (size_t i = 0; i < n; i++) {
            sm_fdelay_push(&e, x[i]);
            float r = sm_fdelay_read(&e, &k, ds[c]);
            if (memcmp(&r, &y[i], sizeof r))
                fail_msg("delay %g sample %zu: %a vs %a", ds[c], i, y[i], r);
        }
        sm_fdelay_free(&d);
        sm_fdelay_free(&e);
    }
    free(x);
    free(y);
    sm_fdelay_kernel_free(&k);
}

/* The history copy: n samples ending `ago` before the newest, oldest
 * first, silence before the first push; and it lasts as long as asked. */
static void test_copy(void **state)
{
    (void)state;
    sm_fdelay d;
    assert_int_equal(sm_fdelay_init(&d, 10.0, 1000), 0);
    float out[1000];
    for (int i = 0; i < 5; i++)
        sm_fdelay_push(&d, (float)(i + 1));
    sm_fdelay_copy(&d, out, 8, 1);
    static const float want[8] = {0, 0, 0, 0, 1, 2, 3, 4};
    assert_memory_equal(out, want, sizeof want);
    for (int i = 5; i < 5000; i++)
        sm_fdelay_push(&d, (float)(i + 1));
    sm_fdelay_copy(&d, out, 1000, 0);
    for (int i = 0; i < 1000; i++)
        assert_true(out[i] == (float)(4001 + i));
    sm_fdelay_free(&d);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_whole_samples_exact),
        cmocka_unit_test(test_fraction_response),
        cmocka_unit_test(test_glide_no_steps),
        cmocka_unit_test(test_run_matches_read),
        cmocka_unit_test(test_copy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
