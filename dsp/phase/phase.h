/* phase/phase.h: the phase reconstruction stage of a band.
 *
 * The merged magnitude of a frame has no true phase: the merge only
 * proposes one (the mask-weighted mix of the sources' phases). A phase
 * object takes, frame by frame, the target magnitude, that proposal and
 * the bins where one source dominates (anchors), and returns complete
 * spectra whose phases are consistent across overlapping frames, L frames
 * later (L = the method's look-ahead, in hops; added to the band's
 * latency).
 *
 * Methods are a table (methods.def, the sox handler-table pattern): each
 * one is a module phase/<name>.c with the same five functions,
 *   int       sm_<name>_lookahead(const sm_phase_setup *s);   any thread
 *   sm_<name>*sm_<name>_new(const sm_phase_setup *s, sm_error *err); NRT
 *   void      sm_<name>_free(sm_<name> *p);                   NRT
 *   void      sm_<name>_reset(sm_<name> *p);                  RT-safe
 *   void      sm_<name>_process(sm_<name> *p, const sm_phase_in *in,
 *                               sm_cpx *out);                 RT-safe
 * and sm_phase_* below dispatches to them. _new allocates and plans
 * everything; _process never allocates, locks or makes FFTW plans.
 *
 * Conventions every method follows:
 * - STFT: periodic Hann analysis window of `window` samples, hop `hop`,
 *   bins = window/2 + 1, synthesis by the canonical dual window (stft.h);
 *   frame m covers input samples [m*hop, m*hop + window) of a stream that
 *   starts with window - hop zeros (the band's framing).
 * - out[] of a call is the frame pushed L calls earlier; the first L
 *   calls return silence (all zeros), and reset() returns to that state.
 * - |out[i]| equals the mag[i] given for that frame (to float rounding):
 *   methods choose phases, never magnitudes. Iterative methods commit the
 *   target magnitude with the phase they converged to.
 * - An anchored bin keeps the phase of est[i] exactly (a bin that is pure
 *   A keeps A's phase); the method reconstructs the others around it.
 *   est[i] = 0 means no estimate for that bin.
 * - Silence in, silence out; finite in, finite out (no NaN from 0/0,
 *   log 0 or atan2(0, 0)); the same input gives bit-identical output.
 */
#ifndef SM_PHASE_H
#define SM_PHASE_H

#include "kernels.h"
#include "specmorph.h"

#include <stddef.h>

/* Method ids: SM_PHASE_MIX..SM_PHASE_HPSS (specmorph.h) are the choices
 * of phase.method; the ones below run offline only (specmorph-image).
 * methods.def lists all of them in id order (phase.c checks it). */
enum { SM_PHASE_GLA = SM_PHASE_HPSS + 1, SM_PHASE_FGLA, SM_PHASE__COUNT };
#define SM_PHASE_STREAMING_COUNT SM_PHASE_GLA

/* Built-in limits (the params.def ranges stay inside them). */
#define SM_PHASE_MAX_LOOKAHEAD 8   /* frames */
#define SM_PHASE_MAX_ITERATIONS 64

/* Structure of a phase object (fixed at creation). */
typedef struct sm_phase_setup {
    int window, hop;    /* samples; window even, hop <= window / 2 */
    double fs_hz;
    int method;         /* SM_PHASE_* */
    int lookahead;      /* frames asked for (phase.lookahead), 0..MAX;
                           sm_phase_lookahead() says what the method uses */
    int init;           /* SM_PHASE_INIT_PGHI or SM_PHASE_INIT_MIX (the
                           phase.init value): first estimate of a new
                           frame for lws, rtisila and bregman */
    int harmonic, percussive; /* hpss: the layers' methods (not hpss) */
    float hpss_ms;      /* hpss: harmonic (time) median length */
    float hpss_hz;      /* hpss: percussive (frequency) median width */
} sm_phase_setup;

/* One frame in. Arrays have bins entries. */
typedef struct sm_phase_in {
    const float *mag;             /* target magnitude, finite, >= 0 */
    const sm_cpx *est;            /* proposed phasor per bin; NULL: none */
    const unsigned char *anchor;  /* nonzero: keep est's phase; NULL: none */
    /* Live values (may change at any frame). */
    int iterations;               /* rtisila, bregman: 1..MAX_ITERATIONS */
    int divergence;               /* bregman: SM_DIV_* */
    float step;                   /* bregman: step size, 0 < step <= 2 */
} sm_phase_in;

typedef struct sm_phase sm_phase;

/* Look-ahead in frames (hops) the method with setup s adds. any thread. */
int sm_phase_lookahead(const sm_phase_setup *s);

/* NRT only. */
sm_phase *sm_phase_new(const sm_phase_setup *s, sm_error *err);
void sm_phase_free(sm_phase *p);

/* Back to silence (the state after _new). RT-safe. */
void sm_phase_reset(sm_phase *p);

/* Pushes one frame, writes the frame of L calls ago into out[bins].
 * RT-safe. */
void sm_phase_process(sm_phase *p, const sm_phase_in *in, sm_cpx *out);

/* Name of a method id ("mix", ..., "fgla"); NULL if out of range. any. */
const char *sm_phase_name(int method);
/* Id of a name, -1 if unknown. any thread. */
int sm_phase_find(const char *name);

/* The per-method declarations (the five functions above) for every row
 * of methods.def that has a streaming module. */
#define SM_PHASE_DECLARE(name)                                               \
    typedef struct sm_##name sm_##name;                                      \
    int sm_##name##_lookahead(const sm_phase_setup *s);                      \
    sm_##name *sm_##name##_new(const sm_phase_setup *s, sm_error *err);      \
    void sm_##name##_free(sm_##name *p);                                     \
    void sm_##name##_reset(sm_##name *p);                                    \
    void sm_##name##_process(sm_##name *p, const sm_phase_in *in, sm_cpx *out);

SM_PHASE_DECLARE(phmix)
SM_PHASE_DECLARE(lws)
SM_PHASE_DECLARE(pghi)
SM_PHASE_DECLARE(rtisila)
SM_PHASE_DECLARE(bregman)
SM_PHASE_DECLARE(hpss)

#endif
