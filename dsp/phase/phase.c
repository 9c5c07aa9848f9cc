/* phase/phase.c: the dispatcher over methods.def and the `mix` method.
 *
 * The object holds one method instance behind a tagged pointer; calls go
 * through a switch generated from the table, so adding a method is a row
 * and a module. `mix` lives here: it only scales the proposal to the
 * target magnitude.
 */
#include "phase/phase.h"

#include <stdlib.h>
#include <string.h>

static const char *const phase_names[] = {
#define X(ID, name, offline_only, help) name,
#include "phase/methods.def"
#undef X
};

/* The table and the ids must agree row for row. */
enum {
#define X(ID, name, offline_only, help) ROW_##ID,
#include "phase/methods.def"
#undef X
    ROW__COUNT
};
#define X(ID, name, offline_only, help)                                      \
    _Static_assert((int)ROW_##ID == (int)SM_PHASE_##ID,                      \
                   "methods.def order: " name);
#include "phase/methods.def"
#undef X
_Static_assert((int)ROW__COUNT == (int)SM_PHASE__COUNT, "methods.def rows");

const char *sm_phase_name(int method)
{
    if (method < 0 || method >= SM_PHASE__COUNT)
        return NULL;
    return phase_names[method];
}

int sm_phase_find(const char *name)
{
    if (!name)
        return -1;
    for (int i = 0; i < SM_PHASE__COUNT; i++)
        if (strcmp(phase_names[i], name) == 0)
            return i;
    return -1;
}

/* ---- mix: the proposal's phase, the target's magnitude --------------- */

struct sm_phmix {
    int bins;
};

int sm_phmix_lookahead(const sm_phase_setup *s)
{
    (void)s;
    return 0;
}

sm_phmix *sm_phmix_new(const sm_phase_setup *s, sm_error *err)
{
    sm_phmix *p = calloc(1, sizeof *p);
    if (!p) {
        if (err)
            *err = SM_ERR_NOMEM;
        return NULL;
    }
    p->bins = s->window / 2 + 1;
    return p;
}

void sm_phmix_free(sm_phmix *p) { free(p); }

void sm_phmix_reset(sm_phmix *p) { (void)p; }

void sm_phmix_process(sm_phmix *p, const sm_phase_in *in, sm_cpx *out)
{
    for (int i = 0; i < p->bins; i++) {
        sm_cpx e = in->est ? in->est[i] : (sm_cpx){0.0f, 0.0f};
        out[i] = sm_phasor_with_mag(e, in->mag[i]);
    }
}

/* ---- dispatch --------------------------------------------------------- */

struct sm_phase {
    int method;
    void *impl;
};

static int setup_ok(const sm_phase_setup *s)
{
    return s && s->window >= 4 && !(s->window & 1) && s->hop >= 1 &&
           s->hop <= s->window / 2 && s->fs_hz > 0.0 && s->method >= 0 &&
           s->method < SM_PHASE_STREAMING_COUNT && s->lookahead >= 0 &&
           s->lookahead <= SM_PHASE_MAX_LOOKAHEAD;
}

int sm_phase_lookahead(const sm_phase_setup *s)
{
    if (!setup_ok(s))
        return 0;
    switch (s->method) {
    case SM_PHASE_MIX: return sm_phmix_lookahead(s);
    case SM_PHASE_LWS: return sm_lws_lookahead(s);
    case SM_PHASE_PGHI: return sm_pghi_lookahead(s);
    case SM_PHASE_RTISILA: return sm_rtisila_lookahead(s);
    case SM_PHASE_BREGMAN: return sm_bregman_lookahead(s);
    case SM_PHASE_HPSS: return sm_hpss_lookahead(s);
    default: return 0;
    }
}

sm_phase *sm_phase_new(const sm_phase_setup *s, sm_error *err)
{
    if (!setup_ok(s)) {
        if (err)
            *err = SM_ERR_CONFIG;
        return NULL;
    }
    sm_phase *p = calloc(1, sizeof *p);
    if (!p) {
        if (err)
            *err = SM_ERR_NOMEM;
        return NULL;
    }
    p->method = s->method;
    switch (s->method) {
    case SM_PHASE_MIX: p->impl = sm_phmix_new(s, err); break;
    case SM_PHASE_LWS: p->impl = sm_lws_new(s, err); break;
    case SM_PHASE_PGHI: p->impl = sm_pghi_new(s, err); break;
    case SM_PHASE_RTISILA: p->impl = sm_rtisila_new(s, err); break;
    case SM_PHASE_BREGMAN: p->impl = sm_bregman_new(s, err); break;
    case SM_PHASE_HPSS: p->impl = sm_hpss_new(s, err); break;
    default: break;
    }
    if (!p->impl) {
        free(p);
        return NULL;
    }
    return p;
}

void sm_phase_free(sm_phase *p)
{
    if (!p)
        return;
    switch (p->method) {
    case SM_PHASE_MIX: sm_phmix_free(p->impl); break;
    case SM_PHASE_LWS: sm_lws_free(p->impl); break;
    case SM_PHASE_PGHI: sm_pghi_free(p->impl); break;
    case SM_PHASE_RTISILA: sm_rtisila_free(p->impl); break;
    case SM_PHASE_BREGMAN: sm_bregman_free(p->impl); break;
    case SM_PHASE_HPSS: sm_hpss_free(p->impl); break;
    default: break;
    }
    free(p);
}

void sm_phase_reset(sm_phase *p)
{
    switch (p->method) {
    case SM_PHASE_MIX: sm_phmix_reset(p->impl); break;
    case SM_PHASE_LWS: sm_lws_reset(p->impl); break;
    case SM_PHASE_PGHI: sm_pghi_reset(p->impl); break;
    case SM_PHASE_RTISILA: sm_rtisila_reset(p->impl); break;
    case SM_PHASE_BREGMAN: sm_bregman_reset(p->impl); break;
    case SM_PHASE_HPSS: sm_hpss_reset(p->impl); break;
    default: break;
    }
}

void sm_phase_process(sm_phase *p, const sm_phase_in *in, sm_cpx *out)
{
    switch (p->method) {
    case SM_PHASE_MIX: sm_phmix_process(p->impl, in, out); break;
    case SM_PHASE_LWS: sm_lws_process(p->impl, in, out); break;
    case SM_PHASE_PGHI: sm_pghi_process(p->impl, in, out); break;
    case SM_PHASE_RTISILA: sm_rtisila_process(p->impl, in, out); break;
    case SM_PHASE_BREGMAN: sm_bregman_process(p->impl, in, out); break;
    case SM_PHASE_HPSS: sm_hpss_process(p->impl, in, out); break;
    default: break;
    }
}
