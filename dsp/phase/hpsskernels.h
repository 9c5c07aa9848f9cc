/* phase/hpsskernels.h: the per-bin math of the hpss phase method (the
 * Wiener split of a magnitude by its two medians, the sorted-window update
 * behind the running medians, the blend of the two layers' spectra),
 * shared by the CPU loop of hpss.c and a future CUDA kernel like
 * phasekernels.h; plus the inspection hooks the tests use. */
#ifndef SM_HPSSKERNELS_H
#define SM_HPSSKERNELS_H

#include "phase/phase.h"

/* Splits the magnitude m (finite, >= 0) of a bin into a harmonic and a
 * percussive part with the power-2 soft masks of Fitzgerald (2010):
 *   mh = m H^2 / (H^2 + P^2),   mp = m P^2 / (H^2 + P^2),
 * H and P the bin's time and frequency medians (finite, >= 0). The
 * larger share is m times its weight, written with the ratio of the
 * smaller median to the larger (<= 1, so nothing overflows however loud
 * the bin); the smaller share is m minus the larger, exact by Sterbenz's
 * lemma (the larger is at least m/2), so mh + mp == m exactly in float.
 * H = P = 0 (a bin louder than all its neighbours in time and frequency,
 * both medians silent) has no preference: it is split evenly, so that no
 * magnitude is lost. m = 0 gives two exact zeros. */
static inline SM_HD void sm_hpss_split(float m, float h, float p, float *mh,
                                       float *mp)
{
    if (h >= p) {
        float q = h > 0.0f ? p / h : 1.0f;
        float big = m * (1.0f / (1.0f + q * q));
        *mh = big;
        *mp = m - big;
    } else {
        float q = h / p;
        float big = m * (1.0f / (1.0f + q * q));
        *mp = big;
        *mh = m - big;
    }
}

/* w[0..n) sorted ascending and holding the value old (bit for bit, no
 * NaN): replaces one copy of old by nw and keeps w sorted. Moves only the
 * entries between the two positions, so a running median over a sliding
 * window costs O(n) per step at worst and little when the signal is
 * steady. */
static inline SM_HD void sm_hpss_sorted_replace(float *w, int n, float old,
                                                float nw)
{
    int lo = 0, hi = n - 1;
    while (lo < hi) { /* first index with w[i] >= old */
        int mid = lo + (hi - lo) / 2;
        if (w[mid] < old)
            lo = mid + 1;
        else
            hi = mid;
    }
    int j = lo;
    if (nw > old) {
        while (j + 1 < n && w[j + 1] < nw) {
            w[j] = w[j + 1];
            j++;
        }
    } else {
        while (j > 0 && w[j - 1] > nw) {
            w[j] = w[j - 1];
            j--;
        }
    }
    w[j] = nw;
}

/* The output bin of a frame from the two layers' spectra h and p (each
 * a full reconstruction, |h| = |p| = m) and the frame's harmonic share wh
 * = mh / m of the split: m with the phase of the mask-weighted sum. Where
 * the two phases cancel exactly (measure zero), the phase of the layer
 * with the larger share; m on the real axis if that is silent too. */
static inline SM_HD sm_cpx sm_hpss_blend(sm_cpx h, sm_cpx p, float wh,
                                         float m)
{
    float wp = 1.0f - wh;
    sm_cpx z = {wh * h.re + wp * p.re, wh * h.im + wp * p.im};
    if (z.re == 0.0f && z.im == 0.0f)
        z = wh >= wp ? h : p;
    return sm_phasor_with_mag(z, m);
}

#ifndef __CUDACC__
/* Inspection hooks for the tests; the thread that owns p, between
 * _process calls. */

/* The medians' geometry: time kernel length (frames, odd; causal: the
 * frame and the ones before it) and frequency kernel width (bins, odd). */
void sm_hpss_geometry(const sm_hpss *p, int *time_frames, int *freq_bins);

/* The split of the frame last pushed: harmonic (percussive != 0:
 * percussive) magnitude, bins entries; all zero after new/reset. */
const float *sm_hpss_layer_mag(const sm_hpss *p, int percussive);

/* The harmonic (percussive != 0: percussive) layer's spectrum of the
 * frame last output (frame n - L, after the alignment), bins entries. */
const sm_cpx *sm_hpss_layer_out(const sm_hpss *p, int percussive);
#endif

#endif
