/* align.h: the alignment stage at the engine's input: tracks the lag
 * between A and B and delays whichever input leads, so the two line up
 * before they are split and merged.
 *
 * Estimator: GCC-PHAT (gccphat.h) every window/2 samples (or every
 * (window + 2 max_lag)/4, the FFT size over 4, when that is longer: it
 * bounds the cost), counted from the first sample of the stream (the
 * engine cuts its chunks there, so the estimates do not depend on the
 * host block size), on the raw inputs.
 *
 * Tracker: an estimate counts when its confidence is at least
 * SM_ALIGN_MIN_CONFIDENCE (silence never gets that far: the estimator
 * gates it). Estimates near the tracked lag (within SM_ALIGN_NEAR_MS)
 * pull it with a one-pole of time constant smooth_ms, weighted by
 * confidence (full weight from SM_ALIGN_FULL_CONFIDENCE). Estimates
 * elsewhere (all of them before the first lock) are evidence for another
 * lag: estimates that agree within SM_ALIGN_AGREE_MS add up their
 * confidences in one of SM_ALIGN_CANDIDATES candidates, which forget
 * with a time constant of SM_ALIGN_EVIDENCE_MS; when a candidate holds at
 * least SM_ALIGN_ACQUIRE estimates and SM_ALIGN_ACQUIRE_WEIGHT of
 * confidence, the tracked lag moves to it (the lock). A real match
 * (confidence 0.3 to 0.8 on most hops) locks within a few hops; stray
 * peaks (a period of a voice, an echo, chance) and the brief stretches in
 * which two different voices look alike scatter over lags or fade before
 * they add up. So silence and unrelated material leave the lag where it
 * was.
 *
 * Delay: the signed delay s (samples; s > 0 delays A, s < 0 delays B)
 * glides toward the tracked lag (toward 0 while disabled or not locked;
 * the target follows the lag only when they differ by more than
 * SM_ALIGN_HOLD_SAMPLES, so a steady lag gives a steady delay)
 * by at most glide_ms_per_s milliseconds per second, sample by sample: a
 * resampling ratio of 1 +- glide/1000 while it moves (the default 2 ms/s,
 * 0.2 %, is 3.5 cents, below the pitch change a listener notices), none
 * once it has landed. Only the leading input is delayed; the other passes
 * untouched, so the engine's latency, counted on the lagging input, does
 * not change.
 *
 * Cost: each estimate runs whole inside the process call that reaches its
 * hop (two real FFTs and one inverse of window + 2 max_lag points, plus
 * the Newton sums): about 0.1 ms at the 48 kHz defaults (0.3 to 0.5 % of
 * a core in all), 1.3 ms with max_lag_ms 500 and window_ms 1000, 13 ms
 * for that at 384 kHz (measured on a 2-core EPYC VM). The delay line
 * costs 32 multiply-adds per sample of the delayed input.
 */
#ifndef SM_ALIGN_H
#define SM_ALIGN_H

#include "gccphat.h"
#include "specmorph.h"

#include <stddef.h>

#define SM_ALIGN_MIN_CONFIDENCE 0.1f
#define SM_ALIGN_FULL_CONFIDENCE 0.5f
#define SM_ALIGN_ACQUIRE 3
#define SM_ALIGN_ACQUIRE_WEIGHT 2.0
#define SM_ALIGN_CANDIDATES 4
#define SM_ALIGN_EVIDENCE_MS 1000.0
#define SM_ALIGN_AGREE_MS 0.1
#define SM_ALIGN_NEAR_MS 1.0
#define SM_ALIGN_HOLD_SAMPLES 0.05

typedef struct sm_align sm_align;

/* Settings (already validated against params.def). */
typedef struct sm_align_settings {
    double max_lag_ms; /* > 0; sizes the buffers */
    double window_ms;
    double smooth_ms;
    double glide_ms_per_s;
    int enabled;
} sm_align_settings;

/* What the stage reports. */
typedef struct sm_align_status {
    double lag_ms;     /* tracked lag of B behind A (< 0: B leads); 0 until
                          the first lock */
    double delay_ms;   /* delay applied now, signed like the lag */
    float confidence;  /* estimate confidence, averaged over
                          SM_ALIGN_EVIDENCE_MS; 0 while disabled */
    int locked;        /* a lag has been acquired */
    unsigned long long estimates; /* estimator runs */
} sm_align_status;

/* NRT only. */
sm_align *sm_align_new(double fs_hz, const sm_align_settings *s,
                       sm_error *err);
void sm_align_free(sm_align *al);

/* Clears history, tracker and delay. NRT only (not concurrently with
 * process). */
void sm_align_reset(sm_align *al);

/* Live settings; they take effect at the next estimator hop. RT-safe. */
void sm_align_set_enabled(sm_align *al, int enabled);
void sm_align_set_smooth_ms(sm_align *al, double smooth_ms);
void sm_align_set_glide(sm_align *al, double glide_ms_per_s);

/* Samples until the next estimator hop (>= 1): a chunk must not cross
 * it. RT-safe. */
size_t sm_align_room(const sm_align *al);

/* Aligns n <= sm_align_room() samples of both inputs in place. RT-safe. */
void sm_align_process(sm_align *al, float *a, float *b, size_t n);

/* RT-safe (call from the processing thread; the engine republishes it
 * through atomics). */
sm_align_status sm_align_get_status(const sm_align *al);

/* The last raw estimate (for tests and diagnostics). RT-safe. */
sm_gccphat_result sm_align_last_estimate(const sm_align *al);

#endif
