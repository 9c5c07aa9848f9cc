/* xover.h: 3-band Linkwitz-Riley (LR4) crossover for the two inputs, and
 * the mapping that places its cutoffs when they follow the spectral
 * centroid (bands.adaptive).
 *
 * TPT state-variable filters (Zavalishin/Simper) in double precision,
 * because they stay clean when the cutoffs move. Topology: split at lo
 * into LF and the rest, split the rest at hi into MF and HF, and pass LF
 * through the 2nd-order allpass at hi, so LF + MF + HF is the allpass
 * AP_lo * AP_hi of the input: flat magnitude at every instant, also while
 * the cutoffs move (every path sees the same coefficients at each sample,
 * so the sum is exactly the cascade of the two time-varying allpasses).
 *
 * Glide: cutoffs move toward their targets by a one-pole in log
 * frequency (glide_ms) stepped on a fixed SM_XOVER_GRID-sample grid
 * counted from the first sample, so output does not depend on how the
 * stream is cut into blocks. Between two grid points the prewarped
 * frequency g = tan(pi f / fs) of each filter moves linearly, sample by
 * sample, so the coefficients never step: a cutoff that stepped every 32
 * samples would phase-modulate the signal near it with a sawtooth at
 * fs/32 (1.5 kHz sidebands, -50 to -75 dB at the adaptation rates; with
 * the ramp they are below -95 dB; tests/dsp/test_xover.c). At rest the
 * coefficients are constant and the per-sample work is as before.
 *
 * Slew limit (on while the cutoffs follow the centroid): a moving allpass
 * is not exactly flat for a steady tone. Its states lag the ones the new
 * cutoff would have, by about one period of the cutoff, and the tone's
 * amplitude dips or swells by about 3.1 r / fc dB (r: the rate of the
 * cutoff in nepers per second, fc in Hz; measured on these filters from
 * 60 Hz to 2 kHz, in proportion over a 32x range of rates). So a low
 * cutoff must move slowly: with the limit on, each cutoff moves at most
 * 1/SM_XOVER_SLEW_CYCLES of a neper per period of itself (fc / 500
 * nepers per second: 0.35 octaves per second at 120 Hz, 5.8 at 2 kHz).
 * Tones then pass within 0.006 dB at the default bands.adapt_ms and
 * within 0.009 dB at the fastest, for the worst content (full-range
 * jumps of the centroid), where without the limit they dip by 0.04 dB
 * (test_xover.c); the lo cutoff needs at least 3.3 s to cross its default
 * range, the hi cutoff 0.19 s. Changes of the fixed cutoffs are a
 * performer's direct control and glide freely (glide_ms): a few tenths
 * of a dB, for a moment, on tones near a low cutoff.
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
#define SM_XOVER_SLEW_CYCLES 500.0

typedef struct sm_xover {
    double fs_hz;
    double lo_hz, hi_hz;   /* cutoffs at the last grid point */
    double lo_tgt, hi_tgt; /* where they glide to */
    double glide;          /* per-grid-step fraction of the distance */
    double slew;           /* slew limit: largest |d ln f| per grid step,
                              per Hz of cutoff; 0 = none */
    unsigned grid_pos;     /* samples since the last grid point */
    int moving;            /* the coefficients ramp in this grid block */
    double g_lo0, g_hi0;   /* prewarped cutoffs at the previous grid point */
    double dg_lo, dg_hi;   /* their change per sample in this block */
    sm_svf_coef lo, hi;    /* designed at lo_hz, hi_hz */
    sm_svf st[2][7];       /* [input][filter] */
} sm_xover;

/* Initialises at fixed cutoffs; glide_ms is the one-pole time constant of
 * cutoff changes. NRT only (no allocation, but not meant for RT use). */
void sm_xover_init(sm_xover *x, double fs_hz, double lo_hz, double hi_hz,
                   double glide_ms);

/* Sets new target cutoffs (already validated). RT-safe. */
void sm_xover_set(sm_xover *x, double lo_hz, double hi_hz);

/* Turns the slew limit on or off (off after init). RT-safe. */
void sm_xover_set_slew(sm_xover *x, int on);

/* Both cutoffs are on their targets. RT-safe. */
int sm_xover_landed(const sm_xover *x);

/* Clears the filter state. RT-safe. */
void sm_xover_reset(sm_xover *x);

/* Splits n samples of inputs a and b into out[input][band][n]
 * (band 0 = LF, 1 = MF, 2 = HF). RT-safe. */
void sm_xover_process(sm_xover *x, const float *a, const float *b,
                      float *const out[2][3], size_t n);

/* One SVF coefficient set for cutoff f (Hz) at fs with damping k
 * (k = 1/Q; sqrt(2) for Butterworth). any thread. */
sm_svf_coef sm_svf_design(double f_hz, double fs_hz, double k);

/* The same from the prewarped cutoff g = tan(pi f / fs). any thread. */
sm_svf_coef sm_svf_design_g(double g, double k);

/* ---- adaptive cutoffs ---------------------------------------------------
 *
 * The centroid c (centroid.h) is placed on a log axis between two fixed
 * anchors,
 *     p = clamp( ln(c / SM_XOVER_ANCHOR_LO_HZ)
 *                / ln(SM_XOVER_ANCHOR_HI_HZ / SM_XOVER_ANCHOR_LO_HZ), 0, 1 ),
 * and each cutoff sits at the same position of its own range, geometrically:
 *     lo = lo_min (lo_max / lo_min)^p,   hi = hi_min (hi_max / hi_min)^p.
 * A brighter signal moves both up: the bands follow the content, so the
 * LF band holds a bright sound's fundamentals and body with the long
 * window, and the HF band only what lies well above its centre of gravity;
 * a dark sound gets a narrow LF band (its lowest partials) and the mid
 * window over its harmonics. At or below the lower anchor the cutoffs rest
 * at their minima, at or above the upper one at their maxima. Because
 * both are geometric in the same p, hi/lo moves geometrically between
 * hi_min/lo_min and hi_max/lo_max: when both ends keep hi >= 1.5 lo
 * (sm_config_check demands it), every p does.
 *
 * The anchors bracket where the (power-weighted, log) centroid of real
 * material lies; measured on sm-gen's sources: drums ~100 Hz (kick), a
 * harmonic pad ~220 Hz, a voice ~420 Hz (190-840 Hz from syllable to
 * syllable), white noise ~7.4 kHz; sibilants, cymbals and hiss reach the
 * top. A voice thus sits near p = 0.5, where the default ranges give
 * about the fixed defaults (lo 268 Hz, hi 4 kHz: the ranges are centred
 * on them geometrically).
 */
#define SM_XOVER_ANCHOR_LO_HZ 100.0
#define SM_XOVER_ANCHOR_HI_HZ 2000.0
#define SM_XOVER_MIN_RATIO 1.5   /* hi >= 1.5 lo, as sm_config_check */
#define SM_XOVER_MAX_FRACTION 0.45 /* hi <= 0.45 fs, as sm_config_check */

typedef struct sm_xover_ranges {
    double lo_min_hz, lo_max_hz, hi_min_hz, hi_max_hz;
} sm_xover_ranges;

/* Position p (0..1) of a centroid between the anchors; 0.5 for c <= 0
 * (no centroid yet). any thread. */
double sm_xover_position(double centroid_hz);

/* Cutoffs for position p in the ranges, made safe whatever the ranges:
 * hi <= 0.45 fs, then hi >= 1.5 lo (lo lowered when hi cannot rise).
 * any thread. */
void sm_xover_map(const sm_xover_ranges *r, double p, double fs_hz,
                  double *lo_hz, double *hi_hz);

#endif
