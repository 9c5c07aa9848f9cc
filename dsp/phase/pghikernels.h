/* phase/pghikernels.h: the per-bin formulas of phase-gradient heap
 * integration (pghi.c), as static inline SM_HD functions so that a CUDA
 * port runs the same arithmetic as the CPU loop (like phasekernels.h).
 *
 * The relation they encode (Portnoff; Průša, Balazs, Søndergaard 2017):
 * for a Gaussian window g(t) = exp(-pi t^2 / lambda) the STFT is analytic
 * up to a factor, so the phase gradient is a known function of the
 * log-magnitude gradient. In the frame-start phase convention of stft.c
 * (X_m[k] = sum_n x[mH + n] w[n] e^{-2 pi i k n / N}), with the window
 * centre x = mH + N/2 and omega = k / N cycles per sample:
 *   d phi / dx     = 2 pi omega + (1/lambda) d log|X| / d omega
 *   d phi / d omega = -lambda d log|X| / dx  (+ pi per bin: the (-1)^k of
 *                                              the frame-start convention)
 * A periodic Hann window of N samples is close to the Gaussian with
 * lambda = 0.25645 N^2. Per hop and per bin:
 *   time step  (k fixed):  2 pi k H / N + dev,
 *              dev = (H N / lambda) (L[k+1] - L[k-1]) / 2
 *   freq step  (k -> k+1): pi + (fg[k] + fg[k+1]) / 2,
 *              fg = -(lambda / N) dL/dx,  dL/dx from neighbouring frames
 * where L = log magnitude. With a frame of look-ahead, fg comes from the
 * frames either side through the Hann window's own shape instead
 * (sm_pghi_fdev_hann): measured on speech, piano, drums and sweeps it is
 * as good as the Gaussian formula, and on clicks 10 dB better. The
 * Gaussian deviations are clamped to what a window of N samples can
 * produce: the group delay of a bin lies inside the window (|fg| <= pi),
 * and a component seen in a bin lies within the main lobe of the Hann
 * window (2 bins each side), so |dev| <= 2 pi H 2 / N. Without the clamps
 * a bin next to a spectral zero (log -> floor) or the first frame after
 * silence would get a nonsense jump of many radians.
 */
#ifndef SM_PGHIKERNELS_H
#define SM_PGHIKERNELS_H

#include "kernels.h"

#include <math.h>

#define SM_PGHI_PI 3.14159265358979323846f
#define SM_PGHI_2PI 6.28318530717958647692f

/* Hann: lambda / N^2 of the Gaussian with the same time-frequency spread. */
#define SM_PGHI_LAMBDA_HANN 0.25645

/* Log magnitudes below this are this: keeps log 0 finite (denormals and
 * silence give a flat, derivative-free floor). */
#define SM_PGHI_LOG_FLOOR 1e-30f

/* Main-lobe half width of the periodic Hann window in bins. */
#define SM_PGHI_LOBE_BINS 2.0f

/* x wrapped to [-pi, pi) (arguments stay within a few turns). */
static inline SM_HD float sm_pghi_wrap(float x)
{
    return x - SM_PGHI_2PI * floorf(x * (1.0f / SM_PGHI_2PI) + 0.5f);
}

static inline SM_HD float sm_pghi_clamp(float x, float lim)
{
    return x > lim ? lim : (x < -lim ? -lim : x);
}

/* Log magnitude with the floor. NaN (never given) also lands on it. */
static inline SM_HD float sm_pghi_logmag(float m)
{
    return m > SM_PGHI_LOG_FLOOR ? logf(m) : logf(SM_PGHI_LOG_FLOOR);
}

/* Instantaneous-frequency deviation of a bin per hop (radians) from the
 * log magnitudes of its lower and upper neighbours in the same frame:
 * tmul = H N / (2 lambda), lim = 2 pi H LOBE / N. */
static inline SM_HD float sm_pghi_tdev(float l_lo, float l_hi, float tmul,
                                       float lim)
{
    return sm_pghi_clamp(tmul * (l_hi - l_lo), lim);
}

/* Group-delay phase slope of a bin per bin (radians, without the pi of
 * the convention) from the log magnitudes of the same bin in the two
 * frames before it (l_2 two hops back, l_1 one hop back) and its own
 * (l_0): the backward difference, which is the slope half a hop back,
 * carried forward by c times the second difference (c = 1/2: Taylor).
 * The second difference is bounded by d2lim, the curvature of the window
 * itself (what an impulse passing through gives): a larger one only
 * comes from a bin rising out of silence (the log floor), where it would
 * throw the slope to its limit for two frames after every onset.
 * fmul = -lambda / (N H). For look-ahead 0, where no later frame exists. */
static inline SM_HD float sm_pghi_fdev_back(float l_2, float l_1, float l_0,
                                            float fmul, float c, float d2lim)
{
    float d2 = sm_pghi_clamp(l_0 - 2.0f * l_1 + l_2, d2lim);
    return sm_pghi_clamp(fmul * ((l_0 - l_1) + c * d2), SM_PGHI_PI);
}

/* Group-delay phase slope of a bin per bin from the square roots of its
 * magnitudes one hop before (s_e) and one hop after (s_l): exact for the
 * Hann window and an impulse. An impulse at d samples from the window
 * centre has |X| = w(N/2 + d) = sin^2(a), a = pi (N/2 + d) / N, so with
 * b = pi H / N, rho = s_l / s_e = sin(a - b) / sin(a + b), which gives
 * tan(a - pi/2) = v cot b with v = (s_l - s_e) / (s_l + s_e), and the
 * slope -2 pi d / N = -2 atan(v cot b). Near rho = 1 it is the Gaussian
 * formula's centred difference; unlike it, it saturates where the window
 * ends (|slope| <= pi - 2b) instead of growing without bound as one side
 * falls silent. cotb = cot(pi H / N). */
static inline SM_HD float sm_pghi_fdev_hann(float s_e, float s_l, float cotb)
{
    float den = s_l + s_e;
    float v = den > 0.0f ? (s_l - s_e) / den : 0.0f;
    return -2.0f * atanf(v * cotb);
}

/* Phase one hop later (trapezoid rule): adv = 2 pi k H / N wrapped. */
static inline SM_HD float sm_pghi_step_time(float ph, float adv,
                                            float dev_a, float dev_b)
{
    return sm_pghi_wrap(ph + adv + 0.5f * (dev_a + dev_b));
}

/* Phase one bin up (dir = +1) or down (dir = -1) from a bin of phase ph
 * (trapezoid rule on the frequency slopes of both bins). */
static inline SM_HD float sm_pghi_step_freq(float ph, float fg_from,
                                            float fg_to, float dir)
{
    return sm_pghi_wrap(ph + dir * (SM_PGHI_PI + 0.5f * (fg_from + fg_to)));
}

/* The DC and Nyquist bins of a real signal's spectrum are real: a phase
 * off the real axis would lose the imaginary part in the inverse real FFT
 * (the magnitude would not be the target's). ph snapped to 0 or pi. */
static inline SM_HD float sm_pghi_real_axis(float ph)
{
    return cosf(ph) >= 0.0f ? 0.0f : SM_PGHI_PI;
}

/* m e^{i ph}; m = 0 gives exact zeros (no -0 from a negative cosine). */
static inline SM_HD sm_cpx sm_pghi_polar(float m, float ph)
{
    sm_cpx y = {0.0f, 0.0f};
    if (m > 0.0f) {
        y.re = m * cosf(ph);
        y.im = m * sinf(ph);
    }
    return y;
}

#endif
