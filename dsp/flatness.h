/* flatness.h: per-bin spectral flatness (tonality), for the tonality
 * modulator of the mask.
 *
 * For each bin, over the neighbourhood of SM_FLAT_HALF_BINS bins either
 * side: ln(geometric mean / arithmetic mean) of the power, plus Euler's
 * gamma. A single periodogram of white noise has a geometric mean e^-gamma
 * (0.56) times its arithmetic mean (each bin is exponentially distributed),
 * so the correction makes noise score 1 instead of 0.56 without averaging
 * over frames. The log flatness is smoothed over SM_FLAT_SMOOTH_MS (a
 * one-pole per frame, started from the first frame) to steady it, and
 * mapped to 0..1: 1 = noise-like, near 0 = a tonal peak. The neighbourhood
 * is counted in bins, so it scales with each band's resolution: a partial
 * is always judged against the bins around its main lobe (4 bins wide for
 * the Hann window).
 */
#ifndef SM_FLATNESS_H
#define SM_FLATNESS_H

#include "specmorph.h"

#define SM_FLAT_HALF_BINS 8
#define SM_FLAT_SMOOTH_MS 30.0

typedef struct sm_flatness sm_flatness;

/* bins powers per frame, one frame every hop samples at fs_hz. NRT only. */
sm_flatness *sm_flatness_new(int bins, int hop, double fs_hz, sm_error *err);
/* NRT only. */
void sm_flatness_free(sm_flatness *fl);

/* Forgets the smoothing history. RT-safe. */
void sm_flatness_reset(sm_flatness *fl);

/* The frame's input: fill bins powers (>= 0) here, then call
 * sm_flatness_frame. RT-safe. */
float *sm_flatness_input(sm_flatness *fl);

/* Flatness 0..1 of every bin for the powers in the input buffer; the
 * array stays valid until the next call. RT-safe. */
const float *sm_flatness_frame(sm_flatness *fl);

#endif
