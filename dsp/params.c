/* params.c: the parameter table as data, and the text <-> value rules.
 *
 * Owns lookup by name, suggestion for misspelt names, strict parsing
 * (no silent zero for garbage), range checks and formatting, so that the
 * INI loader, the renderer's -s and the OSC server all say the same thing
 * about the same mistake.
 */
#include "specmorph.h"

#include <ctype.h>
#include <errno.h>
#include <float.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const sm_param_info table[SM_P_COUNT] = {
#define X(id, sec, key, type, mn, mx, def, unit, sm, fl, ch, help) \
    {sec, key, sec "." key, type, mn, mx, def, unit, sm, fl, ch, help},
#include "params.def"
#undef X
};

const sm_param_info *sm_param_get_info(sm_param id)
{
    if ((int)id < 0 || id >= SM_P_COUNT)
        return NULL;
    return &table[id];
}

int sm_param_find(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < SM_P_COUNT; i++)
        if (strcasecmp(table[i].name, name) == 0)
            return i;
    return -1;
}

int sm_text_distance(const char *a, const char *b)
{
    /* Two-row Levenshtein, case-insensitive; names are short. */
    size_t la = strlen(a), lb = strlen(b);
    if (la > 63 || lb > 63)
        return 99;
    int prev[64], cur[64];
    for (size_t j = 0; j <= lb; j++)
        prev[j] = (int)j;
    for (size_t i = 1; i <= la; i++) {
        cur[0] = (int)i;
        for (size_t j = 1; j <= lb; j++) {
            int cost = tolower((unsigned char)a[i - 1]) !=
                       tolower((unsigned char)b[j - 1]);
            int v = prev[j - 1] + cost;
            if (prev[j] + 1 < v)
                v = prev[j] + 1;
            if (cur[j - 1] + 1 < v)
                v = cur[j - 1] + 1;
            cur[j] = v;
        }
        memcpy(prev, cur, sizeof(int) * (lb + 1));
    }
    return prev[lb];
}

const char *sm_param_suggest(const char *name)
{
    if (!name)
        return NULL;
    int best = -1, best_d = 1 << 30;
    const char *dot = strchr(name, '.');
    for (int i = 0; i < SM_P_COUNT; i++) {
        int d = sm_text_distance(name, table[i].name);
        /* A bare key in the right section ("k" for mask.k) also counts. */
        if (!dot) {
            int dk = sm_text_distance(name, table[i].key);
            if (dk < d)
                d = dk;
        }
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    size_t len = strlen(name);
    if (len == 0)
        return NULL;
    int limit = len < 3 ? 1 : len < 6 ? 2 : (int)(len / 3);
    if (best < 0 || best_d > limit)
        return NULL;
    return table[best].name;
}

const char *sm_param_suggest_section(const char *section)
{
    if (!section || !*section)
        return NULL;
    int best = -1, best_d = 1 << 30;
    for (int i = 0; i < SM_P_COUNT; i++) {
        int d = sm_text_distance(section, table[i].section);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    size_t len = strlen(section);
    int limit = len < 3 ? 1 : len < 6 ? 2 : (int)(len / 3);
    return best >= 0 && best_d <= limit ? table[best].section : NULL;
}

const char *sm_param_choice_name(sm_param id, int index)
{
    const sm_param_info *in = sm_param_get_info(id);
    if (!in || in->type != SM_T_ENUM || index < 0 || index > (int)in->max)
        return NULL;
    const char *p = in->choices;
    for (int i = 0; i < index; i++)
        p += strlen(p) + 1;
    return p;
}

static void say(char *why, size_t len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static void say(char *why, size_t len, const char *fmt, ...)
{
    if (!why || !len)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, len, fmt, ap);
    va_end(ap);
}

static void expected(const sm_param_info *in, char *buf, size_t len)
{
    if (in->type == SM_T_ENUM) {
        size_t o = (size_t)snprintf(buf, len, "one of ");
        for (int i = 0; i <= (int)in->max && o < len; i++)
            o += (size_t)snprintf(buf + o, len - o, "%s%s", i ? ", " : "",
                                  sm_param_choice_name((sm_param)(in - table),
                                                       i));
    } else if (in->type == SM_T_INT) {
        snprintf(buf, len, "an integer from %g to %g%s%s", in->min, in->max,
                 *in->unit ? " " : "", in->unit);
    } else {
        snprintf(buf, len, "a number from %g to %g%s%s", in->min, in->max,
                 *in->unit ? " " : "", in->unit);
    }
}

sm_error sm_param_check(sm_param id, float value, char *why, size_t why_len)
{
    const sm_param_info *in = sm_param_get_info(id);
    if (!in) {
        say(why, why_len, "unknown parameter id %d", (int)id);
        return SM_ERR_PARAM;
    }
    char exp[96];
    expected(in, exp, sizeof exp);
    if (!isfinite(value)) {
        say(why, why_len, "%s: value is not finite (expected %s)", in->name,
            exp);
        return SM_ERR_NOT_FINITE;
    }
    if (in->type != SM_T_FLOAT && value != floorf(value)) {
        say(why, why_len, "%s: %g is not an integer (expected %s)", in->name,
            value, exp);
        return SM_ERR_RANGE;
    }
    if (value < in->min || value > in->max) {
        say(why, why_len, "%s: %g is out of range (expected %s)", in->name,
            value, exp);
        return SM_ERR_RANGE;
    }
    return SM_OK;
}

static int choice_index(sm_param id, const char *text)
{
    const sm_param_info *in = sm_param_get_info(id);
    size_t tl = strlen(text);
    while (tl && isspace((unsigned char)text[tl - 1]))
        tl--;
    for (int i = 0; i <= (int)in->max; i++) {
        const char *n = sm_param_choice_name(id, i);
        if (strlen(n) == tl && strncasecmp(n, text, tl) == 0)
            return i;
    }
    return -1;
}

sm_error sm_param_parse(sm_param id, const char *text, float *value,
                        char *why, size_t why_len)
{
    const sm_param_info *in = sm_param_get_info(id);
    if (!in) {
        say(why, why_len, "unknown parameter id %d", (int)id);
        return SM_ERR_PARAM;
    }
    if (!text || !value) {
        say(why, why_len, "%s: no value", in->name);
        return SM_ERR_NULL;
    }
    while (isspace((unsigned char)*text))
        text++;
    char exp[96];
    expected(in, exp, sizeof exp);
    if (in->type == SM_T_ENUM) {
        int ci = choice_index(id, text);
        if (ci >= 0) {
            *value = (float)ci;
            return SM_OK;
        }
    }
    if (!*text) {
        say(why, why_len, "%s: empty value (expected %s)", in->name, exp);
        return SM_ERR_PARSE;
    }
    errno = 0;
    char *end = NULL;
    double d = strtod(text, &end);
    while (end && isspace((unsigned char)*end))
        end++;
    if (end == text || (end && *end) || errno == ERANGE) {
        say(why, why_len, "%s: '%s' is not %s (expected %s)", in->name, text,
            in->type == SM_T_ENUM ? "a valid choice" : "a number", exp);
        return SM_ERR_PARSE;
    }
    if (!isfinite(d)) {
        say(why, why_len, "%s: value is not finite (expected %s)", in->name,
            exp);
        return SM_ERR_NOT_FINITE;
    }
    /* Range check on the float the text rounds to (the limits are floats:
     * "0.1" must pass a minimum of 0.1f), after refusing what a float
     * cannot hold, so 1e40 does not become inf before the test. */
    if (!(fabs(d) <= FLT_MAX) || (float)d < in->min || (float)d > in->max) {
        say(why, why_len, "%s: %s is out of range (expected %s)", in->name,
            text, exp);
        return SM_ERR_RANGE;
    }
    sm_error e = sm_param_check(id, (float)d, why, why_len);
    if (e == SM_OK)
        *value = (float)d;
    return e;
}

int sm_param_format(sm_param id, float value, char *buf, size_t len)
{
    const sm_param_info *in = sm_param_get_info(id);
    if (!in)
        return snprintf(buf, len, "?");
    if (in->type == SM_T_ENUM) {
        const char *n = sm_param_choice_name(id, (int)value);
        return snprintf(buf, len, "%s", n ? n : "?");
    }
    if (in->type == SM_T_INT)
        return snprintf(buf, len, "%d", (int)value);
    /* Shortest text that parses back (as sm_param_parse reads it) to the
     * same float, so saved configurations reload exactly; 0.1f is "0.1". */
    char tmp[32];
    for (int prec = 6; prec < 9; prec++) {
        snprintf(tmp, sizeof tmp, "%.*g", prec, value);
        if ((float)strtod(tmp, NULL) == value)
            return snprintf(buf, len, "%s", tmp);
    }
    return snprintf(buf, len, "%.9g", value);
}

/* ---- normalised 0..1 control ------------------------------------------- */

/* Smallest and largest powers of two inside [min, max] (as exponents);
 * 0 when the range holds none. */
static int pow2_bounds(const sm_param_info *in, int *lo, int *hi)
{
    if (!(in->min > 0.0f))
        return 0;
    *lo = (int)ceil(log2((double)in->min));
    *hi = (int)floor(log2((double)in->max));
    return *lo <= *hi;
}

static int snaps_pow2(const sm_param_info *in)
{
    return in->type == SM_T_INT && (in->flags & SM_PF_RATE);
}

static int is_log(const sm_param_info *in)
{
    /* A geometric curve needs a positive minimum; a row flagged without
     * one (the table test refuses that) falls back to linear. */
    return (in->flags & SM_PF_LOG) && in->min > 0.0f && in->max > in->min;
}

float sm_param_from_norm(sm_param id, float norm)
{
    const sm_param_info *in = sm_param_get_info(id);
    if (!in || isnan(norm))
        return NAN;
    double n = norm < 0.0f ? 0.0 : norm > 1.0f ? 1.0 : (double)norm;
    double mn = in->min, mx = in->max, v;
    if (in->type == SM_T_ENUM) /* min is 0: choices evenly spread */
        return (float)floor(n * mx + 0.5);
    int e_lo, e_hi;
    if (snaps_pow2(in) && pow2_bounds(in, &e_lo, &e_hi)) {
        /* Nearest power of two in log terms, to the curve's value. */
        double l = is_log(in) ? log2(mn) + n * (log2(mx) - log2(mn))
                              : log2(fmax(mn + n * (mx - mn), 1.0));
        double e = floor(l + 0.5);
        if (e < e_lo)
            e = e_lo;
        if (e > e_hi)
            e = e_hi;
        return (float)ldexp(1.0, (int)e);
    }
    if (n == 0.0)
        return in->min;
    if (n == 1.0)
        return in->max;
    v = is_log(in) ? mn * pow(mx / mn, n) : mn + n * (mx - mn);
    if (in->type == SM_T_INT)
        v = floor(v + 0.5);
    float f = (float)v;
    /* The float may round past a limit; the result must pass
     * sm_param_check. */
    return f < in->min ? in->min : f > in->max ? in->max : f;
}

float sm_param_to_norm(sm_param id, float value)
{
    const sm_param_info *in = sm_param_get_info(id);
    if (!in || isnan(value))
        return NAN;
    double mn = in->min, mx = in->max, v = value, n;
    if (!(mx > mn))
        return 0.0f;
    if (v <= mn)
        return 0.0f;
    if (v >= mx)
        return 1.0f;
    if (is_log(in))
        n = log(v / mn) / log(mx / mn);
    else
        n = (v - mn) / (mx - mn);
    float f = (float)n;
    return f < 0.0f ? 0.0f : f > 1.0f ? 1.0f : f;
}

const char *sm_strerror(sm_error err)
{
    switch (err) {
    case SM_OK: return "no error";
    case SM_ERR_NOMEM: return "out of memory";
    case SM_ERR_RATE: return "sample rate outside 8000..384000 Hz";
    case SM_ERR_PARAM: return "unknown parameter";
    case SM_ERR_RANGE: return "value out of range";
    case SM_ERR_NOT_FINITE: return "value is NaN or infinite";
    case SM_ERR_PARSE: return "value could not be parsed";
    case SM_ERR_CONFIG: return "inconsistent configuration";
    case SM_ERR_FFT: return "FFTW could not make a plan";
    case SM_ERR_QUEUE_FULL: return "parameter queue full";
    case SM_ERR_NEEDS_REBUILD: return "parameter needs a new engine";
    case SM_ERR_NULL: return "required pointer is NULL";
    case SM_ERR__COUNT: break;
    }
    return "unknown error";
}
