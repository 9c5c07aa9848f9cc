/* kernels.h: the per-bin math of masks, merge, phase mix and panning.
 *
 * Every formula applied to one STFT bin lives here once, as static inline
 * SM_HD functions. The CPU loop (merge.c) calls them bin by bin; a CUDA
 * kernel calls the same functions once per thread, so the CPU tests
 * exercise exactly the code the GPU runs. Keep them free of libc calls
 * other than the float math that both sides provide.
 */
#ifndef SM_KERNELS_H
#define SM_KERNELS_H

#include "specmorph.h" /* SM_MASK_* */

#include <math.h>

#if defined(__CUDACC__)
#define SM_HD __host__ __device__
#else
#define SM_HD
#endif

typedef struct sm_cpx {
    float re, im;
} sm_cpx;

/* Phasor bias toward the dominant source, relative to its own weighted
 * magnitude. It decides the phase where the two weighted phasors cancel
 * (x merged with -x) and moves it by at most ~1e-3 rad elsewhere. */
#define SM_TIE_BIAS 1e-3f

static inline SM_HD float sm_sigmoid(float d)
{
    /* d = +inf -> 1, d = -inf -> 0, never NaN for non-NaN d. */
    return 1.0f / (1.0f + expf(-d));
}

/* Morph gains of the two sources: position 0 is all A, 1 all B, 0.5
 * both at full level, so the masks below decide alone how each bin is
 * shared; toward either end the other source fades out linearly. */
static inline SM_HD void sm_morph_gains(float pos, float *qa, float *qb)
{
    *qa = pos <= 0.5f ? 1.0f : 2.0f * (1.0f - pos);
    *qb = pos >= 0.5f ? 1.0f : 2.0f * pos;
}

/* Softmax weight of A from the powers pa = |A|^2, pb = |B|^2 (of the
 * morph-scaled spectra) with curvature k on the magnitudes:
 *   w_A = |A|^k / (|A|^k + |B|^k)
 * computed in the log domain so |A|^k cannot overflow. A silent source
 * gives the bin wholly to the other one (exactly 1 or 0). */
static inline SM_HD float sm_mask_softmax(float pa, float pb, float k)
{
    if (pb <= 0.0f)
        return pa > 0.0f ? 1.0f : 0.5f;
    if (pa <= 0.0f)
        return 0.0f;
    /* The default curvatures need no transcendental function. */
    if (k == 2.0f)
        return pa / (pa + pb);
    if (k == 1.0f) {
        float ma = sqrtf(pa);
        return ma / (ma + sqrtf(pb));
    }
    /* pa / pb may overflow to inf or underflow to 0: the sigmoid takes
     * +-inf to exactly 1 or 0. */
    return sm_sigmoid(0.5f * k * logf(pa / pb));
}

/* Wiener weight of A from time-smoothed powers Pa, Pb (power spectral
 * density estimates of the morph-scaled spectra): w_A = Pa / (Pa + Pb). */
static inline SM_HD float sm_mask_wiener(float Pa, float Pb)
{
    if (Pb <= 0.0f)
        return Pa > 0.0f ? 1.0f : 0.5f;
    if (Pa <= 0.0f)
        return 0.0f;
    return Pa / (Pa + Pb);
}

/* One-pole smoothing of a power estimate; alpha = exp(-hop / tau). */
static inline SM_HD float sm_power_smooth(float prev, float p, float alpha)
{
    return alpha * prev + (1.0f - alpha) * p;
}

static inline SM_HD float sm_cabs(sm_cpx z)
{
    return sqrtf(z.re * z.re + z.im * z.im);
}

/* Mask-weighted phasor of the merge: w_A A + w_B B (a unit phasor per
 * source weighted by mask and magnitude), plus the tie bias toward the
 * dominant weighted source (A on an exact tie). */
static inline SM_HD sm_cpx sm_mix_phasor(sm_cpx a, sm_cpx b, float wa,
                                         float ma, float mb)
{
    float wb = 1.0f - wa;
    sm_cpx r = {wa * a.re + wb * b.re, wa * a.im + wb * b.im};
    int b_dom = wb * mb > wa * ma;
    float s = SM_TIE_BIAS * (b_dom ? wb : wa);
    sm_cpx d = b_dom ? b : a;
    r.re += s * d.re;
    r.im += s * d.im;
    return r;
}

/* Phase-sensitive reweighting: each source's weight is scaled by its
 * agreement with the merge phasor r, g = (1 + cos(phi_src - phi_r)) / 2,
 * and the weights are renormalised. A source in anti-phase with the merge
 * gives way instead of cancelling it. Returns the new w_A. */
static inline SM_HD float sm_mask_psf(sm_cpx a, sm_cpx b, float wa, float ma,
                                      float mb, sm_cpx r)
{
    float rr = sm_cabs(r);
    if (!(rr > 0.0f))
        return wa;
    float ga = ma > 0.0f ? 0.5f + 0.5f * (a.re * r.re + a.im * r.im) /
                                      (ma * rr)
                         : 0.0f;
    float gb = mb > 0.0f ? 0.5f + 0.5f * (b.re * r.re + b.im * r.im) /
                                      (mb * rr)
                         : 0.0f;
    float ua = wa * ga, ub = (1.0f - wa) * gb;
    float s = ua + ub;
    if (!(s > 0.0f))
        return wa;
    return ua / s;
}

/* Merged bin: magnitude w_A|A| + w_B|B| (energy is divided, never summed
 * with interference), phase of the mask-weighted phasor. A bin wholly
 * owned by one source is that source's bin, bit for bit. */
static inline SM_HD sm_cpx sm_bin_merge_mix(sm_cpx a, sm_cpx b, float wa,
                                            float ma, float mb)
{
    if (wa >= 1.0f)
        return a;
    if (wa <= 0.0f)
        return b;
    sm_cpx r = sm_mix_phasor(a, b, wa, ma, mb);
    float rr = sm_cabs(r);
    sm_cpx y = {0.0f, 0.0f};
    if (rr > 0.0f) {
        float g = (wa * ma + (1.0f - wa) * mb) / rr;
        y.re = r.re * g;
        y.im = r.im * g;
    }
    return y;
}

/* Stereo gains of a bin from its A weight: A-dominant bins lean left,
 * B-dominant right, by width (0 = centre). Balance law: the leaning side
 * keeps unity, the other side is attenuated, nothing is ever boosted. */
static inline SM_HD void sm_bin_pan(float wa, float width, float *gl,
                                    float *gr)
{
    float p = width * (2.0f * wa - 1.0f);
    *gl = p < 0.0f ? 1.0f + p : 1.0f;
    *gr = p > 0.0f ? 1.0f - p : 1.0f;
}

/* Scales a bin by a morph gain (1: untouched, so exact values pass). */
static inline SM_HD sm_cpx sm_bin_scale(sm_cpx z, float q)
{
    if (q != 1.0f) {
        z.re *= q;
        z.im *= q;
    }
    return z;
}

/* One bin's base mask, as every merge computes it: tracks the smoothed
 * power estimates (unscaled, so a position change acts at once and a
 * switch to wiener is seamless), scales the sources by the morph gains
 * (*a, *b are replaced by the scaled spectra), and returns the A weight of
 * the chosen mask with the scaled magnitudes in *ma, *mb. */
static inline SM_HD float sm_bin_base_mask(sm_cpx *a, sm_cpx *b,
                                           float *psd_a, float *psd_b,
                                           float alpha, float qa, float qb,
                                           int type, float k, float *ma,
                                           float *mb)
{
    float pa = a->re * a->re + a->im * a->im;
    float pb = b->re * b->re + b->im * b->im;
    float Pa = sm_power_smooth(*psd_a, pa, alpha);
    float Pb = sm_power_smooth(*psd_b, pb, alpha);
    *psd_a = Pa;
    *psd_b = Pb;
    const float qa2 = qa * qa, qb2 = qb * qb;
    *a = sm_bin_scale(*a, qa);
    *b = sm_bin_scale(*b, qb);
    if (qa != 1.0f)
        pa *= qa2;
    if (qb != 1.0f)
        pb *= qb2;
    *ma = sqrtf(pa);
    *mb = sqrtf(pb);
    if (type == SM_MASK_WIENER)
        return sm_mask_wiener(qa2 * Pa, qb2 * Pb);
    float wa = sm_mask_softmax(pa, pb, k);
    if (type == SM_MASK_PSF && wa > 0.0f && wa < 1.0f)
        wa = sm_mask_psf(*a, *b, wa, *ma, *mb,
                         sm_mix_phasor(*a, *b, wa, *ma, *mb));
    return wa;
}

/* Writes a merged bin to the output spectra: panned by its A weight when
 * stereo, else to l only. */
static inline SM_HD void sm_bin_out(sm_cpx y, float wa, float width,
                                    int stereo, sm_cpx *l, sm_cpx *r)
{
    if (stereo) {
        float gl, gr;
        sm_bin_pan(wa, width, &gl, &gr);
        l->re = y.re * gl;
        l->im = y.im * gl;
        r->re = y.re * gr;
        r->im = y.im * gr;
    } else {
        *l = y;
    }
}

/* The mask modulators' per-bin math (transients, tonality, SNR). */
#include "modkernels.h"
/* The phase methods' per-bin math. */
#include "phasekernels.h"

#endif
