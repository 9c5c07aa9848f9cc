/* test_params.c: the parameter table (dsp/params.c) and the configuration
 * rules (dsp/config.c).
 *
 * Every front end (INI loader, renderer -s, OSC) says what these functions
 * say about a value, so they are checked directly: the table rows are
 * self-consistent, names are found case-insensitively and misspellings get
 * a suggestion, parsing is strict (garbage, non-finite and out-of-range
 * text is refused with a reason naming the allowed values), formatting
 * round-trips through parsing, defaults scale with the sample rate, the
 * joint checks refuse every inconsistent combination they claim to, and a
 * normalised 0..1 control always maps onto a valid value (linear, log,
 * powers of two, enum steps) and back. The presets: test_config.c.
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

/* ---- the table ---------------------------------------------------------- */

static void test_table_rows_sane(void **state)
{
    (void)state;
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        assert_non_null(in);
        assert_non_null(in->section);
        assert_non_null(in->key);
        assert_non_null(in->name);
        assert_non_null(in->unit);
        assert_non_null(in->help);
        assert_non_null(in->choices);
        assert_true(strlen(in->section) > 0);
        assert_true(strlen(in->key) > 0);
        assert_true(strlen(in->help) > 0);
        char full[128];
        snprintf(full, sizeof full, "%s.%s", in->section, in->key);
        assert_string_equal(in->name, full);
        /* Names are unique: the lookup finds this row. */
        assert_int_equal(sm_param_find(in->name), i);

        assert_true(isfinite(in->min) && isfinite(in->max) &&
                    isfinite(in->def));
        assert_true(in->min <= in->def);
        assert_true(in->def <= in->max);
        assert_true(in->smooth_ms >= 0.0f);
        assert_int_equal(sm_param_check((sm_param)i, in->def, NULL, 0), SM_OK);
        /* A live parameter is not also structural. */
        assert_false((in->flags & SM_PF_LIVE) && (in->flags & SM_PF_REBUILD));

        if (in->type != SM_T_FLOAT) {
            assert_true(in->min == floorf(in->min));
            assert_true(in->max == floorf(in->max));
            assert_true(in->def == floorf(in->def));
        }
        if (in->type == SM_T_ENUM) {
            assert_true(in->min == 0.0f);
            int nch = (int)in->max + 1;
            for (int c = 0; c < nch; c++) {
                const char *n = sm_param_choice_name((sm_param)i, c);
                assert_non_null(n);
                assert_true(strlen(n) > 0);
                for (int d = 0; d < c; d++)
                    assert_string_not_equal(
                        n, sm_param_choice_name((sm_param)i, d));
            }
            assert_null(sm_param_choice_name((sm_param)i, nch));
            assert_null(sm_param_choice_name((sm_param)i, -1));
        } else {
            assert_string_equal(in->choices, "");
            assert_null(sm_param_choice_name((sm_param)i, 0));
        }
    }
    assert_null(sm_param_get_info(SM_P_COUNT));
    assert_null(sm_param_get_info((sm_param)-1));
}

static void test_enum_choices_match_constants(void **state)
{
    (void)state;
    assert_string_equal(sm_param_choice_name(SM_P_MASK_TYPE, SM_MASK_SOFTMAX),
                        "softmax");
    assert_string_equal(sm_param_choice_name(SM_P_MASK_TYPE, SM_MASK_WIENER),
                        "wiener");
    assert_string_equal(sm_param_choice_name(SM_P_MASK_TYPE, SM_MASK_PSF),
                        "psf");
    assert_string_equal(sm_param_choice_name(SM_P_PHASE_METHOD, SM_PHASE_MIX),
                        "mix");
}

/* ---- lookup and suggestion ---------------------------------------------- */

static void test_find_case_insensitive(void **state)
{
    (void)state;
    assert_int_equal(sm_param_find("mask.k"), SM_P_MASK_K);
    assert_int_equal(sm_param_find("MASK.K"), SM_P_MASK_K);
    assert_int_equal(sm_param_find("Morph.Position"), SM_P_MORPH_POSITION);
    assert_int_equal(sm_param_find("bands.XOVER_hi_HZ"),
                     SM_P_BANDS_XOVER_HI_HZ);
    assert_int_equal(sm_param_find("mask"), -1);
    assert_int_equal(sm_param_find("k"), -1);
    assert_int_equal(sm_param_find("mask.k "), -1);
    assert_int_equal(sm_param_find("mask.kk"), -1);
    assert_int_equal(sm_param_find(""), -1);
    assert_int_equal(sm_param_find(NULL), -1);
}

static void test_suggest(void **state)
{
    (void)state;
    const char *s = sm_param_suggest("mask.kk");
    assert_non_null(s);
    assert_string_equal(s, "mask.k");
    s = sm_param_suggest("morph.positon");
    assert_non_null(s);
    assert_string_equal(s, "morph.position");
    s = sm_param_suggest("Output.Ceiling_dbb");
    assert_non_null(s);
    assert_string_equal(s, "output.ceiling_db");
    s = sm_param_suggest("bands.xover_lo");
    assert_non_null(s);
    assert_string_equal(s, "bands.xover_lo_hz");
    /* A bare key counts against the key part. */
    s = sm_param_suggest("positon");
    assert_non_null(s);
    assert_string_equal(s, "morph.position");

    assert_null(sm_param_suggest("xyzzy.plugh"));
    assert_null(sm_param_suggest("completely.unrelated_thing"));
    assert_null(sm_param_suggest("reverb.decay_time"));
    assert_null(sm_param_suggest("foo"));
    assert_null(sm_param_suggest(NULL));
}

/* ---- parsing -------------------------------------------------------------- */

static void parse_ok(sm_param id, const char *text, float want)
{
    float v = -12345.0f;
    char why[256] = "";
    sm_error e = sm_param_parse(id, text, &v, why, sizeof why);
    if (e != SM_OK)
        fail_msg("parse '%s': %s (%s)", text, sm_strerror(e), why);
    if (v != want)
        fail_msg("parse '%s': got %.9g, want %.9g", text, v, want);
}

/* Expects failure with code want_err, *value untouched, and a reason that
 * names the parameter and contains each of the needles. */
static void parse_bad(sm_param id, const char *text, sm_error want_err,
                      const char *needle1, const char *needle2)
{
    float v = -12345.0f;
    char why[256] = "";
    sm_error e = sm_param_parse(id, text, &v, why, sizeof why);
    if (e != want_err)
        fail_msg("parse '%s': got %s (%s), want %s", text, sm_strerror(e),
                 why, sm_strerror(want_err));
    assert_true(v == -12345.0f);
    const char *name = sm_param_get_info(id)->name;
    if (!strstr(why, name))
        fail_msg("parse '%s': reason '%s' does not name %s", text, why, name);
    if (needle1 && !strstr(why, needle1))
        fail_msg("parse '%s': reason '%s' lacks '%s'", text, why, needle1);
    if (needle2 && !strstr(why, needle2))
        fail_msg("parse '%s': reason '%s' lacks '%s'", text, why, needle2);
}

static void test_parse_numbers(void **state)
{
    (void)state;
    parse_ok(SM_P_MORPH_POSITION, "0.25", 0.25f);
    parse_ok(SM_P_MORPH_POSITION, "  0.75  ", 0.75f);
    parse_ok(SM_P_MORPH_POSITION, "0", 0.0f);
    parse_ok(SM_P_MORPH_POSITION, "1", 1.0f);
    parse_ok(SM_P_MORPH_POSITION, "1e-1", 0.1f);
    parse_ok(SM_P_MASK_K, "20", 20.0f);
    parse_ok(SM_P_MASK_K, "0.1", 0.1f);
    parse_ok(SM_P_OUTPUT_GAIN_DB, "-60", -60.0f);
    parse_ok(SM_P_OUTPUT_GAIN_DB, "+6.5", 6.5f);
    parse_ok(SM_P_BANDS_LF_WINDOW, "8192", 8192.0f);
    parse_ok(SM_P_BANDS_LF_WINDOW, "4096.0", 4096.0f);
    parse_ok(SM_P_BANDS_COUNT, "1", 1.0f);
    parse_ok(SM_P_BANDS_XOVER_HI_HZ, "2500", 2500.0f);
}

static void test_parse_enums(void **state)
{
    (void)state;
    parse_ok(SM_P_MASK_TYPE, "softmax", (float)SM_MASK_SOFTMAX);
    parse_ok(SM_P_MASK_TYPE, "wiener", (float)SM_MASK_WIENER);
    parse_ok(SM_P_MASK_TYPE, "PSF", (float)SM_MASK_PSF);
    parse_ok(SM_P_MASK_TYPE, " Wiener ", (float)SM_MASK_WIENER);
    parse_ok(SM_P_MASK_TYPE, "0", 0.0f);
    parse_ok(SM_P_MASK_TYPE, "2", 2.0f);
    parse_ok(SM_P_PHASE_METHOD, "mix", (float)SM_PHASE_MIX);
    parse_ok(SM_P_PHASE_METHOD, "0", 0.0f);
    parse_bad(SM_P_MASK_TYPE, "wien", SM_ERR_PARSE,
              "expected one of softmax, wiener, psf", NULL);
    parse_bad(SM_P_MASK_TYPE, "softmax2", SM_ERR_PARSE, "softmax, wiener, psf",
              NULL);
    parse_bad(SM_P_MASK_TYPE, "3", SM_ERR_RANGE, "softmax, wiener, psf",
              NULL);
    parse_bad(SM_P_MASK_TYPE, "-1", SM_ERR_RANGE, "softmax, wiener, psf",
              NULL);
    parse_bad(SM_P_MASK_TYPE, "1.5", SM_ERR_RANGE, "softmax, wiener, psf",
              NULL);
    parse_bad(SM_P_MASK_TYPE, "", SM_ERR_PARSE, "softmax, wiener, psf", NULL);
    parse_bad(SM_P_PHASE_METHOD, "6", SM_ERR_RANGE, "one of mix", NULL);
}

static void test_parse_rejects_garbage(void **state)
{
    (void)state;
    const char *rng = "expected a number from 0.1 to 20";
    parse_bad(SM_P_MASK_K, "2.5x", SM_ERR_PARSE, "'2.5x'", rng);
    parse_bad(SM_P_MASK_K, "", SM_ERR_PARSE, "empty", rng);
    parse_bad(SM_P_MASK_K, "   ", SM_ERR_PARSE, "empty", rng);
    parse_bad(SM_P_MASK_K, "abc", SM_ERR_PARSE, rng, NULL);
    parse_bad(SM_P_MASK_K, "2 3", SM_ERR_PARSE, rng, NULL);
    parse_bad(SM_P_MASK_K, "2,5", SM_ERR_PARSE, rng, NULL);
    parse_bad(SM_P_MASK_K, "nan", SM_ERR_NOT_FINITE, "not finite", rng);
    parse_bad(SM_P_MASK_K, "NaN", SM_ERR_NOT_FINITE, rng, NULL);
    parse_bad(SM_P_MASK_K, "inf", SM_ERR_NOT_FINITE, "not finite", rng);
    parse_bad(SM_P_MASK_K, "-inf", SM_ERR_NOT_FINITE, rng, NULL);
    parse_bad(SM_P_MASK_K, "infinity", SM_ERR_NOT_FINITE, rng, NULL);
    /* 1e40 is finite as a double but not as a float: must be out of range,
     * not silently inf or clamped. 1e999 overflows strtod. */
    parse_bad(SM_P_MASK_K, "1e40", SM_ERR_RANGE, "out of range", rng);
    parse_bad(SM_P_MASK_K, "-1e40", SM_ERR_RANGE, "out of range", rng);
    parse_bad(SM_P_MASK_K, "1e999", SM_ERR_PARSE, rng, NULL);
    parse_bad(SM_P_MASK_K, "20.001", SM_ERR_RANGE, "out of range", rng);
    parse_bad(SM_P_MASK_K, "0", SM_ERR_RANGE, "out of range", rng);
    parse_bad(SM_P_MORPH_POSITION, "-0.1", SM_ERR_RANGE,
              "expected a number from 0 to 1", NULL);
    parse_bad(SM_P_OUTPUT_GAIN_DB, "25", SM_ERR_RANGE,
              "expected a number from -60 to 24 dB", NULL);
    parse_bad(SM_P_BANDS_XOVER_LO_HZ, "39", SM_ERR_RANGE,
              "expected a number from 40 to 2000 Hz", NULL);
    /* Integers: non-integral text is refused, not truncated. */
    const char *irng = "expected an integer from 64 to 32768 samples";
    parse_bad(SM_P_BANDS_LF_WINDOW, "4096.5", SM_ERR_RANGE, "not an integer",
              irng);
    parse_bad(SM_P_BANDS_LF_WINDOW, "32769", SM_ERR_RANGE, "out of range",
              irng);
    parse_bad(SM_P_BANDS_LF_WINDOW, "63", SM_ERR_RANGE, irng, NULL);
    parse_bad(SM_P_BANDS_LF_WINDOW, "4k", SM_ERR_PARSE, irng, NULL);
    parse_bad(SM_P_BANDS_COUNT, "2.5", SM_ERR_RANGE,
              "expected an integer from 1 to 3", NULL);
    parse_bad(SM_P_BANDS_COUNT, "4", SM_ERR_RANGE,
              "expected an integer from 1 to 3", NULL);

    /* NULL text or value, and an id out of range. */
    float v = 0.0f;
    char why[128] = "";
    assert_int_equal(sm_param_parse(SM_P_MASK_K, NULL, &v, why, sizeof why),
                     SM_ERR_NULL);
    assert_int_equal(sm_param_parse(SM_P_MASK_K, "2", NULL, why, sizeof why),
                     SM_ERR_NULL);
    assert_int_equal(sm_param_parse(SM_P_COUNT, "2", &v, why, sizeof why),
                     SM_ERR_PARAM);
    /* why may be NULL. */
    assert_int_equal(sm_param_parse(SM_P_MASK_K, "x", &v, NULL, 0),
                     SM_ERR_PARSE);
}

static void test_check_values(void **state)
{
    (void)state;
    char why[256];
    assert_int_equal(sm_param_check(SM_P_MASK_K, 2.0f, why, sizeof why),
                     SM_OK);
    assert_int_equal(sm_param_check(SM_P_MASK_K, NAN, why, sizeof why),
                     SM_ERR_NOT_FINITE);
    assert_non_null(strstr(why, "mask.k"));
    assert_int_equal(sm_param_check(SM_P_MASK_K, INFINITY, why, sizeof why),
                     SM_ERR_NOT_FINITE);
    assert_int_equal(sm_param_check(SM_P_MASK_K, 0.05f, why, sizeof why),
                     SM_ERR_RANGE);
    assert_non_null(strstr(why, "0.1 to 20"));
    assert_int_equal(sm_param_check(SM_P_BANDS_COUNT, 1.5f, why, sizeof why),
                     SM_ERR_RANGE);
    assert_non_null(strstr(why, "not an integer"));
    assert_int_equal(sm_param_check(SM_P_MASK_TYPE, 3.0f, why, sizeof why),
                     SM_ERR_RANGE);
    assert_int_equal(sm_param_check(SM_P_COUNT, 0.0f, why, sizeof why),
                     SM_ERR_PARAM);
}

/* Formatting a value and parsing the text gives the same float back, for
 * the defaults, the limits and awkward values in between. */
static void test_format_roundtrip(void **state)
{
    (void)state;
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        float vals[6] = {in->def, in->min, in->max, 0, 0, 0};
        int nv = 3;
        if (in->type == SM_T_FLOAT) {
            double span = (double)in->max - (double)in->min;
            vals[nv++] = (float)(in->min + span / 3.0);
            vals[nv++] = (float)(in->min + span * 0.70710678118654752);
            vals[nv++] = nextafterf(in->max, in->min);
        } else {
            vals[nv++] = floorf((in->min + in->max) / 2);
        }
        for (int k = 0; k < nv; k++) {
            char buf[64];
            int len = sm_param_format((sm_param)i, vals[k], buf, sizeof buf);
            assert_true(len > 0 && (size_t)len < sizeof buf);
            assert_int_equal((size_t)len, strlen(buf));
            float back = -12345.0f;
            char why[256] = "";
            sm_error e =
                sm_param_parse((sm_param)i, buf, &back, why, sizeof why);
            if (e != SM_OK)
                fail_msg("%s: '%s' does not parse: %s", in->name, buf, why);
            if (back != vals[k])
                fail_msg("%s: %.9g formats as '%s' which parses as %.9g",
                         in->name, vals[k], buf, back);
        }
    }
    char buf[32];
    sm_param_format(SM_P_MASK_TYPE, (float)SM_MASK_PSF, buf, sizeof buf);
    assert_string_equal(buf, "psf");
    sm_param_format(SM_P_BANDS_LF_WINDOW, 4096.0f, buf, sizeof buf);
    assert_string_equal(buf, "4096");
    sm_param_format(SM_P_MORPH_POSITION, 0.5f, buf, sizeof buf);
    assert_string_equal(buf, "0.5");
    /* Short buffers: snprintf semantics (length needed, terminated). */
    int need = sm_param_format(SM_P_MASK_TYPE, (float)SM_MASK_SOFTMAX, buf, 4);
    assert_int_equal(need, 7);
    assert_string_equal(buf, "sof");
}

/* ---- normalised 0..1 control ---------------------------------------------- */

static int is_pow2f(float v)
{
    if (v < 1.0f || v != floorf(v))
        return 0;
    unsigned long u = (unsigned long)v;
    return (u & (u - 1)) == 0;
}

static int is_window_or_hop(int i)
{
    return i == SM_P_BANDS_SINGLE_WINDOW || i == SM_P_BANDS_SINGLE_HOP ||
           i == SM_P_BANDS_LF_WINDOW || i == SM_P_BANDS_LF_HOP ||
           i == SM_P_BANDS_MF_WINDOW || i == SM_P_BANDS_MF_HOP ||
           i == SM_P_BANDS_HF_WINDOW || i == SM_P_BANDS_HF_HOP;
}

/* The log curve is on the rows a musician expects it on (frequencies,
 * window and hop sizes, the curvature k, the alignment window and glide
 * rate, the modulators' and the adaptive crossovers' time constants, the
 * hpss median lengths) and
 * only where it can work. */
static void test_norm_flags(void **state)
{
    (void)state;
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        int want = is_window_or_hop(i) || i == SM_P_BANDS_XOVER_LO_HZ ||
                   i == SM_P_BANDS_XOVER_HI_HZ ||
                   i == SM_P_BANDS_XOVER_LO_MIN_HZ ||
                   i == SM_P_BANDS_XOVER_LO_MAX_HZ ||
                   i == SM_P_BANDS_XOVER_HI_MIN_HZ ||
                   i == SM_P_BANDS_XOVER_HI_MAX_HZ ||
                   i == SM_P_BANDS_ADAPT_MS || i == SM_P_MASK_K ||
                   i == SM_P_ALIGN_WINDOW_MS || i == SM_P_ALIGN_GLIDE_MS_PER_S ||
                   i == SM_P_MOD_TRANSIENT_MS || i == SM_P_MOD_SNR_WINDOW_MS ||
                   i == SM_P_PHASE_HPSS_MS || i == SM_P_PHASE_HPSS_HZ;
        if (!!(in->flags & SM_PF_LOG) != want)
            fail_msg("%s: SM_PF_LOG is %s", in->name, want ? "missing" : "set");
        if (in->flags & SM_PF_LOG) {
            assert_true(in->min > 0.0f);
            assert_true(in->type != SM_T_ENUM);
        }
        /* Power-of-two rows have powers of two at both ends. */
        if (in->type == SM_T_INT && (in->flags & SM_PF_RATE)) {
            assert_true(is_pow2f(in->min));
            assert_true(is_pow2f(in->max));
        }
    }
    /* min = 0: linear, by decision (params.def says why). */
    assert_false(sm_param_get_info(SM_P_MASK_WIENER_MS)->flags & SM_PF_LOG);
}

/* Whatever a fader sends, the value passes sm_param_check; the ends are
 * exactly min and max; the mapping never goes backwards. */
static void test_norm_grid_passes_check(void **state)
{
    (void)state;
    const int steps = 20000;
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        float prev = -INFINITY;
        for (int k = 0; k <= steps; k++) {
            float n = (float)k / (float)steps;
            float v = sm_param_from_norm((sm_param)i, n);
            char why[256] = "";
            if (sm_param_check((sm_param)i, v, why, sizeof why) != SM_OK)
                fail_msg("%s: from_norm(%.9g) = %.9g fails the check: %s",
                         in->name, n, v, why);
            if (v < prev)
                fail_msg("%s: from_norm(%.9g) = %.9g < %.9g before",
                         in->name, n, v, prev);
            prev = v;
            if (in->type == SM_T_INT && (in->flags & SM_PF_RATE) &&
                !is_pow2f(v))
                fail_msg("%s: from_norm(%.9g) = %g is not a power of two",
                         in->name, n, v);
        }
        if (sm_param_from_norm((sm_param)i, 0.0f) != in->min)
            fail_msg("%s: from_norm(0) = %.9g, want min %.9g", in->name,
                     sm_param_from_norm((sm_param)i, 0.0f), in->min);
        if (sm_param_from_norm((sm_param)i, 1.0f) != in->max)
            fail_msg("%s: from_norm(1) = %.9g, want max %.9g", in->name,
                     sm_param_from_norm((sm_param)i, 1.0f), in->max);
        /* Outside 0..1: clamped, still valid. */
        static const float outside[] = {-1.0f, -1e-7f, 1.0000001f, 2.0f,
                                        -INFINITY, INFINITY, 1e30f};
        for (size_t k = 0; k < sizeof outside / sizeof outside[0]; k++) {
            float v = sm_param_from_norm((sm_param)i, outside[k]);
            assert_int_equal(sm_param_check((sm_param)i, v, NULL, 0), SM_OK);
            assert_true(v == (outside[k] < 0 ? in->min : in->max));
        }
        /* to_norm of every grid value stays inside 0..1. */
        for (int k = 0; k <= 100; k++) {
            float v = sm_param_from_norm((sm_param)i, (float)k / 100.0f);
            float n = sm_param_to_norm((sm_param)i, v);
            assert_true(n >= 0.0f && n <= 1.0f);
        }
    }
}

static void test_norm_linear(void **state)
{
    (void)state;
    assert_true(sm_param_from_norm(SM_P_MORPH_POSITION, 0.25f) == 0.25f);
    assert_float_equal(sm_param_from_norm(SM_P_OUTPUT_GAIN_DB, 0.5f), -18.0f,
                       1e-5);
    assert_float_equal(sm_param_from_norm(SM_P_MASK_WIENER_MS, 0.04f), 40.0f,
                       1e-4);
    assert_float_equal(sm_param_from_norm(SM_P_OUTPUT_CEILING_DB, 0.75f),
                       -6.0f, 1e-5);
    assert_float_equal(sm_param_to_norm(SM_P_OUTPUT_GAIN_DB, 0.0f),
                       60.0 / 84.0, 1e-6);
    assert_float_equal(sm_param_to_norm(SM_P_MASK_WIENER_MS, 40.0f), 0.04,
                       1e-6);
    /* Round trips both ways for every linear float row. */
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        if (in->type != SM_T_FLOAT || (in->flags & SM_PF_LOG))
            continue;
        double span = (double)in->max - (double)in->min;
        for (int k = 0; k <= 1000; k++) {
            float n = (float)k / 1000.0f;
            float back = sm_param_to_norm((sm_param)i,
                                          sm_param_from_norm((sm_param)i, n));
            if (fabsf(back - n) > 1e-6f)
                fail_msg("%s: to_norm(from_norm(%g)) = %.9g", in->name, n,
                         back);
            float x = (float)(in->min + span * k / 1000.0);
            float xb = sm_param_from_norm((sm_param)i,
                                          sm_param_to_norm((sm_param)i, x));
            if (fabs((double)xb - x) > 1e-6 * span)
                fail_msg("%s: from_norm(to_norm(%.9g)) = %.9g", in->name, x,
                         xb);
        }
    }
}

static void test_norm_log(void **state)
{
    (void)state;
    /* The midpoint is the geometric mean of the limits. */
    static const sm_param logs[] = {SM_P_MASK_K, SM_P_BANDS_XOVER_LO_HZ,
                                    SM_P_BANDS_XOVER_HI_HZ};
    for (size_t j = 0; j < sizeof logs / sizeof logs[0]; j++) {
        const sm_param_info *in = sm_param_get_info(logs[j]);
        double gm = sqrt((double)in->min * in->max);
        float mid = sm_param_from_norm(logs[j], 0.5f);
        if (fabs(mid - gm) > 1e-6 * gm)
            fail_msg("%s: from_norm(0.5) = %.9g, want %.9g", in->name, mid,
                     gm);
        assert_float_equal(sm_param_to_norm(logs[j], (float)gm), 0.5, 1e-6);
        /* Equal steps are equal ratios. */
        double r1 = sm_param_from_norm(logs[j], 0.3f) /
                    (double)sm_param_from_norm(logs[j], 0.1f);
        double r2 = sm_param_from_norm(logs[j], 0.9f) /
                    (double)sm_param_from_norm(logs[j], 0.7f);
        assert_float_equal(r1, r2, 1e-5 * r1);
        /* Round trips both ways. */
        for (int k = 0; k <= 1000; k++) {
            float n = (float)k / 1000.0f;
            float back =
                sm_param_to_norm(logs[j], sm_param_from_norm(logs[j], n));
            if (fabsf(back - n) > 1e-6f)
                fail_msg("%s: to_norm(from_norm(%g)) = %.9g", in->name, n,
                         back);
            float x = (float)(in->min * pow((double)in->max / in->min,
                                            k / 1000.0));
            float xb =
                sm_param_from_norm(logs[j], sm_param_to_norm(logs[j], x));
            if (fabs((double)xb - x) > 1e-5 * x)
                fail_msg("%s: from_norm(to_norm(%.9g)) = %.9g", in->name, x,
                         xb);
        }
    }
    assert_float_equal(sm_param_from_norm(SM_P_BANDS_XOVER_HI_HZ, 0.5f),
                       4000.0f, 1e-3);
    assert_float_equal(sm_param_from_norm(SM_P_BANDS_XOVER_HI_HZ, 0.25f),
                       2000.0f, 1e-3);
    assert_float_equal(sm_param_from_norm(SM_P_MASK_K, 0.5f), sqrt(2.0),
                       1e-6);
    /* Below the minimum (even 0 or negative) is the bottom of the fader. */
    assert_true(sm_param_to_norm(SM_P_MASK_K, 0.0f) == 0.0f);
    assert_true(sm_param_to_norm(SM_P_MASK_K, -5.0f) == 0.0f);
    assert_true(sm_param_to_norm(SM_P_BANDS_XOVER_LO_HZ, 1e6f) == 1.0f);
}

static void test_norm_int_rounding(void **state)
{
    (void)state;
    /* Plain integer: nearest. bands.count 1..3. */
    assert_true(sm_param_from_norm(SM_P_BANDS_COUNT, 0.0f) == 1.0f);
    assert_true(sm_param_from_norm(SM_P_BANDS_COUNT, 0.24f) == 1.0f);
    assert_true(sm_param_from_norm(SM_P_BANDS_COUNT, 0.26f) == 2.0f);
    assert_true(sm_param_from_norm(SM_P_BANDS_COUNT, 0.74f) == 2.0f);
    assert_true(sm_param_from_norm(SM_P_BANDS_COUNT, 0.76f) == 3.0f);
    assert_true(sm_param_from_norm(SM_P_BANDS_COUNT, 1.0f) == 3.0f);
    assert_true(sm_param_to_norm(SM_P_BANDS_COUNT, 2.0f) == 0.5f);

    /* Windows: 64 .. 32768 = 2^6 .. 2^15 in nine equal steps; the fader
     * snaps to the nearest power of two in log terms. */
    const sm_param w = SM_P_BANDS_LF_WINDOW;
    assert_true(sm_param_from_norm(w, 0.5f) == 2048.0f); /* 2^10.5 up */
    assert_true(sm_param_from_norm(w, 4.4f / 9) == 1024.0f);
    assert_true(sm_param_from_norm(w, 4.6f / 9) == 2048.0f);
    assert_true(sm_param_from_norm(w, 0.4f / 9) == 64.0f);
    assert_true(sm_param_from_norm(w, 0.6f / 9) == 128.0f);
    assert_true(sm_param_from_norm(w, 8.6f / 9) == 32768.0f);
    assert_float_equal(sm_param_to_norm(w, 2048.0f), 5.0 / 9, 1e-7);
    /* Between powers of two (a hand-set 2800 or 3000) maps between their
     * norms and back to the nearest in log terms (2^11.5 = 2896). */
    float n2800 = sm_param_to_norm(w, 2800.0f);
    float n3000 = sm_param_to_norm(w, 3000.0f);
    assert_true(n2800 > 5.0f / 9 && n2800 < n3000 && n3000 < 6.0f / 9);
    assert_true(sm_param_from_norm(w, n2800) == 2048.0f);
    assert_true(sm_param_from_norm(w, n3000) == 4096.0f);
    /* Hops: 16 .. 16384 = 2^4 .. 2^14. */
    const sm_param h = SM_P_BANDS_HF_HOP;
    assert_true(sm_param_from_norm(h, 0.5f) == 512.0f);
    assert_true(sm_param_from_norm(h, 0.0f) == 16.0f);
    assert_true(sm_param_from_norm(h, 1.0f) == 16384.0f);
    /* Every power of two in range survives a round trip exactly. */
    for (int i = 0; i < SM_P_COUNT; i++) {
        if (!is_window_or_hop(i))
            continue;
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        int seen = 0;
        for (float v = in->min; v <= in->max; v *= 2, seen++) {
            float n = sm_param_to_norm((sm_param)i, v);
            if (sm_param_from_norm((sm_param)i, n) != v)
                fail_msg("%s: %g -> %.9g -> %g", in->name, v, n,
                         sm_param_from_norm((sm_param)i, n));
        }
        assert_true(seen >= 10);
    }
}

static void test_norm_enum(void **state)
{
    (void)state;
    /* Three choices spread evenly: round(norm * 2). */
    const sm_param m = SM_P_MASK_TYPE;
    assert_true(sm_param_from_norm(m, 0.0f) == SM_MASK_SOFTMAX);
    assert_true(sm_param_from_norm(m, 0.24f) == SM_MASK_SOFTMAX);
    assert_true(sm_param_from_norm(m, 0.26f) == SM_MASK_WIENER);
    assert_true(sm_param_from_norm(m, 0.5f) == SM_MASK_WIENER);
    assert_true(sm_param_from_norm(m, 0.74f) == SM_MASK_WIENER);
    assert_true(sm_param_from_norm(m, 0.76f) == SM_MASK_PSF);
    assert_true(sm_param_from_norm(m, 1.0f) == SM_MASK_PSF);
    assert_true(sm_param_to_norm(m, SM_MASK_SOFTMAX) == 0.0f);
    assert_true(sm_param_to_norm(m, SM_MASK_WIENER) == 0.5f);
    assert_true(sm_param_to_norm(m, SM_MASK_PSF) == 1.0f);
    assert_true(sm_param_from_norm(SM_P_PHASE_METHOD, 0.0f) == SM_PHASE_MIX);
    assert_true(sm_param_from_norm(SM_P_PHASE_METHOD, 1.0f) == SM_PHASE_HPSS);
    assert_true(sm_param_to_norm(SM_P_PHASE_METHOD, SM_PHASE_HPSS) == 1.0f);
}

static void test_norm_nan_and_bad_id(void **state)
{
    (void)state;
    for (int i = 0; i < SM_P_COUNT; i++) {
        assert_true(isnan(sm_param_from_norm((sm_param)i, NAN)));
        assert_true(isnan(sm_param_to_norm((sm_param)i, NAN)));
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        /* A caller that checks what it got refuses the NaN. */
        assert_int_equal(
            sm_param_check((sm_param)i, sm_param_from_norm((sm_param)i, NAN),
                           NULL, 0),
            SM_ERR_NOT_FINITE);
        assert_true(sm_param_to_norm((sm_param)i, -INFINITY) == 0.0f);
        assert_true(sm_param_to_norm((sm_param)i, INFINITY) ==
                    (in->max > in->min ? 1.0f : 0.0f));
    }
    assert_true(isnan(sm_param_from_norm(SM_P_COUNT, 0.5f)));
    assert_true(isnan(sm_param_from_norm((sm_param)-1, 0.5f)));
    assert_true(isnan(sm_param_to_norm(SM_P_COUNT, 0.5f)));
    assert_true(isnan(sm_param_to_norm((sm_param)-1, 0.5f)));
}

/* ---- configuration -------------------------------------------------------- */

static int is_pow2(float v)
{
    if (v < 1.0f || v != floorf(v))
        return 0;
    unsigned long u = (unsigned long)v;
    return (u & (u - 1)) == 0;
}

static void check_defaults_at(int rate)
{
    sm_config c = sm_config_default(rate);
    assert_int_equal(c.sample_rate_hz, rate);
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        float v = c.values[i];
        if (i == SM_P_BANDS_XOVER_HI_MAX_HZ) {
            /* The adaptive ranges are capped the same way (3600 Hz at
             * 8 kHz); the other ends and lo_max fit at every rate. */
            const sm_param_info *m =
                sm_param_get_info(SM_P_BANDS_XOVER_HI_MAX_HZ);
            assert_float_equal(v, fminf(m->def, 0.45f * (float)rate), 0);
            continue;
        }
        if (i == SM_P_BANDS_XOVER_HI_HZ || i == SM_P_BANDS_XOVER_LO_HZ) {
            /* Capped so the defaults fit under Nyquist at low rates. */
            const sm_param_info *hi_in = sm_param_get_info(SM_P_BANDS_XOVER_HI_HZ);
            const sm_param_info *lo_in = sm_param_get_info(SM_P_BANDS_XOVER_LO_HZ);
            float hi = fminf(hi_in->def, 0.45f * (float)rate);
            float lo = fminf(lo_in->def, hi / 1.5f);
            assert_float_equal(v, i == SM_P_BANDS_XOVER_HI_HZ ? hi : lo, 0);
            continue;
        }
        if (!(in->flags & SM_PF_RATE) || rate == 48000) {
            if (v != in->def)
                fail_msg("%d Hz: %s = %g, want the default %g", rate,
                         in->name, v, in->def);
            continue;
        }
        if (!is_pow2(v))
            fail_msg("%d Hz: %s = %g is not a power of two", rate, in->name,
                     v);
        assert_true(v >= in->min && v <= in->max);
        double want = (double)in->def * rate / 48000.0;
        double ratio = v / want;
        /* Nearest power of two (in log terms), unless clamped. */
        if (want >= in->min && want <= in->max &&
            !(ratio > 0.7071 && ratio < 1.4143))
            fail_msg("%d Hz: %s = %g is not the power of two nearest %g",
                     rate, in->name, v, want);
    }
}

static void test_config_default_scaling(void **state)
{
    (void)state;
    static const int rates[] = {8000,  16000, 22050,  32000, 44100,
                                48000, 88200, 96000, 192000, 384000};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++)
        check_defaults_at(rates[i]);

    /* Exact values at the two common rates. */
    sm_config c = sm_config_default(44100);
    assert_true(c.values[SM_P_BANDS_LF_WINDOW] == 4096.0f);
    assert_true(c.values[SM_P_BANDS_LF_HOP] == 1024.0f);
    assert_true(c.values[SM_P_BANDS_MF_WINDOW] == 2048.0f);
    assert_true(c.values[SM_P_BANDS_HF_WINDOW] == 512.0f);
    assert_true(c.values[SM_P_BANDS_HF_HOP] == 128.0f);
    assert_true(c.values[SM_P_BANDS_SINGLE_WINDOW] == 2048.0f);
    c = sm_config_default(96000);
    assert_true(c.values[SM_P_BANDS_LF_WINDOW] == 8192.0f);
    assert_true(c.values[SM_P_BANDS_LF_HOP] == 2048.0f);
    assert_true(c.values[SM_P_BANDS_MF_WINDOW] == 4096.0f);
    assert_true(c.values[SM_P_BANDS_MF_HOP] == 1024.0f);
    assert_true(c.values[SM_P_BANDS_HF_WINDOW] == 1024.0f);
    assert_true(c.values[SM_P_BANDS_HF_HOP] == 256.0f);
    assert_true(c.values[SM_P_BANDS_SINGLE_WINDOW] == 4096.0f);
    assert_true(c.values[SM_P_BANDS_SINGLE_HOP] == 1024.0f);
    /* Not rate-scaled. */
    assert_true(c.values[SM_P_BANDS_XOVER_LO_HZ] == 250.0f);
    assert_true(c.values[SM_P_MASK_K] == 2.0f);
    /* Clamped to the table's limits at the top rate. */
    c = sm_config_default(384000);
    assert_true(c.values[SM_P_BANDS_LF_WINDOW] == 32768.0f);
}

/* The defaults must pass the joint check at every supported rate, for
 * both band layouts. */
static void test_config_defaults_valid(void **state)
{
    (void)state;
    static const int rates[] = {8000,  11025, 16000, 22050,  32000,
                                44100, 48000, 96000, 192000, 384000};
    for (size_t i = 0; i < sizeof rates / sizeof rates[0]; i++) {
        for (int count = 1; count <= 3; count += 2) {
            sm_config c = sm_config_default(rates[i]);
            c.values[SM_P_BANDS_COUNT] = (float)count;
            char why[256] = "";
            sm_error e = sm_config_check(&c, why, sizeof why);
            if (e != SM_OK)
                fail_msg("defaults at %d Hz, bands.count = %d: %s (%s)",
                         rates[i], count, sm_strerror(e), why);
        }
    }
}

static void want_check(const sm_config *c, sm_error want, const char *n1,
                         const char *n2)
{
    char why[256] = "";
    sm_error e = sm_config_check(c, why, sizeof why);
    if (e != want)
        fail_msg("sm_config_check: got %s (%s), want %s", sm_strerror(e), why,
                 sm_strerror(want));
    if (n1 && !strstr(why, n1))
        fail_msg("sm_config_check: reason '%s' lacks '%s'", why, n1);
    if (n2 && !strstr(why, n2))
        fail_msg("sm_config_check: reason '%s' lacks '%s'", why, n2);
}

static void test_config_check(void **state)
{
    (void)state;
    sm_config base = sm_config_default(48000);
    want_check(&base, SM_OK, NULL, NULL);

    /* Hop against window, each band, and the single-band pair. */
    static const sm_param wins[4] = {SM_P_BANDS_LF_WINDOW, SM_P_BANDS_MF_WINDOW,
                                     SM_P_BANDS_HF_WINDOW,
                                     SM_P_BANDS_SINGLE_WINDOW};
    static const sm_param hops[4] = {SM_P_BANDS_LF_HOP, SM_P_BANDS_MF_HOP,
                                     SM_P_BANDS_HF_HOP, SM_P_BANDS_SINGLE_HOP};
    for (int b = 0; b < 4; b++) {
        sm_config c = base;
        if (b == 3)
            c.values[SM_P_BANDS_COUNT] = 1;
        float w = c.values[wins[b]];
        c.values[hops[b]] = w / 2;
        want_check(&c, SM_OK, NULL, NULL);
        c.values[hops[b]] = w / 2 + 1;
        want_check(&c, SM_ERR_CONFIG, sm_param_get_info(hops[b])->name,
                     "at most");
        c.values[hops[b]] = w / 4;
        c.values[wins[b]] = w - 1;
        want_check(&c, SM_ERR_CONFIG, sm_param_get_info(wins[b])->name,
                     "odd");
        /* Even but not a power of two is allowed. */
        c.values[wins[b]] = w - 2;
        want_check(&c, SM_OK, NULL, NULL);
    }
    /* The unused layout's pairs are checked too: switching bands.count
     * later must not meet a pair that never worked. */
    {
        sm_config c = base;
        c.values[SM_P_BANDS_COUNT] = 1;
        c.values[SM_P_BANDS_LF_HOP] = 4096;
        want_check(&c, SM_ERR_CONFIG, "bands.lf_hop", "at most");
        c = base;
        c.values[SM_P_BANDS_SINGLE_HOP] = 4096;
        want_check(&c, SM_ERR_CONFIG, "bands.single_hop", "at most");
    }

    sm_config c = base;
    c.values[SM_P_BANDS_COUNT] = 2;
    want_check(&c, SM_ERR_CONFIG, "bands.count", "1 or 3");

    /* Crossover order: hi >= 1.5 lo. */
    c = base;
    c.values[SM_P_BANDS_XOVER_LO_HZ] = 1000;
    c.values[SM_P_BANDS_XOVER_HI_HZ] = 1500;
    want_check(&c, SM_OK, NULL, NULL);
    c.values[SM_P_BANDS_XOVER_HI_HZ] = 1499;
    want_check(&c, SM_ERR_CONFIG, "bands.xover_hi_hz", "1500");
    c.values[SM_P_BANDS_XOVER_LO_HZ] = 2000;
    c.values[SM_P_BANDS_XOVER_HI_HZ] = 2500;
    want_check(&c, SM_ERR_CONFIG, "bands.xover_lo_hz", "3000");

    /* xover_hi below 0.45 x rate, for three bands only. */
    c = sm_config_default(22050);
    c.values[SM_P_BANDS_XOVER_HI_HZ] = 9900;
    want_check(&c, SM_OK, NULL, NULL);
    c.values[SM_P_BANDS_XOVER_HI_HZ] = 10000;
    want_check(&c, SM_ERR_CONFIG, "bands.xover_hi_hz", "22050");
    c.values[SM_P_BANDS_COUNT] = 1;
    want_check(&c, SM_OK, NULL, NULL);

    /* Adaptive ranges (bands.adaptive on or not): min <= max, hi >= 1.5 lo
     * at both ends, hi_max below 0.45 x rate; for three bands only. */
    c = base;
    c.values[SM_P_BANDS_XOVER_LO_MIN_HZ] = 700;
    want_check(&c, SM_ERR_CONFIG, "bands.xover_lo_min_hz", "600");
    c = base;
    c.values[SM_P_BANDS_XOVER_HI_MIN_HZ] = 9000;
    want_check(&c, SM_ERR_CONFIG, "bands.xover_hi_min_hz",
               "bands.xover_hi_max_hz");
    c = base;
    c.values[SM_P_BANDS_XOVER_LO_MIN_HZ] = 800;
    c.values[SM_P_BANDS_XOVER_LO_MAX_HZ] = 1800;
    c.values[SM_P_BANDS_XOVER_HI_MIN_HZ] = 1200;
    want_check(&c, SM_OK, NULL, NULL);
    c.values[SM_P_BANDS_XOVER_HI_MIN_HZ] = 1199;
    want_check(&c, SM_ERR_CONFIG, "bands.xover_hi_min_hz", "1200");
    c.values[SM_P_BANDS_XOVER_HI_MIN_HZ] = 1200;
    c.values[SM_P_BANDS_XOVER_HI_MAX_HZ] = 2699;
    want_check(&c, SM_ERR_CONFIG, "bands.xover_hi_max_hz", "2700");
    c.values[SM_P_BANDS_COUNT] = 1;
    want_check(&c, SM_OK, NULL, NULL);
    c = sm_config_default(22050);
    c.values[SM_P_BANDS_XOVER_HI_MAX_HZ] = 9900;
    want_check(&c, SM_OK, NULL, NULL);
    c.values[SM_P_BANDS_XOVER_HI_MAX_HZ] = 10000;
    want_check(&c, SM_ERR_CONFIG, "bands.xover_hi_max_hz", "22050");

    /* Rates. */
    static const int bad_rates[] = {0, -48000, 7999, 384001, 1000000};
    for (size_t i = 0; i < sizeof bad_rates / sizeof bad_rates[0]; i++) {
        c = base;
        c.sample_rate_hz = bad_rates[i];
        want_check(&c, SM_ERR_RATE, "8000", "384000");
    }
    c = base;
    c.sample_rate_hz = 8000;
    c.values[SM_P_BANDS_COUNT] = 1;
    want_check(&c, SM_OK, NULL, NULL);
    c.sample_rate_hz = 384000;
    want_check(&c, SM_OK, NULL, NULL);

    /* Single values are still checked. */
    c = base;
    c.values[SM_P_MASK_K] = 0;
    want_check(&c, SM_ERR_RANGE, "mask.k", NULL);
    c = base;
    c.values[SM_P_MORPH_POSITION] = NAN;
    want_check(&c, SM_ERR_NOT_FINITE, "morph.position", NULL);
    c = base;
    c.values[SM_P_BANDS_LF_WINDOW] = 4096.5f;
    want_check(&c, SM_ERR_RANGE, "bands.lf_window", NULL);

    char why[64];
    assert_int_equal(sm_config_check(NULL, why, sizeof why), SM_ERR_NULL);
    /* why may be NULL. */
    c = base;
    c.values[SM_P_BANDS_COUNT] = 2;
    assert_int_equal(sm_config_check(&c, NULL, 0), SM_ERR_CONFIG);
}

static void test_config_set(void **state)
{
    (void)state;
    sm_config c = sm_config_default(48000);
    assert_int_equal(sm_config_set(&c, SM_P_MASK_K, 5.0f), SM_OK);
    assert_true(c.values[SM_P_MASK_K] == 5.0f);
    assert_int_equal(sm_config_set(&c, SM_P_MASK_K, 50.0f), SM_ERR_RANGE);
    assert_int_equal(sm_config_set(&c, SM_P_MASK_K, NAN), SM_ERR_NOT_FINITE);
    assert_int_equal(sm_config_set(&c, SM_P_BANDS_COUNT, 1.5f), SM_ERR_RANGE);
    assert_int_equal(sm_config_set(&c, SM_P_COUNT, 1.0f), SM_ERR_PARAM);
    assert_int_equal(sm_config_set(NULL, SM_P_MASK_K, 1.0f), SM_ERR_NULL);
    /* Refused values leave the config as it was. */
    sm_config ref = sm_config_default(48000);
    ref.values[SM_P_MASK_K] = 5.0f;
    assert_memory_equal(c.values, ref.values, sizeof c.values);
}

static void test_strerror(void **state)
{
    (void)state;
    const char *unknown = sm_strerror((sm_error)9999);
    assert_non_null(unknown);
    assert_string_equal(sm_strerror(SM_ERR__COUNT), unknown);
    assert_string_equal(sm_strerror((sm_error)-1), unknown);
    for (int i = 0; i < SM_ERR__COUNT; i++) {
        const char *s = sm_strerror((sm_error)i);
        assert_non_null(s);
        assert_true(strlen(s) > 0);
        if (strcmp(s, unknown) == 0)
            fail_msg("error code %d has no text", i);
        for (int j = 0; j < i; j++)
            if (strcmp(s, sm_strerror((sm_error)j)) == 0)
                fail_msg("codes %d and %d share the text '%s'", i, j, s);
    }
    assert_string_equal(sm_strerror(SM_OK), "no error");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_table_rows_sane),
        cmocka_unit_test(test_enum_choices_match_constants),
        cmocka_unit_test(test_find_case_insensitive),
        cmocka_unit_test(test_suggest),
        cmocka_unit_test(test_parse_numbers),
        cmocka_unit_test(test_parse_enums),
        cmocka_unit_test(test_parse_rejects_garbage),
        cmocka_unit_test(test_check_values),
        cmocka_unit_test(test_format_roundtrip),
        cmocka_unit_test(test_norm_flags),
        cmocka_unit_test(test_norm_grid_passes_check),
        cmocka_unit_test(test_norm_linear),
        cmocka_unit_test(test_norm_log),
        cmocka_unit_test(test_norm_int_rounding),
        cmocka_unit_test(test_norm_enum),
        cmocka_unit_test(test_norm_nan_and_bad_id),
        cmocka_unit_test(test_config_default_scaling),
        cmocka_unit_test(test_config_defaults_valid),
        cmocka_unit_test(test_config_check),
        cmocka_unit_test(test_config_set),
        cmocka_unit_test(test_strerror),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
