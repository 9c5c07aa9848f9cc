/* superflux.h: onset detection on one source's spectra, for the transient
 * modulator of the mask.
 *
 * SuperFlux (Boeck & Widmer, "Maximum filter vibrato suppression for onset
 * detection", DAFx 2013), online:
 *   L_t(k)  = ln(1 + (lambda |X_t(k)| / (N/4))^2) / 2   log magnitude;
 *             the knee lambda = 1000 is -60 dB below a full-scale sine's
 *             peak bin
 *   M_t(k)  = max(L_t(k-1), L_t(k), L_t(k+1))   maximum filter, 3 bins
 *   odf(t)  = mean_k max(0, L_t(k) - M_{t-mu}(k))
 * with the lag mu = max(1, round(N / 4H)) frames (the frame whose Hann
 * window overlaps the current one by half or less; 1 at 75 % overlap),
 * at most SM_FLUX_LAG_MAX. Differences from the paper: the plain linear
 * frequency spectrum of the band's own STFT instead of a 24-band-per-
 * octave filterbank (the band split does part of that job), the mean over
 * bins instead of the sum (so one threshold fits every band size), and
 * the compression ln(1 + lambda |X|) taken on the power (the same above
 * the knee; it spares a square root per bin).
 *
 * Peak picking is causal (no look-ahead, so no latency): an onset at
 * frame t when odf(t) is the maximum of the last 30 ms, exceeds the mean
 * of the last 100 ms by SM_FLUX_DELTA, and 30 ms have passed since the
 * previous onset (Boeck, Krebs & Schedl 2012, online variant).
 *
 * The transient envelope is 1 from an onset for as many frames as the
 * attack stays inside the analysis window (ceil(N / H)), then decays
 * with the time constant set by sm_superflux_set_decay_ms.
 */
#ifndef SM_SUPERFLUX_H
#define SM_SUPERFLUX_H

#include "kernels.h"
#include "specmorph.h"

#define SM_FLUX_LAMBDA 1000.0f
#define SM_FLUX_LAG_MAX 4
#define SM_FLUX_DELTA 0.1f      /* threshold above the local mean, nats */
#define SM_FLUX_PRE_MAX_MS 30.0 /* odf must be the maximum of this much */
#define SM_FLUX_PRE_AVG_MS 100.0
#define SM_FLUX_COMBINE_MS 30.0 /* shortest time between two onsets */

typedef struct sm_superflux sm_superflux;

/* For an STFT of window and hop samples at fs_hz. NRT only. */
sm_superflux *sm_superflux_new(int window, int hop, double fs_hz,
                               sm_error *err);
/* NRT only. */
void sm_superflux_free(sm_superflux *sf);

/* Forgets every past frame: the next frame only primes the history (no
 * onset, odf 0) and the envelope is 0. RT-safe. */
void sm_superflux_reset(sm_superflux *sf);

/* Decay time constant of the envelope after its hold, ms (> 0). RT-safe. */
void sm_superflux_set_decay_ms(sm_superflux *sf, float ms);

/* One frame (bins = window/2 + 1 values). Returns the transient envelope
 * 0..1 after this frame. RT-safe. */
float sm_superflux_frame(sm_superflux *sf, const sm_cpx *spec);

/* Readings of the last frame: onset detected (0/1), odf, envelope; the
 * lag mu in frames. RT-safe (from the thread that runs the frames). */
int sm_superflux_onset(const sm_superflux *sf);
float sm_superflux_odf(const sm_superflux *sf);
float sm_superflux_envelope(const sm_superflux *sf);
int sm_superflux_lag(const sm_superflux *sf);

#endif
