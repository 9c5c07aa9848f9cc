/* phase/rtisila.c: RTISI-LA, real-time iterative spectrogram inversion
 * with look-ahead (Zhu, Beauregard, Wyse 2007).
 *
 * The method keeps the time-domain signal of every committed frame and
 * of the L+1 frames still open (L = phase.lookahead) and, per hop, runs
 * phase.iterations sweeps over the open frames: analyse each frame from
 * the current signal (normalised by the window sum of the frames present,
 * so the incomplete overlap at the newest frames is the least-squares
 * signal of the frames there, not a faded one), keep the phase, impose the
 * target magnitude, synthesise the change. Then the oldest frame is
 * committed with the target magnitude and the phase it converged to.
 * Anchored bins keep est's phase in every sweep and in the output.
 *
 * The loop is phase/lookbuf.c's (shared with bregman): there are the
 * choices that make it reach the targets with few iterations and
 * their measurements: the first estimate of a new frame (init mix: the
 * proposal where there is one, else the analysis of what the earlier
 * frames already put into it; init pghi: PGHI's phase at onsets), Jacobi
 * sweeps with fast Griffin-Lim momentum (0.95) and a 1.3 over-relaxed
 * projection (within the stability bound of the two together), two frames
 * per complex FFT. Per update: one forward and one inverse FFT of
 * `window` points (paired), one square root and one division per bin.
 *
 * Look-ahead: exactly phase.lookahead frames.
 */
#include "phase/lookbuf.h"

#include <stdlib.h>

struct sm_rtisila {
    sm_lookiter *it;
};

int sm_rtisila_lookahead(const sm_phase_setup *s) { return s->lookahead; }

sm_rtisila *sm_rtisila_new(const sm_phase_setup *s, sm_error *err)
{
    sm_rtisila *p = calloc(1, sizeof *p);
    if (!p) {
        if (err)
            *err = SM_ERR_NOMEM;
        return NULL;
    }
    p->it = sm_lookiter_new(s, err);
    if (!p->it) {
        free(p);
        return NULL;
    }
    return p;
}

void sm_rtisila_free(sm_rtisila *p)
{
    if (!p)
        return;
    sm_lookiter_free(p->it);
    free(p);
}

void sm_rtisila_reset(sm_rtisila *p) { sm_lookiter_reset(p->it); }

void sm_rtisila_process(sm_rtisila *p, const sm_phase_in *in, sm_cpx *out)
{
    sm_lookiter_process(p->it, in, SM_LOOKBUF_PROJECT, 1.0f, out);
}
