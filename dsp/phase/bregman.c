/* phase/bregman.c: per-frame gradient descent on a Bregman divergence
 * between the target magnitude and the current one (after Vial, Fevotte
 * et al., "Phase retrieval with Bregman divergences and application to
 * audio signal recovery", IEEE JSTSP 2021).
 *
 * The variable is the time-domain signal of the open frames (the
 * look-ahead buffer of rtisila, phase/lookbuf.c, the same structure and
 * schedule). The loss is sum over the open frames and bins of D(r | |z|),
 * z = STFT of the signal, D the generalised Kullback-Leibler divergence
 * (phase.divergence kl, the default) or Itakura-Saito (is). Its gradient
 * with respect to a frame's spectrum is dD/d|z| z/|z|; each sweep takes,
 * per frame, the preconditioned gradient step of phasekernels.h
 * (sm_bregman_mag: the step on |z| scaled by the inverse curvature of D at
 * max(|z|, r), so a step of 1 is Griffin-Lim's projection for a bin that
 * is too loud and pushes a bin that is too quiet further, by how much more
 * D penalises under- than over-estimation) and maps it back to time by the
 * synthesis transform (the canonical dual window: the pseudo-inverse of
 * the analysis, i.e. the adjoint preconditioned by the inverse frame
 * operator). phase.step is the step (0.1..2, live).
 *
 * Acceleration: heavy-ball momentum across iterations, as rtisila's, at
 * the largest value that keeps the iteration stable for the step
 * (sm_lookiter_momentum: 0.95 up to a step of 1.3, less above, none at
 * 2). The committed frame has the target magnitude with the phase reached;
 * the signal is corrected to it (one inverse FFT per hop).
 *
 * Measured on sm-phasebench's material (see the report of the change):
 * kl and is both stay about 1 dB behind rtisila at the same CPU and reach
 * rtisila's SC with about 1.5 times its iterations; the gradient steps
 * weigh quiet bins more than the spectral convergence does. The method is
 * here for its other loss, not for SC per CPU.
 *
 * Look-ahead: exactly phase.lookahead frames.
 */
#include "phase/lookbuf.h"

#include <stdlib.h>

struct sm_bregman {
    sm_lookiter *it;
};

int sm_bregman_lookahead(const sm_phase_setup *s) { return s->lookahead; }

sm_bregman *sm_bregman_new(const sm_phase_setup *s, sm_error *err)
{
    sm_bregman *p = calloc(1, sizeof *p);
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

void sm_bregman_free(sm_bregman *p)
{
    if (!p)
        return;
    sm_lookiter_free(p->it);
    free(p);
}

void sm_bregman_reset(sm_bregman *p) { sm_lookiter_reset(p->it); }

void sm_bregman_process(sm_bregman *p, const sm_phase_in *in, sm_cpx *out)
{
    /* The parameter's range (params.def), and NaN to its low end. */
    float step = in->step;
    if (!(step >= 0.1f))
        step = 0.1f;
    if (step > 2.0f)
        step = 2.0f;
    sm_lookiter_process(p->it, in,
                        in->divergence == SM_DIV_IS ? SM_LOOKBUF_IS
                                                    : SM_LOOKBUF_KL,
                        step, out);
}
