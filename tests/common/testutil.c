/* testutil.c: see testutil.h. */
#include "testutil.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <fftw3.h>

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

/* Two-pole resonator with constant peak gain, for formants. */
typedef struct tu_reson {
    double a1, a2, b0, y1, y2;
} tu_reson;

static void reson_set(tu_reson *f, double fc, double bw, double fs)
{
    double r = exp(-M_PI * bw / fs);
    f->a1 = -2.0 * r * cos(2.0 * M_PI * fc / fs);
    f->a2 = r * r;
    f->b0 = (1.0 - r * r) * 0.5;
}

static double reson_tick(tu_reson *f, double x)
{
    double y = f->b0 * x - f->a1 * f->y1 - f->a2 * f->y2;
    f->y2 = f->y1;
    f->y1 = y;
    return y;
}

void tu_voice(float *x, size_t n, double fs, uint32_t seed)
{
    /* F1, F2, F3 of a, e, i, o, u */
    static const double fm[5][3] = {{730, 1090, 2440}, {530, 1840, 2480},
                                    {270, 2290, 3010}, {570, 840, 2410},
                                    {300, 870, 2240}};
    tu_reson f[3] = {{0}};
    uint32_t s = seed ? seed : 1u;
    double phase = 0.0;
    size_t syl = (size_t)(0.22 * fs);
    for (size_t i = 0; i < n; i++) {
        size_t k = i / syl;
        double t = (double)(i % syl) / (double)syl;
        int v = (int)((k * 7 + seed) % 5);
        if (i % syl == 0)
            for (int j = 0; j < 3; j++)
                reson_set(&f[j], fm[v][j], 60.0 + 40.0 * j, fs);
        double f0 = 110.0 + 40.0 * sin(2.0 * M_PI * 0.3 * (double)i / fs) +
                    15.0 * sin(2.0 * M_PI * 5.5 * (double)i / fs) +
                    20.0 * (double)((k * 5) % 3);
        phase += f0 / fs;
        double src = 0.0;
        if (phase >= 1.0) {
            phase -= 1.0;
            src = 1.0;
        }
        if (k % 6 == 5) {
            s ^= s << 13;
            s ^= s >> 17;
            s ^= s << 5;
            src = 0.3 * ((double)(s >> 8) / 8388608.0 - 1.0);
        }
        double env = sin(M_PI * t);
        double y = 0.0;
        for (int j = 0; j < 3; j++)
            y += reson_tick(&f[j], src) / (1.0 + j);
        x[i] = (float)(env * env * y);
    }
}

void tu_delay_exact(const float *x, float *a, float *b, size_t n,
                    double delay_samples)
{
    double *t = fftw_alloc_real(n);
    fftw_complex *X = fftw_alloc_complex(n / 2 + 1);
    fftw_complex *Y = fftw_alloc_complex(n / 2 + 1);
    assert_non_null(t);
    assert_non_null(X);
    assert_non_null(Y);
    for (size_t i = 0; i < n; i++)
        t[i] = x[i];
    fftw_plan fwd = fftw_plan_dft_r2c_1d((int)n, t, X, FFTW_ESTIMATE);
    fftw_plan inv = fftw_plan_dft_c2r_1d((int)n, X, t, FFTW_ESTIMATE);
    fftw_execute(fwd);
    if (n % 2 == 0)
        X[n / 2][0] = X[n / 2][1] = 0.0;
    for (size_t k = 0; k <= n / 2; k++) {
        double ph = -2.0 * M_PI * (double)k * delay_samples / (double)n;
        double c = cos(ph), s = sin(ph);
        Y[k][0] = X[k][0] * c - X[k][1] * s;
        Y[k][1] = X[k][0] * s + X[k][1] * c;
    }
    fftw_execute_dft_c2r(inv, X, t);
    for (size_t i = 0; i < n; i++)
        a[i] = (float)(t[i] / (double)n);
    fftw_execute_dft_c2r(inv, Y, t);
    for (size_t i = 0; i < n; i++)
        b[i] = (float)(t[i] / (double)n);
    fftw_destroy_plan(fwd);
    fftw_destroy_plan(inv);
    fftw_free(t);
    fftw_free(X);
    fftw_free(Y);
}

void tu_envelope_db(const float *x, size_t n, double fs, double f_lo,
                    double f_hi, double amp, size_t from, size_t to,
                    double *min_db, double *max_db)
{
    fftw_complex *z = fftw_alloc_complex(n);
    assert_non_null(z);
    for (size_t i = 0; i < n; i++) {
        z[i][0] = x[i];
        z[i][1] = 0.0;
    }
    fftw_plan fwd = fftw_plan_dft_1d((int)n, z, z, FFTW_FORWARD, FFTW_ESTIMATE);
    fftw_plan inv =
        fftw_plan_dft_1d((int)n, z, z, FFTW_BACKWARD, FFTW_ESTIMATE);
    fftw_execute(fwd);
    /* Analytic: positive frequencies doubled, the rest removed; and only
     * the band asked for, flat inside, with raised-cosine skirts over a
     * ratio of 1.25 either side: a brick wall would spread what leaks of
     * neighbouring tones over the whole buffer (sinc tails). */
    const double skirt = log(1.25);
    for (size_t k = 0; k < n; k++) {
        double hz = (double)k * fs / (double)n, gain = 0.0;
        if (k > 0 && k < n / 2) {
            double d = hz < f_lo ? log(f_lo / hz) : hz > f_hi ? log(hz / f_hi)
                                                              : 0.0;
            if (d < skirt)
                gain = 2.0 * (0.5 + 0.5 * cos(M_PI * d / skirt));
        }
        z[k][0] *= gain / (double)n;
        z[k][1] *= gain / (double)n;
    }
    fftw_execute(inv);
    double lo = INFINITY, hi = -INFINITY;
    for (size_t i = from; i < to; i++) {
        double db = 20.0 * log10(hypot(z[i][0], z[i][1]) / amp);
        lo = db < lo ? db : lo;
        hi = db > hi ? db : hi;
    }
    *min_db = lo;
    *max_db = hi;
    fftw_destroy_plan(fwd);
    fftw_destroy_plan(inv);
    fftw_free(z);
}
