/* config.c: default values, single-value checks, the checks that need
 * several values at once (hop against window, crossover order), and the
 * built-in presets. */
#include "specmorph.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>

#define SM_RATE_MIN 8000
#define SM_RATE_MAX 384000

static float nearest_pow2(double v)
{
    double e = floor(log2(v) + 0.5);
    return (float)ldexp(1.0, (int)e);
}

/* A value given at 48 kHz, for a rate: SM_PF_RATE rows (window and hop
 * sizes) scale to the nearest power of two, within the row's limits. */
static float at_rate(sm_param id, float v48, int sample_rate_hz)
{
    const sm_param_info *in = sm_param_get_info(id);
    float v = v48;
    if ((in->flags & SM_PF_RATE) && sample_rate_hz > 0 &&
        sample_rate_hz != 48000) {
        v = nearest_pow2((double)v * sample_rate_hz / 48000.0);
        if (v < in->min)
            v = in->min;
        if (v > in->max)
            v = in->max;
    }
    return v;
}

/* Highest crossover a rate allows (0.45 fs: the LR4 shape and the
 * prewarping stay sound well below Nyquist). */
static float hi_max_lim(int sample_rate_hz)
{
    return 0.45f * (float)sample_rate_hz;
}

sm_config sm_config_default(int sample_rate_hz)
{
    sm_config c;
    c.sample_rate_hz = sample_rate_hz;
    for (int i = 0; i < SM_P_COUNT; i++)
        c.values[i] = at_rate((sm_param)i, sm_param_get_info((sm_param)i)->def,
                              sample_rate_hz);
    /* Below 8.9 kHz the default crossovers do not fit under Nyquist: keep
     * them in range so the defaults are valid at every supported rate. */
    if (sample_rate_hz > 0) {
        float *lo = &c.values[SM_P_BANDS_XOVER_LO_HZ];
        float *hi = &c.values[SM_P_BANDS_XOVER_HI_HZ];
        if (*hi > hi_max_lim(sample_rate_hz))
            *hi = hi_max_lim(sample_rate_hz);
        if (*lo > *hi / 1.5f)
            *lo = *hi / 1.5f;
        /* The adaptive ranges likewise (8000 Hz caps hi_max at 3600). */
        float *lo_min = &c.values[SM_P_BANDS_XOVER_LO_MIN_HZ];
        float *lo_max = &c.values[SM_P_BANDS_XOVER_LO_MAX_HZ];
        float *hi_min = &c.values[SM_P_BANDS_XOVER_HI_MIN_HZ];
        float *hi_max = &c.values[SM_P_BANDS_XOVER_HI_MAX_HZ];
        if (*hi_max > hi_max_lim(sample_rate_hz))
            *hi_max = hi_max_lim(sample_rate_hz);
        if (*hi_min > *hi_max)
            *hi_min = *hi_max;
        if (*lo_max > *hi_max / 1.5f)
            *lo_max = *hi_max / 1.5f;
        if (*lo_min > *hi_min / 1.5f)
            *lo_min = *hi_min / 1.5f;
        if (*lo_min > *lo_max)
            *lo_min = *lo_max;
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

/* The adaptive crossover ranges (checked whether bands.adaptive is on or
 * not, so that turning it on live never meets a range that cannot work).
 * The mapping (xover.h) puts both cutoffs at the same geometric position
 * of their ranges, so hi >= 1.5 lo at both ends means at every point. */
static sm_error check_ranges(const sm_config *c, char *why, size_t len)
{
    const float *v = c->values;
    static const sm_param rng[2][2] = {
        {SM_P_BANDS_XOVER_LO_MIN_HZ, SM_P_BANDS_XOVER_LO_MAX_HZ},
        {SM_P_BANDS_XOVER_HI_MIN_HZ, SM_P_BANDS_XOVER_HI_MAX_HZ}};
    for (int r = 0; r < 2; r++)
        if (v[rng[r][0]] > v[rng[r][1]])
            return fail(why, len, SM_ERR_CONFIG,
                        "%s: %g Hz is above %s = %g Hz (expected at most "
                        "%g Hz)",
                        sm_param_get_info(rng[r][0])->name, v[rng[r][0]],
                        sm_param_get_info(rng[r][1])->name, v[rng[r][1]],
                        v[rng[r][1]]);
    for (int end = 0; end < 2; end++) {
        float lo = v[rng[0][end]], hi = v[rng[1][end]];
        if (hi < 1.5f * lo)
            return fail(why, len, SM_ERR_CONFIG,
                        "%s: %g Hz is too close to %s = %g Hz (expected at "
                        "least %g Hz)",
                        sm_param_get_info(rng[1][end])->name, hi,
                        sm_param_get_info(rng[0][end])->name, lo, 1.5f * lo);
    }
    float hi_max = v[SM_P_BANDS_XOVER_HI_MAX_HZ];
    if (hi_max > hi_max_lim(c->sample_rate_hz))
        return fail(why, len, SM_ERR_CONFIG,
                    "bands.xover_hi_max_hz: %g Hz is too high for %d Hz "
                    "(expected at most %g Hz)",
                    hi_max, c->sample_rate_hz,
                    hi_max_lim(c->sample_rate_hz));
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
    /* Every window/hop pair, the unused layout's too: switching
     * bands.count later must not meet a pair that never worked. */
    static const sm_param pairs[4][2] = {
        {SM_P_BANDS_SINGLE_WINDOW, SM_P_BANDS_SINGLE_HOP},
        {SM_P_BANDS_LF_WINDOW, SM_P_BANDS_LF_HOP},
        {SM_P_BANDS_MF_WINDOW, SM_P_BANDS_MF_HOP},
        {SM_P_BANDS_HF_WINDOW, SM_P_BANDS_HF_HOP}};
    for (int b = 0; b < 4; b++) {
        sm_error e = check_stft(c, pairs[b][0], pairs[b][1], why, len);
        if (e != SM_OK)
            return e;
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
    if (hi > hi_max_lim(c->sample_rate_hz))
        return fail(why, len, SM_ERR_CONFIG,
                    "bands.xover_hi_hz: %g Hz is too high for %d Hz "
                    "(expected at most %g Hz)",
                    hi, c->sample_rate_hz, hi_max_lim(c->sample_rate_hz));
    return check_ranges(c, why, len);
}

/* ---- presets -------------------------------------------------------------
 *
 * The one table of built-in presets. A preset sets the band layout only:
 * the values of layout[] below, given at 48 kHz and scaled to the
 * configuration's rate as the defaults are (at_rate). It sets the pair its
 * bands.count does not use as well, so that the layout after applying it
 * does not depend on what was set before, and so that switching
 * bands.count afterwards still gives a layout in the preset's spirit.
 *
 * Engine latency (sm_engine_latency) is the longest window used, minus 1,
 * plus the limiter's look-ahead (64 samples at 48 kHz). At 48 kHz:
 *
 *   lowlatency  1 band, 1024/256             1087 samples (22.6 ms)
 *               (3-band pairs: LF 1024/256, MF 512/128, HF 256/64: the
 *               same 1087 if bands.count is set to 3)
 *   balanced    the defaults: 3 bands, LF 4096/1024, MF 2048/512,
 *               HF 512/128                   4159 samples (86.6 ms)
 *               (1 band: 2048/512, 2111 samples)
 *   studio      3 bands, LF 8192/2048, MF 4096/1024, HF 1024/256
 *                                            8255 samples (172.0 ms)
 *               (1 band: 4096/1024, 4159 samples)
 *
 * Every window is four hops (75 % overlap, as the defaults), so the ratio
 * survives the power-of-two scaling to other rates. tests/dsp/test_config.c
 * checks these latencies and that balanced is exactly sm_config_default.
 */

static const sm_param layout[] = {
    SM_P_BANDS_COUNT,     SM_P_BANDS_SINGLE_WINDOW, SM_P_BANDS_SINGLE_HOP,
    SM_P_BANDS_LF_WINDOW, SM_P_BANDS_LF_HOP,        SM_P_BANDS_MF_WINDOW,
    SM_P_BANDS_MF_HOP,    SM_P_BANDS_HF_WINDOW,     SM_P_BANDS_HF_HOP};
#define NLAYOUT (sizeof layout / sizeof layout[0])

static const struct sm_preset {
    const char *name;
    const char *help;
    float v[NLAYOUT]; /* in layout[] order, at 48 kHz */
} presets[] = {
    {"lowlatency",
     "one band with a short window: the lowest latency, coarse bass "
     "resolution (47 Hz bins at 48 kHz)",
     {1, 1024, 256, 1024, 256, 512, 128, 256, 64}},
    {"balanced",
     "the defaults: three bands, each window sized for its range",
     {3, 2048, 512, 4096, 1024, 2048, 512, 512, 128}},
    {"studio",
     "three bands with long windows: the finest low and mid frequency "
     "resolution, twice the latency of balanced",
     {3, 4096, 1024, 8192, 2048, 4096, 1024, 1024, 256}},
};
#define NPRESETS ((int)(sizeof presets / sizeof presets[0]))

int sm_preset_count(void) { return NPRESETS; }

const char *sm_preset_name(int preset)
{
    return preset >= 0 && preset < NPRESETS ? presets[preset].name : NULL;
}

const char *sm_preset_help(int preset)
{
    return preset >= 0 && preset < NPRESETS ? presets[preset].help : NULL;
}

int sm_preset_find(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < NPRESETS; i++)
        if (strcasecmp(presets[i].name, name) == 0)
            return i;
    return -1;
}

const char *sm_preset_suggest(const char *name)
{
    if (!name || !*name)
        return NULL;
    int best = -1, best_d = 1 << 30;
    for (int i = 0; i < NPRESETS; i++) {
        int d = sm_text_distance(name, presets[i].name);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    /* The same tolerance as sm_param_suggest. */
    size_t len = strlen(name);
    int limit = len < 3 ? 1 : len < 6 ? 2 : (int)(len / 3);
    return best >= 0 && best_d <= limit ? presets[best].name : NULL;
}

sm_error sm_config_apply_preset(sm_config *cfg, int preset)
{
    if (!cfg)
        return SM_ERR_NULL;
    if (preset < 0 || preset >= NPRESETS)
        return SM_ERR_PARAM;
    int fs = cfg->sample_rate_hz;
    if (fs < SM_RATE_MIN || fs > SM_RATE_MAX)
        return SM_ERR_RATE;
    for (size_t k = 0; k < NLAYOUT; k++)
        cfg->values[layout[k]] = at_rate(layout[k], presets[preset].v[k], fs);
    return SM_OK;
}
