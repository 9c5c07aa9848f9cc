/* gccphat.c: GCC-PHAT lag estimate with a Newton-refined peak; see
 * gccphat.h for the segment layout and why Newton, not a parabola. */
#include "gccphat.h"

#include "kernels.h"
#include "stft.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

/* PHAT floor, relative to the mean cross-spectrum magnitude: bins far
 * below the mean (where neither input has energy, only noise or rounding)
 * are weighted by their magnitude instead of being lifted to unit weight
 * with a random phase. 0.05: a bin 26 dB under the mean keeps half its
 * weight. */
#define PHAT_FLOOR 0.05
/* Mean power under which an input counts as silent (-80 dBFS). */
#define SILENCE_POWER 1e-8
/* Newton converges quadratically from the parabola's start (within
 * ~0.1 sample): two or three steps reach NEWTON_TOL, after which the next
 * step would be under 1e-9 samples. */
#define NEWTON_ITERS 6
#define NEWTON_TOL 1e-5

struct sm_gccphat {
    int w, l, n, bins;
    float *win;     /* periodic Hann on the reference segment, w */
    float *ta, *tb; /* time buffers, n */
    sm_cpx *fa, *fb;
    float *corr;  /* circular correlation, n */
    float *u;     /* per-bin magnitude, then PHAT weight |P_k|, bins */
    double usum, noise;
    int peak;     /* index into corr of the integer peak */
    double sign;  /* +1, or -1 for a polarity-inverted match */
    fftwf_plan fwd, inv;
};

/* Smallest even n >= m whose only prime factors are 2, 3 and 5: FFTW is
 * fast on those, and a power of two could nearly double the work. */
static int good_size(int m)
{
    for (int n = m + (m & 1);; n += 2) {
        int r = n;
        while (r % 2 == 0)
            r /= 2;
        while (r % 3 == 0)
            r /= 3;
        while (r % 5 == 0)
            r /= 5;
        if (r == 1)
            return n;
    }
}

void sm_gccphat_free(sm_gccphat *g)
{
    if (!g)
        return;
    if (g->fwd)
        fftwf_destroy_plan(g->fwd);
    if (g->inv)
        fftwf_destroy_plan(g->inv);
    sm_stft_free_buf(g->win);
    sm_stft_free_buf(g->ta);
    sm_stft_free_buf(g->tb);
    sm_stft_free_buf(g->fa);
    sm_stft_free_buf(g->fb);
    sm_stft_free_buf(g->corr);
    free(g->u);
    free(g);
}

sm_gccphat *sm_gccphat_new(int window, int max_lag, sm_error *err)
{
    sm_error e = SM_ERR_CONFIG;
    sm_gccphat *g = NULL;
    if (window < 16 || max_lag < 1 || window > (1 << 24) ||
        max_lag > (1 << 24))
        goto fail;
    e = SM_ERR_NOMEM;
    g = calloc(1, sizeof *g);
    if (!g)
        goto fail;
    g->w = window;
    g->l = max_lag;
    g->n = good_size(window + 2 * max_lag);
    g->bins = g->n / 2 + 1;
    g->win = sm_stft_alloc_real((size_t)window);
    g->ta = sm_stft_alloc_real((size_t)g->n);
    g->tb = sm_stft_alloc_real((size_t)g->n);
    g->corr = sm_stft_alloc_real((size_t)g->n);
    g->fa = (sm_cpx *)fftwf_alloc_complex((size_t)g->bins);
    g->fb = (sm_cpx *)fftwf_alloc_complex((size_t)g->bins);
    g->u = calloc((size_t)g->bins, sizeof(float));
    if (!g->win || !g->ta || !g->tb || !g->corr || !g->fa || !g->fb || !g->u)
        goto fail;
    memset(g->fa, 0, sizeof(sm_cpx) * (size_t)g->bins);
    memset(g->fb, 0, sizeof(sm_cpx) * (size_t)g->bins);
    for (int i = 0; i < window; i++)
        g->win[i] = (float)(0.5 - 0.5 * cos(2.0 * M_PI * i / window));
    sm_fftw_init();
    e = SM_ERR_FFT;
    g->fwd = fftwf_plan_dft_r2c_1d(g->n, g->ta, (fftwf_complex *)g->fa,
                                   FFTW_ESTIMATE);
    g->inv = fftwf_plan_dft_c2r_1d(g->n, (fftwf_complex *)g->fa, g->corr,
                                   FFTW_ESTIMATE);
    if (!g->fwd || !g->inv)
        goto fail;
    return g;
fail:
    sm_gccphat_free(g);
    if (err)
        *err = e;
    return NULL;
}

int sm_gccphat_fft_size(const sm_gccphat *g) { return g->n; }

/* R(tau) and its first two derivatives, from the weighted cross spectrum
 * in g->fa (k = 1 .. n/2 - 1; DC and Nyquist carry no delay). The
 * phasors e^{i w_k tau} advance by rotation in four interleaved lanes (k,
 * k+1, k+2, k+3 step by e^{4 i w_1 tau}): four independent chains keep
 * the multiplier busy where one would wait on itself. They are re-seeded
 * exactly every 512 bins so rounding cannot accumulate. */
static void corr_derivs(const sm_gccphat *g, double tau, double *r,
                        double *d1, double *d2)
{
    const double w1 = 2.0 * M_PI / g->n;
    const int kend = g->n / 2; /* exclusive */
    double s0[4] = {0}, s1[4] = {0}, s2[4] = {0};
    double zc[4] = {0}, zs[4] = {0};
    const double rc = cos(4.0 * w1 * tau), rs = sin(4.0 * w1 * tau);
    int k = 1;
    for (; k + 3 < kend; k += 4) {
        if (((k - 1) & 511) == 0) {
            for (int q = 0; q < 4; q++) {
                /* fmod keeps the argument small */
                double ph = fmod(w1 * tau * (k + q), 2.0 * M_PI);
                zc[q] = cos(ph);
                zs[q] = sin(ph);
            }
        }
        for (int q = 0; q < 4; q++) {
            const sm_cpx p = g->fa[k + q];
            double re = p.re * zc[q] - p.im * zs[q]; /* Re(P z) */
            double im = p.re * zs[q] + p.im * zc[q]; /* Im(P z) */
            double kk = (double)(k + q);
            s0[q] += re;
            s1[q] += kk * im;
            s2[q] += kk * kk * re;
            double t = zc[q] * rc - zs[q] * rs;
            zs[q] = zc[q] * rs + zs[q] * rc;
            zc[q] = t;
        }
    }
    for (; k < kend; k++) { /* the last few bins */
        double ph = fmod(w1 * tau * k, 2.0 * M_PI);
        const sm_cpx p = g->fa[k];
        double re = p.re * cos(ph) - p.im * sin(ph);
        double im = p.re * sin(ph) + p.im * cos(ph);
        s0[0] += re;
        s1[0] += k * im;
        s2[0] += (double)k * k * re;
    }
    *r = (s0[0] + s0[1]) + (s0[2] + s0[3]);
    *d1 = -w1 * ((s1[0] + s1[1]) + (s1[2] + s1[3]));
    *d2 = -w1 * w1 * ((s2[0] + s2[1]) + (s2[2] + s2[3]));
}

/* Sub-sample offset of the parabola through y[-1], y[0], y[1]. */
static double parabola(double ym, double y0, double yp)
{
    double den = ym - 2.0 * y0 + yp;
    if (!(den < 0.0))
        return 0.0;
    double d = 0.5 * (ym - yp) / den;
    return d > 0.5 ? 0.5 : d < -0.5 ? -0.5 : d;
}

double sm_gccphat_parabolic_lag(const sm_gccphat *g)
{
    const float *c = g->corr;
    int j = g->peak;
    return j - g->l +
           parabola(g->sign * c[j - 1], g->sign * c[j], g->sign * c[j + 1]);
}

/* Four partial sums: independent additions instead of one chain. */
static double mean_power(const float *x, size_t n)
{
    double e[4] = {0};
    size_t i = 0;
    for (; i + 3 < n; i += 4)
        for (int q = 0; q < 4; q++)
            e[q] += (double)x[i + q] * x[i + q];
    for (; i < n; i++)
        e[0] += (double)x[i] * x[i];
    return ((e[0] + e[1]) + (e[2] + e[3])) / (double)n;
}

sm_gccphat_result sm_gccphat_run(sm_gccphat *g, const float *a,
                                 const float *b)
{
    sm_gccphat_result res = {0};
    const int w = g->w, l = g->l, n = g->n, nb = w + 2 * l;
    g->peak = l;
    g->sign = 1.0;
    if (mean_power(a, (size_t)w) < SILENCE_POWER ||
        mean_power(b, (size_t)nb) < SILENCE_POWER)
        return res;

    for (int i = 0; i < w; i++)
        g->ta[i] = a[i] * g->win[i];
    memset(g->ta + w, 0, sizeof(float) * (size_t)(n - w));
    memcpy(g->tb, b, sizeof(float) * (size_t)nb);
    memset(g->tb + nb, 0, sizeof(float) * (size_t)(n - nb));
    fftwf_execute_dft_r2c(g->fwd, g->ta, (fftwf_complex *)g->fa);
    fftwf_execute_dft_r2c(g->fwd, g->tb, (fftwf_complex *)g->fb);

    /* Cross spectrum conj(A) B, whitened with a floor (PHAT). */
    double msum = 0.0;
    for (int k = 1; k < n / 2; k++) {
        sm_cpx x = g->fa[k], y = g->fb[k];
        float re = x.re * y.re + x.im * y.im;
        float im = x.re * y.im - x.im * y.re;
        g->u[k] = sqrtf(re * re + im * im);
        msum += g->u[k];
        g->fa[k].re = re;
        g->fa[k].im = im;
    }
    if (!(msum > 0.0))
        return res;
    const double floor_mag = PHAT_FLOOR * msum / (n / 2 - 1);
    const float fl = (float)floor_mag;
    double usum = 0.0, u2sum = 0.0;
    for (int k = 1; k < n / 2; k++) {
        float s = 1.0f / (g->u[k] + fl);
        g->fa[k].re *= s;
        g->fa[k].im *= s;
        g->u[k] *= s;
        usum += g->u[k];
        u2sum += (double)g->u[k] * g->u[k];
    }
    g->fa[0].re = g->fa[0].im = 0.0f;
    g->fa[n / 2].re = g->fa[n / 2].im = 0.0f;
    g->usum = usum;

    /* The correlation: fa is kept for the Newton sums, so invert a copy
     * (fb is free now). */
    memcpy(g->fb, g->fa, sizeof(sm_cpx) * (size_t)g->bins);
    fftwf_execute_dft_c2r(g->inv, (fftwf_complex *)g->fb, g->corr);

    /* Lag d sits at corr[l + d] (see gccphat.h); the largest magnitude
     * wins, so a polarity-inverted copy is aligned too. */
    const float *c = g->corr;
    int j = 0;
    float best = -1.0f;
    for (int i = 0; i <= 2 * l; i++) {
        float v = fabsf(c[i]);
        if (v > best) {
            best = v;
            j = i;
        }
    }
    /* corr[i] = 2 sum_k Re(P_k e^{..}): normalised by 2 usum it is the
     * weighted phase coherence, 1 for a perfect match. */
    const double norm = 1.0 / (2.0 * usum);
    /* A spurious peak: each lag is a sum of weighted random phasors with
     * standard deviation sqrt(sum u^2 / 2) / usum; the largest of 2l + 1
     * of them lies near sqrt(2 ln(2l + 1)) deviations, plus one for
     * margin. */
    g->noise = sqrt(0.5 * u2sum) / usum *
               (sqrt(2.0 * log(2.0 * l + 1.0)) + 1.0);
    res.noise = (float)g->noise;
    if (j == 0 || j == 2 * l)
        return res; /* at the edge: the lag may lie outside the range */
    g->peak = j;
    g->sign = c[j] < 0.0f ? -1.0 : 1.0;
    const double sg = g->sign;

    /* Main lobe: outward from the peak while the correlation falls. The
     * best peak outside it is the strongest competitor (a period of a
     * periodic signal, an echo, chance). */
    int lo = j, hi = j;
    while (lo > 0 && sg * c[lo - 1] < sg * c[lo])
        lo--;
    while (hi < 2 * l && sg * c[hi + 1] < sg * c[hi])
        hi++;
    float second = 0.0f;
    for (int i = 0; i <= 2 * l; i++)
        if ((i < lo || i > hi) && fabsf(c[i]) > second)
            second = fabsf(c[i]);

    /* Newton on R(tau) from the parabola's estimate, kept within one
     * sample of the integer peak. r is R where the last step started: the
     * peak height, to within R'' step^2 / 2 (nothing at NEWTON_TOL). */
    double tau = j + parabola(sg * c[j - 1], sg * c[j], sg * c[j + 1]);
    double r = sg * c[j] * 0.5, d1, d2;
    for (int it = 0; it < NEWTON_ITERS; it++) {
        corr_derivs(g, tau, &r, &d1, &d2);
        r *= sg;
        d1 *= sg;
        d2 *= sg;
        if (!(d2 < 0.0))
            break; /* not at a maximum: keep the last estimate */
        double step = -d1 / d2;
        step = step > 0.5 ? 0.5 : step < -0.5 ? -0.5 : step;
        double t = tau + step;
        t = t < j - 1.0 ? j - 1.0 : t > j + 1.0 ? j + 1.0 : t;
        step = t - tau;
        tau = t;
        if (fabs(step) < NEWTON_TOL)
            break;
    }
    double coh = r / usum;
    res.valid = 1;
    res.lag_samples = tau - l;
    res.coherence = (float)(coh > 0.0 ? coh : 0.0);
    res.second = (float)(second * norm);
    double floor_c = res.second > g->noise ? res.second : g->noise;
    double conf = (coh - floor_c) / (1.0 - (g->noise < 0.5 ? g->noise : 0.5));
    res.confidence = (float)(conf < 0.0 ? 0.0 : conf > 1.0 ? 1.0 : conf);
    return res;
}
