/* config.c: default values, single-value checks and the checks that need
 * several values at once (hop against window, crossover order). */
#include "specmorph.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>

#define SM_RATE_MIN 8000
#define SM_RATE_MAX 384000

static float nearest_pow2(double v)
{
    double e = floor(log2(v) + 0.5);
    return (float)ldexp(1.0, (int)e);
}

sm_config sm_config_default(int sample_rate_hz)
{
    sm_config c;
    c.sample_rate_hz = sample_rate_hz;
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        float v = in->def;
        if ((in->flags & SM_PF_RATE) && sample_rate_hz > 0 &&
            sample_rate_hz != 48000) {
            v = nearest_pow2((double)v * sample_rate_hz / 48000.0);
            if (v < in->min)
                v = in->min;
            if (v > in->max)
                v = in->max;
        }
        c.values[i] = v;
    }
    /* Below 8.9 kHz the default crossovers do not fit under Nyquist: keep
     * them in range so the defaults are valid at every supported rate. */
    if (sample_rate_hz > 0) {
        float *lo = &c.values[SM_P_BANDS_XOVER_LO_HZ];
        float *hi = &c.values[SM_P_BANDS_XOVER_HI_HZ];
        float hi_max = 0.45f * (float)sample_rate_hz;
        if (*hi > hi_max)
            *hi = hi_max;
        if (*lo > *hi / 1.5f)
            *lo = *hi / 1.5f;
    }
    return c;
}

sm_error sm_config_set(sm_config *cfg, sm_param id, float value)
{
    if (!cfg)
        return SM_ERR_NULL;
    sm_error e = sm_param_check(id, value, NULL, 0);
    if (e == SM_OK)
        cfg->values[id] = value;
    return e;
}

static sm_error fail(char *why, size_t len, sm_error e, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static sm_error fail(char *why, size_t len, sm_error e, const char *fmt, ...)
{
    if (why && len) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(why, len, fmt, ap);
        va_end(ap);
    }
    return e;
}

static sm_error check_stft(const sm_config *c, sm_param win, sm_param hop,
                           char *why, size_t len)
{
    int w = (int)c->values[win], h = (int)c->values[hop];
    if (w & 1)
        return fail(why, len, SM_ERR_CONFIG,
                    "%s: %d is odd (expected an even window, e.g. a power "
                    "of two)",
                    sm_param_get_info(win)->name, w);
    if (h > w / 2)
        return fail(why, len, SM_ERR_CONFIG,
                    "%s: %d is more than half of %s = %d (expected at most "
                    "%d)",
                    sm_param_get_info(hop)->name, h,
                    sm_param_get_info(win)->name, w, w / 2);
    return SM_OK;
}

sm_error sm_config_check(const sm_config *c, char *why, size_t len)
{
    if (!c)
        return fail(why, len, SM_ERR_NULL, "no configuration");
    if (c->sample_rate_hz < SM_RATE_MIN || c->sample_rate_hz > SM_RATE_MAX)
        return fail(why, len, SM_ERR_RATE,
                    "sample rate %d Hz is not supported (expected %d to %d)",
                    c->sample_rate_hz, SM_RATE_MIN, SM_RATE_MAX);
    for (int i = 0; i < SM_P_COUNT; i++) {
        sm_error e = sm_param_check((sm_param)i, c->values[i], why, len);
        if (e != SM_OK)
            return e;
    }
    int count = (int)c->values[SM_P_BANDS_COUNT];
    if (count != 1 && count != 3)
        return fail(why, len, SM_ERR_CONFIG,
                    "bands.count: %d is not supported (expected 1 or 3)",
                    count);
    sm_error e;
    if (count == 1) {
        e = check_stft(c, SM_P_BANDS_SINGLE_WINDOW, SM_P_BANDS_SINGLE_HOP, why,
                       len);
        if (e != SM_OK)
            return e;
    } else {
        static const sm_param pairs[3][2] = {
            {SM_P_BANDS_LF_WINDOW, SM_P_BANDS_LF_HOP},
            {SM_P_BANDS_MF_WINDOW, SM_P_BANDS_MF_HOP},
            {SM_P_BANDS_HF_WINDOW, SM_P_BANDS_HF_HOP}};
        for (int b = 0; b < 3; b++) {
            e = check_stft(c, pairs[b][0], pairs[b][1], why, len);
            if (e != SM_OK)
                return e;
        }
    }
    if (count == 1)
        return SM_OK;
    float lo = c->values[SM_P_BANDS_XOVER_LO_HZ];
    float hi = c->values[SM_P_BANDS_XOVER_HI_HZ];
    if (hi < 1.5f * lo)
        return fail(why, len, SM_ERR_CONFIG,
                    "bands.xover_hi_hz: %g Hz is too close to "
                    "bands.xover_lo_hz = %g Hz (expected at least %g Hz)",
                    hi, lo, 1.5f * lo);
    if (hi > 0.45f * (float)c->sample_rate_hz)
        return fail(why, len, SM_ERR_CONFIG,
                    "bands.xover_hi_hz: %g Hz is too high for %d Hz "
                    "(expected at most %g Hz)",
                    hi, c->sample_rate_hz, 0.45f * (float)c->sample_rate_hz);
    return SM_OK;
}
