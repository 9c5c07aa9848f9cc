/* test_minstat.c: the minimum-statistics noise tracker of the SNR
 * modulator (dsp/minstat.c), on the STFTs the engine's bands use.
 *
 * Against the known floor of a tone over white noise (E|X_k|^2 = sigma^2
 * sum w^2 for the Hann window, sum w^2 = 3N/8): within 2 s of a cold start
 * the estimate of the noise bins is the floor (median within 1 dB, 80 % of
 * the bins within 3 dB) with the 1.5 s window; a floor that rises by 20 dB
 * is followed within 2 s, one that falls mostly at once. The bias
 * compensation is deterministic and grows with the window. */
#include "minstat.h"
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
#define TONE_HZ 1000.0
static const int layouts[][2] = {{4096, 1024}, {2048, 512}, {512, 128}};
#define N_LAYOUTS (int)(sizeof layouts / sizeof layouts[0])

static int cmp_float(const void *a, const void *b)
{
    float x = *(const float *)a, y = *(const float *)b;
    return (x > y) - (x < y);
}

typedef struct error_db {
    float median, p10, p90;
} error_db;

/* Error of the noise estimate (dB) over the bins away from the tone and
 * the band edges, against the floor of uniform noise of amplitude amp. */
static error_db floor_error(const sm_minstat *ms, int win, double amp)
{
    const int bins = win / 2 + 1;
    const int pk = (int)(TONE_HZ * win / FS + 0.5);
    const double truth = amp * amp / 3.0 * 3.0 * win / 8.0;
    const float *noise = sm_minstat_noise(ms);
    float *e = tu_alloc((size_t)bins);
    int c = 0;
    for (int k = 2; k < bins - 2; k++)
        if (abs(k - pk) > 8)
            e[c++] = (float)(10.0 * log10(noise[k] / truth));
    qsort(e, (size_t)c, sizeof(float), cmp_float);
    error_db r = {e[c / 2], e[c / 10], e[c * 9 / 10]};
    free(e);
    return r;
}

/* Tone (0.5) over white noise whose amplitude is amp0 before t_step
 * seconds and amp1 from then on; runs to t_end and returns the error at
 * t_check (both after the step). */
static error_db track(int win, int hop, double amp0, double amp1,
                      double t_step, double t_check, error_db *at_step)
{
    const size_t n = (size_t)((t_check + 0.1) * FS);
    float *x = tu_alloc(n), *z = tu_alloc(n);
    const double hz = TONE_HZ, a = 0.5;
    tu_sines(x, n, FS, &hz, &a, 1);
    tu_noise(z, n, 1.0f, 77);
    const size_t step = (size_t)(t_step * FS);
    for (size_t i = 0; i < n; i++)
        x[i] += z[i] * (float)(i < step ? amp0 : amp1);
    sm_stft *st = sm_stft_new(win, hop, NULL);
    sm_minstat *ms = sm_minstat_new(win, hop, FS, 1500.0f, 0.0f, NULL);
    assert_non_null(st);
    assert_non_null(ms);
    sm_cpx *spec = sm_stft_alloc_spec(st);
    float *frame = tu_alloc((size_t)win);
    error_db r = {0, 0, 0};
    for (size_t t = 0; (t + 1) * (size_t)hop <= n; t++) {
        memmove(frame, frame + hop, (size_t)(win - hop) * sizeof(float));
        memcpy(frame + win - hop, x + t * (size_t)hop,
               (size_t)hop * sizeof(float));
        sm_stft_analyze(st, frame, spec);
        sm_minstat_frame(ms, spec);
        size_t end = (t + 1) * (size_t)hop; /* samples analysed so far */
        if (at_step && end >= step && end - (size_t)hop < step)
            *at_step = floor_error(ms, win, amp0);
        if (end >= (size_t)(t_check * FS)) {
            r = floor_error(ms, win, amp1);
            break;
        }
    }
    free(frame);
    free(x);
    free(z);
    sm_stft_free_buf(spec);
    sm_minstat_free(ms);
    sm_stft_free(st);
    return r;
}

static void test_converges_within_2s(void **state)
{
    (void)state;
    for (int l = 0; l < N_LAYOUTS; l++) {
        const int win = layouts[l][0], hop = layouts[l][1];
        error_db e = track(win, hop, 0.01, 0.01, 0.0, 2.0, NULL);
        print_message("  %d/%d at 2 s: median %+.2f dB, 10-90 %% "
                      "%+.2f..%+.2f dB\n", win, hop, e.median, e.p10, e.p90);
        assert_true(fabsf(e.median) < 1.0f);
        assert_true(e.p10 > -3.0f && e.p90 < 3.0f);
    }
}

static void test_follows_rise_and_fall(void **state)
{
    (void)state;
    for (int l = 0; l < N_LAYOUTS; l++) {
        const int win = layouts[l][0], hop = layouts[l][1];
        /* Settled at the low floor by 2.5 s, then +20 dB: 2 s later. */
        error_db before = {0, 0, 0};
        error_db e = track(win, hop, 0.01, 0.1, 2.5, 4.5, &before);
        print_message("  %d/%d: %+.2f dB before the rise, %+.2f dB "
                      "(10-90 %% %+.2f..%+.2f) 2 s after\n", win, hop,
                      before.median, e.median, e.p10, e.p90);
        assert_true(fabsf(before.median) < 1.0f);
        assert_true(fabsf(e.median) < 1.0f);
        assert_true(e.p10 > -3.0f && e.p90 < 3.0f);
        /* -20 dB: most of the way at once (the minimum of the few frames
         * since is compensated as if it were a whole window's, so it
         * reads high), exact once the window has passed. */
        e = track(win, hop, 0.1, 0.01, 2.5, 2.8, NULL);
        error_db e2 = track(win, hop, 0.1, 0.01, 2.5, 4.5, NULL);
        print_message("  %d/%d: %+.2f dB 0.3 s after a 20 dB fall, %+.2f dB "
                      "2 s after\n", win, hop, e.median, e2.median);
        assert_true(e.median < 8.0f);
        assert_true(fabsf(e2.median) < 1.0f);
    }
}

/* A tone held for longer than the window is taken for noise (as in the
 * paper); the estimate there is the tone's power, not the floor. */
static void test_steady_tone_counts_as_noise(void **state)
{
    (void)state;
    const int win = 2048, hop = 512, bins = win / 2 + 1;
    const int pk = (int)(TONE_HZ * win / FS + 0.5);
    const size_t n = 2 * FS;
    float *x = tu_alloc(n);
    const double hz = TONE_HZ, a = 0.5;
    tu_sines(x, n, FS, &hz, &a, 1);
    sm_stft *st = sm_stft_new(win, hop, NULL);
    sm_minstat *ms = sm_minstat_new(win, hop, FS, 1500.0f, 0.0f, NULL);
    sm_cpx *spec = sm_stft_alloc_spec(st);
    float *frame = tu_alloc((size_t)win);
    for (size_t t = 0; (t + 1) * (size_t)hop <= n; t++) {
        memmove(frame, frame + hop, (size_t)(win - hop) * sizeof(float));
        memcpy(frame + win - hop, x + t * (size_t)hop,
               (size_t)hop * sizeof(float));
        sm_stft_analyze(st, frame, spec);
        sm_minstat_frame(ms, spec);
    }
    const float *noise = sm_minstat_noise(ms), *P = sm_minstat_power(ms);
    assert_true(noise[pk] > 0.3f * P[pk]);
    assert_true(bins > pk);
    free(frame);
    free(x);
    sm_stft_free_buf(spec);
    sm_minstat_free(ms);
    sm_stft_free(st);
}

static void test_calibration(void **state)
{
    (void)state;
    sm_error err = SM_OK;
    float b1 = sm_minstat_calibrate(2048, 512, FS, 1500.0f, &err);
    float b2 = sm_minstat_calibrate(2048, 512, FS, 1500.0f, &err);
    assert_int_equal(err, SM_OK);
    assert_true(b1 == b2); /* deterministic */
    assert_true(b1 > 1.0f && b1 < 10.0f);
    /* A longer window finds a deeper minimum: a larger compensation. */
    float b3 = sm_minstat_calibrate(2048, 512, FS, 4000.0f, &err);
    assert_true(b3 > b1);
    sm_minstat *ms = sm_minstat_new(2048, 512, FS, 1500.0f, 0.0f, &err);
    assert_non_null(ms);
    assert_true(sm_minstat_bias(ms) == b1);
    /* D = U x round(1.5 s / (U hop)) = 8 x 18. */
    assert_int_equal(sm_minstat_window_frames(ms), 144);
    sm_minstat_free(ms);
    assert_null(sm_minstat_new(2048, 2048, FS, 1500.0f, 0.0f, &err));
    assert_int_equal(err, SM_ERR_CONFIG);
}

/* Silence: estimate 0, no NaN; the first frame after a reset starts the
 * smoothing from itself. */
static void test_silence_and_reset(void **state)
{
    (void)state;
    const int win = 512, bins = win / 2 + 1;
    sm_minstat *ms = sm_minstat_new(win, 128, FS, 1500.0f, 2.0f, NULL);
    assert_non_null(ms);
    sm_cpx *spec = calloc((size_t)bins, sizeof(sm_cpx));
    assert_non_null(spec);
    for (int t = 0; t < 1000; t++)
        sm_minstat_frame(ms, spec);
    for (int k = 0; k < bins; k++)
        assert_true(sm_minstat_noise(ms)[k] == 0.0f);
    sm_minstat_reset(ms);
    assert_int_equal(sm_minstat_frames(ms), 0);
    for (int k = 0; k < bins; k++)
        spec[k].re = 3.0f;
    sm_minstat_frame(ms, spec);
    assert_true(sm_minstat_power(ms)[5] == 9.0f);
    assert_true(sm_minstat_noise(ms)[5] == 18.0f); /* bias 2 x 9 */
    free(spec);
    sm_minstat_free(ms);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_converges_within_2s),
        cmocka_unit_test(test_follows_rise_and_fall),
        cmocka_unit_test(test_steady_tone_counts_as_noise),
        cmocka_unit_test(test_calibration),
        cmocka_unit_test(test_silence_and_reset),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
