/* centroid.h: the spectral centroid analyser that steers the adaptive
 * crossovers (bands.adaptive): one small STFT of A and B together, its own
 * hop, and a smoothed centroid on a log-frequency axis.
 *
 * Frame: SM_CENTROID_FRAME_48K samples at 48 kHz, scaled to the rate
 * (nearest power of two), so the analysis spans ~43 ms at every rate;
 * periodic Hann; hop = frame/2, counted from the first sample of the
 * stream (the engine cuts its chunks there, so each frame sees the same
 * samples and each update lands on the same sample for any host block
 * size). The first frame ends at sample frame/2 (zeros before the start).
 *
 * Combined spectrum: P_k = |A_k|^2 + |B_k|^2, the power of both inputs,
 * not of their sum: a spectral merge does not cancel where A and B are
 * out of phase, so neither should the measure that decides the band
 * split. One complex FFT of z = a + i b gives it exactly:
 * |A_k|^2 + |B_k|^2 = (|Z_k|^2 + |Z_{N-k}|^2) / 2.
 *
 * Centroid: power-weighted on a log-frequency axis over
 * SM_CENTROID_LO_HZ .. min(SM_CENTROID_HI_HZ, fs/2):
 *     c = exp( sum_k P_k ln f_k / sum_k P_k ).
 * Why log and power: the crossovers it drives live on a log axis and are
 * mapped on one (xover.h), and a log centroid follows musical content:
 * with equal power per octave (pink noise, roughly a mix's long-term
 * spectrum) it sits at the geometric middle of the range, a sine gives its
 * frequency and two equal tones their geometric mean. The classic linear
 * centroid is dragged upward by any hiss (white noise: fs/4), so a quiet
 * noise floor would pull the crossovers an octave or more. The upper
 * limit (20 kHz, not fs/2) makes the measure the same for the same audio
 * at 44.1, 48 or 96 kHz.
 *
 * Silence gate: a frame whose in-range level (RMS of A and B together,
 * dBFS; a full-scale sine is -3 dBFS) is below SM_CENTROID_GATE_DBFS
 * leaves everything as it was: pauses hold the crossovers where the music
 * left them.
 *
 * Smoothing: the frames' centroids go through a one-pole on ln(Hz) with
 * time constant smooth_ms (bands.adapt_ms), per frame that passes the
 * gate. The first such frame sets the state directly (there is nothing to
 * smooth from). Until then the smoothed centroid reads 0 (none).
 *
 * Cost: while active one complex FFT of the frame every hop (2048 points
 * every 1024 samples at 48 kHz: ~9 us per 21 ms, 0.04 % of a core on a
 * 2-core EPYC VM); inactive (bands.adaptive = off) it only keeps the
 * history, one copy per sample (0.005 %), so that turning it on has a
 * full first frame.
 */
#ifndef SM_CENTROID_H
#define SM_CENTROID_H

#include "specmorph.h"

#include <stddef.h>

#define SM_CENTROID_FRAME_48K 2048
#define SM_CENTROID_LO_HZ 20.0
#define SM_CENTROID_HI_HZ 20000.0
#define SM_CENTROID_GATE_DBFS (-70.0)

typedef struct sm_centroid sm_centroid;

/* What the analyser reports. */
typedef struct sm_centroid_status {
    double hz;          /* smoothed centroid; 0 before the first frame
                           above the gate */
    double frame_hz;    /* centroid of the last frame above the gate; 0
                           before */
    double level_dbfs;  /* in-range level of the last analysed frame
                           (-inf for digital silence) */
    int seeded;         /* a frame has passed the gate */
    unsigned long long frames; /* frames analysed (active hops) */
    unsigned long long gated;  /* of those, below the gate */
} sm_centroid_status;

/* Builds the analyser for a rate; smooth_ms as sm_centroid_set_smooth_ms.
 * Starts inactive. NRT only. */
sm_centroid *sm_centroid_new(double fs_hz, double smooth_ms, sm_error *err);
void sm_centroid_free(sm_centroid *c);

/* Clears history and the smoothed state (as new; the active flag and the
 * time constant stay). NRT only (not concurrently with push). */
void sm_centroid_reset(sm_centroid *c);

/* Frame and hop lengths in samples. any thread. */
int sm_centroid_frame(const sm_centroid *c);
int sm_centroid_hop(const sm_centroid *c);

/* Live settings; they take effect at the next hop. smooth_ms <= 0 makes
 * each frame replace the state. Frames are analysed only while active;
 * the history is kept either way. RT-safe. */
void sm_centroid_set_smooth_ms(sm_centroid *c, double smooth_ms);
void sm_centroid_set_active(sm_centroid *c, int active);

/* Samples until the next hop (>= 1): a push must not cross it. RT-safe. */
size_t sm_centroid_room(const sm_centroid *c);

/* Takes n <= sm_centroid_room() samples of both inputs. Returns 1 when
 * they complete a hop (the frame has then been analysed if active), else
 * 0. RT-safe. */
int sm_centroid_push(sm_centroid *c, const float *a, const float *b,
                     size_t n);

/* RT-safe (call from the processing thread; the engine republishes the
 * values through atomics). */
sm_centroid_status sm_centroid_get_status(const sm_centroid *c);

#endif
