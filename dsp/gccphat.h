/* gccphat.h: one GCC-PHAT time-delay estimate between two signals, with
 * an unbiased sub-sample peak and a confidence.
 *
 * The alignment stage (align.h) calls it every estimator hop on the recent
 * history of A and B. It owns the FFT plans and buffers of one window and
 * lag range so the call itself allocates nothing.
 *
 * Segments: a is the reference, `window` samples ending `max_lag` samples
 * before the newest one; b is `window + 2 max_lag` samples ending at the
 * newest one. Every lag in [-max_lag, max_lag] then sees the whole of a
 * inside b (no partial overlap at large lags), and an FFT of at least
 * window + 2 max_lag points with zero padding keeps the circular
 * correlation from folding any other lag onto the range.
 *
 * Sub-sample peak: the parabola through three samples of a PHAT peak is
 * biased toward the nearest whole sample (the peak is sinc-like, not
 * parabolic: up to ~0.1 sample). Instead the continuous (band-limited)
 * correlation R(tau) = sum_k Re(P_k e^{i w_k tau}) is maximised directly
 * by Newton's method on its exact derivatives, starting from the
 * parabola. For a pure delay R is symmetric about the true lag, so its
 * maximum is unbiased at every fractional delay.
 */
#ifndef SM_GCCPHAT_H
#define SM_GCCPHAT_H

#include "specmorph.h"

#include <stddef.h>

typedef struct sm_gccphat sm_gccphat;

/* One estimate. lag_samples > 0: b lags a (b(t) = a(t - lag)). */
typedef struct sm_gccphat_result {
    int valid;          /* 0: gated (silence) or no interior peak */
    double lag_samples; /* in [-max_lag, max_lag] */
    float coherence;    /* weighted phase coherence at the peak, 0..1 */
    float second;       /* the same of the best peak outside the main lobe */
    float noise;        /* the level a spurious peak reaches by chance */
    float confidence;   /* 0..1: how far the peak clears both */
} sm_gccphat_result;

/* window >= 16 samples, max_lag >= 1 sample. Plans with FFTW_ESTIMATE.
 * NRT only. */
sm_gccphat *sm_gccphat_new(int window, int max_lag, sm_error *err);
void sm_gccphat_free(sm_gccphat *g);

/* FFT size chosen (>= window + 2 max_lag, factors 2, 3, 5 only). any
 * thread. */
int sm_gccphat_fft_size(const sm_gccphat *g);

/* Estimates the lag of b against a (lengths as above). Either input
 * under -80 dBFS mean power gives valid = 0. RT-safe. */
sm_gccphat_result sm_gccphat_run(sm_gccphat *g, const float *a,
                                 const float *b);

/* The plain 3-point parabola on the same correlation, for comparison
 * (tests measure the bias it has and the Newton peak does not); valid
 * after sm_gccphat_run. RT-safe. */
double sm_gccphat_parabolic_lag(const sm_gccphat *g);

#endif
