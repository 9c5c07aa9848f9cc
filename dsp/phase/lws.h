/* phase/lws.h: the weights of the lws method (locally weighted sums) on
 * their own, for the tests, the benchmark and offline use: the
 * consistency projection STFT(ISTFT(X)) of a whole spectrogram as
 * weighted sums, with the full kernel (exact) or the truncated one the
 * streaming method runs. The method itself is behind phase.h
 * (sm_lws_new ... sm_lws_process).
 */
#ifndef SM_PHASE_LWS_H
#define SM_PHASE_LWS_H

#include "phase/phase.h"

typedef struct sm_lws_kernel sm_lws_kernel;

/* The threshold the method's kernel is cut at: taps below 3 % of the own
 * weight are dropped, which leaves 25 taps per bin at redundancy 4 and 55
 * at 8; the projection they compute is within -30 dB of the exact one
 * (test_lws measures it). Keeping more taps (1 %, 0.1 %) changes the
 * method's spectral convergence by less than 0.3 dB and costs time. */
#define SM_LWS_KERNEL_THRESHOLD 3e-2

/* The weights of a periodic Hann analysis window of `window` samples, hop
 * `hop`, and its canonical dual synthesis window (as stft.c builds them).
 * Taps below rel_threshold times the largest (the bin's own weight) are
 * dropped; rel_threshold <= 0 keeps every tap (the exact projection).
 * NRT only. */
sm_lws_kernel *sm_lws_kernel_new(int window, int hop, double rel_threshold,
                                 sm_error *err);
void sm_lws_kernel_free(sm_lws_kernel *k);

/* Taps the kernel keeps (complex multiply-adds per bin). any thread. */
int sm_lws_kernel_taps(const sm_lws_kernel *k);

/* out = the weighted sums of every bin of spec[frames * bins] (row-major,
 * frames outside 0..frames-1 silent, DC and Nyquist taken as given):
 * with the full kernel, the STFT of the overlap-added inverse STFT of
 * spec. spec and out must not overlap. NRT only (allocates). */
sm_error sm_lws_kernel_apply(const sm_lws_kernel *k, const sm_cpx *spec,
                             int frames, sm_cpx *out);

#endif
