/* test_value.c: OSC argument coercion for every type tag, and every
 * refusal: wrong count, wrong type, not finite, not an integer, out of
 * range, unknown choice, norm outside 0..1. Nothing is clamped. */
#include "value.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

/* One argument of type t holding x (or text s). */
static sm_error one(sm_param id, int norm, char t, double x, const char *s,
                    float *v, char *why)
{
    static union {
        lo_arg a;
        char text[64];
    } u;
    lo_arg *argv[1] = {&u.a};
    char types[2] = {t, 0};
    memset(&u, 0, sizeof u);
    switch (t) {
    case 'i': u.a.i = (int32_t)x; break;
    case 'h': u.a.h = (int64_t)x; break;
    case 'f': u.a.f = (float)x; break;
    case 'd': u.a.d = x; break;
    case 's': strcpy(u.text, s); break;
    default: break;
    }
    *v = -12345.0f;
    return sm_osc_value(id, norm, types, argv, 1, v, why, 256);
}

static void test_numbers(void **state)
{
    (void)state;
    float v;
    char why[256];
    assert_int_equal(one(SM_P_MASK_K, 0, 'i', 3, NULL, &v, why), SM_OK);
    assert_float_equal(v, 3.0f, 0);
    assert_int_equal(one(SM_P_MASK_K, 0, 'h', 4, NULL, &v, why), SM_OK);
    assert_float_equal(v, 4.0f, 0);
    assert_int_equal(one(SM_P_MASK_K, 0, 'f', 2.5, NULL, &v, why), SM_OK);
    assert_float_equal(v, 2.5f, 0);
    assert_int_equal(one(SM_P_MASK_K, 0, 'd', 7.25, NULL, &v, why), SM_OK);
    assert_float_equal(v, 7.25f, 0);
    assert_int_equal(one(SM_P_MORPH_POSITION, 0, 'T', 0, NULL, &v, why), SM_OK);
    assert_float_equal(v, 1.0f, 0);
    assert_int_equal(one(SM_P_MORPH_POSITION, 0, 'F', 0, NULL, &v, why), SM_OK);
    assert_float_equal(v, 0.0f, 0);
    /* ints: integral doubles are fine, fractions are not */
    assert_int_equal(one(SM_P_BANDS_COUNT, 0, 'd', 1.0, NULL, &v, why), SM_OK);
    assert_float_equal(v, 1.0f, 0);
    assert_int_equal(one(SM_P_BANDS_COUNT, 0, 'd', 1.0000001, NULL, &v, why),
                     SM_ERR_RANGE);
    assert_non_null(strstr(why, "not an integer"));
    assert_float_equal(v, -12345.0f, 0); /* untouched */
}

static void test_enums(void **state)
{
    (void)state;
    float v;
    char why[256];
    assert_int_equal(one(SM_P_MASK_TYPE, 0, 's', 0, "psf", &v, why), SM_OK);
    assert_float_equal(v, 2.0f, 0);
    assert_int_equal(one(SM_P_MASK_TYPE, 0, 'i', 1, NULL, &v, why), SM_OK);
    assert_float_equal(v, 1.0f, 0);
    assert_int_equal(one(SM_P_MASK_TYPE, 0, 'f', 2.0, NULL, &v, why), SM_OK);
    assert_float_equal(v, 2.0f, 0);
    assert_int_not_equal(one(SM_P_MASK_TYPE, 0, 's', 0, "nope", &v, why),
                         SM_OK);
    assert_non_null(strstr(why, "softmax"));
    assert_int_equal(one(SM_P_MASK_TYPE, 0, 'i', 3, NULL, &v, why),
                     SM_ERR_RANGE);
    assert_int_equal(one(SM_P_MASK_TYPE, 1, 's', 0, "psf", &v, why),
                     SM_ERR_PARSE);
}

static void test_refusals(void **state)
{
    (void)state;
    float v;
    char why[256];
    assert_int_equal(one(SM_P_MASK_K, 0, 'f', 99, NULL, &v, why), SM_ERR_RANGE);
    assert_non_null(strstr(why, "mask.k"));
    assert_int_equal(one(SM_P_MASK_K, 0, 'f', NAN, NULL, &v, why),
                     SM_ERR_NOT_FINITE);
    assert_int_equal(one(SM_P_MASK_K, 0, 'd', INFINITY, NULL, &v, why),
                     SM_ERR_NOT_FINITE);
    assert_int_equal(one(SM_P_MASK_K, 0, 'd', 1e300, NULL, &v, why),
                     SM_ERR_RANGE);
    assert_int_equal(one(SM_P_MASK_K, 0, 's', 0, "3", &v, why), SM_ERR_PARSE);
    assert_non_null(strstr(why, "expected a number"));
    assert_int_equal(one(SM_P_MASK_K, 0, 'b', 0, NULL, &v, why), SM_ERR_PARSE);
    assert_int_equal(one(SM_P_MASK_K, 0, 'N', 0, NULL, &v, why), SM_ERR_PARSE);
    assert_int_equal(one(SM_P_MASK_K, 0, 'I', 0, NULL, &v, why), SM_ERR_PARSE);
    assert_float_equal(v, -12345.0f, 0);
    /* counts */
    lo_arg a0, a1;
    a0.f = 1;
    a1.f = 2;
    lo_arg *two[2] = {&a0, &a1};
    assert_int_equal(sm_osc_value(SM_P_MASK_K, 0, "ff", two, 2, &v, why,
                                  sizeof why), SM_ERR_PARSE);
    assert_non_null(strstr(why, "expected one value, got 2"));
    assert_int_equal(sm_osc_value(SM_P_MASK_K, 0, "", NULL, 0, &v, why,
                                  sizeof why), SM_ERR_PARSE);
    assert_int_equal(sm_osc_value((sm_param)SM_P_COUNT, 0, "f", two, 1, &v,
                                  why, sizeof why), SM_ERR_PARAM);
}

static void test_norm(void **state)
{
    (void)state;
    float v;
    char why[256];
    for (int p = 0; p < SM_P_COUNT; p++) {
        const sm_param_info *in = sm_param_get_info((sm_param)p);
        assert_int_equal(one((sm_param)p, 1, 'f', 0.0, NULL, &v, why), SM_OK);
        assert_float_equal(v, in->min, 0);
        assert_int_equal(one((sm_param)p, 1, 'd', 1.0, NULL, &v, why), SM_OK);
        assert_float_equal(v, in->max, 0);
        assert_int_equal(one((sm_param)p, 1, 'T', 0, NULL, &v, why), SM_OK);
        assert_float_equal(v, in->max, 0);
        assert_int_equal(one((sm_param)p, 1, 'f', 1.5, NULL, &v, why),
                         SM_ERR_RANGE);
        assert_int_equal(one((sm_param)p, 1, 'f', -0.01, NULL, &v, why),
                         SM_ERR_RANGE);
        assert_int_equal(one((sm_param)p, 1, 'f', NAN, NULL, &v, why),
                         SM_ERR_NOT_FINITE);
    }
    /* the curve: log for frequencies, linear for the morph position */
    assert_int_equal(one(SM_P_MORPH_POSITION, 1, 'f', 0.25, NULL, &v, why),
                     SM_OK);
    assert_float_equal(v, 0.25f, 1e-6);
    assert_int_equal(one(SM_P_BANDS_XOVER_LO_HZ, 1, 'f', 0.5, NULL, &v, why),
                     SM_OK);
    assert_float_equal(v, sqrtf(40.0f * 2000.0f), 0.01);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_numbers),
        cmocka_unit_test(test_enums),
        cmocka_unit_test(test_refusals),
        cmocka_unit_test(test_norm),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
