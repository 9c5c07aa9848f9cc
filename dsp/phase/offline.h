/* phase/offline.h: whole-signal STFT, offline phase reconstruction and
 * the quality measure, for specmorph-image, the benchmark and the tests.
 *
 * Framing is the band's (phase.h): the signal is preceded by window - hop
 * zeros; frame m covers padded samples [m*hop, m*hop + window), and
 * frames = floor((len - 1 + window - hop) / hop) + 1, so every sample of
 * the signal is covered by all the frames that overlap it and analysis
 * followed by synthesis gives the signal back exactly (float rounding).
 * Spectrograms are row-major: frame after frame, bins = window/2 + 1.
 * All functions here are NRT only (they allocate).
 */
#ifndef SM_PHASE_OFFLINE_H
#define SM_PHASE_OFFLINE_H

#include "phase/phase.h"

/* Frames of a signal of len samples (0 for len 0). */
int sm_spec_frames(size_t len, int window, int hop);

/* STFT of x[0..len) into spec[frames * bins]. */
sm_error sm_spec_analyze(const float *x, size_t len, int window, int hop,
                         sm_cpx *spec);

/* Inverse STFT (least-squares overlap-add) of spec[frames * bins] into
 * x[0..len), len as given to the analysis. */
sm_error sm_spec_synth(const sm_cpx *spec, int frames, int window, int hop,
                       float *x, size_t len);

/* Offline reconstruction of a magnitude spectrogram mag[frames * bins]
 * into a complete spectrogram spec[frames * bins]: any method of
 * methods.def. Streaming methods run frame by frame (flushed through
 * their look-ahead); gla and fgla iterate over the whole spectrogram
 * (`iterations`; fgla starts from an offline PGHI estimate). est: NULL, or
 * a proposed spectrogram whose phases start the methods that take one
 * (anchors are not used offline). */
sm_error sm_phase_offline(const sm_phase_setup *s, const float *mag,
                          int frames, const sm_cpx *est, int iterations,
                          sm_cpx *spec);

/* Spectral convergence in dB of a signal y[0..len) against the target
 * magnitude mag[frames * bins] (same framing):
 *   20 log10(|| |X| - |STFT(y)| ||_F / || |X| ||_F)
 * -inf for a perfect match; 0 when |X| is all zero and y is too; +inf when
 * |X| is all zero and y is not. */
double sm_spectral_convergence_db(const float *mag, int frames, int window,
                                  int hop, const float *y, size_t len);

#endif
