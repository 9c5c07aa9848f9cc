/* test_config.c: the built-in presets (dsp/config.c).
 *
 * Names are found case-insensitively and misspellings get a suggestion; a
 * preset gives a valid configuration at the common rates (and every
 * supported one), sets the band layout only and the whole of it, balanced
 * is exactly the defaults, an engine builds from each, and its latency at
 * 48 kHz is what the comment above the table in dsp/config.c states.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "specmorph.h"
#include "testutil.h"

enum { LOWLATENCY, BALANCED, STUDIO, NPRESETS };

static const char *const names[NPRESETS] = {"lowlatency", "balanced",
                                            "studio"};

/* The layout a preset sets, and the values at 48 kHz the comment in
 * config.c documents, in this order. */
static const sm_param layout[] = {
    SM_P_BANDS_COUNT,     SM_P_BANDS_SINGLE_WINDOW, SM_P_BANDS_SINGLE_HOP,
    SM_P_BANDS_LF_WINDOW, SM_P_BANDS_LF_HOP,        SM_P_BANDS_MF_WINDOW,
    SM_P_BANDS_MF_HOP,    SM_P_BANDS_HF_WINDOW,     SM_P_BANDS_HF_HOP};
#define NLAYOUT (sizeof layout / sizeof layout[0])

static const float want48[NPRESETS][NLAYOUT] = {
    {1, 1024, 256, 1024, 256, 512, 128, 256, 64},
    {3, 2048, 512, 4096, 1024, 2048, 512, 512, 128},
    {3, 4096, 1024, 8192, 2048, 4096, 1024, 1024, 256},
};

/* Latency at 48 kHz as documented: with the preset's bands.count, and
 * with the other count (the pair the preset sets but does not use). */
static const int latency48[NPRESETS] = {1087, 4159, 8255};
static const int latency48_other[NPRESETS] = {1087, 2111, 4159};

static int in_layout(int id)
{
    for (size_t k = 0; k < NLAYOUT; k++)
        if ((int)layout[k] == id)
            return 1;
    return 0;
}

static sm_config preset_at(int preset, int rate)
{
    sm_config c = sm_config_default(rate);
    sm_error e = sm_config_apply_preset(&c, preset);
    if (e != SM_OK)
        fail_msg("preset %d at %d Hz: %s", preset, rate, sm_strerror(e));
    return c;
}

/* ---- names --------------------------------------------------------------- */

static void test_preset_names(void **state)
{
    (void)state;
    assert_int_equal(sm_preset_count(), NPRESETS);
    for (int i = 0; i < NPRESETS; i++) {
        assert_non_null(sm_preset_name(i));
        assert_string_equal(sm_preset_name(i), names[i]);
        assert_non_null(sm_preset_help(i));
        assert_true(strlen(sm_preset_help(i)) > 10);
        assert_int_equal(sm_preset_find(names[i]), i);
        /* Case-insensitive. */
        char up[32];
        size_t k = 0;
        for (; names[i][k] && k + 1 < sizeof up; k++)
            up[k] = (char)(names[i][k] - 'a' + 'A');
        up[k] = '\0';
        assert_int_equal(sm_preset_find(up), i);
    }
    assert_int_equal(sm_preset_find("LowLatency"), LOWLATENCY);
    assert_int_equal(sm_preset_find("Studio"), STUDIO);
    assert_null(sm_preset_name(-1));
    assert_null(sm_preset_name(NPRESETS));
    assert_null(sm_preset_help(-1));
    assert_null(sm_preset_help(NPRESETS));
    /* Unknown: -1, no prefixes, no trimming. */
    assert_int_equal(sm_preset_find("low"), -1);
    assert_int_equal(sm_preset_find("studios"), -1);
    assert_int_equal(sm_preset_find("balanced "), -1);
    assert_int_equal(sm_preset_find("default"), -1);
    assert_int_equal(sm_preset_find(""), -1);
    assert_int_equal(sm_preset_find(NULL), -1);
}

static void test_preset_suggest(void **state)
{
    (void)state;
    static const struct {
        const char *typed, *want;
    } cases[] = {
        {"lowlatncy", "lowlatency"}, {"low-latency", "lowlatency"},
        {"low_latency", "lowlatency"}, {"LOWLATENSY", "lowlatency"},
        {"balance", "balanced"},     {"ballanced", "balanced"},
        {"studo", "studio"},         {"Studios", "studio"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *s = sm_preset_suggest(cases[i].typed);
        if (!s || strcmp(s, cases[i].want) != 0)
            fail_msg("suggest '%s': got %s, want %s", cases[i].typed,
                     s ? s : "NULL", cases[i].want);
    }
    assert_null(sm_preset_suggest("reverb"));
    assert_null(sm_preset_suggest("xyz"));
    assert_null(sm_preset_suggest("completely different"));
    assert_null(sm_preset_suggest(""));
    assert_null(sm_preset_suggest(NULL));
}

/* ---- applying -------------------------------------------------------------- */

/* Each preset gives a configuration that passes the joint check at the
 * common rates and at every supported rate, with the documented values at
 * 48 kHz and scaled ones (powers of two, window = 4 hops) elsewhere. */
static void test_preset_valid_at_rates(void **state)
{
    (void)state;
    static const int rates[] = {8000,  11025, 16000, 22050, 32000, 44100,
                                48000, 88200, 96000, 192000, 384000};
    for (int p = 0; p < NPRESETS; p++) {
        for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
            sm_config c = preset_at(p, rates[r]);
            char why[256] = "";
            sm_error e = sm_config_check(&c, why, sizeof why);
            if (e != SM_OK)
                fail_msg("%s at %d Hz: %s (%s)", names[p], rates[r],
                         sm_strerror(e), why);
            /* The pair the preset does not use is valid too. */
            c.values[SM_P_BANDS_COUNT] =
                c.values[SM_P_BANDS_COUNT] == 1.0f ? 3.0f : 1.0f;
            e = sm_config_check(&c, why, sizeof why);
            if (e != SM_OK)
                fail_msg("%s at %d Hz, other bands.count: %s (%s)", names[p],
                         rates[r], sm_strerror(e), why);
        }
        sm_config c = preset_at(p, 48000);
        for (size_t k = 0; k < NLAYOUT; k++)
            if (c.values[layout[k]] != want48[p][k])
                fail_msg("%s: %s = %g at 48 kHz, documented %g", names[p],
                         sm_param_get_info(layout[k])->name,
                         c.values[layout[k]], want48[p][k]);
        /* 44.1 kHz rounds to the same sizes, 96 kHz doubles them. */
        sm_config c44 = preset_at(p, 44100), c96 = preset_at(p, 96000);
        for (size_t k = 1; k < NLAYOUT; k++) {
            assert_true(c44.values[layout[k]] == want48[p][k]);
            assert_true(c96.values[layout[k]] == 2 * want48[p][k]);
        }
        assert_true(c96.values[SM_P_BANDS_COUNT] == want48[p][0]);
    }
}

/* balanced is exactly the defaults, at every rate, whatever was set
 * before. */
static void test_preset_balanced_is_default(void **state)
{
    (void)state;
    static const int rates[] = {8000, 22050, 44100, 48000, 96000, 384000};
    for (size_t r = 0; r < sizeof rates / sizeof rates[0]; r++) {
        for (int before = 0; before < NPRESETS; before++) {
            sm_config c = sm_config_default(rates[r]);
            assert_int_equal(sm_config_apply_preset(&c, before), SM_OK);
            assert_int_equal(sm_config_apply_preset(&c, BALANCED), SM_OK);
            sm_config d = sm_config_default(rates[r]);
            assert_int_equal(c.sample_rate_hz, d.sample_rate_hz);
            for (int i = 0; i < SM_P_COUNT; i++)
                if (c.values[i] != d.values[i])
                    fail_msg("balanced after %s at %d Hz: %s = %g, default "
                             "%g",
                             names[before], rates[r],
                             sm_param_get_info((sm_param)i)->name,
                             c.values[i], d.values[i]);
            assert_memory_equal(c.values, d.values, sizeof c.values);
        }
    }
}

/* A preset sets the layout and nothing else: morph, mask, crossover and
 * output values survive; and it sets all of the layout, so the result does
 * not depend on what came before. */
static void test_preset_partial(void **state)
{
    (void)state;
    for (int p = 0; p < NPRESETS; p++) {
        sm_config c = sm_config_default(48000);
        c.values[SM_P_MORPH_POSITION] = 0.3f;
        c.values[SM_P_MASK_TYPE] = SM_MASK_PSF;
        c.values[SM_P_MASK_K] = 7.0f;
        c.values[SM_P_MASK_WIENER_MS] = 100.0f;
        c.values[SM_P_BANDS_XOVER_LO_HZ] = 300.0f;
        c.values[SM_P_BANDS_XOVER_HI_HZ] = 5000.0f;
        c.values[SM_P_OUTPUT_WIDTH] = 0.9f;
        c.values[SM_P_OUTPUT_GAIN_DB] = -6.0f;
        c.values[SM_P_OUTPUT_CEILING_DB] = -3.0f;
        /* Layout values no preset uses. */
        for (size_t k = 0; k < NLAYOUT; k++)
            c.values[layout[k]] = k == 0 ? 1.0f : k % 2 ? 128.0f : 32.0f;
        sm_config before = c;
        assert_int_equal(sm_config_apply_preset(&c, p), SM_OK);
        assert_int_equal(c.sample_rate_hz, 48000);
        for (int i = 0; i < SM_P_COUNT; i++) {
            const char *name = sm_param_get_info((sm_param)i)->name;
            if (!in_layout(i) && c.values[i] != before.values[i])
                fail_msg("%s changed %s from %g to %g", names[p], name,
                         before.values[i], c.values[i]);
        }
        /* The same layout as from the defaults. */
        sm_config ref = preset_at(p, 48000);
        for (size_t k = 0; k < NLAYOUT; k++)
            if (c.values[layout[k]] != ref.values[layout[k]])
                fail_msg("%s: %s = %g depends on the value before (%g from "
                         "the defaults)",
                         names[p], sm_param_get_info(layout[k])->name,
                         c.values[layout[k]], ref.values[layout[k]]);
        assert_int_equal(sm_config_check(&c, NULL, 0), SM_OK);
    }
}

static void test_preset_errors(void **state)
{
    (void)state;
    assert_int_equal(sm_config_apply_preset(NULL, 0), SM_ERR_NULL);
    sm_config c = sm_config_default(48000);
    c.values[SM_P_BANDS_COUNT] = 1;
    sm_config before = c;
    assert_int_equal(sm_config_apply_preset(&c, -1), SM_ERR_PARAM);
    assert_int_equal(sm_config_apply_preset(&c, NPRESETS), SM_ERR_PARAM);
    assert_memory_equal(&c, &before, sizeof c);
    static const int bad_rates[] = {0, -48000, 7999, 384001};
    for (size_t r = 0; r < sizeof bad_rates / sizeof bad_rates[0]; r++) {
        c.sample_rate_hz = bad_rates[r];
        before = c;
        assert_int_equal(sm_config_apply_preset(&c, STUDIO), SM_ERR_RATE);
        assert_memory_equal(&c, &before, sizeof c);
    }
    /* The limits themselves are supported. */
    c.sample_rate_hz = 8000;
    assert_int_equal(sm_config_apply_preset(&c, STUDIO), SM_OK);
    c.sample_rate_hz = 384000;
    assert_int_equal(sm_config_apply_preset(&c, LOWLATENCY), SM_OK);
}

/* ---- engines ----------------------------------------------------------------- */

static sm_engine *build(const sm_config *c, const char *what)
{
    sm_error err = SM_OK;
    sm_engine *e = sm_engine_new(c, &err);
    if (!e)
        fail_msg("%s: sm_engine_new: %s", what, sm_strerror(err));
    return e;
}

/* An engine builds from each preset at 44.1, 48 and 96 kHz and runs; at
 * 48 kHz its latency is the documented one, also with bands.count
 * switched to the pair the preset does not use. */
static void test_preset_engines(void **state)
{
    (void)state;
    static const int rates[] = {44100, 48000, 96000};
    const size_t n = 4096;
    float *a = tu_alloc(n), *b = tu_alloc(n), *l = tu_alloc(n),
          *r = tu_alloc(n);
    tu_noise(a, n, 0.25f, 3);
    tu_noise(b, n, 0.25f, 4);
    for (int p = 0; p < NPRESETS; p++) {
        for (size_t k = 0; k < sizeof rates / sizeof rates[0]; k++) {
            char what[64];
            snprintf(what, sizeof what, "%s at %d Hz", names[p], rates[k]);
            sm_config c = preset_at(p, rates[k]);
            sm_engine *e = build(&c, what);
            sm_engine_process(e, a, b, l, r, n);
            for (size_t i = 0; i < n; i++)
                assert_true(isfinite(l[i]) && isfinite(r[i]));
            if (rates[k] == 48000 && sm_engine_latency(e) != latency48[p])
                fail_msg("%s: latency %d, documented %d", what,
                         sm_engine_latency(e), latency48[p]);
            sm_engine_free(e);
        }
        sm_config c = preset_at(p, 48000);
        c.values[SM_P_BANDS_COUNT] =
            c.values[SM_P_BANDS_COUNT] == 1.0f ? 3.0f : 1.0f;
        sm_engine *e = build(&c, names[p]);
        if (sm_engine_latency(e) != latency48_other[p])
            fail_msg("%s with bands.count = %g: latency %d, documented %d",
                     names[p], c.values[SM_P_BANDS_COUNT],
                     sm_engine_latency(e), latency48_other[p]);
        sm_engine_free(e);
    }
    /* The order the names promise. */
    assert_true(latency48[LOWLATENCY] < latency48[BALANCED]);
    assert_true(latency48[BALANCED] < latency48[STUDIO]);
    free(a);
    free(b);
    free(l);
    free(r);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_preset_names),
        cmocka_unit_test(test_preset_suggest),
        cmocka_unit_test(test_preset_valid_at_rates),
        cmocka_unit_test(test_preset_balanced_is_default),
        cmocka_unit_test(test_preset_partial),
        cmocka_unit_test(test_preset_errors),
        cmocka_unit_test(test_preset_engines),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
