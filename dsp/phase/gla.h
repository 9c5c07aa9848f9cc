/* phase/gla.h: Griffin-Lim over a whole spectrogram (offline only), with
 * the momentum of the fast Griffin-Lim algorithm (Perraudin, Balazs,
 * Søndergaard 2013). */
#ifndef SM_PHASE_GLA_H
#define SM_PHASE_GLA_H

#include "phase/phase.h"

/* Iterates on spec[frames * bins] (framing of offline.h): in, the initial
 * estimate; out, the target magnitude mag with the final phases.
 * momentum 0 is classic Griffin-Lim, 0 < momentum < 1 fast Griffin-Lim
 * (0.99 is the usual choice). iterations >= 0 (0 only imposes mag).
 * NRT only (allocates its work buffers). */
sm_error sm_gla_run(int window, int hop, const float *mag, int frames,
                    sm_cpx *spec, int iterations, float momentum);

#endif
