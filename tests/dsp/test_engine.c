/* test_engine.c: the engine end to end: perfect reconstruction, the 3-band
 * allpass sum, masks with one source silent, anti-phase merging, block-size
 * independence, latency, limiter ceiling, non-finite input, live
 * parameters (single and in batches), independence of two engines, and
 * the adaptive crossovers (tracking, ranges at several rates, flat sum
 * while moving, off unchanged, determinism, live switching). */
#include "testutil.h"
#include "xover.h"

#include <fftw3.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FS 48000

static sm_config cfg_single(int window, int hop)
{
    sm_config c = sm_config_default(FS);
    c.values[SM_P_BANDS_COUNT] = 1;
    c.values[SM_P_BANDS_SINGLE_WINDOW] = (float)window;
    c.values[SM_P_BANDS_SINGLE_HOP] = (float)hop;
    c.values[SM_P_OUTPUT_WIDTH] = 0;
    return c;
}

/* bands.count = 1, B silent: the output is A (after the latency) for
 * every band's window/hop and every mask type. */
static void test_perfect_reconstruction(void **state)
{
    (void)state;
    static const int wh[][2] = {{4096, 1024}, {2048, 512}, {512, 128},
                                {2048, 256}, {1024, 512}};
    const size_t n = FS; /* 1 s */
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 0.25f, 7);
    for (size_t k = 0; k < sizeof wh / sizeof wh[0]; k++) {
        for (int m = 0; m < 3; m++) {
            sm_config c = cfg_single(wh[k][0], wh[k][1]);
            c.values[SM_P_MASK_TYPE] = (float)m;
            float *l, *r;
            tu_render(&c, a, b, n, 1000, &l, &r);
            double e = tu_err_db(l, a, n);
            if (e > -100.0)
                fail_msg("window %d hop %d mask %d: error %.1f dB", wh[k][0],
                         wh[k][1], m, e);
            assert_memory_equal(l, r, n * sizeof(float));
            free(l);
            free(r);
        }
    }
    free(a);
    free(b);
}

/* Reference for the 3-band path: the crossover's band sum, which is the
 * allpass AP_lo * AP_hi of the input. */
static float *allpass_ref(const float *x, size_t n, double lo, double hi)
{
    sm_xover xo;
    sm_xover_init(&xo, FS, lo, hi, 50.0);
    float *out = tu_alloc(n), *z = tu_alloc(n);
    float *bands[2][3];
    for (int c = 0; c < 2; c++)
        for (int b = 0; b < 3; b++)
            bands[c][b] = tu_alloc(n);
    sm_xover_process(&xo, x, z, (float *const(*)[3])bands, n);
    for (size_t i = 0; i < n; i++)
        out[i] = bands[0][0][i] + bands[0][1][i] + bands[0][2][i];
    for (int c = 0; c < 2; c++)
        for (int b = 0; b < 3; b++)
            free(bands[c][b]);
    free(z);
    return out;
}

/* 3 bands, B silent: every band reconstructs perfectly, the bands are
 * aligned, and the sum is the crossover allpass of A. */
static void test_three_band_sum_is_allpass(void **state)
{
    (void)state;
    const size_t n = FS;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 0.25f, 11);
    float *ref = allpass_ref(a, n, 250, 4000);
    for (int m = 0; m < 3; m++) {
        sm_config c = sm_config_default(FS);
        c.values[SM_P_OUTPUT_WIDTH] = 0;
        c.values[SM_P_MASK_TYPE] = (float)m;
        float *l, *r;
        tu_render(&c, a, b, n, 512, &l, &r);
        double e = tu_err_db(l, ref, n);
        if (e > -100.0)
            fail_msg("mask %d: 3-band error vs allpass %.1f dB", m, e);
        free(l);
        free(r);
    }
    free(ref);
    free(a);
    free(b);
}

/* The whole 3-band engine has a flat magnitude response: 0.01 dB from
 * 20 Hz to 20 kHz, from its impulse response. */
static void test_three_band_flat(void **state)
{
    (void)state;
    const size_t n = 1u << 17;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    a[0] = 0.5f;
    sm_config c = sm_config_default(FS);
    c.values[SM_P_OUTPUT_WIDTH] = 0;
    float *l, *r;
    tu_render(&c, a, b, n, 4096, &l, &r);
    double *t = fftw_alloc_real(n);
    fftw_complex *f = fftw_alloc_complex(n / 2 + 1);
    for (size_t i = 0; i < n; i++)
        t[i] = l[i] / 0.5;
    fftw_plan p = fftw_plan_dft_r2c_1d((int)n, t, f, FFTW_ESTIMATE);
    fftw_execute(p);
    double worst = 0.0, worst_hz = 0.0;
    for (size_t k = 1; k <= n / 2; k++) {
        double hz = (double)k * FS / (double)n;
        if (hz < 20.0 || hz > 20000.0)
            continue;
        double db = 10.0 * log10(f[k][0] * f[k][0] + f[k][1] * f[k][1]);
        if (fabs(db) > fabs(worst)) {
            worst = db;
            worst_hz = hz;
        }
    }
    if (fabs(worst) > 0.01)
        fail_msg("3-band response %.4f dB at %.1f Hz", worst, worst_hz);
    fftw_destroy_plan(p);
    fftw_free(t);
    fftw_free(f);
    free(a);
    free(b);
    free(l);
    free(r);
}

/* With B silent every bin is A-dominant, so width pans A left: L is A,
 * R is A attenuated by the width (balance law). */
static void test_pan_of_lone_source(void **state)
{
    (void)state;
    const size_t n = FS / 2;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 0.25f, 3);
    sm_config c = cfg_single(2048, 512);
    c.values[SM_P_OUTPUT_WIDTH] = 0.5f;
    float *l, *r;
    tu_render(&c, a, b, n, 700, &l, &r);
    assert_true(tu_err_db(l, a, n) < -100.0);
    for (size_t i = 0; i < n; i++)
        a[i] *= 0.5f;
    assert_true(tu_err_db(r, a, n) < -100.0);
    free(a);
    free(b);
    free(l);
    free(r);
}

/* x merged with -x at position 0.5 keeps its energy (within 1 dB) under
 * every mask with mix phase, PSF included; the plain sum would be
 * silence. */
static void test_antiphase_keeps_energy(void **state)
{
    (void)state;
    const size_t n = FS;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    double fr[3] = {220.0, 1330.0, 5000.0}, am[3] = {0.2, 0.1, 0.05};
    tu_sines(a, n, FS, fr, am, 3);
    float *nz = tu_alloc(n);
    tu_noise(nz, n, 0.05f, 5);
    for (size_t i = 0; i < n; i++) {
        a[i] += nz[i];
        b[i] = -a[i];
    }
    double ea = tu_energy(a + FS / 4, n / 2);
    for (int bands = 1; bands <= 3; bands += 2) {
        for (int m = 0; m < 3; m++) {
            sm_config c = sm_config_default(FS);
            c.values[SM_P_BANDS_COUNT] = (float)bands;
            c.values[SM_P_MASK_TYPE] = (float)m;
            c.values[SM_P_OUTPUT_WIDTH] = 0;
            c.values[SM_P_MORPH_POSITION] = 0.5f;
            float *l, *r;
            tu_render(&c, a, b, n, 256, &l, &r);
            double el = tu_energy(l + FS / 4, n / 2);
            double db = 10.0 * log10(el / ea);
            if (fabs(db) > 1.0)
                fail_msg("bands %d mask %d: energy %.2f dB", bands, m, db);
            free(l);
            free(r);
        }
    }
    /* The plain sum, for contrast, cancels completely. */
    double sum = 0.0;
    for (size_t i = 0; i < n; i++)
        sum += fabs((double)a[i] + b[i]);
    assert_true(sum == 0.0);
    free(nz);
    free(a);
    free(b);
}

/* Position 0 gives A and position 1 gives B exactly (1 band, mono). */
static void test_position_extremes(void **state)
{
    (void)state;
    const size_t n = FS / 2;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 0.25f, 21);
    tu_noise(b, n, 0.25f, 22);
    for (int m = 0; m < 3; m++) {
        sm_config c = cfg_single(2048, 512);
        c.values[SM_P_MASK_TYPE] = (float)m;
        c.values[SM_P_MORPH_POSITION] = 0.0f;
        float *l, *r;
        tu_render(&c, a, b, n, 333, &l, &r);
        assert_true(tu_err_db(l, a, n) < -100.0);
        free(l);
        free(r);
        c.values[SM_P_MORPH_POSITION] = 1.0f;
        tu_render(&c, a, b, n, 333, &l, &r);
        assert_true(tu_err_db(l, b, n) < -100.0);
        free(l);
        free(r);
    }
    free(a);
    free(b);
}

/* Same input and settings: bit-identical output for host blocks of 1, 64,
 * 256, 1000 and 4096, 3 bands, stereo, both sources active. */
static void test_block_size_invariance(void **state)
{
    (void)state;
    const size_t n = FS / 2;
    static const size_t blocks[] = {4096, 1, 64, 256, 1000};
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 0.3f, 31);
    double fr[2] = {330.0, 2500.0}, am[2] = {0.3, 0.2};
    tu_sines(b, n, FS, fr, am, 2);
    for (int m = 0; m < 3; m++) {
        sm_config c = sm_config_default(FS);
        c.values[SM_P_MASK_TYPE] = (float)m;
        c.values[SM_P_OUTPUT_GAIN_DB] = 12.0f; /* make the limiter work */
        float *l0, *r0;
        tu_render(&c, a, b, n, blocks[0], &l0, &r0);
        for (size_t k = 1; k < sizeof blocks / sizeof blocks[0]; k++) {
            float *l, *r;
            tu_render(&c, a, b, n, blocks[k], &l, &r);
            if (memcmp(l, l0, n * sizeof(float)) ||
                memcmp(r, r0, n * sizeof(float)))
                fail_msg("mask %d: block %zu differs from block 4096", m,
                         blocks[k]);
            free(l);
            free(r);
        }
        /* And run to run. */
        float *l, *r;
        tu_render(&c, a, b, n, blocks[0], &l, &r);
        assert_memory_equal(l, l0, n * sizeof(float));
        assert_memory_equal(r, r0, n * sizeof(float));
        free(l);
        free(r);
        free(l0);
        free(r0);
    }
    free(a);
    free(b);
}

/* An impulse comes out exactly at the reported latency (1 band), and the
 * 3-band impulse response is the crossover allpass shifted by exactly the
 * reported latency (checked sample by sample). */
static void test_latency_measured(void **state)
{
    (void)state;
    static const int wh[][2] = {{4096, 1024}, {2048, 512}, {512, 128}};
    for (size_t k = 0; k < 3; k++) {
        sm_config c = cfg_single(wh[k][0], wh[k][1]);
        sm_error err;
        sm_engine *e = sm_engine_new(&c, &err);
        assert_non_null(e);
        size_t lat = (size_t)sm_engine_latency(e), n = lat + 4096;
        float *a = tu_alloc(n), *b = tu_alloc(n), *l = tu_alloc(n),
              *r = tu_alloc(n);
        a[100] = 0.5f;
        sm_engine_process(e, a, b, l, r, n);
        size_t arg = 0;
        for (size_t i = 0; i < n; i++)
            if (fabsf(l[i]) > fabsf(l[arg]))
                arg = i;
        assert_int_equal(arg, 100 + lat);
        assert_float_equal(l[arg], 0.5f, 1e-5f);
        sm_engine_free(e);
        free(a);
        free(b);
        free(l);
        free(r);
    }
    /* 3 bands: shift the allpass reference by the latency; any other
     * shift would leave a large error. */
    const size_t n = FS / 2;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    a[0] = 0.5f;
    float *ref = allpass_ref(a, n, 250, 4000);
    sm_config c = sm_config_default(FS);
    c.values[SM_P_OUTPUT_WIDTH] = 0;
    float *l, *r;
    tu_render(&c, a, b, n, 512, &l, &r); /* trims the reported latency */
    assert_true(tu_err_db(l, ref, n) < -100.0);
    assert_true(tu_err_db(l + 1, ref, n - 1) > -20.0); /* one off: wrong */
    free(ref);
    free(a);
    free(b);
    free(l);
    free(r);
}

/* The limiter holds every output sample at or under the ceiling, however
 * loud the inputs and the gain. */
static void test_ceiling_never_exceeded(void **state)
{
    (void)state;
    const size_t n = FS;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 1.0f, 41);
    double fr[2] = {997.0, 12000.0}, am[2] = {1.0, 1.0};
    tu_sines(b, n, FS, fr, am, 2);
    for (size_t i = 0; i < n; i += 4800)
        a[i] = 30.0f; /* spikes */
    static const float ceil_db[] = {-1.0f, -6.0f, 0.0f, -24.0f};
    for (int k = 0; k < 4; k++) {
        sm_config c = sm_config_default(FS);
        c.values[SM_P_OUTPUT_GAIN_DB] = 24.0f;
        c.values[SM_P_OUTPUT_CEILING_DB] = ceil_db[k];
        float *l, *r;
        tu_render(&c, a, b, n, 1000, &l, &r);
        float lim = powf(10.0f, ceil_db[k] / 20.0f), pk = 0.0f;
        for (size_t i = 0; i < n; i++)
            pk = fmaxf(pk, fmaxf(fabsf(l[i]), fabsf(r[i])));
        if (pk > lim)
            fail_msg("ceiling %g dB: peak %.6f > %.6f", ceil_db[k], pk, lim);
        assert_true(pk > 0.5f * lim); /* it limits, it does not mute */
        free(l);
        free(r);
    }
    free(a);
    free(b);
}

/* NaN, Inf and denormals in: finite out, counted, and the state is not
 * poisoned: after the bad stretch the output matches a clean run. */
static void test_nonfinite_input(void **state)
{
    (void)state;
    const size_t n = FS;
    float *a = tu_alloc(n), *b = tu_alloc(n), *a2 = tu_alloc(n);
    tu_noise(a, n, 0.25f, 51);
    tu_noise(b, n, 0.25f, 52);
    memcpy(a2, a, n * sizeof(float));
    for (size_t i = 1000; i < 1100; i++) {
        a2[i] = (i & 1) ? NAN : INFINITY;
        b[i + 5000] = -INFINITY;
    }
    for (size_t i = 20000; i < 21000; i++)
        a2[i] = 1e-42f; /* denormal */
    sm_config c = sm_config_default(FS);
    sm_error err;
    sm_engine *e = sm_engine_new(&c, &err);
    assert_non_null(e);
    float *l = tu_alloc(n), *r = tu_alloc(n);
    sm_engine_process(e, a2, b, l, r, n);
    for (size_t i = 0; i < n; i++) {
        assert_true(isfinite(l[i]));
        assert_true(isfinite(r[i]));
    }
    sm_engine_stats st;
    sm_engine_get_stats(e, &st);
    assert_int_equal(st.nonfinite_in, 200);
    /* Clean reference with zeros where the bad samples were. */
    for (size_t i = 1000; i < 1100; i++) {
        a[i] = 0.0f;
        b[i + 5000] = 0.0f;
    }
    for (size_t i = 20000; i < 21000; i++)
        a[i] = 1e-42f;
    sm_engine *e2 = sm_engine_new(&c, &err);
    float *l2 = tu_alloc(n), *r2 = tu_alloc(n);
    sm_engine_process(e2, a, b, l2, r2, n);
    assert_memory_equal(l, l2, n * sizeof(float));
    assert_memory_equal(r, r2, n * sizeof(float));
    sm_engine_free(e);
    sm_engine_free(e2);
    free(a);
    free(a2);
    free(b);
    free(l);
    free(r);
    free(l2);
    free(r2);
}

/* Live parameters: checked, queued, applied; structural ones refused. */
static void test_live_parameters(void **state)
{
    (void)state;
    sm_config c = cfg_single(2048, 512);
    c.values[SM_P_MORPH_POSITION] = 0.0f;
    sm_error err;
    sm_engine *e = sm_engine_new(&c, &err);
    assert_non_null(e);
    assert_int_equal(sm_engine_set(e, SM_P_MORPH_POSITION, 1.5f),
                     SM_ERR_RANGE);
    assert_int_equal(sm_engine_set(e, SM_P_MORPH_POSITION, NAN),
                     SM_ERR_NOT_FINITE);
    assert_int_equal(sm_engine_set(e, SM_P_BANDS_SINGLE_WINDOW, 1024),
                     SM_ERR_NEEDS_REBUILD);
    assert_int_equal(sm_engine_set(e, (sm_param)SM_P_COUNT, 1), SM_ERR_PARAM);
    assert_float_equal(sm_engine_get(e, SM_P_MORPH_POSITION), 0.0f, 0);

    const size_t n = FS;
    float *a = tu_alloc(n), *b = tu_alloc(n), *l = tu_alloc(n),
          *r = tu_alloc(n);
    double fa = 440.0, fb = 3000.0, amp = 0.3;
    tu_sines(a, n, FS, &fa, &amp, 1);
    tu_sines(b, n, FS, &fb, &amp, 1);
    sm_engine_process(e, a, b, l, r, n / 2);
    double before_b = 0, before_a = 0;
    assert_int_equal(sm_engine_set(e, SM_P_MORPH_POSITION, 1.0f), SM_OK);
    assert_float_equal(sm_engine_get(e, SM_P_MORPH_POSITION), 1.0f, 0);
    sm_engine_process(e, a + n / 2, b + n / 2, l + n / 2, r + n / 2, n / 2);
    /* Goertzel-free check: correlate with each source's sine. */
    double after_a = 0, after_b = 0;
    for (size_t i = FS / 8; i < n / 2; i++) {
        before_a += (double)l[i] * a[i - (size_t)sm_engine_latency(e)];
        before_b += (double)l[i] * b[i - (size_t)sm_engine_latency(e)];
    }
    for (size_t i = n / 2 + FS / 4; i < n; i++) {
        after_a += (double)l[i] * a[i - (size_t)sm_engine_latency(e)];
        after_b += (double)l[i] * b[i - (size_t)sm_engine_latency(e)];
    }
    assert_true(before_a > 100.0 * fabs(before_b));
    assert_true(after_b > 100.0 * fabs(after_a));
    sm_engine_stats st;
    sm_engine_get_stats(e, &st);
    assert_int_equal(st.param_changes, 1);
    sm_config now = sm_engine_config(e);
    assert_float_equal(now.values[SM_P_MORPH_POSITION], 1.0f, 0);
    sm_engine_free(e);
    free(a);
    free(b);
    free(l);
    free(r);
}

/* A live change glides (the parameter's smoothing time) instead of
 * stepping: 60 ms after morph.position jumps from 0 to 1, A is fading
 * but still there (an unsmoothed step would have removed it within one
 * window), and by 400 ms it is gone. */
static void test_live_change_is_smoothed(void **state)
{
    (void)state;
    sm_config c = cfg_single(1024, 256);
    c.values[SM_P_MORPH_POSITION] = 0.0f;
    sm_error err;
    sm_engine *e = sm_engine_new(&c, &err);
    assert_non_null(e);
    const size_t n = FS;
    const size_t lat = (size_t)sm_engine_latency(e);
    float *a = tu_alloc(n), *b = tu_alloc(n), *l = tu_alloc(n),
          *r = tu_alloc(n);
    double fa = 400.0, fb = 3000.0, amp = 0.3; /* whole cycles in 10 ms */
    tu_sines(a, n, FS, &fa, &amp, 1);
    tu_sines(b, n, FS, &fb, &amp, 1);
    const size_t t0 = n / 4;
    sm_engine_process(e, a, b, l, r, t0);
    assert_int_equal(sm_engine_set(e, SM_P_MORPH_POSITION, 1.0f), SM_OK);
    sm_engine_process(e, a + t0, b + t0, l + t0, r + t0, n - t0);
    /* A's amplitude in the output over 10 ms windows, by correlation. */
    double ref = 0.0, mid = 0.0, late = 0.0;
    const size_t w = FS / 100;
    size_t at_mid = t0 + lat + FS * 60 / 1000, at_late = t0 + lat + FS * 4 / 10;
    for (size_t i = 0; i < w; i++) {
        ref += (double)l[t0 + lat - w + i] * a[t0 - w + i];
        mid += (double)l[at_mid + i] * a[at_mid - lat + i];
        late += (double)l[at_late + i] * a[at_late - lat + i];
    }
    double g_mid = mid / ref, g_late = late / ref;
    if (!(g_mid > 0.05 && g_mid < 0.6))
        fail_msg("A at 60 ms after the change: %.3f of before", g_mid);
    if (!(fabs(g_late) < 1e-3))
        fail_msg("A at 400 ms after the change: %g of before (mid %g)", g_late, g_mid);
    sm_engine_free(e);
    free(a);
    free(b);
    free(l);
    free(r);
}

/* sm_engine_set_many: both changes of a batch are in force after the
 * next block (both counted by that one block), the output is the one of
 * the same two changes made with sm_engine_set before the same block, and
 * it settles to B at half level (position 1, gain -6.02 dB). */
static void test_set_many_same_block(void **state)
{
    (void)state;
    sm_config c = cfg_single(1024, 256);
    c.values[SM_P_MORPH_POSITION] = 0.0f;
    sm_error err;
    sm_engine *e = sm_engine_new(&c, &err), *e1 = sm_engine_new(&c, &err);
    assert_non_null(e);
    assert_non_null(e1);
    const size_t lat = (size_t)sm_engine_latency(e);
    const size_t n = FS, total = n + lat, t0 = FS / 4 + 100;
    float *a = tu_alloc(total), *b = tu_alloc(total);
    tu_noise(a, n, 0.25f, 81);
    tu_noise(b, n, 0.25f, 82);
    float *l = tu_alloc(total), *r = tu_alloc(total);
    float *l1 = tu_alloc(total), *r1 = tu_alloc(total);
    sm_engine_process(e, a, b, l, r, t0);
    sm_engine_process(e1, a, b, l1, r1, t0);

    const float half_db = (float)(20.0 * log10(0.5));
    const sm_param ids[2] = {SM_P_MORPH_POSITION, SM_P_OUTPUT_GAIN_DB};
    const float vals[2] = {1.0f, half_db};
    size_t bad = 99;
    assert_int_equal(sm_engine_set_many(e, ids, vals, 2, &bad), SM_OK);
    assert_int_equal(bad, 99); /* untouched on success */
    assert_float_equal(sm_engine_get(e, SM_P_MORPH_POSITION), 1.0f, 0);
    assert_float_equal(sm_engine_get(e, SM_P_OUTPUT_GAIN_DB), half_db, 0);
    assert_int_equal(sm_engine_set(e1, SM_P_MORPH_POSITION, 1.0f), SM_OK);
    assert_int_equal(sm_engine_set(e1, SM_P_OUTPUT_GAIN_DB, half_db), SM_OK);

    sm_engine_stats st;
    sm_engine_get_stats(e, &st);
    assert_int_equal(st.param_changes, 0);
    sm_engine_process(e, a + t0, b + t0, l + t0, r + t0, 64); /* one block */
    sm_engine_get_stats(e, &st);
    assert_int_equal(st.param_changes, 2);
    sm_engine_process(e1, a + t0, b + t0, l1 + t0, r1 + t0, 64);
    const size_t t1 = t0 + 64;
    sm_engine_process(e, a + t1, b + t1, l + t1, r + t1, total - t1);
    sm_engine_process(e1, a + t1, b + t1, l1 + t1, r1 + t1, total - t1);
    assert_memory_equal(l, l1, total * sizeof(float));
    assert_memory_equal(r, r1, total * sizeof(float));

    /* Before the change (before the frames that straddle it): A. Long
     * after it: B at half level. */
    assert_true(tu_err_db(l + lat, a, t0 - 2048) < -100.0);
    const size_t late = t0 + FS / 2;
    for (size_t i = 0; i < n; i++)
        b[i] *= 0.5f;
    double e_late = tu_err_db(l + lat + late, b + late, n - late);
    if (e_late > -70.0)
        fail_msg("after set_many: error vs B/2 %.1f dB", e_late);
    /* Neither change alone gives that. */
    assert_true(tu_err_db(l + lat + late, a + late, n - late) > -3.0);
    sm_config now = sm_engine_config(e);
    assert_float_equal(now.values[SM_P_MORPH_POSITION], 1.0f, 0);
    assert_float_equal(now.values[SM_P_OUTPUT_GAIN_DB], half_db, 0);
    sm_engine_free(e);
    sm_engine_free(e1);
    free(a);
    free(b);
    free(l);
    free(r);
    free(l1);
    free(r1);
}

/* A batch with one bad entry changes nothing and names the entry. */
static void test_set_many_all_or_nothing(void **state)
{
    (void)state;
    sm_config c = sm_config_default(FS); /* 3 bands, xover 250 / 4000 */
    sm_error err;
    sm_engine *e = sm_engine_new(&c, &err);
    assert_non_null(e);
    static const struct {
        sm_param ids[3];
        float vals[3];
        size_t n;
        sm_error want;
        size_t bad;
    } cases[] = {
        {{SM_P_MORPH_POSITION, SM_P_MASK_K, SM_P_OUTPUT_GAIN_DB},
         {0.25f, 5.0f, 30.0f}, 3, SM_ERR_RANGE, 2},
        {{SM_P_MORPH_POSITION, SM_P_MASK_K, SM_P_OUTPUT_GAIN_DB},
         {0.25f, NAN, -3.0f}, 3, SM_ERR_NOT_FINITE, 1},
        {{SM_P_MORPH_POSITION, SM_P_MASK_K, SM_P_OUTPUT_GAIN_DB},
         {-INFINITY, 5.0f, -3.0f}, 3, SM_ERR_NOT_FINITE, 0},
        {{SM_P_MORPH_POSITION, SM_P_BANDS_LF_WINDOW, SM_P_MASK_K},
         {0.25f, 2048.0f, 5.0f}, 3, SM_ERR_NEEDS_REBUILD, 1},
        {{SM_P_MASK_TYPE, SM_P_MASK_TYPE, SM_P_MORPH_POSITION},
         {1.0f, 1.5f, 0.25f}, 3, SM_ERR_RANGE, 1}, /* enum not integral */
        {{SM_P_MORPH_POSITION, (sm_param)SM_P_COUNT, SM_P_MASK_K},
         {0.25f, 1.0f, 5.0f}, 3, SM_ERR_PARAM, 1},
        /* Each valid alone, not as a pair: 3000 < 1.5 * 2000. */
        {{SM_P_MORPH_POSITION, SM_P_BANDS_XOVER_LO_HZ,
          SM_P_BANDS_XOVER_HI_HZ},
         {0.25f, 2000.0f, 2900.0f}, 3, SM_ERR_CONFIG, 1},
    };
    for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
        size_t bad = 99;
        sm_error got =
            sm_engine_set_many(e, cases[k].ids, cases[k].vals, cases[k].n, &bad);
        if (got != cases[k].want || bad != cases[k].bad)
            fail_msg("case %zu: %s at %zu, expected %s at %zu", k,
                     sm_strerror(got), bad, sm_strerror(cases[k].want),
                     cases[k].bad);
        assert_int_equal(
            sm_engine_set_many(e, cases[k].ids, cases[k].vals, cases[k].n,
                               NULL),
            cases[k].want); /* bad may be NULL */
    }
    /* Too many in one batch; none at all. */
    enum { M = SM_ENGINE_SET_MANY_MAX + 1 };
    sm_param many[M];
    float mv[M];
    for (int i = 0; i < M; i++) {
        many[i] = SM_P_MORPH_POSITION;
        mv[i] = 0.75f;
    }
    size_t bad = 99;
    assert_int_equal(sm_engine_set_many(e, many, mv, M, &bad), SM_ERR_RANGE);
    assert_int_equal(bad, SM_ENGINE_SET_MANY_MAX);
    assert_int_equal(sm_engine_set_many(e, many, mv, 0, &bad), SM_OK);
    assert_int_equal(sm_engine_set_many(NULL, many, mv, 1, &bad),
                     SM_ERR_NULL);
    assert_int_equal(sm_engine_set_many(e, NULL, mv, 1, &bad), SM_ERR_NULL);

    /* Nothing shown, nothing queued. */
    for (int i = 0; i < SM_P_COUNT; i++)
        if (!(sm_engine_get(e, (sm_param)i) == c.values[i]))
            fail_msg("%s changed to %g", sm_param_get_info((sm_param)i)->name,
                     sm_engine_get(e, (sm_param)i));
    float *z = tu_alloc(512), *l = tu_alloc(512), *r = tu_alloc(512);
    sm_engine_process(e, z, z, l, r, 512);
    sm_engine_stats st;
    sm_engine_get_stats(e, &st);
    assert_int_equal(st.param_changes, 0);
    assert_int_equal(st.queue_full, 0);

    /* The largest batch is taken; the last of repeated ids wins. */
    mv[SM_ENGINE_SET_MANY_MAX - 1] = 0.125f;
    assert_int_equal(
        sm_engine_set_many(e, many, mv, SM_ENGINE_SET_MANY_MAX, &bad), SM_OK);
    assert_float_equal(sm_engine_get(e, SM_P_MORPH_POSITION), 0.125f, 0);
    sm_engine_process(e, z, z, l, r, 512);
    sm_engine_get_stats(e, &st);
    assert_int_equal(st.param_changes, SM_ENGINE_SET_MANY_MAX);
    sm_engine_free(e);
    free(z);
    free(l);
    free(r);
}

/* A full queue refuses the whole batch and counts it. */
static void test_set_many_queue_full(void **state)
{
    (void)state;
    sm_config c = cfg_single(1024, 256);
    sm_error err;
    sm_engine *e = sm_engine_new(&c, &err);
    assert_non_null(e);
    /* The queue holds 1024: leave room for 2. */
    for (int i = 0; i < 1022; i++)
        assert_int_equal(sm_engine_set(e, SM_P_MASK_K, 3.0f), SM_OK);
    const sm_param ids[3] = {SM_P_MORPH_POSITION, SM_P_OUTPUT_WIDTH,
                             SM_P_MASK_K};
    const float vals[3] = {0.75f, 0.25f, 7.0f};
    assert_int_equal(sm_engine_set_many(e, ids, vals, 3, NULL),
                     SM_ERR_QUEUE_FULL);
    sm_engine_stats st;
    sm_engine_get_stats(e, &st);
    assert_int_equal(st.queue_full, 1);
    assert_float_equal(sm_engine_get(e, SM_P_MORPH_POSITION),
                       c.values[SM_P_MORPH_POSITION], 0);
    assert_float_equal(sm_engine_get(e, SM_P_OUTPUT_WIDTH),
                       c.values[SM_P_OUTPUT_WIDTH], 0);
    assert_float_equal(sm_engine_get(e, SM_P_MASK_K), 3.0f, 0);
    float *z = tu_alloc(256), *l = tu_alloc(256), *r = tu_alloc(256);
    sm_engine_process(e, z, z, l, r, 256);
    sm_engine_get_stats(e, &st);
    assert_int_equal(st.param_changes, 1022); /* none of the batch */
    assert_int_equal(sm_engine_set_many(e, ids, vals, 3, NULL), SM_OK);
    sm_engine_process(e, z, z, l, r, 256);
    sm_engine_get_stats(e, &st);
    assert_int_equal(st.param_changes, 1025);
    assert_float_equal(sm_engine_get(e, SM_P_MASK_K), 7.0f, 0);
    sm_engine_free(e);
    free(z);
    free(l);
    free(r);
}

/* Crossovers moved together to a pair that the single sets, in that
 * order, would refuse on the way: from 600 / 1000 Hz up to 2000 / 3200 Hz
 * (lo first: 1000 < 1.5 * 2000) and back (hi first: 1000 < 1.5 * 2000).
 * After the move the output is the crossover allpass at the new pair. */
static void test_set_many_crossover_pair(void **state)
{
    (void)state;
    sm_config c = sm_config_default(FS);
    c.values[SM_P_BANDS_XOVER_LO_HZ] = 600.0f;
    c.values[SM_P_BANDS_XOVER_HI_HZ] = 1000.0f;
    c.values[SM_P_OUTPUT_WIDTH] = 0.0f;
    sm_error err;
    sm_engine *e = sm_engine_new(&c, &err);
    assert_non_null(e);

    /* One by one in this order: refused. */
    assert_int_equal(sm_engine_set(e, SM_P_BANDS_XOVER_LO_HZ, 2000.0f),
                     SM_ERR_CONFIG);
    const sm_param up[2] = {SM_P_BANDS_XOVER_LO_HZ, SM_P_BANDS_XOVER_HI_HZ};
    const float upv[2] = {2000.0f, 3200.0f};
    size_t bad = 99;
    assert_int_equal(sm_engine_set_many(e, up, upv, 2, &bad), SM_OK);
    assert_float_equal(sm_engine_get(e, SM_P_BANDS_XOVER_LO_HZ), 2000.0f, 0);
    assert_float_equal(sm_engine_get(e, SM_P_BANDS_XOVER_HI_HZ), 3200.0f, 0);
    sm_config now = sm_engine_config(e);
    assert_int_equal(sm_config_check(&now, NULL, 0), SM_OK);

    /* The output settles to the allpass of the new pair (B silent). */
    const size_t lat = (size_t)sm_engine_latency(e);
    const size_t n = FS, total = n + lat;
    float *a = tu_alloc(total), *b = tu_alloc(total), *l = tu_alloc(total),
          *r = tu_alloc(total);
    tu_noise(a, n, 0.25f, 91);
    sm_engine_process(e, a, b, l, r, total);
    sm_engine_stats st;
    sm_engine_get_stats(e, &st);
    assert_int_equal(st.param_changes, 2);
    float *ref_new = allpass_ref(a, n, 2000, 3200);
    float *ref_old = allpass_ref(a, n, 600, 1000);
    const size_t from = FS / 2;
    double e_new = tu_err_db(l + lat + from, ref_new + from, n - from);
    double e_old = tu_err_db(l + lat + from, ref_old + from, n - from);
    if (!(e_new < -70.0 && e_old > -20.0))
        fail_msg("after the move: %.1f dB from the new allpass, %.1f dB "
                 "from the old",
                 e_new, e_old);

    /* And back down: hi first is refused alone, fine in a batch. */
    assert_int_equal(sm_engine_set(e, SM_P_BANDS_XOVER_HI_HZ, 1000.0f),
                     SM_ERR_CONFIG);
    const sm_param down[2] = {SM_P_BANDS_XOVER_HI_HZ, SM_P_BANDS_XOVER_LO_HZ};
    const float downv[2] = {1000.0f, 600.0f};
    assert_int_equal(sm_engine_set_many(e, down, downv, 2, &bad), SM_OK);
    assert_int_equal(bad, 99);
    assert_float_equal(sm_engine_get(e, SM_P_BANDS_XOVER_LO_HZ), 600.0f, 0);
    assert_float_equal(sm_engine_get(e, SM_P_BANDS_XOVER_HI_HZ), 1000.0f, 0);
    /* Repeated ids: the last wins, also for the pair check. */
    const sm_param rep[3] = {SM_P_BANDS_XOVER_HI_HZ, SM_P_BANDS_XOVER_LO_HZ,
                             SM_P_BANDS_XOVER_HI_HZ};
    const float repv[3] = {16000.0f, 1000.0f, 1200.0f}; /* 1200 < 1500 */
    assert_int_equal(sm_engine_set_many(e, rep, repv, 3, &bad),
                     SM_ERR_CONFIG);
    assert_int_equal(bad, 0); /* the first crossover entry */
    assert_float_equal(sm_engine_get(e, SM_P_BANDS_XOVER_HI_HZ), 1000.0f, 0);
    sm_engine_free(e);
    free(ref_new);
    free(ref_old);
    free(a);
    free(b);
    free(l);
    free(r);
}

/* Output gain: -6.0206 dB halves a signal that is not limited. */
static void test_output_gain(void **state)
{
    (void)state;
    const size_t n = FS / 2;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 0.25f, 61);
    sm_config c = cfg_single(1024, 256);
    c.values[SM_P_OUTPUT_GAIN_DB] = (float)(20.0 * log10(0.5));
    float *l, *r;
    tu_render(&c, a, b, n, 128, &l, &r);
    for (size_t i = 0; i < n; i++)
        a[i] *= 0.5f;
    assert_true(tu_err_db(l, a, n) < -100.0);
    free(a);
    free(b);
    free(l);
    free(r);
}

/* Two engines in one process share nothing: interleaved processing gives
 * what each gives alone. */
static void test_two_engines_independent(void **state)
{
    (void)state;
    const size_t n = FS / 2;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 0.3f, 71);
    tu_noise(b, n, 0.3f, 72);
    sm_config c1 = sm_config_default(FS);
    sm_config c2 = cfg_single(1024, 256);
    c2.values[SM_P_MASK_TYPE] = SM_MASK_PSF;
    float *l1, *r1, *l2, *r2;
    tu_render(&c1, a, b, n, 256, &l1, &r1);
    tu_render(&c2, a, b, n, 256, &l2, &r2);
    sm_error err;
    sm_engine *e1 = sm_engine_new(&c1, &err), *e2 = sm_engine_new(&c2, &err);
    assert_non_null(e1);
    assert_non_null(e2);
    size_t lat1 = (size_t)sm_engine_latency(e1);
    size_t lat2 = (size_t)sm_engine_latency(e2);
    size_t total = n + (lat1 > lat2 ? lat1 : lat2);
    float *ia = tu_alloc(total), *ib = tu_alloc(total);
    memcpy(ia, a, n * sizeof(float));
    memcpy(ib, b, n * sizeof(float));
    float *o1l = tu_alloc(total), *o1r = tu_alloc(total);
    float *o2l = tu_alloc(total), *o2r = tu_alloc(total);
    for (size_t i = 0; i < total; i += 300) {
        size_t m = total - i < 300 ? total - i : 300;
        sm_engine_process(e1, ia + i, ib + i, o1l + i, o1r + i, m);
        sm_engine_process(e2, ia + i, ib + i, o2l + i, o2r + i, m);
    }
    assert_memory_equal(o1l + lat1, l1, n * sizeof(float));
    assert_memory_equal(o2r + lat2, r2, n * sizeof(float));
    sm_engine_free(e1);
    sm_engine_free(e2);
    free(ia);
    free(ib);
    free(o1l);
    free(o1r);
    free(o2l);
    free(o2r);
    free(l1);
    free(r1);
    free(l2);
    free(r2);
    free(a);
    free(b);
}

/* ---- adaptive crossovers ------------------------------------------------ */

typedef struct xpoint {
    float lo, hi, centroid;
} xpoint;

/* Runs e over a and b (n samples, n a multiple of block) in blocks of
 * `block`, keeping the crossover telemetry after each block in tr (n /
 * block entries) and the output in l, r (n each). */
static void run_traced(sm_engine *e, const float *a, const float *b,
                       size_t n, size_t block, float *l, float *r,
                       xpoint *tr)
{
    for (size_t i = 0, k = 0; i < n; i += block, k++) {
        sm_engine_process(e, a + i, b + i, l + i, r + i, block);
        sm_engine_stats st;
        sm_engine_get_stats(e, &st);
        tr[k] = (xpoint){st.xover_lo_hz, st.xover_hi_hz,
                         st.xover_centroid_hz};
    }
}

/* A sine that holds f0 for hold0 s, sweeps geometrically to f1 over
 * sweep s, then holds f1 (phase-continuous). */
static void sweep_make(float *x, size_t n, double fs, double f0, double f1,
                       double hold0, double sweep, double amp)
{
    double ph = 0.0;
    for (size_t i = 0; i < n; i++) {
        double t = (double)i / fs, u = (t - hold0) / sweep;
        u = u < 0.0 ? 0.0 : u > 1.0 ? 1.0 : u;
        x[i] = (float)(amp * sin(ph));
        ph += 2.0 * M_PI * f0 * pow(f1 / f0, u) / fs;
        if (ph > 2.0 * M_PI)
            ph -= 2.0 * M_PI;
    }
}

static double mapped(double lo_min, double lo_max, double centroid)
{
    return lo_min * pow(lo_max / lo_min, sm_xover_position(centroid));
}

/* A sine that holds 200 Hz for 2 s, sweeps to 8 kHz in 4 s and holds: the
 * reported centroid follows it (a little behind: the smoothing), the
 * cutoffs settle where the mapping puts 200 Hz, then rise monotonically
 * with the sweep, stay inside their ranges throughout (from the fixed
 * pair at the start, which the ranges contain), and land on the tops of
 * the ranges. */
static void test_adaptive_tracks_sweep(void **state)
{
    (void)state;
    const size_t block = 1024, n = 8 * 48000 / block * block;
    float *a = tu_alloc(n), *b = tu_alloc(n), *l = tu_alloc(n),
          *r = tu_alloc(n);
    sweep_make(a, n, FS, 200.0, 8000.0, 2.0, 4.0, 0.3);
    xpoint *tr = calloc(n / block, sizeof *tr);
    assert_non_null(tr);
    sm_config c = sm_config_default(FS);
    c.values[SM_P_BANDS_ADAPTIVE] = SM_ADAPTIVE_ON;
    sm_error err;
    sm_engine *e = sm_engine_new(&c, &err);
    assert_non_null(e);
    run_traced(e, a, b, n, block, l, r, tr);
    const size_t settled = (size_t)(1.95 * FS) / block;
    /* Monotonic from when the sweep has moved the frames: a steady sine
     * reads a hair differently as the frames slide over its period. */
    const size_t sweep_on = (size_t)(2.05 * FS) / block;
    print_message("at 2 s: centroid %.1f Hz, lo %.1f Hz, hi %.1f Hz\n",
                  tr[settled].centroid, tr[settled].lo, tr[settled].hi);
    assert_true(fabs(tr[settled].centroid / 200.0 - 1.0) < 0.02);
    assert_true(fabs(tr[settled].lo / mapped(120, 600, 200) - 1.0) < 0.02);
    assert_true(fabs(tr[settled].hi / mapped(2000, 8000, 200) - 1.0) < 0.02);
    for (size_t k = 0; k < n / block; k++) {
        if (!(tr[k].lo >= 120.0f && tr[k].lo <= 600.0f &&
              tr[k].hi >= 2000.0f && tr[k].hi <= 8000.0f &&
              tr[k].hi >= 1.5f * tr[k].lo))
            fail_msg("block %zu: lo %.1f hi %.1f out of range", k, tr[k].lo,
                     tr[k].hi);
        if (k > sweep_on &&
            (tr[k].lo < tr[k - 1].lo || tr[k].hi < tr[k - 1].hi))
            fail_msg("block %zu: cutoffs went down (lo %.2f -> %.2f, hi "
                     "%.2f -> %.2f)",
                     k, tr[k - 1].lo, tr[k].lo, tr[k - 1].hi, tr[k].hi);
        /* During the sweep: behind it by less than 0.8 s, never ahead. */
        double t = (double)(k + 1) * block / FS;
        if (t > 2.5 && t < 6.0) {
            double f_now = 200.0 * pow(40.0, (t - 2.0) / 4.0);
            double f_then = 200.0 * pow(40.0, fmax(t - 2.8, 0.0) / 4.0);
            if (!(tr[k].centroid <= f_now * 1.02 &&
                  tr[k].centroid >= f_then))
                fail_msg("at %.2f s: centroid %.1f Hz, sweep at %.1f Hz", t,
                         tr[k].centroid, f_now);
        }
    }
    const xpoint *end = &tr[n / block - 1];
    print_message("at 8 s: centroid %.1f Hz, lo %.1f Hz, hi %.1f Hz\n",
                  end->centroid, end->lo, end->hi);
    assert_true(end->lo == 600.0f && end->hi == 8000.0f);
    assert_true(fabs(end->centroid / 8000.0 - 1.0) < 0.02);
    sm_engine_free(e);
    free(tr);
    free(a);
    free(b);
    free(l);
    free(r);
}

/* At 44.1, 48 and 96 kHz, with ranges of its own: a sweep from below the
 * lower anchor to above the upper one takes the cutoffs from the bottoms
 * of their ranges to the tops, never outside. */
static void test_adaptive_ranges_at_rates(void **state)
{
    (void)state;
    static const int rates[] = {44100, 48000, 96000};
    const float lo_min = 150, lo_max = 500, hi_min = 2500, hi_max = 6000;
    for (size_t k = 0; k < 3; k++) {
        const int fs = rates[k];
        const size_t block = 1000, n = (size_t)fs * 10 / block * block;
        float *a = tu_alloc(n), *b = tu_alloc(n), *l = tu_alloc(n),
              *r = tu_alloc(n);
        sweep_make(a, n, fs, 50.0, 16000.0, 3.5, 3.0, 0.3);
        xpoint *tr = calloc(n / block, sizeof *tr);
        assert_non_null(tr);
        sm_config c = sm_config_default(fs);
        c.values[SM_P_BANDS_ADAPTIVE] = SM_ADAPTIVE_ON;
        c.values[SM_P_BANDS_XOVER_LO_MIN_HZ] = lo_min;
        c.values[SM_P_BANDS_XOVER_LO_MAX_HZ] = lo_max;
        c.values[SM_P_BANDS_XOVER_HI_MIN_HZ] = hi_min;
        c.values[SM_P_BANDS_XOVER_HI_MAX_HZ] = hi_max;
        c.values[SM_P_BANDS_XOVER_LO_HZ] = 300;
        c.values[SM_P_BANDS_XOVER_HI_HZ] = 3000;
        assert_int_equal(sm_config_check(&c, NULL, 0), SM_OK);
        sm_error err;
        sm_engine *e = sm_engine_new(&c, &err);
        assert_non_null(e);
        run_traced(e, a, b, n, block, l, r, tr);
        float min_lo = 1e9f, max_lo = 0, min_hi = 1e9f, max_hi = 0;
        for (size_t i = 0; i < n / block; i++) {
            min_lo = fminf(min_lo, tr[i].lo);
            max_lo = fmaxf(max_lo, tr[i].lo);
            min_hi = fminf(min_hi, tr[i].hi);
            max_hi = fmaxf(max_hi, tr[i].hi);
        }
        const xpoint *low = &tr[(size_t)(3.4 * fs) / block];
        const xpoint *end = &tr[n / block - 1];
        print_message("%d Hz: lo %.1f..%.1f, hi %.1f..%.1f; before the "
                      "sweep %.1f/%.1f, at the end %.1f/%.1f\n",
                      fs, min_lo, max_lo, min_hi, max_hi, low->lo, low->hi,
                      end->lo, end->hi);
        assert_true(min_lo >= lo_min && max_lo <= lo_max);
        assert_true(min_hi >= hi_min && max_hi <= hi_max);
        assert_true(fabs(low->lo / lo_min - 1.0) < 0.01);
        assert_true(fabs(low->hi / hi_min - 1.0) < 0.01);
        assert_true(end->lo == lo_max && end->hi == hi_max);
        sm_engine_free(e);
        free(tr);
        free(a);
        free(b);
        free(l);
        free(r);
    }
}

/* Flat while moving, end to end: B (a loud 80 Hz tone, then an 8 kHz
 * one, switching every 4 s: the worst content) swings the cutoffs over
 * their whole ranges; at morph.position 0 the output is A alone through
 * the crossover's allpass sum. A holds quiet tones an octave apart (two
 * sets, 100 and 150 Hz up); each comes out at constant amplitude within
 * 0.01 dB while the cutoffs sweep through it, at the default and at the
 * fastest bands.adapt_ms. */
static void test_adaptive_flat_while_moving(void **state)
{
    (void)state;
    const size_t n = 1u << 19, fade = 4800;
    const double amp = 0.02;
    float *b = tu_alloc(n);
    for (size_t i = 0; i < n; i++) {
        double f = (i / 192000) % 2 ? 8000.0 : 80.0;
        b[i] = (float)(0.5 * sin(2.0 * M_PI * f * (double)i / FS));
    }
    static const float adapt_ms[] = {500.0f, 20.0f};
    for (size_t t = 0; t < 2; t++) {
        double worst = 0.0, worst_hz = 0.0;
        for (int set = 0; set < 2; set++) {
            double hz[8], am[8];
            int count = 0;
            for (double f = set ? 150.0 : 100.0; f < 13000.0; f *= 2.0) {
                hz[count] = f;
                am[count++] = amp;
            }
            float *a = tu_alloc(n);
            tu_sines(a, n, FS, hz, am, count);
            for (size_t i = 0; i < fade; i++) {
                float w = (float)(0.5 - 0.5 * cos(M_PI * (double)i / fade));
                a[i] *= w;
                a[n - 1 - i] *= w;
            }
            sm_config c = sm_config_default(FS);
            c.values[SM_P_BANDS_ADAPTIVE] = SM_ADAPTIVE_ON;
            c.values[SM_P_BANDS_ADAPT_MS] = adapt_ms[t];
            c.values[SM_P_MORPH_POSITION] = 0.0f;
            c.values[SM_P_OUTPUT_WIDTH] = 0.0f;
            sm_error err;
            sm_engine *e = sm_engine_new(&c, &err);
            assert_non_null(e);
            const size_t lat = (size_t)sm_engine_latency(e);
            const size_t block = 4096;
            const size_t total = (n + lat) / block * block + block;
            float *ia = tu_alloc(total), *ib = tu_alloc(total),
                  *l = tu_alloc(total), *r = tu_alloc(total);
            memcpy(ia, a, n * sizeof(float));
            memcpy(ib, b, n * sizeof(float));
            xpoint *tr = calloc(total / block, sizeof *tr);
            assert_non_null(tr);
            run_traced(e, ia, ib, total, block, l, r, tr);
            /* The cutoffs crossed their ranges (past the tones). */
            float lo_min = 1e9f, lo_max = 0, hi_min = 1e9f, hi_max = 0;
            for (size_t k = 0; k < n / block; k++) {
                lo_min = fminf(lo_min, tr[k].lo);
                lo_max = fmaxf(lo_max, tr[k].lo);
                hi_min = fminf(hi_min, tr[k].hi);
                hi_max = fmaxf(hi_max, tr[k].hi);
            }
            assert_true(lo_min < 130.0f && lo_max > 550.0f);
            assert_true(hi_min < 2200.0f && hi_max > 7500.0f);
            for (int k = 0; k < count; k++) {
                double lo, hi;
                tu_envelope_db(l + lat, n, FS, hz[k] / 1.08, hz[k] * 1.08,
                               amp, 24000, n - 24000, &lo, &hi);
                double w = fmax(fabs(lo), fabs(hi));
                if (w > worst) {
                    worst = w;
                    worst_hz = hz[k];
                }
            }
            sm_engine_free(e);
            free(tr);
            free(ia);
            free(ib);
            free(l);
            free(r);
            free(a);
        }
        print_message("adapt_ms %4.0f: worst tone %.5f dB (at %.0f Hz)\n",
                      adapt_ms[t], worst, worst_hz);
        if (worst > 0.01)
            fail_msg("adapt_ms %.0f: the %.0f Hz tone varies by %.4f dB",
                     adapt_ms[t], worst_hz, worst);
    }
    free(b);
}

/* Off (the default) changes nothing: the ranges and bands.adapt_ms do
 * not touch the output (bit for bit), the cutoffs in force are exactly
 * the fixed pair and no centroid is measured. With one band the stage
 * does nothing even when on. */
static void test_adaptive_off_unchanged(void **state)
{
    (void)state;
    const size_t n = FS;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_voice(a, n, FS, 5);
    tu_noise(b, n, 0.1f, 6);
    for (int bands = 3; bands >= 1; bands -= 2) {
        sm_config c = sm_config_default(FS);
        c.values[SM_P_BANDS_COUNT] = (float)bands;
        float *l0, *r0, *l1, *r1;
        tu_render(&c, a, b, n, 512, &l0, &r0);
        c.values[SM_P_BANDS_XOVER_LO_MIN_HZ] = 200;
        c.values[SM_P_BANDS_XOVER_HI_MAX_HZ] = 5000;
        c.values[SM_P_BANDS_ADAPT_MS] = 30;
        if (bands == 1)
            c.values[SM_P_BANDS_ADAPTIVE] = SM_ADAPTIVE_ON;
        tu_render(&c, a, b, n, 512, &l1, &r1);
        assert_memory_equal(l0, l1, n * sizeof(float));
        assert_memory_equal(r0, r1, n * sizeof(float));
        sm_error err;
        sm_engine *e = sm_engine_new(&c, &err);
        assert_non_null(e);
        float *l = tu_alloc(n), *r = tu_alloc(n);
        sm_engine_process(e, a, b, l, r, n);
        sm_engine_stats st;
        sm_engine_get_stats(e, &st);
        if (bands == 3) {
            assert_true(st.xover_lo_hz == 250.0f && st.xover_hi_hz == 4000.0f);
        } else {
            assert_true(st.xover_lo_hz == 0.0f && st.xover_hi_hz == 0.0f);
        }
        assert_true(st.xover_centroid_hz == 0.0f);
        sm_engine_free(e);
        free(l);
        free(r);
        free(l0);
        free(r0);
        free(l1);
        free(r1);
    }
    free(a);
    free(b);
}

/* With the cutoffs moving, the output is still bit-identical for host
 * blocks of 1, 64, 1000 and 4096 samples (and from run to run, and after
 * sm_engine_reset). */
static void test_adaptive_block_invariance(void **state)
{
    (void)state;
    const size_t n = 2 * FS;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_voice(a, n, FS, 7);
    sweep_make(b, n, FS, 100.0, 6000.0, 0.2, 1.5, 0.2);
    sm_config c = sm_config_default(FS);
    c.values[SM_P_BANDS_ADAPTIVE] = SM_ADAPTIVE_ON;
    c.values[SM_P_BANDS_ADAPT_MS] = 100;
    float *l0, *r0;
    tu_render(&c, a, b, n, 4096, &l0, &r0);
    static const size_t blocks[] = {1, 64, 1000, 4096};
    for (size_t k = 0; k < 4; k++) {
        float *l, *r;
        tu_render(&c, a, b, n, blocks[k], &l, &r);
        if (memcmp(l, l0, n * sizeof(float)) ||
            memcmp(r, r0, n * sizeof(float)))
            fail_msg("block %zu differs from block 4096", blocks[k]);
        free(l);
        free(r);
    }
    /* The cutoffs did move (the test is not vacuous). */
    sm_error err;
    sm_engine *e = sm_engine_new(&c, &err);
    assert_non_null(e);
    float *l = tu_alloc(n), *r = tu_alloc(n);
    sm_engine_process(e, a, b, l, r, n);
    sm_engine_stats st;
    sm_engine_get_stats(e, &st);
    print_message("after 2 s: lo %.1f, hi %.1f, centroid %.1f Hz\n",
                  st.xover_lo_hz, st.xover_hi_hz, st.xover_centroid_hz);
    assert_true(st.xover_lo_hz > 300.0f && st.xover_hi_hz > 4500.0f);
    /* Reset is as new: the same input then gives what a new engine gives
     * (the cutoffs back on the fixed pair, nothing adapted, no glide). */
    sm_engine_reset(e);
    float *l2 = tu_alloc(n), *r2 = tu_alloc(n);
    sm_engine_process(e, a, b, l2, r2, n);
    assert_memory_equal(l2, l, n * sizeof(float));
    assert_memory_equal(r2, r, n * sizeof(float));
    sm_engine_free(e);
    free(l2);
    free(r2);
    free(l);
    free(r);
    free(l0);
    free(r0);
    free(a);
    free(b);
}

/* Live: turning bands.adaptive on moves the cutoffs away from the fixed
 * pair gradually (never faster than the slew limit); a fixed-pair change
 * while on is taken into the blend without a jump; turning it off brings
 * them back to the fixed pair exactly. The ranges are checked together
 * like the fixed pair. */
static void test_adaptive_live(void **state)
{
    (void)state;
    sm_config c = sm_config_default(FS);
    sm_error err;
    sm_engine *e = sm_engine_new(&c, &err);
    assert_non_null(e);
    const size_t block = 480, n = 12 * FS;
    float *a = tu_alloc(n), *b = tu_alloc(n), *l = tu_alloc(n),
          *r = tu_alloc(n);
    sweep_make(a, n, FS, 6000.0, 6000.0, 0.0, 1.0, 0.3); /* bright */
    /* Ranges: each alone refused when it breaks the order, fine in a
     * batch that keeps it. */
    assert_int_equal(sm_engine_set(e, SM_P_BANDS_XOVER_LO_MIN_HZ, 700.0f),
                     SM_ERR_CONFIG);
    assert_int_equal(sm_engine_set(e, SM_P_BANDS_XOVER_HI_MAX_HZ, 30000.0f),
                     SM_ERR_RANGE);
    const sm_param ids[2] = {SM_P_BANDS_XOVER_LO_MAX_HZ,
                             SM_P_BANDS_XOVER_LO_MIN_HZ};
    const float vals[2] = {900.0f, 700.0f};
    assert_int_equal(sm_engine_set_many(e, ids, vals, 2, NULL), SM_OK);
    const float back[2] = {600.0f, 120.0f};
    assert_int_equal(sm_engine_set_many(e, ids, back, 2, NULL), SM_OK);

    xpoint *tr = calloc(n / block, sizeof *tr);
    assert_non_null(tr);
    const size_t on_at = FS / block, fixed_at = 4 * FS / block,
                 off_at = 6 * FS / block;
    float prev_lo = 250.0f;
    double worst_rate = 0.0;
    for (size_t k = 0; k < n / block; k++) {
        if (k == on_at)
            assert_int_equal(
                sm_engine_set(e, SM_P_BANDS_ADAPTIVE, SM_ADAPTIVE_ON), SM_OK);
        if (k == fixed_at)
            assert_int_equal(sm_engine_set(e, SM_P_BANDS_XOVER_LO_HZ, 150.0f),
                             SM_OK);
        if (k == off_at)
            assert_int_equal(
                sm_engine_set(e, SM_P_BANDS_ADAPTIVE, SM_ADAPTIVE_OFF), SM_OK);
        size_t i = k * block;
        sm_engine_process(e, a + i, b + i, l + i, r + i, block);
        sm_engine_stats st;
        sm_engine_get_stats(e, &st);
        tr[k] = (xpoint){st.xover_lo_hz, st.xover_hi_hz,
                         st.xover_centroid_hz};
        /* Per second per Hz of cutoff, as the slew limit counts (at the
         * higher end of the block: the limit grows with the cutoff). */
        double rate = fabs(log(tr[k].lo / prev_lo)) /
                      (fmax(prev_lo, tr[k].lo) * block / FS);
        if (k > 0 && k < off_at + FS / block)
            worst_rate = fmax(worst_rate, rate);
        prev_lo = tr[k].lo;
    }
    print_message("lo: %.1f before, %.1f on, %.1f with the fixed change, "
                  "%.1f off; fastest %.5f / Hz (limit %.5f)\n",
                  tr[on_at - 1].lo, tr[fixed_at - 1].lo, tr[off_at - 1].lo,
                  tr[n / block - 1].lo, worst_rate,
                  1.0 / SM_XOVER_SLEW_CYCLES);
    assert_true(tr[on_at - 1].lo == 250.0f && tr[on_at - 1].hi == 4000.0f);
    assert_true(tr[on_at - 1].centroid == 0.0f);
    /* On: toward the top of the ranges (6 kHz is bright). */
    assert_true(tr[fixed_at - 1].lo > 500.0f && tr[fixed_at - 1].hi > 7500.0f);
    assert_true(fabs(tr[fixed_at - 1].centroid / 6000.0 - 1.0) < 0.02);
    /* No jump, whatever the switching and the fixed change. */
    assert_true(worst_rate <= 1.0 / SM_XOVER_SLEW_CYCLES * 1.001);
    /* Off: back on the fixed pair exactly (the new lo, 150 Hz). */
    assert_true(tr[n / block - 1].lo == 150.0f &&
                tr[n / block - 1].hi == 4000.0f);
    sm_engine_free(e);
    free(tr);
    free(a);
    free(b);
    free(l);
    free(r);
}

/* Bad configurations do not build an engine and say why. */
static void test_bad_config(void **state)
{
    (void)state;
    sm_error err = SM_OK;
    sm_config c = sm_config_default(FS);
    c.values[SM_P_BANDS_MF_HOP] = 2048;
    assert_null(sm_engine_new(&c, &err));
    assert_int_equal(err, SM_ERR_CONFIG);
    c = sm_config_default(1000);
    assert_null(sm_engine_new(&c, &err));
    assert_int_equal(err, SM_ERR_RATE);
    assert_null(sm_engine_new(NULL, &err));
    assert_int_equal(err, SM_ERR_NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perfect_reconstruction),
        cmocka_unit_test(test_three_band_sum_is_allpass),
        cmocka_unit_test(test_three_band_flat),
        cmocka_unit_test(test_pan_of_lone_source),
        cmocka_unit_test(test_antiphase_keeps_energy),
        cmocka_unit_test(test_position_extremes),
        cmocka_unit_test(test_block_size_invariance),
        cmocka_unit_test(test_latency_measured),
        cmocka_unit_test(test_ceiling_never_exceeded),
        cmocka_unit_test(test_nonfinite_input),
        cmocka_unit_test(test_live_parameters),
        cmocka_unit_test(test_live_change_is_smoothed),
        cmocka_unit_test(test_set_many_same_block),
        cmocka_unit_test(test_set_many_all_or_nothing),
        cmocka_unit_test(test_set_many_queue_full),
        cmocka_unit_test(test_set_many_crossover_pair),
        cmocka_unit_test(test_output_gain),
        cmocka_unit_test(test_two_engines_independent),
        cmocka_unit_test(test_bad_config),
        cmocka_unit_test(test_adaptive_tracks_sweep),
        cmocka_unit_test(test_adaptive_ranges_at_rates),
        cmocka_unit_test(test_adaptive_flat_while_moving),
        cmocka_unit_test(test_adaptive_off_unchanged),
        cmocka_unit_test(test_adaptive_block_invariance),
        cmocka_unit_test(test_adaptive_live),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
