/* test_limiter.c: the look-ahead true-peak safety limiter (dsp/limiter.c).
 *
 * The limiter is the last stage before the DAC, so its promises are tested
 * hard: on loud signals of every kind (dense noise, sines well over full
 * scale, isolated spikes, square waves, a 0 dBFS sine whose peaks fall
 * between samples) no output sample exceeds the ceiling, the gain (not the
 * final clamp) does the work, and the true peak measured independently with
 * a long interpolator at 8x stays within 0.5 dB of the ceiling. Quiet
 * signals must pass untouched, delayed by exactly the reported latency, and
 * the gain must come back after a burst.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "limiter.h"
#include "testutil.h"

#define FS 48000.0
#define LA_MS 1.0   /* as the engine uses it */
#define REL_MS 60.0

static void lim_init(sm_limiter *l, float ceiling_db)
{
    assert_int_equal(sm_limiter_init(l, FS, LA_MS, REL_MS, ceiling_db), 0);
}

static float db_to_lin(float db) { return powf(10.0f, db / 20.0f); }

/* ---- an independent true-peak meter --------------------------------------
 * 32-tap Kaiser-windowed sinc (beta 9) at 8x: the seven positions between
 * every two samples plus the samples themselves. */
#define TP_OS 8
#define TP_HALF 16

static double bessel_i0(double x)
{
    double s = 1.0, t = 1.0;
    for (int k = 1; k < 50; k++) {
        t *= (x / (2.0 * k)) * (x / (2.0 * k));
        s += t;
    }
    return s;
}

static double true_peak(const float *y, size_t n)
{
    double h[TP_OS][2 * TP_HALF];
    const double beta = 9.0;
    for (int p = 1; p < TP_OS; p++) {
        double f = (double)p / TP_OS;
        for (int i = 0; i < 2 * TP_HALF; i++) {
            double t = f - (double)(i - TP_HALF + 1); /* taps -15..16 */
            double s = sin(M_PI * t) / (M_PI * t);
            double r = t / (TP_HALF + 1.0);
            double w = bessel_i0(beta * sqrt(1.0 - r * r)) / bessel_i0(beta);
            h[p][i] = s * w;
        }
    }
    double pk = 0.0;
    for (size_t k = 0; k < n; k++)
        pk = fmax(pk, fabs(y[k]));
    for (size_t k = TP_HALF; k + TP_HALF < n; k++) {
        for (int p = 1; p < TP_OS; p++) {
            double v = 0.0;
            const float *x = y + k - TP_HALF + 1;
            for (int i = 0; i < 2 * TP_HALF; i++)
                v += h[p][i] * x[i];
            pk = fmax(pk, fabs(v));
        }
    }
    return pk;
}

/* The meter itself: a sine at fs/4 with phase pi/4 has samples at
 * +-0.7071 A and a true peak of A. */
static void test_meter_sanity(void **state)
{
    (void)state;
    const size_t n = 4096;
    float *x = tu_alloc(n);
    for (size_t i = 0; i < n; i++)
        x[i] = (float)sin(M_PI / 2 * (double)i + M_PI / 4);
    double tp = true_peak(x, n);
    assert_true(fabs(20.0 * log10(tp)) < 0.05);
    double f = 997.0, a = 0.8;
    tu_sines(x, n, FS, &f, &a, 1);
    assert_true(fabs(20.0 * log10(true_peak(x, n) / 0.8)) < 0.01);
    free(x);
}

/* ---- latency and transparency ------------------------------------------- */

static void test_latency_is_impulse_delay(void **state)
{
    (void)state;
    sm_limiter l;
    lim_init(&l, -1.0f);
    int lat = sm_limiter_latency(&l);
    assert_int_equal(lat, SM_LIM_TP_DELAY + (int)lround(LA_MS * FS / 1000));
    const size_t n = 2048;
    for (int ch = 0; ch < 2; ch++) {
        for (size_t at = 0; at < 3; at++) {
            sm_limiter_reset(&l);
            float *L = tu_alloc(n), *R = tu_alloc(n);
            size_t pos = at * 333;
            (ch ? R : L)[pos] = 0.01f;
            sm_limiter_process(&l, L, R, n);
            const float *y = ch ? R : L, *other = ch ? L : R;
            for (size_t i = 0; i < n; i++) {
                float want = i == pos + (size_t)lat ? 0.01f : 0.0f;
                if (y[i] != want || other[i] != 0.0f)
                    fail_msg("impulse at %zu (ch %d): output %zu is %g/%g",
                             pos, ch, i, y[i], other[i]);
            }
            free(L);
            free(R);
        }
    }
    /* Other look-aheads and rates: latency is still the impulse delay. */
    static const double las[][2] = {{0.5, 44100}, {5.0, 96000}, {0.01, 8000}};
    for (size_t k = 0; k < 3; k++) {
        sm_limiter m;
        assert_int_equal(sm_limiter_init(&m, las[k][1], las[k][0], 50, -3), 0);
        int ml = sm_limiter_latency(&m);
        assert_true(ml > SM_LIM_TP_DELAY);
        float *L = tu_alloc(n), *R = tu_alloc(n);
        L[10] = R[10] = -0.25f;
        sm_limiter_process(&m, L, R, n);
        for (size_t i = 0; i < n; i++) {
            float want = i == 10 + (size_t)ml ? -0.25f : 0.0f;
            assert_true(L[i] == want && R[i] == want);
        }
        free(L);
        free(R);
        sm_limiter_free(&m);
    }
    sm_limiter_free(&l);
}

/* Well below the ceiling (with room for intersample peaks), the output is
 * the input delayed by the latency, bit for bit, and nothing is counted as
 * limited. */
static void test_quiet_passes_bit_exact(void **state)
{
    (void)state;
    static const float ceilings[] = {-1.0f, -6.0f};
    const size_t n = 48000;
    for (int c = 0; c < 2; c++) {
        float amp = db_to_lin(ceilings[c]) * 0.5f; /* 6 dB of margin */
        sm_limiter l;
        lim_init(&l, ceilings[c]);
        size_t lat = (size_t)sm_limiter_latency(&l);
        float *xl = tu_alloc(n), *xr = tu_alloc(n);
        double f[2] = {440.0, 5000.0}, a[2] = {amp * 0.5, amp * 0.5};
        tu_noise(xl, n, amp, 5);
        tu_sines(xr, n, FS, f, a, 2);
        float *yl = tu_alloc(n), *yr = tu_alloc(n);
        memcpy(yl, xl, n * sizeof(float));
        memcpy(yr, xr, n * sizeof(float));
        for (size_t i = 0; i < n; i += 100)
            sm_limiter_process(&l, yl + i, yr + i, n - i < 100 ? n - i : 100);
        for (size_t i = 0; i < lat; i++)
            assert_true(yl[i] == 0.0f && yr[i] == 0.0f);
        assert_memory_equal(yl + lat, xl, (n - lat) * sizeof(float));
        assert_memory_equal(yr + lat, xr, (n - lat) * sizeof(float));
        assert_int_equal(l.limited, 0);
        assert_true(l.min_gain == 1.0f);
        free(xl);
        free(xr);
        free(yl);
        free(yr);
        sm_limiter_free(&l);
    }
}

/* ---- loud signals -------------------------------------------------------- */

enum { SIG_NOISE, SIG_SINE, SIG_SPIKES, SIG_SQUARE, SIG_FS4, SIG__COUNT };
static const char *sig_name[SIG__COUNT] = {"noise x4", "sine +12 dBFS",
                                           "spikes", "square x4",
                                           "fs/4 sine, 0 dBFS samples"};

static void make_signal(int kind, float *x, size_t n)
{
    switch (kind) {
    case SIG_NOISE:
        tu_noise(x, n, 4.0f, 77);
        break;
    case SIG_SINE: {
        double f = 997.0, a = pow(10.0, 12.0 / 20.0);
        tu_sines(x, n, FS, &f, &a, 1);
        break;
    }
    case SIG_SPIKES:
        /* Lone full-scale-and-over samples in quiet noise, some close
         * together, some alone; both polarities. */
        tu_noise(x, n, 0.05f, 78);
        for (size_t i = 500; i < n; i += 997)
            x[i] = (i / 997) & 1 ? -8.0f : 6.0f;
        for (size_t i = 20000; i < n && i < 20010; i += 3)
            x[i] = 4.0f;
        break;
    case SIG_SQUARE:
        for (size_t i = 0; i < n; i++)
            x[i] = (i / 240) & 1 ? -4.0f : 4.0f; /* 100 Hz, naive */
        for (size_t i = n / 2; i < n; i++)
            x[i] = (i / 7) & 1 ? -4.0f : 4.0f; /* ~3.4 kHz */
        break;
    case SIG_FS4:
        for (size_t i = 0; i < n; i++)
            x[i] = (float)(M_SQRT2 * sin(M_PI / 2 * (double)i + M_PI / 4));
        break;
    }
}

static void test_loud_never_exceeds_ceiling(void **state)
{
    (void)state;
    static const float ceilings[] = {-1.0f, -6.0f};
    const size_t n = 48000;
    float *x = tu_alloc(n), *other = tu_alloc(n);
    float *yl = tu_alloc(n), *yr = tu_alloc(n);
    tu_noise(other, n, 3.0f, 99);
    int tp_fails = 0;
    for (int c = 0; c < 2; c++) {
        const float ceil_lin = db_to_lin(ceilings[c]);
        for (int kind = 0; kind < SIG__COUNT; kind++) {
            make_signal(kind, x, n);
            sm_limiter l;
            lim_init(&l, ceilings[c]);
            assert_true(l.ceiling == ceil_lin);
            size_t lat = (size_t)sm_limiter_latency(&l);
            /* Linked stereo: R is L scaled by -1/2, so both channels must
             * get the same gain (y_r = -y_l / 2) unless the final clamp had
             * to cut L, which would show as a mismatch. */
            for (size_t i = 0; i < n; i++) {
                yl[i] = x[i];
                yr[i] = -0.5f * x[i];
            }
            for (size_t i = 0; i < n; i += 480)
                sm_limiter_process(&l, yl + i, yr + i,
                                   n - i < 480 ? n - i : 480);
            double worst_link = 0.0;
            for (size_t i = 0; i < n; i++) {
                if (!(fabsf(yl[i]) <= ceil_lin) || !(fabsf(yr[i]) <= ceil_lin))
                    fail_msg("%s, ceiling %g dB: |y| = %.9g/%.9g > %.9g at "
                             "%zu",
                             sig_name[kind], ceilings[c], fabsf(yl[i]),
                             fabsf(yr[i]), ceil_lin, i);
                worst_link = fmax(worst_link, fabs(yr[i] + 0.5 * yl[i]));
            }
            if (worst_link > 1e-6 * ceil_lin)
                fail_msg("%s, ceiling %g dB: channels got different gains "
                         "(clipped?) by %g",
                         sig_name[kind], ceilings[c], worst_link);
            /* The output is the delayed input times a gain in (0, 1]. */
            for (size_t i = lat; i < n; i++) {
                float in = x[i - lat];
                if (fabsf(in) > 1e-3f) {
                    float g = yl[i] / in;
                    if (!(g > 0.0f && g <= 1.0f + 1e-6f))
                        fail_msg("%s: gain %g at %zu", sig_name[kind], g, i);
                }
            }
            /* True peak: collected over all cases, then judged, so one
             * run shows every case that is over. */
            double tp = true_peak(yl, n);
            double over = 20.0 * log10(tp / ceil_lin);
            if (over > 0.5) {
                print_message("%s, ceiling %g dB: true peak %.3f dB over "
                              "the ceiling\n",
                              sig_name[kind], ceilings[c], over);
                tp_fails++;
            }
            assert_true(l.limited > 0);
            assert_true(l.min_gain < 1.0f);
            sm_limiter_free(&l);

            /* Two unrelated loud channels. */
            lim_init(&l, ceilings[c]);
            memcpy(yl, x, n * sizeof(float));
            memcpy(yr, other, n * sizeof(float));
            sm_limiter_process(&l, yl, yr, n);
            for (size_t i = 0; i < n; i++)
                if (!(fabsf(yl[i]) <= ceil_lin) || !(fabsf(yr[i]) <= ceil_lin))
                    fail_msg("%s + noise: |y| over the ceiling at %zu",
                             sig_name[kind], i);
            over = 20.0 * log10(true_peak(yr, n) / ceil_lin);
            if (over > 0.5) {
                print_message("noise x3 beside %s, ceiling %g dB: true peak "
                              "%.3f dB over the ceiling\n",
                              sig_name[kind], ceilings[c], over);
                tp_fails++;
            }
            sm_limiter_free(&l);
        }
    }
    free(x);
    free(other);
    free(yl);
    free(yr);
    if (tp_fails)
        fail_msg("%d case(s) with the true peak more than 0.5 dB over the "
                 "ceiling",
                 tp_fails);
}

/* A steady loud sine is brought to the ceiling, not below it: the limiter
 * does not over-limit. */
static void test_steady_sine_reaches_ceiling(void **state)
{
    (void)state;
    const size_t n = 48000;
    float *l_ = tu_alloc(n), *r_ = tu_alloc(n);
    double f = 997.0, a = pow(10.0, 12.0 / 20.0);
    tu_sines(l_, n, FS, &f, &a, 1);
    memcpy(r_, l_, n * sizeof(float));
    sm_limiter l;
    lim_init(&l, -1.0f);
    sm_limiter_process(&l, l_, r_, n);
    float pk = 0.0f;
    for (size_t i = n / 2; i < n; i++)
        pk = fmaxf(pk, fabsf(l_[i]));
    double db = 20.0 * log10(pk) - (-1.0);
    if (db < -0.2)
        fail_msg("steady sine peaks %.3f dB under the ceiling", db);
    sm_limiter_free(&l);
    free(l_);
    free(r_);
}

/* The result does not depend on how the stream is cut into blocks. */
static void test_block_invariance(void **state)
{
    (void)state;
    const size_t n = 30000;
    float *xl = tu_alloc(n), *xr = tu_alloc(n);
    tu_noise(xl, n, 3.0f, 1);
    tu_noise(xr, n, 1.5f, 2);
    float *rl = tu_alloc(n), *rr = tu_alloc(n);
    memcpy(rl, xl, n * sizeof(float));
    memcpy(rr, xr, n * sizeof(float));
    sm_limiter l;
    lim_init(&l, -1.0f);
    sm_limiter_process(&l, rl, rr, n);
    static const size_t blocks[] = {1, 7, 64, 1000};
    float *yl = tu_alloc(n), *yr = tu_alloc(n);
    for (size_t b = 0; b < 4; b++) {
        sm_limiter_reset(&l);
        memcpy(yl, xl, n * sizeof(float));
        memcpy(yr, xr, n * sizeof(float));
        for (size_t i = 0; i < n; i += blocks[b])
            sm_limiter_process(&l, yl + i, yr + i,
                               n - i < blocks[b] ? n - i : blocks[b]);
        assert_memory_equal(yl, rl, n * sizeof(float));
        assert_memory_equal(yr, rr, n * sizeof(float));
    }
    sm_limiter_free(&l);
    free(xl);
    free(xr);
    free(rl);
    free(rr);
    free(yl);
    free(yr);
}

/* ---- release --------------------------------------------------------------- */

/* 100 ms of loud noise, then a quiet constant: the gain read off the quiet
 * part (y / x) is still reduced just after the burst (a release, not a
 * jump), rises monotonically, and is back within 0.01 dB after 500 ms. */
static void run_burst(sm_limiter *l, float *yl, float *yr, size_t n,
                      size_t burst, float quiet)
{
    tu_noise(yl, burst, 4.0f, 3);
    tu_noise(yr, burst, 4.0f, 4);
    for (size_t i = burst; i < n; i++)
        yl[i] = yr[i] = quiet;
    sm_limiter_process(l, yl, yr, n);
}

static void test_release_recovers(void **state)
{
    (void)state;
    const size_t n = 48000, burst = 4800;
    const float quiet = 0.1f;
    float *yl = tu_alloc(n), *yr = tu_alloc(n);
    sm_limiter l;
    lim_init(&l, -1.0f);
    size_t lat = (size_t)sm_limiter_latency(&l);
    run_burst(&l, yl, yr, n, burst, quiet);
    /* First output sample of the quiet part that no burst peak can reach
     * through the look-ahead. */
    size_t q0 = burst + 2 * lat;
    double g10ms = yl[q0 + 480] / quiet;
    assert_true(20.0 * log10(g10ms) < -3.0);
    float prev = 0.0f;
    for (size_t i = q0; i < n; i++) {
        assert_true(yl[i] == yr[i]);
        if (yl[i] < prev)
            fail_msg("gain falls during release at %zu", i);
        prev = yl[i];
    }
    double g500 = yl[burst + lat + 24000] / quiet;
    if (!(fabs(20.0 * log10(g500)) < 0.01))
        fail_msg("gain %.4f dB 500 ms after the burst", 20.0 * log10(g500));
    sm_limiter_free(&l);
    free(yl);
    free(yr);
}

/* Long after a burst the limiter must be transparent again: quiet input
 * passes bit-exact and no further samples are counted as limited. */
static void test_release_returns_to_unity(void **state)
{
    (void)state;
    const size_t n = 2 * 48000, burst = 4800;
    const float quiet = 0.1f;
    float *yl = tu_alloc(n), *yr = tu_alloc(n);
    sm_limiter l;
    lim_init(&l, -1.0f);
    run_burst(&l, yl, yr, n, burst, quiet);
    /* 2 s = 33 release time constants later. */
    unsigned long long limited = l.limited;
    const size_t m = 4800;
    float *xl = tu_alloc(m), *zl = tu_alloc(m), *zr = tu_alloc(m);
    tu_noise(xl, m, 0.3f, 8);
    memcpy(zl, xl, m * sizeof(float));
    memcpy(zr, xl, m * sizeof(float));
    sm_limiter_process(&l, zl, zr, m);
    size_t lat = (size_t)sm_limiter_latency(&l);
    float g = zl[lat + 100] / xl[100];
    if (l.limited != limited || memcmp(zl + lat, xl, (m - lat) * 4) != 0)
        fail_msg("2 s after a burst the gain is %.9g (%.2e dB), not 1; "
                 "%llu more samples counted as limited",
                 g, 20.0 * log10(g), l.limited - limited);
    sm_limiter_free(&l);
    free(yl);
    free(yr);
    free(xl);
    free(zl);
    free(zr);
}

/* Lowering the ceiling mid-stream: samples already in the look-ahead
 * leave under the old ceiling (not hard-clipped to the new one), and from
 * twice the latency on, every sample is under the new ceiling; the output
 * is never clamped, i.e. both channels always share one gain. */
static void test_ceiling_change_no_clip(void **state)
{
    (void)state;
    sm_limiter l;
    lim_init(&l, 0.0f);
    const size_t n = 48000, t0 = 20000;
    float *xl = tu_alloc(n), *yl = tu_alloc(n), *yr = tu_alloc(n);
    double f = 997.0, a = 0.7;
    tu_sines(xl, n, 48000.0, &f, &a, 1);
    memcpy(yl, xl, n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        yr[i] = 0.5f * xl[i];
    sm_limiter_process(&l, yl, yr, t0);
    sm_limiter_set_ceiling(&l, -12.0f);
    sm_limiter_process(&l, yl + t0, yr + t0, n - t0);
    const size_t lat = (size_t)sm_limiter_latency(&l);
    const float c_new = db_to_lin(-12.0f);
    for (size_t i = 0; i < n; i++) {
        assert_true(fabsf(yl[i]) <= 1.0f);
        if (i >= t0 + 2 * lat + 1)
            assert_true(fabsf(yl[i]) <= c_new);
        /* One gain for both channels: R stays half of L (no clamp). */
        if (fabsf(yl[i]) > 1e-6f)
            assert_float_equal(yr[i] / yl[i], 0.5f, 1e-5f);
    }
    sm_limiter_free(&l);
    free(xl);
    free(yl);
    free(yr);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_meter_sanity),
        cmocka_unit_test(test_latency_is_impulse_delay),
        cmocka_unit_test(test_quiet_passes_bit_exact),
        cmocka_unit_test(test_loud_never_exceeds_ceiling),
        cmocka_unit_test(test_steady_sine_reaches_ceiling),
        cmocka_unit_test(test_block_invariance),
        cmocka_unit_test(test_release_recovers),
        cmocka_unit_test(test_release_returns_to_unity),
        cmocka_unit_test(test_ceiling_change_no_clip),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
