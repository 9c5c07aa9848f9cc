/* testutil.c: see testutil.h. */
#include "testutil.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

float *tu_alloc(size_t n)
{
    float *p = calloc(n ? n : 1, sizeof(float));
    assert_non_null(p);
    return p;
}

void tu_noise(float *x, size_t n, float amp, uint32_t seed)
{
    uint32_t s = seed ? seed : 1u;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        x[i] = amp * ((float)(s >> 8) / 8388608.0f - 1.0f);
    }
}

void tu_sines(float *x, size_t n, double fs, const double *freq_hz,
              const double *amp, int count)
{
    for (size_t i = 0; i < n; i++) {
        double v = 0.0;
        for (int k = 0; k < count; k++)
            v += amp[k] * sin(2.0 * M_PI * freq_hz[k] * (double)i / fs);
        x[i] = (float)v;
    }
}

double tu_energy(const float *x, size_t n)
{
    double e = 0.0;
    for (size_t i = 0; i < n; i++)
        e += (double)x[i] * x[i];
    return e;
}

double tu_err_db(const float *a, const float *b, size_t n)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < n; i++) {
        double d = (double)a[i] - b[i];
        num += d * d;
        den += (double)b[i] * b[i];
    }
    if (num == 0.0)
        return -400.0;
    if (den == 0.0)
        return 400.0;
    return 10.0 * log10(num / den);
}

void tu_render(const sm_config *cfg, const float *a, const float *b,
               size_t n, size_t block, float **l, float **r)
{
    sm_error err = SM_OK;
    sm_engine *e = sm_engine_new(cfg, &err);
    if (!e)
        fail_msg("sm_engine_new: %s", sm_strerror(err));
    size_t lat = (size_t)sm_engine_latency(e);
    size_t total = n + lat;
    float *ia = tu_alloc(total), *ib = tu_alloc(total);
    float *ol = tu_alloc(total), *or_ = tu_alloc(total);
    memcpy(ia, a, n * sizeof(float));
    memcpy(ib, b, n * sizeof(float));
    for (size_t i = 0; i < total; i += block) {
        size_t m = total - i < block ? total - i : block;
        sm_engine_process(e, ia + i, ib + i, ol + i, or_ + i, m);
    }
    *l = tu_alloc(n);
    *r = tu_alloc(n);
    memcpy(*l, ol + lat, n * sizeof(float));
    memcpy(*r, or_ + lat, n * sizeof(float));
    free(ia);
    free(ib);
    free(ol);
    free(or_);
    sm_engine_free(e);
}
