/* modkernels.h: the per-bin math of the mask modulators (SuperFlux
 * transients, spectral flatness, minimum-statistics SNR).
 *
 * Like kernels.h (which includes this file), every formula applied to one
 * bin lives here once as a static inline SM_HD function: the CPU loops
 * (superflux.c, flatness.c, minstat.c, merge.c) call them bin by bin and a
 * CUDA kernel can call them once per thread. Sums over a neighbourhood
 * of bins come from per-block prefix and suffix sums (van Herk /
 * Gil-Werman): no running sum that a loud peak could leave its rounding
 * in, O(1) per bin, a block per thread on a GPU. Per-frame reductions
 * (the onset detection function) are the callers' business.
 */
#ifndef SM_MODKERNELS_H
#define SM_MODKERNELS_H

#include "kernels.h"

/* Euler-Mascheroni constant: E[ln P] = ln E[P] - gamma for an
 * exponentially distributed power P (one bin of a noise periodogram). */
#define SM_EULER_GAMMA 0.5772156649f

/* Power floor of the log spectra: keeps ln() finite on digital silence,
 * far below any signal (a -300 dBFS bin at the smallest window). */
#define SM_LOG_POWER_FLOOR 1e-30f

/* Natural log of a positive normal float, to about 1e-7 relative: the
 * exponent from the bits, the mantissa reduced to [sqrt(1/2), sqrt(2))
 * and ln m = 2 atanh((m - 1) / (m + 1)) by its series to t^7 (|t| <=
 * 0.172, so the next term is below 4e-8). Several times cheaper than
 * logf, the same on every machine and on the GPU, and accurate far beyond
 * what onset and flatness measures need. Callers keep x >= a normal
 * floor (no zero, denormal, inf or NaN). */
static inline SM_HD float sm_fast_logf(float x)
{
#if defined(__CUDA_ARCH__)
    unsigned int bits = __float_as_uint(x);
#else
    union {
        float f;
        unsigned int u;
    } pun = {x};
    unsigned int bits = pun.u;
#endif
    int e = (int)(bits >> 23) - 127;
    bits = (bits & 0x007fffffu) | 0x3f800000u; /* mantissa in [1, 2) */
#if defined(__CUDA_ARCH__)
    float m = __uint_as_float(bits);
#else
    pun.u = bits;
    float m = pun.f;
#endif
    if (m > 1.41421356f) {
        m *= 0.5f;
        e += 1;
    }
    float t = (m - 1.0f) / (m + 1.0f), t2 = t * t;
    float s =
        t * (2.0f + t2 * (0.666666667f + t2 * (0.4f + t2 * 0.285714286f)));
    return s + (float)e * 0.693147181f;
}

/* ---- sums over 2h + 1 neighbouring bins ------------------------------ */

/* Prefix and suffix sums of x within block j (bins j w .. j w + w - 1,
 * clipped at n) for windows of w = 2h + 1 bins. */
static inline SM_HD void sm_window_scan(const float *x, int n, int w, int j,
                                        float *pre, float *suf)
{
    int a = j * w, e = a + w < n ? a + w : n;
    float s = 0.0f;
    for (int i = a; i < e; i++)
        pre[i] = s += x[i];
    s = 0.0f;
    for (int i = e - 1; i >= a; i--)
        suf[i] = s += x[i];
}

/* Sum of x over [i - h, i + h] clipped to [0, n): a window of w = 2h + 1
 * bins spans at most two blocks, so it is the suffix of one plus the
 * prefix of the next; the clipped windows at the ends are summed
 * directly. Every term is added, none subtracted. */
static inline SM_HD float sm_window_sum(const float *x, const float *pre,
                                        const float *suf, int n, int i, int h)
{
    int w = 2 * h + 1, a = i - h, e = i + h;
    if (a < 0 || e >= n) {
        float s = 0.0f;
        for (int j = a < 0 ? 0 : a; j <= (e >= n ? n - 1 : e); j++)
            s += x[j];
        return s;
    }
    return a % w == 0 ? pre[e] : suf[a] + pre[e];
}

/* Number of bins in that window. */
static inline SM_HD int sm_window_count(int n, int i, int h)
{
    int a = i - h < 0 ? 0 : i - h, e = i + h >= n ? n - 1 : i + h;
    return e - a + 1;
}

/* ---- SuperFlux (Boeck & Widmer 2013) --------------------------------- */

/* Log-compressed magnitude from the bin's power p: ln(1 + scale p) / 2,
 * i.e. ln |X| with a knee (ln(1 + lambda |X|) of the paper, squared
 * inside, which spares a square root). scale folds the window
 * normalisation and lambda^2 (superflux.c): loud bins are compared by
 * ratio, bins far below the knee count almost nothing. */
static inline SM_HD float sm_flux_logmag(float power, float scale)
{
    return 0.5f * sm_fast_logf(1.0f + scale * power);
}

/* Maximum of x[i-1], x[i], x[i+1] (clipped at the ends): the vibrato
 * suppression of SuperFlux, applied to the lagged frame. */
static inline SM_HD float sm_flux_maxfilt3(const float *x, int bins, int i)
{
    float m = x[i];
    if (i > 0 && x[i - 1] > m)
        m = x[i - 1];
    if (i + 1 < bins && x[i + 1] > m)
        m = x[i + 1];
    return m;
}

/* One bin's contribution to the onset detection function: the half-wave
 * rectified rise of the log magnitude over the maximum-filtered lagged
 * frame. */
static inline SM_HD float sm_flux_rise(float cur, float lagged_max)
{
    float d = cur - lagged_max;
    return d > 0.0f ? d : 0.0f;
}

/* ---- spectral flatness ------------------------------------------------ */

/* Bias-corrected log flatness of a bin from the means of ln(p + floor)
 * and of p over its neighbourhood: the log of geometric over arithmetic
 * mean power, plus gamma, so white noise scores 0 on average and a
 * spectral peak scores well below. */
static inline SM_HD float sm_flatness_log(float mean_lp, float mean_p)
{
    if (!(mean_p > 0.0f)) /* silence */
        mean_p = 0.0f;
    return mean_lp - sm_fast_logf(mean_p + SM_LOG_POWER_FLOOR) +
           SM_EULER_GAMMA;
}

/* Flatness 0..1 from a (smoothed) log flatness: 1 for noise (and for
 * anything flatter, which the bias correction lets exceed 0). */
static inline SM_HD float sm_flatness_from_log(float lf)
{
    return lf >= 0.0f ? 1.0f : expf(lf);
}

/* Tonality modulation: the mask moves toward its local mean wmean (over
 * the neighbouring bins) by s = amount * flatness (0 keeps a tonal bin's
 * mask sharp). A bin wholly
 * owned by one source (w exactly 0 or 1: the other is silent in it, or
 * over 70 dB down) stays so, so a lone source passes bit for bit. */
static inline SM_HD float sm_mask_tonality(float w, float wmean, float s)
{
    if (w <= 0.0f || w >= 1.0f)
        return w;
    return w + (wmean - w) * s;
}

/* ---- minimum statistics (Martin 2001) -------------------------------- */

/* Over-subtraction of the noise floor in the SNR gain. */
#define SM_SNR_OVERSUB 2.0f
/* Least weight the SNR modulator leaves a source (odds change <= 10x). */
#define SM_SNR_WEIGHT_FLOOR 0.1f

/* One frame of the noise tracker for one bin: the power P is smoothed
 * (alpha per frame), the running minimum of the current sub-window
 * follows it down, and the noise estimate is the smaller of that and the
 * minimum of the completed sub-windows (minsub), times the bias
 * compensation (the minimum of a fluctuating estimate sits below its
 * mean). Returns the noise estimate. */
static inline SM_HD float sm_minstat_track(float *P, float *actmin, float p,
                                           float alpha, float minsub,
                                           float bias)
{
    float s = sm_power_smooth(*P, p, alpha);
    *P = s;
    float m = *actmin;
    if (s < m)
        m = s;
    *actmin = m;
    if (minsub < m)
        m = minsub;
    return bias * m;
}

/* Local SNR as a gain 0..1: the fraction of the smoothed power P that
 * stands above twice the noise estimate N (3 dB over-subtraction, so a
 * bin fluctuating about its floor reads 0 rather than a flickering small
 * value): 1 - 2N / P, 0 at or below 2N, near 1 for a clean bin. */
static inline SM_HD float sm_snr_gain(float P, float N)
{
    float n2 = SM_SNR_OVERSUB * N;
    if (!(P > n2))
        return 0.0f;
    return 1.0f - n2 / P;
}

/* SNR modulation: each source's weight is scaled by
 *   v = 1 - amount (1 - floor) (1 - g)
 * (1 at amount 0; floor + (1 - floor) g at amount 1) and the pair is
 * renormalised: the mask odds w_A / w_B are multiplied by v_A / v_B, at
 * most by 1 / floor. The noisier source gives way; equal SNRs (two bins
 * both at their floors, or both clean) change nothing. */
static inline SM_HD float sm_mask_snr(float wa, float ga, float gb,
                                      float amount)
{
    const float a = amount * (1.0f - SM_SNR_WEIGHT_FLOOR);
    float ua = wa * (1.0f - a * (1.0f - ga));
    float ub = (1.0f - wa) * (1.0f - a * (1.0f - gb));
    float s = ua + ub;
    if (!(s > 0.0f))
        return wa;
    return ua / s;
}

/* ---- transients ------------------------------------------------------- */

/* The mask's neutral point: 0.5 at morph position 0.5 (both sources at
 * full level), the morph gains' own balance elsewhere, so a source faded
 * out by the position (qa or qb = 0) is never pulled back in. */
static inline SM_HD float sm_morph_balance(float qa, float qb)
{
    float s = qa + qb;
    return s > 0.0f ? qa / s : 0.5f;
}

/* Transient modulation: where A holds more of the bin than the balance,
 * B's attack (pull_b = amount * B's transient envelope) pulls the mask
 * toward the balance, and the other way round; a source's attack never
 * weakens its own bins. A bin wholly owned by one source (w exactly 0 or
 * 1) stays so: the other source has nothing there to let through. */
static inline SM_HD float sm_mask_transient(float wa, float balance,
                                            float pull_a, float pull_b)
{
    if (wa <= 0.0f || wa >= 1.0f)
        return wa;
    float g = wa > balance ? pull_b : pull_a;
    return wa + (balance - wa) * g;
}

#endif
