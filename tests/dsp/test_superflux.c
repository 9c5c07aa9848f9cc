/* test_superflux.c: the onset detector of the transient modulator
 * (dsp/superflux.c), on the STFTs the engine's bands use.
 *
 * A click train over quiet noise must give exactly one onset per click,
 * at the frame the click enters the window or the next one (causal: no
 * look-ahead); a steady tone, a tone with vibrato (what SuperFlux's
 * maximum filter is for) and steady noise give none. The envelope holds 1
 * while the attack is in the window and then decays with its time
 * constant; a reset only primes the history. */
#include "stft.h"
#include "superflux.h"
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

/* Streams x through an STFT and the detector the way a band does (frame t
 * holds input samples up to (t + 1) hop - 1). onset[t] and env[t] (either
 * may be NULL) receive the readings; returns the frame count. */
static size_t detect(int win, int hop, const float *x, size_t n, int *onset,
                     float *env, float decay_ms)
{
    sm_stft *st = sm_stft_new(win, hop, NULL);
    sm_superflux *sf = sm_superflux_new(win, hop, FS, NULL);
    assert_non_null(st);
    assert_non_null(sf);
    sm_superflux_set_decay_ms(sf, decay_ms);
    sm_cpx *spec = sm_stft_alloc_spec(st);
    float *frame = tu_alloc((size_t)win);
    size_t frames = n / (size_t)hop;
    for (size_t t = 0; t < frames; t++) {
        memmove(frame, frame + hop, (size_t)(win - hop) * sizeof(float));
        memcpy(frame + win - hop, x + t * (size_t)hop,
               (size_t)hop * sizeof(float));
        sm_stft_analyze(st, frame, spec);
        float e = sm_superflux_frame(sf, spec);
        assert_true(e >= 0.0f && e <= 1.0f);
        if (onset)
            onset[t] = sm_superflux_onset(sf);
        if (env)
            env[t] = e;
    }
    sm_stft_free_buf(spec);
    free(frame);
    sm_superflux_free(sf);
    sm_stft_free(st);
    return frames;
}

/* A click: a 10 ms noise burst decaying with 1 ms. */
static void add_click(float *x, size_t at, uint32_t seed)
{
    float burst[480];
    tu_noise(burst, 480, 0.8f, seed);
    for (int j = 0; j < 480; j++)
        x[at + (size_t)j] += burst[j] * expf(-(float)j / 48.0f);
}

static void test_click_train_hits_every_click(void **state)
{
    (void)state;
    const size_t n = 4 * FS, first = 9600, period = 12000; /* 4 per s */
    float *x = tu_alloc(n);
    tu_noise(x, n, 0.01f, 3); /* -40 dB background */
    size_t nclicks = 0;
    for (size_t c = first; c + 480 < n; c += period)
        add_click(x, c, (uint32_t)(100 + nclicks++));
    for (int l = 0; l < N_LAYOUTS; l++) {
        const int win = layouts[l][0], hop = layouts[l][1];
        int *on = calloc(n / (size_t)hop, sizeof(int));
        assert_non_null(on);
        size_t frames = detect(win, hop, x, n, on, NULL, 30.0f);
        /* The window fills with the background first: from then on. */
        size_t from = (size_t)(win / hop), total = 0, hits = 0;
        for (size_t t = from; t < frames; t++)
            total += (size_t)on[t];
        for (size_t c = first; c + 480 < n; c += period) {
            size_t t0 = c / (size_t)hop; /* first frame holding the click */
            int found = 0;
            for (size_t t = t0; t <= t0 + 1 && t < frames; t++)
                found += on[t];
            hits += found == 1;
        }
        print_message("  %d/%d: %zu of %zu clicks hit, %zu onsets\n", win,
                      hop, hits, nclicks, total);
        assert_int_equal(hits, nclicks);
        assert_int_equal(total, nclicks);
        free(on);
    }
    free(x);
}

static void test_steady_signals_give_no_onsets(void **state)
{
    (void)state;
    const size_t n = 3 * FS;
    float *x = tu_alloc(n);
    for (int kind = 0; kind < 3; kind++) {
        double ph = 0.0;
        for (size_t i = 0; i < n; i++) {
            double t = (double)i / FS;
            if (kind == 0) { /* a steady sine */
                x[i] = (float)(0.5 * sin(2.0 * M_PI * 440.0 * t));
            } else if (kind == 1) { /* 8 harmonics, 6 Hz vibrato +-50 ct */
                double f = 440.0 * pow(2.0, 0.5 / 12.0 *
                                                sin(2.0 * M_PI * 6.0 * t));
                ph += 2.0 * M_PI * f / FS;
                double v = 0.0;
                for (int h = 1; h <= 8; h++)
                    v += 0.3 / h * sin(h * ph);
                x[i] = (float)v;
            }
        }
        if (kind == 2)
            tu_noise(x, n, 0.3f, 9); /* steady white noise */
        for (int l = 0; l < N_LAYOUTS; l++) {
            const int win = layouts[l][0], hop = layouts[l][1];
            int *on = calloc(n / (size_t)hop, sizeof(int));
            assert_non_null(on);
            size_t frames = detect(win, hop, x, n, on, NULL, 30.0f);
            /* After the signal's own start (its first 250 ms). */
            size_t from = (size_t)(0.25 * FS) / (size_t)hop, total = 0;
            for (size_t t = from; t < frames; t++)
                total += (size_t)on[t];
            if (total)
                fail_msg("kind %d, %d/%d: %zu onsets in a steady signal",
                         kind, win, hop, total);
            free(on);
        }
    }
    free(x);
}

static void test_envelope_holds_then_decays(void **state)
{
    (void)state;
    const int win = 2048, hop = 512;
    const float decay_ms = 40.0f;
    const size_t n = FS;
    float *x = tu_alloc(n), *env = tu_alloc(n / hop);
    int *on = calloc(n / hop, sizeof(int));
    assert_non_null(on);
    add_click(x, 12000, 5);
    size_t frames = detect(win, hop, x, n, on, env, decay_ms);
    size_t t_on = 0;
    for (size_t t = 0; t < frames; t++)
        if (on[t]) {
            assert_int_equal(t_on, 0); /* one onset */
            t_on = t;
        }
    assert_true(t_on > 0);
    for (size_t t = 0; t < t_on; t++)
        assert_true(env[t] == 0.0f);
    /* 1 while the attack is inside the window: ceil(2048 / 512) frames. */
    for (size_t t = t_on; t < t_on + 4; t++)
        assert_true(env[t] == 1.0f);
    const float k = expf(-(float)hop / (FS * decay_ms * 1e-3f));
    for (size_t t = t_on + 4; t < t_on + 10; t++)
        assert_float_equal(env[t], env[t - 1] * k, 1e-6f);
    assert_true(env[frames - 1] == 0.0f); /* lands on 0 */
    free(x);
    free(env);
    free(on);
}

static void test_reset_primes(void **state)
{
    (void)state;
    const int win = 1024, hop = 256;
    sm_stft *st = sm_stft_new(win, hop, NULL);
    sm_superflux *sf = sm_superflux_new(win, hop, FS, NULL);
    sm_cpx *spec = sm_stft_alloc_spec(st);
    float *frame = tu_alloc((size_t)win);
    /* Silence, then a loud frame: an onset ... */
    memset(spec, 0, (size_t)(win / 2 + 1) * sizeof(sm_cpx));
    for (int i = 0; i < 3; i++)
        sm_superflux_frame(sf, spec);
    tu_noise(frame, (size_t)win, 0.9f, 4);
    sm_stft_analyze(st, frame, spec);
    sm_superflux_frame(sf, spec);
    assert_int_equal(sm_superflux_onset(sf), 1);
    assert_true(sm_superflux_odf(sf) > SM_FLUX_DELTA);
    /* ... but not as the first frame after a reset, which only primes. */
    sm_superflux_reset(sf);
    assert_true(sm_superflux_envelope(sf) == 0.0f);
    sm_superflux_frame(sf, spec);
    assert_int_equal(sm_superflux_onset(sf), 0);
    assert_true(sm_superflux_odf(sf) == 0.0f);
    sm_superflux_frame(sf, spec); /* the same frame again: no rise */
    assert_int_equal(sm_superflux_onset(sf), 0);
    assert_true(sm_superflux_odf(sf) == 0.0f);
    free(frame);
    sm_stft_free_buf(spec);
    sm_superflux_free(sf);
    sm_stft_free(st);
}

/* mu = round(N / 4H), at least 1, at most SM_FLUX_LAG_MAX. */
static void test_lag(void **state)
{
    (void)state;
    static const int cases[][3] = {{4096, 1024, 1}, {2048, 512, 1},
                                   {1024, 512, 1},  {2048, 256, 2},
                                   {4096, 256, 4},  {8192, 128, 4}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        sm_superflux *sf = sm_superflux_new(cases[i][0], cases[i][1], FS, NULL);
        assert_non_null(sf);
        assert_int_equal(sm_superflux_lag(sf), cases[i][2]);
        sm_superflux_free(sf);
    }
    sm_error err = SM_OK;
    assert_null(sm_superflux_new(2, 1, FS, &err));
    assert_int_equal(err, SM_ERR_CONFIG);
}

/* The per-bin kernels: rise is half-wave rectified, the maximum filter
 * clips at both ends, silence compresses to exactly 0. */
static void test_kernels(void **state)
{
    (void)state;
    const float x[4] = {1.0f, 3.0f, 2.0f, 0.5f};
    assert_true(sm_flux_maxfilt3(x, 4, 0) == 3.0f);
    assert_true(sm_flux_maxfilt3(x, 4, 2) == 3.0f);
    assert_true(sm_flux_maxfilt3(x, 4, 3) == 2.0f);
    assert_true(sm_flux_maxfilt3(x, 1, 0) == 1.0f);
    assert_true(sm_flux_rise(1.0f, 2.0f) == 0.0f);
    assert_float_equal(sm_flux_rise(2.5f, 2.0f), 0.5f, 0.0f);
    assert_true(sm_flux_logmag(0.0f, 1.0f) == 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_click_train_hits_every_click),
        cmocka_unit_test(test_steady_signals_give_no_onsets),
        cmocka_unit_test(test_envelope_holds_then_decays),
        cmocka_unit_test(test_reset_primes),
        cmocka_unit_test(test_lag),
        cmocka_unit_test(test_kernels),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
