/* value.c: strict coercion of OSC arguments to parameter values (see
 * value.h). A surface that sends the wrong thing gets told, and the
 * parameter keeps its value: nothing is clamped or guessed. */
#include "value.h"

#include <math.h>
#include <stdio.h>

static int number(char t, const lo_arg *a, double *d)
{
    switch (t) {
    case LO_INT32: *d = a->i; return 1;
    case LO_INT64: *d = (double)a->h; return 1;
    case LO_FLOAT: *d = a->f; return 1;
    case LO_DOUBLE: *d = a->d; return 1;
    case LO_TRUE: *d = 1; return 1;
    case LO_FALSE: *d = 0; return 1;
    default: return 0;
    }
}

sm_error sm_osc_value(sm_param id, int norm, const char *types,
                      lo_arg *const *argv, int argc, float *value,
                      char *why, size_t why_len)
{
    const sm_param_info *in = sm_param_get_info(id);
    if (!in) {
        snprintf(why, why_len, "unknown parameter");
        return SM_ERR_PARAM;
    }
    if (argc != 1 || !types || !types[0] || types[1]) {
        snprintf(why, why_len, "%s: expected one value, got %d", in->name,
                 argc);
        return SM_ERR_PARSE;
    }
    char t = types[0];
    if (t == LO_STRING || t == LO_SYMBOL) {
        if (norm || in->type != SM_T_ENUM) {
            snprintf(why, why_len, "%s: expected a number, got a string",
                     in->name);
            return SM_ERR_PARSE;
        }
        return sm_param_parse(id, &argv[0]->s, value, why, why_len);
    }
    double d;
    if (!number(t, argv[0], &d)) {
        snprintf(why, why_len, "%s: expected a number (i, h, f, d, T or F)%s, "
                               "got type '%c'",
                 in->name, in->type == SM_T_ENUM && !norm ? " or a name" : "",
                 t);
        return SM_ERR_PARSE;
    }
    if (!isfinite(d)) {
        snprintf(why, why_len, "%s: value is not finite", in->name);
        return SM_ERR_NOT_FINITE;
    }
    if (norm) {
        if (d < 0 || d > 1) {
            snprintf(why, why_len, "%s: normalised value %g is out of range "
                                   "(expected 0 to 1)",
                     in->name, d);
            return SM_ERR_RANGE;
        }
        *value = sm_param_from_norm(id, (float)d);
        return sm_param_check(id, *value, why, why_len);
    }
    /* Outside float range it is out of range, not "not finite". */
    if (fabs(d) > 1e30) {
        snprintf(why, why_len, "%s: %g is out of range", in->name, d);
        return SM_ERR_RANGE;
    }
    if (in->type != SM_T_FLOAT && d != floor(d)) {
        /* Checked in double: 2.0000001 must not pass as float 2. */
        snprintf(why, why_len, "%s: %g is not an integer", in->name, d);
        return SM_ERR_RANGE;
    }
    sm_error e = sm_param_check(id, (float)d, why, why_len);
    if (e == SM_OK)
        *value = (float)d;
    return e;
}
