/* merge.h: the CPU loop that turns two source spectra into the stereo
 * merged spectra of one frame, by calling the per-bin kernels. */
#ifndef SM_MERGE_H
#define SM_MERGE_H

#include "kernels.h"

/* Mask modulation of one frame (filled by modulate.c; see modulate.h).
 * An amount of 0 skips that modulator and leaves its arrays unread. */
typedef struct sm_mod_frame {
    float transient, tonality, snr; /* amounts in effect, 0..1 */
    float pull_a, pull_b; /* transient amount x envelope of A, of B */
    const float *flat;    /* flatness 0..1 per bin (tonality) */
    const float *pow_a, *noise_a, *pow_b, *noise_b; /* per bin (snr) */
    float *w, *w2;        /* scratch masks, bins */
    float *mag_a, *mag_b; /* scratch magnitudes (morph-scaled), bins */
    float *pre, *suf;     /* scratch window sums (modkernels.h), bins */
} sm_mod_frame;

/* Half width in bins of the tonality modulator's mask smoothing. */
#define SM_MASK_SMOOTH_HALF_BINS 4

typedef struct sm_merge_frame {
    const sm_cpx *a, *b; /* source spectra, bins */
    sm_cpx *l, *r;       /* merged output, bins (r unused when !stereo) */
    float *psd_a, *psd_b; /* smoothed powers (state), bins */
    int bins;
    int mask_type;       /* SM_MASK_* */
    float pos, k, width;
    float psd_alpha;     /* power smoothing per frame; 0 = instantaneous */
    int stereo;          /* 0: width is 0, only l is written */
    const sm_mod_frame *mod; /* NULL: no modulation (the plain loop) */
    float *wa_out;       /* NULL, or bins: each bin's final A weight (the
                            phase stage pans with it frames later) */
} sm_merge_frame;

/* The modulated mask: the base mask (as without modulation), then SNR
 * weighting per bin, tonality smoothing across bins, and the transient
 * pull last, so an attack gets through whatever the other two did. */

/* RT-safe. */
void sm_merge_frame_cpu(const sm_merge_frame *f);

#endif
