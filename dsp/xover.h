/* xover.h: 3-band Linkwitz-Riley (LR4) crossover for the two inputs.
 *
 * TPT state-variable filters (Zavalishin/Simper) in double precision,
 * because they stay clean when the cutoffs move. Topology: split at lo
 * into LF and the rest, split the rest at hi into MF and HF, and pass LF
 * through the 2nd-order allpass at hi, so LF + MF + HF is the allpass
 * AP_lo * AP_hi of the input: flat magnitude at every instant. Cutoffs
 * glide toward their targets in log frequency on a fixed 32-sample grid
 * counted from the first sample, so output does not depend on how the
 * stream is cut into blocks.
 */
#ifndef SM_XOVER_H
#define SM_XOVER_H

#include <stddef.h>

typedef struct sm_svf {
    double ic1, ic2;
} sm_svf;

typedef struct sm_svf_coef {
    double a1, a2, a3, k;
} sm_svf_coef;

#define SM_XOVER_GRID 32

typedef struct sm_xover {
    double fs_hz;
    double lo_hz, hi_hz;   /* current cutoffs */
    double lo_tgt, hi_tgt; /* where they glide to */
    double glide;          /* per-grid-step fraction of the distance */
    unsigned grid_pos;     /* samples since the last grid step */
    sm_svf_coef lo, hi;
    sm_svf st[2][7]; /* [input][filter] */
} sm_xover;

/* Initialises at fixed cutoffs; glide_ms is the one-pole time constant of
 * cutoff changes. NRT only (no allocation, but not meant for RT use). */
void sm_xover_init(sm_xover *x, double fs_hz, double lo_hz, double hi_hz,
                   double glide_ms);

/* Sets new target cutoffs (already validated). RT-safe. */
void sm_xover_set(sm_xover *x, double lo_hz, double hi_hz);

/* Clears the filter state. RT-safe. */
void sm_xover_reset(sm_xover *x);

/* Splits n samples of inputs a and b into out[input][band][n]
 * (band 0 = LF, 1 = MF, 2 = HF). RT-safe. */
void sm_xover_process(sm_xover *x, const float *a, const float *b,
                      float *const out[2][3], size_t n);

/* One SVF coefficient set for cutoff f (Hz) at fs with damping k
 * (k = 1/Q; sqrt(2) for Butterworth). any thread. */
sm_svf_coef sm_svf_design(double f_hz, double fs_hz, double k);

#endif
