/* phase/lookbuf.h: the look-ahead buffer and iteration driver shared by
 * rtisila and bregman.
 *
 * Both methods refine the phases of the last L+1 frames (L = look-ahead)
 * against the signal that all frames pushed so far synthesise, then
 * commit the oldest one (RTISI-LA, Zhu, Beauregard, Wyse 2007). They
 * differ only in the per-bin step of an update (a projection on the
 * target magnitude, or a gradient step on a Bregman divergence).
 *
 * The buffer (sm_lookbuf) keeps that signal, the overlap-add (OLA) of
 * every committed frame and of the L+1 frames still open, over the
 * samples the open frames cover, and the open frames' spectra. An update
 * of a frame replaces its spectrum; the OLA changes by the synthesis of
 * the difference (linearity), so no partial sum is ever recomputed and an
 * update costs one forward and one inverse FFT.
 *
 * The OLA is in the signal's units: it is what the band's synthesis
 * (canonical dual window, stft.h) will output, except where frames yet to
 * come will still add. There the sum of the windows present falls short
 * of one; the analysis divides it out before applying the analysis window
 * (the least-squares signal of the frames present), so a frame's tail is
 * its own current estimate, not a faded one. That is Griffin-Lim's
 * weighting restricted to the frames present; for a consistent
 * spectrogram it analyses the true frame exactly at every slot (the
 * asymmetric windows of Zhu et al. only approximate this).
 *
 * Slot j = 0 is the oldest open frame (the one committed by this call),
 * j = L the newest. Frames before the first push are silent frames, so
 * the first L commits are silence.
 *
 * The driver (sm_lookiter) is the whole method: push, first estimate,
 * iterations, commit; see lookbuf.c for the schedule and its reasons.
 */
#ifndef SM_PHASE_LOOKBUF_H
#define SM_PHASE_LOOKBUF_H

#include "phase/phase.h"

/* ---- the buffer --------------------------------------------------------- */

typedef struct sm_lookbuf sm_lookbuf;

/* One open frame. The arrays have bins entries. */
typedef struct sm_lookbuf_slot {
    float *mag;          /* target magnitude r */
    sm_cpx *spec;        /* the spectrum whose synthesis the OLA holds */
    sm_cpx *prev;        /* the rule's previous result (momentum) */
    sm_cpx *fix;         /* anchored bins: est scaled to r (kept exactly) */
    unsigned char *anch; /* nonzero: the bin is anchored */
    int anchored;        /* some bin is anchored */
    int silent;          /* every r is 0: spec is 0, updates are skipped */
    float resid;         /* || |z| - r || / || r || at the last update */
} sm_lookbuf_slot;

/* window even >= 4, 1 <= hop <= window/2, 0 <= lookahead <=
 * SM_PHASE_MAX_LOOKAHEAD. NRT only. */
sm_lookbuf *sm_lookbuf_new(int window, int hop, int lookahead, sm_error *err);
void sm_lookbuf_free(sm_lookbuf *b); /* NRT only */

/* All slots silent, OLA zero (the state after _new). RT-safe. */
void sm_lookbuf_reset(sm_lookbuf *b);

int sm_lookbuf_bins(const sm_lookbuf *b);
int sm_lookbuf_slots(const sm_lookbuf *b); /* lookahead + 1 */

/* Slot j (0 oldest .. lookahead newest). */
sm_lookbuf_slot *sm_lookbuf_at(sm_lookbuf *b, int j);

/* Advances one hop: the frame committed by the previous call leaves the
 * buffer (its synthesis stays in the OLA) and its slot becomes the newest,
 * with target mag, anchors from anchor[] and est[] (either NULL: none), an
 * empty spectrum and nothing in the OLA yet. RT-safe. */
void sm_lookbuf_push(sm_lookbuf *b, const float *mag, const sm_cpx *est,
                     const unsigned char *anchor);

/* The newest frame as the frames before it predict it: the OLA without
 * the newest slot's synthesis (call before sm_lookbuf_start), divided by
 * the older frames' share of the window sum, windowed, transformed. Where
 * that share is small the division fades out, so the tail they do not
 * reach stays near zero instead of being amplified. Returns an internal
 * array (bins), valid until the next call. RT-safe. */
const sm_cpx *sm_lookbuf_predict(sm_lookbuf *b);

/* Sets the newest slot's first estimate: init's phases with the target
 * magnitude (anchored bins: est's phase; init NULL or a zero bin: phase
 * 0), also as its previous result, and adds its synthesis to the OLA.
 * RT-safe. */
void sm_lookbuf_start(sm_lookbuf *b, const sm_cpx *init);

/* Spectrum of slot j's frame of the current signal (see above). Internal
 * array, as sm_lookbuf_predict. RT-safe. */
const sm_cpx *sm_lookbuf_analyze(sm_lookbuf *b, int j);

/* Update rules. */
enum { SM_LOOKBUF_PROJECT, SM_LOOKBUF_KL, SM_LOOKBUF_IS };
typedef struct sm_lookbuf_rule {
    int kind;      /* SM_LOOKBUF_*: sm_rtisila_bin or sm_bregman_bin */
    float step;    /* PROJECT: over-relaxation mu (1: the projection);
                      KL, IS: gradient step (phasekernels.h) */
    float alpha;   /* momentum of bins >= calm_bins */
    int calm_bins; /* the lowest bins, updated without momentum */
} sm_lookbuf_rule;

/* One sweep: every open frame analysed from the current signal, then
 * every frame's rule (rules[j] for slot j) applied bin by bin (anchored
 * bins stay as they are) and the changes synthesised into the OLA
 * (Jacobi). Silent slots are skipped. RT-safe. */
void sm_lookbuf_sweep(sm_lookbuf *b, const sm_lookbuf_rule *rules);

/* The per-bin loop of a sweep on one slot: z the frame's analysis, the
 * changes into d (bins entries). Exposed for the tests (the SSE2 path
 * against phasekernels.h). RT-safe. */
void sm_lookbuf_rule_bins(const sm_lookbuf *b, sm_lookbuf_slot *s,
                          const sm_cpx *z, sm_cpx *d,
                          const sm_lookbuf_rule *rule);

/* The bin loops' instruction set: 0 scalar (phasekernels.h), 1 SSE2;
 * level < 0 or above what the build has: the best it has (the default).
 * Both give bit-identical results. Returns the level set. NRT (for the
 * tests). */
int sm_lookbuf_set_simd(sm_lookbuf *b, int level);

/* Writes the oldest slot's frame to out[bins]: the target magnitude with
 * the slot's phase, anchored bins exactly est's phase. With resync the
 * OLA is corrected to that frame (one inverse FFT) where the slot's
 * spectrum had another magnitude; without, the slot's spectrum must be a
 * projection already (its last update a SM_LOOKBUF_PROJECT one without
 * momentum) and is copied. RT-safe. */
void sm_lookbuf_commit(sm_lookbuf *b, sm_cpx *out, int resync);

/* ---- the driver ---------------------------------------------------------- */

typedef struct sm_lookiter sm_lookiter;

/* s->window, hop, lookahead, init as in phase.h. NRT only. */
sm_lookiter *sm_lookiter_new(const sm_phase_setup *s, sm_error *err);
void sm_lookiter_free(sm_lookiter *p); /* NRT only */
void sm_lookiter_reset(sm_lookiter *p); /* RT-safe */

/* One call of the method (phase.h's _process): kind SM_LOOKBUF_PROJECT
 * (rtisila) or KL, IS (bregman, gradient step `step`). RT-safe. */
void sm_lookiter_process(sm_lookiter *p, const sm_phase_in *in, int kind,
                         float step, sm_cpx *out);

/* The momentum the driver uses with gradient step (over-relaxation) step:
 * the largest that keeps the iteration stable, at most 0.95. any. */
float sm_lookiter_momentum(float step);

#endif
