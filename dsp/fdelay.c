/* fdelay.c: the windowed-sinc table and the delay line; see fdelay.h. */
#include "fdelay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#define TAPS (2 * SM_FDELAY_HALF)
/* Kaiser beta: stopband ~-80 dB for 32 taps; the passband edge it leaves
 * (0.83 x Nyquist) is above what the merge keeps at 48 kHz anyway. */
#define KAISER_BETA 8.0

static double bessel_i0(double x)
{
    double s = 1.0, t = 1.0;
    for (int k = 1; k < 50; k++) {
        t *= (x / (2.0 * k)) * (x / (2.0 * k));
        s += t;
        if (t < 1e-17 * s)
            break;
    }
    return s;
}

/* Kaiser window on |u| < HALF, shifted and rescaled to be exactly zero at
 * the edges, so taps enter and leave the kernel at zero weight. */
static double window(double u)
{
    const double m = SM_FDELAY_HALF;
    if (fabs(u) >= m)
        return 0.0;
    double edge = 1.0 / bessel_i0(KAISER_BETA);
    double w = bessel_i0(KAISER_BETA * sqrt(1.0 - (u / m) * (u / m))) /
               bessel_i0(KAISER_BETA);
    return (w - edge) / (1.0 - edge);
}

static double sinc(double u)
{
    return u == 0.0 ? 1.0 : sin(M_PI * u) / (M_PI * u);
}

int sm_fdelay_kernel_init(sm_fdelay_kernel *k)
{
    k->tab = malloc(sizeof(float) * TAPS * (SM_FDELAY_PHASES + 1));
    if (!k->tab)
        return -1;
    for (int p = 0; p <= SM_FDELAY_PHASES; p++) {
        float *row = k->tab + (size_t)p * TAPS;
        double f = (double)p / SM_FDELAY_PHASES, v[TAPS], s = 0.0;
        for (int jj = 0; jj < TAPS; jj++) {
            /* tap jj reads the sample (jj - HALF + 1) before the integer
             * part of the delay */
            double u = jj - (SM_FDELAY_HALF - 1) - f;
            v[jj] = (p == 0 || p == SM_FDELAY_PHASES)
                        ? (fabs(u) < 0.5 ? 1.0 : 0.0) /* exact: one tap */
                        : sinc(u) * window(u);
            s += v[jj];
        }
        for (int jj = 0; jj < TAPS; jj++)
            row[jj] = (float)(v[jj] / s);
    }
    return 0;
}

void sm_fdelay_kernel_free(sm_fdelay_kernel *k)
{
    free(k->tab);
    k->tab = NULL;
}

int sm_fdelay_init(sm_fdelay *d, double max_delay, size_t history)
{
    memset(d, 0, sizeof *d);
    size_t need = (size_t)ceil(max_delay) + SM_FDELAY_HALF + 2;
    if (history > need)
        need = history;
    size_t len = 1;
    while (len < need)
        len <<= 1;
    d->ring = calloc(len, sizeof(float));
    if (!d->ring)
        return -1;
    d->mask = len - 1;
    d->max_delay = max_delay;
    return 0;
}

void sm_fdelay_free(sm_fdelay *d)
{
    free(d->ring);
    d->ring = NULL;
}

void sm_fdelay_reset(sm_fdelay *d)
{
    memset(d->ring, 0, sizeof(float) * (d->mask + 1));
    d->w = 0;
}

/* The kernel for a delay: its integer part n, and coefficients c[jj] for
 * jj from *first to TAPS - 1 (taps before *first would need samples not
 * yet pushed). Returns 1 for a whole-sample delay (no coefficients). */
static int kernel_for(const sm_fdelay *d, const sm_fdelay_kernel *k,
                      double delay, long *n, int *first, float *c)
{
    delay = delay < 0.0 ? 0.0 : delay > d->max_delay ? d->max_delay : delay;
    double fl = floor(delay);
    *n = (long)fl;
    double f = delay - fl;
    if (f == 0.0)
        return 1;
    double ph = f * SM_FDELAY_PHASES;
    int p = (int)ph;
    if (p >= SM_FDELAY_PHASES)
        p = SM_FDELAY_PHASES - 1;
    float a = (float)(ph - p);
    const float *r0 = k->tab + (size_t)p * TAPS, *r1 = r0 + TAPS;
    int j0 = SM_FDELAY_HALF - 1 - (int)*n;
    *first = j0 > 0 ? j0 : 0;
    float s = 0.0f;
    for (int jj = *first; jj < TAPS; jj++) {
        c[jj] = r0[jj] + a * (r1[jj] - r0[jj]);
        s += c[jj];
    }
    if (*first > 0) /* truncated: keep unit DC gain */
        for (int jj = *first; jj < TAPS; jj++)
            c[jj] /= s;
    return 0;
}

/* Dot product of the kernel with the history ending at the newest
 * sample. */
static float apply(const sm_fdelay *d, long n, int first, const float *c)
{
    /* tap jj reads the sample n + jj - (HALF - 1) before the newest */
    unsigned long long base = d->w - 1 - (unsigned long long)n +
                              (SM_FDELAY_HALF - 1);
    float y = 0.0f;
    for (int jj = first; jj < TAPS; jj++)
        y += c[jj] * d->ring[(base - (unsigned long long)jj) & d->mask];
    return y;
}

float sm_fdelay_read(const sm_fdelay *d, const sm_fdelay_kernel *k,
                     double delay)
{
    long n;
    int first = 0;
    float c[TAPS];
    if (kernel_for(d, k, delay, &n, &first, c))
        return d->ring[(d->w - 1 - (unsigned long long)n) & d->mask];
    return apply(d, n, first, c);
}

void sm_fdelay_run(sm_fdelay *d, const sm_fdelay_kernel *k, float *x,
                   size_t n, double delay)
{
    long m;
    int first = 0;
    float c[TAPS];
    if (kernel_for(d, k, delay, &m, &first, c)) {
        for (size_t i = 0; i < n; i++) {
            sm_fdelay_push(d, x[i]);
            x[i] = d->ring[(d->w - 1 - (unsigned long long)m) & d->mask];
        }
        return;
    }
    for (size_t i = 0; i < n; i++) {
        sm_fdelay_push(d, x[i]);
        x[i] = apply(d, m, first, c);
    }
}

void sm_fdelay_copy(const sm_fdelay *d, float *dst, size_t n, size_t ago)
{
    /* oldest sample wanted: n + ago - 1 before the newest */
    unsigned long long from = d->w - (unsigned long long)(n + ago);
    for (size_t i = 0; i < n; i++)
        dst[i] = d->ring[(from + i) & d->mask];
}
