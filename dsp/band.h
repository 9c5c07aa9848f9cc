/* band.h: one band of the engine: streaming STFT of both inputs, the
 * mask modulators' analysis (modulate.h), the per-frame merge and
 * overlap-add synthesis into stereo, behind a FIFO that delays the band
 * so all bands line up.
 *
 * Timing: a frame runs when the hop's last input sample is pushed, and
 * the hop samples it completes can be pulled at once, so the band's own
 * latency is window - 1 samples, plus the phase method's look-ahead (L
 * frames of L hops: the frame synthesised is the one pushed L frames
 * earlier), plus the extra alignment delay.
 */
#ifndef SM_BAND_H
#define SM_BAND_H

#include "phase/phase.h"
#include "specmorph.h"
#include <stddef.h>

typedef struct sm_band sm_band;

/* Live values a band reads at each frame (already validated). */
typedef struct sm_band_targets {
    float pos, k, width, wiener_ms;
    int mask_type;
    /* Mask modulators (modulate.h): amounts 0..1 (smoothed per frame),
     * the transient envelope's decay. */
    float transient, tonality, snr, transient_ms;
    /* Phase stage (phase/phase.h): live values. anchor: the mask share
     * from which a bin keeps the sources' phase (0.5..1). */
    int iterations, divergence;
    float step, anchor;
    /* Read at creation only (a rebuild parameter): the noise tracker's
     * window. 0 builds the band without the modulator stage at all (the
     * band as it was before it; tests compare against that). */
    float snr_window_ms;
} sm_band_targets;

/* NRT only. extra_delay_samples pads the band's output. ph: the phase
 * stage (its window, hop and fs_hz are the band's and are overwritten);
 * NULL or method mix: the merge's own phase, no extra stage. */
sm_band *sm_band_new(int window, int hop, int extra_delay_samples,
                     double fs_hz, const sm_band_targets *init,
                     const sm_phase_setup *ph, sm_error *err);

/* Look-ahead in frames the phase stage ph adds to a band of this window
 * and hop (0 for NULL or mix). any thread. */
int sm_band_phase_lookahead(int window, int hop, double fs_hz,
                            const sm_phase_setup *ph);
void sm_band_free(sm_band *b);
void sm_band_reset(sm_band *b, const sm_band_targets *init);

/* Samples that may be pushed before the next frame runs (>= 1). RT-safe. */
size_t sm_band_room(const sm_band *b);

/* Pushes n <= sm_band_room() samples of both inputs; runs the frame when
 * the hop completes, reading targets at that hop boundary. Returns 1 when
 * a frame ran. RT-safe. */
int sm_band_push(sm_band *b, const float *a, const float *bb, size_t n,
                 const sm_band_targets *t);

/* Pulls n samples of output into l and r (add = 0: overwrite, 1: add).
 * Always possible for the n just pushed. RT-safe. */
void sm_band_pull(sm_band *b, float *l, float *r, size_t n, int add);

/* window - 1 + look-ahead frames x hop + extra delay. any thread. */
int sm_band_latency(const sm_band *b);

#endif
