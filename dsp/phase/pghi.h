/* phase/pghi.h: the offline entry of phase-gradient heap integration
 * (the streaming method, sm_pghi_*, is declared in phase.h; pghi.c says
 * how both work). */
#ifndef SM_PHASE_PGHI_H
#define SM_PHASE_PGHI_H

#include "phase/phase.h"

/* Offline PGHI over a whole magnitude spectrogram mag[frames * bins]
 * (bins = window/2 + 1, row-major, framing of offline.h, periodic Hann):
 * one global heap over the whole time-frequency plane with centred
 * differences; writes complete spectra (|spec| = mag, to float rounding)
 * into spec[frames * bins]. Deterministic; silence gives exact zeros.
 * Returns SM_OK, SM_ERR_NULL (mag or spec NULL), SM_ERR_CONFIG (window not
 * even or < 4, hop outside 1..window/2, frames < 0, frames * bins over
 * 2^30) or SM_ERR_NOMEM. NRT only (allocates about 30 bytes per bin). */
sm_error sm_pghi_offline(int window, int hop, const float *mag, int frames,
                         sm_cpx *spec);

#endif
