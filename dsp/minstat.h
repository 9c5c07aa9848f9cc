/* minstat.h: noise floor of one source by minimum statistics, for the
 * SNR modulator of the mask.
 *
 * After Martin, "Noise power spectral density estimation based on optimal
 * smoothing and minimum statistics" (IEEE TSAP 9(5), 2001): per bin, the
 * periodogram is smoothed over time, its minimum is tracked over a window
 * of D frames (window_ms, ~1.5 s) cut into U = 8 sub-windows of V frames,
 * so the window slides by V frames with only U minima kept per bin, and
 * the minimum is scaled up by a bias compensation (the minimum of a
 * fluctuating estimate lies below its mean).
 *
 * Simplified against the paper, on purpose:
 *   - the smoothing is a fixed one-pole of SM_MINSTAT_SMOOTH_MS, not the
 *     SNR-dependent optimal alpha with its correction factor;
 *   - the bias compensation is one number per tracker, measured at
 *     creation by running this very tracker on white noise through an
 *     STFT of the same window, hop and window length (so it holds for any
 *     overlap and frame rate, where the paper's closed-form B_min(D, Q_eq)
 *     with its table M(D) assumes the paper's frame rate), not estimated
 *     per bin from the variance of the smoothed power;
 *   - no fast tracking of a rising floor (the paper's noise_slope_max):
 *     a floor that rises is followed within one window (the minimum is
 *     over the current sub-window and the U - 1 before it: D - V to D
 *     frames); one that falls is followed at once (the estimate reads
 *     high by up to the bias factor until the window has passed, as the
 *     minimum of the few frames since is compensated as a whole
 *     window's).
 * A tone held steadily for longer than the window is, as in the paper,
 * taken for noise.
 */
#ifndef SM_MINSTAT_H
#define SM_MINSTAT_H

#include "kernels.h"
#include "specmorph.h"

#define SM_MINSTAT_U 8
#define SM_MINSTAT_SMOOTH_MS 50.0

typedef struct sm_minstat sm_minstat;

/* The bias compensation factor for a tracker of these settings, from a
 * simulation on white noise (deterministic; plans an FFT). NRT only.
 * Returns 0 and sets *err on failure. */
float sm_minstat_calibrate(int window, int hop, double fs_hz,
                           float window_ms, sm_error *err);

/* A tracker for the spectra of an STFT of window and hop samples at
 * fs_hz, minimum over window_ms. bias: the compensation factor (from
 * sm_minstat_calibrate, which two trackers of one band can share), or
 * <= 0 to calibrate here. NRT only. */
sm_minstat *sm_minstat_new(int window, int hop, double fs_hz,
                           float window_ms, float bias, sm_error *err);
/* NRT only. */
void sm_minstat_free(sm_minstat *ms);

/* Forgets everything: the next frame starts the smoothing and the
 * minimum afresh. RT-safe. */
void sm_minstat_reset(sm_minstat *ms);

/* One frame of spectra (window/2 + 1 bins). RT-safe. */
void sm_minstat_frame(sm_minstat *ms, const sm_cpx *spec);

/* Per-bin noise power estimate and smoothed power after the last frame
 * (same scale as |X|^2). RT-safe. */
const float *sm_minstat_noise(const sm_minstat *ms);
const float *sm_minstat_power(const sm_minstat *ms);

/* Frames since the last reset, D (frames in the window, U x V), and the
 * bias factor in use. RT-safe. */
long sm_minstat_frames(const sm_minstat *ms);
int sm_minstat_window_frames(const sm_minstat *ms);
float sm_minstat_bias(const sm_minstat *ms);

#endif
