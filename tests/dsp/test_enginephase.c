/* test_enginephase.c: the phase stage inside the engine (band.c): every
 * method keeps a pure source exactly (anchored bins keep their phase),
 * the latency the engine reports includes each method's look-ahead (an
 * impulse comes out exactly there), output is bit-identical across host
 * block sizes, and the stage's parameters are live or structural as the
 * table says. */
#include "testutil.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FS 48000

static const int methods[] = {SM_PHASE_LWS, SM_PHASE_PGHI, SM_PHASE_RTISILA,
                              SM_PHASE_BREGMAN, SM_PHASE_HPSS};
#define NMETHODS (int)(sizeof methods / sizeof methods[0])

static sm_config cfg_method(int method, int lookahead)
{
    sm_config c = sm_config_default(FS);
    c.values[SM_P_PHASE_METHOD] = (float)method;
    c.values[SM_P_PHASE_LOOKAHEAD] = (float)lookahead;
    c.values[SM_P_OUTPUT_WIDTH] = 0;
    return c;
}

/* Morph position 0 (1): B (A) is faded out, so every bin is wholly A's (B's)
 * and anchored; whatever the method and look-ahead, the output is that
 * source, 3 bands, delayed by exactly the reported latency (the trim in
 * tu_render). -90 dB: float rounding of the 3-band allpass sum and of the
 * phasor rescaling (about -120 dB), far from any real reconstruction
 * error (-20..-40 dB). */
static void test_pure_source_kept(void **state)
{
    (void)state;
    const size_t n = FS / 2;
    float *a = tu_alloc(n), *b = tu_alloc(n), *ref = tu_alloc(n);
    tu_voice(a, n, FS, 3);
    tu_noise(b, n, 0.2f, 4);
    /* The 3-band path is an allpass: its reference is the mix method. */
    for (int k = 0; k < NMETHODS; k++) {
        for (int la = 0; la <= 3; la += 3) {
            for (int side = 0; side < 2; side++) {
                sm_config c0 = cfg_method(SM_PHASE_MIX, 0);
                c0.values[SM_P_MORPH_POSITION] = (float)side;
                float *l0, *r0, *l, *r;
                tu_render(&c0, a, b, n, 1000, &l0, &r0);
                sm_config c = cfg_method(methods[k], la);
                c.values[SM_P_MORPH_POSITION] = (float)side;
                tu_render(&c, a, b, n, 1000, &l, &r);
                double e = tu_err_db(l, l0, n);
                if (!(e < -90.0))
                    fail_msg("%s look-ahead %d side %d: %.1f dB",
                             sm_param_choice_name(SM_P_PHASE_METHOD,
                                                  methods[k]),
                             la, side, e);
                free(l0);
                free(r0);
                free(l);
                free(r);
            }
        }
    }
    free(a);
    free(b);
    free(ref);
}

/* An impulse in A at position 0: its peak comes out exactly at 100 +
 * the reported latency, with its amplitude, for every method and
 * look-ahead, 1 band (no crossover allpass to smear it). */
static void test_latency_includes_lookahead(void **state)
{
    (void)state;
    for (int k = 0; k < NMETHODS; k++) {
        for (int la = 0; la <= 2; la++) {
            sm_config c = cfg_method(methods[k], la);
            c.values[SM_P_BANDS_COUNT] = 1;
            c.values[SM_P_MORPH_POSITION] = 0.0f;
            sm_error err;
            sm_engine *e = sm_engine_new(&c, &err);
            assert_non_null(e);
            size_t lat = (size_t)sm_engine_latency(e), n = lat + 8192;
            float *a = tu_alloc(n), *b = tu_alloc(n), *l = tu_alloc(n),
                  *r = tu_alloc(n);
            a[100] = 0.5f;
            sm_engine_process(e, a, b, l, r, n);
            size_t arg = 0;
            for (size_t i = 0; i < n; i++)
                if (fabsf(l[i]) > fabsf(l[arg]))
                    arg = i;
            if (arg != 100 + lat)
                fail_msg("method %d look-ahead %d: peak at %zu, latency "
                         "says %zu",
                         methods[k], la, arg, 100 + lat);
            assert_float_equal(l[arg], 0.5f, 1e-4f);
            sm_engine_free(e);
            free(a);
            free(b);
            free(l);
            free(r);
        }
    }
}

/* The latency grows by the look-ahead of the longest band path: with
 * look-ahead L the 3-band latency is at least the LF band's window - 1 +
 * L x its hop for the methods that use all L frames. */
static void test_latency_grows(void **state)
{
    (void)state;
    sm_config c0 = cfg_method(SM_PHASE_MIX, 0);
    sm_engine *e0 = sm_engine_new(&c0, NULL);
    assert_non_null(e0);
    int base = sm_engine_latency(e0);
    sm_engine_free(e0);
    const int lf_hop = (int)c0.values[SM_P_BANDS_LF_HOP];
    for (int la = 0; la <= 3; la++) {
        sm_config c = cfg_method(SM_PHASE_RTISILA, la);
        sm_engine *e = sm_engine_new(&c, NULL);
        assert_non_null(e);
        assert_int_equal(sm_engine_latency(e), base + la * lf_hop);
        sm_engine_free(e);
    }
}

/* Both sources active (a real merge): bit-identical output for host
 * blocks of 4096, 1, 333 and 1000 samples, stereo, for every method. */
static void test_block_size_invariance(void **state)
{
    (void)state;
    const size_t n = FS / 4;
    static const size_t blocks[] = {4096, 1, 333, 1000};
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_voice(a, n, FS, 5);
    double fr[2] = {220.0, 3100.0}, am[2] = {0.3, 0.1};
    tu_sines(b, n, FS, fr, am, 2);
    for (int k = 0; k < NMETHODS; k++) {
        sm_config c = cfg_method(methods[k], 2);
        c.values[SM_P_OUTPUT_WIDTH] = 0.7f;
        float *l0, *r0;
        tu_render(&c, a, b, n, blocks[0], &l0, &r0);
        double energy = tu_energy(l0, n) + tu_energy(r0, n);
        assert_true(isfinite(energy) && energy > 0.0);
        for (size_t j = 1; j < sizeof blocks / sizeof blocks[0]; j++) {
            float *l, *r;
            tu_render(&c, a, b, n, blocks[j], &l, &r);
            if (memcmp(l, l0, n * sizeof(float)) ||
                memcmp(r, r0, n * sizeof(float)))
                fail_msg("method %d: block %zu differs", methods[k],
                         blocks[j]);
            free(l);
            free(r);
        }
        free(l0);
        free(r0);
    }
    free(a);
    free(b);
}

/* Method, look-ahead and structure need a new engine; iterations,
 * divergence, step and anchor change live. */
static void test_live_and_structural(void **state)
{
    (void)state;
    sm_config c = cfg_method(SM_PHASE_BREGMAN, 1);
    sm_engine *e = sm_engine_new(&c, NULL);
    assert_non_null(e);
    assert_int_equal(sm_engine_set(e, SM_P_PHASE_METHOD, SM_PHASE_PGHI),
                     SM_ERR_NEEDS_REBUILD);
    assert_int_equal(sm_engine_set(e, SM_P_PHASE_LOOKAHEAD, 2),
                     SM_ERR_NEEDS_REBUILD);
    assert_int_equal(sm_engine_set(e, SM_P_PHASE_ITERATIONS, 9), SM_OK);
    assert_int_equal(sm_engine_set(e, SM_P_PHASE_DIVERGENCE, SM_DIV_IS),
                     SM_OK);
    assert_int_equal(sm_engine_set(e, SM_P_PHASE_STEP, 0.5f), SM_OK);
    assert_int_equal(sm_engine_set(e, SM_P_PHASE_ANCHOR, 1.0f), SM_OK);
    /* The new values are taken at the next hop and the audio stays
     * finite. */
    const size_t n = 8192;
    float *a = tu_alloc(n), *b = tu_alloc(n), *l = tu_alloc(n),
          *r = tu_alloc(n);
    tu_noise(a, n, 0.3f, 8);
    tu_noise(b, n, 0.3f, 9);
    sm_engine_process(e, a, b, l, r, n);
    for (size_t i = 0; i < n; i++)
        assert_true(isfinite(l[i]) && isfinite(r[i]));
    assert_true(tu_energy(l, n) > 0.0);
    sm_engine_free(e);
    free(a);
    free(b);
    free(l);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pure_source_kept),
        cmocka_unit_test(test_latency_includes_lookahead),
        cmocka_unit_test(test_latency_grows),
        cmocka_unit_test(test_block_size_invariance),
        cmocka_unit_test(test_live_and_structural),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
