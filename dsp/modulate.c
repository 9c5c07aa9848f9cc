/* modulate.c: the three mask modulators of one band; see modulate.h. Owns
 * the two onset detectors, the two noise trackers, the flatness analysis
 * and the merge's scratch masks, all allocated at creation. */
#include "modulate.h"

#include "flatness.h"
#include "minstat.h"
#include "modkernels.h"
#include "superflux.h"

#include <stdlib.h>

struct sm_mod {
    int bins;
    sm_superflux *sf_a, *sf_b;
    sm_minstat *ms_a, *ms_b;
    sm_flatness *fl;
    float *w, *w2, *mag_a, *mag_b, *pre, *suf; /* the merge's scratch */
    int on_transient, on_tonality, on_snr; /* analysis running */
    sm_mod_frame out;
};

void sm_mod_free(sm_mod *m)
{
    if (!m)
        return;
    sm_superflux_free(m->sf_a);
    sm_superflux_free(m->sf_b);
    sm_minstat_free(m->ms_a);
    sm_minstat_free(m->ms_b);
    sm_flatness_free(m->fl);
    free(m->w);
    free(m->w2);
    free(m->mag_a);
    free(m->mag_b);
    free(m->pre);
    free(m->suf);
    free(m);
}

sm_mod *sm_mod_new(int window, int hop, double fs_hz, float snr_window_ms,
                   sm_error *err)
{
    sm_error e = SM_ERR_NOMEM;
    sm_mod *m = calloc(1, sizeof *m);
    if (!m)
        goto fail;
    m->bins = window / 2 + 1;
    float bias = sm_minstat_calibrate(window, hop, fs_hz, snr_window_ms, &e);
    if (!(bias > 0.0f))
        goto fail;
    if (!(m->sf_a = sm_superflux_new(window, hop, fs_hz, &e)) ||
        !(m->sf_b = sm_superflux_new(window, hop, fs_hz, &e)) ||
        !(m->ms_a = sm_minstat_new(window, hop, fs_hz, snr_window_ms, bias,
                                   &e)) ||
        !(m->ms_b = sm_minstat_new(window, hop, fs_hz, snr_window_ms, bias,
                                   &e)) ||
        !(m->fl = sm_flatness_new(m->bins, hop, fs_hz, &e)))
        goto fail;
    e = SM_ERR_NOMEM;
    m->w = calloc((size_t)m->bins, sizeof(float));
    m->w2 = calloc((size_t)m->bins, sizeof(float));
    m->mag_a = calloc((size_t)m->bins, sizeof(float));
    m->mag_b = calloc((size_t)m->bins, sizeof(float));
    m->pre = calloc((size_t)m->bins, sizeof(float));
    m->suf = calloc((size_t)m->bins, sizeof(float));
    if (!m->w || !m->w2 || !m->mag_a || !m->mag_b || !m->pre || !m->suf)
        goto fail;
    m->out.w = m->w;
    m->out.w2 = m->w2;
    m->out.mag_a = m->mag_a;
    m->out.mag_b = m->mag_b;
    m->out.pre = m->pre;
    m->out.suf = m->suf;
    return m;
fail:
    sm_mod_free(m);
    if (err)
        *err = e;
    return NULL;
}

void sm_mod_reset(sm_mod *m)
{
    /* The analyses restart when next used. */
    m->on_transient = m->on_tonality = m->on_snr = 0;
}

void sm_mod_set_transient_ms(sm_mod *m, float ms)
{
    sm_superflux_set_decay_ms(m->sf_a, ms);
    sm_superflux_set_decay_ms(m->sf_b, ms);
}

const sm_mod_frame *sm_mod_analyze(sm_mod *m, const sm_cpx *a,
                                   const sm_cpx *b, float pos,
                                   float transient, float tonality,
                                   float snr)
{
    sm_mod_frame *o = &m->out;
    o->transient = o->tonality = o->snr = 0.0f;
    o->pull_a = o->pull_b = 0.0f;

    if (transient > 0.0f) {
        if (!m->on_transient) {
            sm_superflux_reset(m->sf_a);
            sm_superflux_reset(m->sf_b);
            m->on_transient = 1;
        }
        o->transient = transient;
        o->pull_a = transient * sm_superflux_frame(m->sf_a, a);
        o->pull_b = transient * sm_superflux_frame(m->sf_b, b);
    } else {
        m->on_transient = 0;
    }

    if (tonality > 0.0f) {
        if (!m->on_tonality) {
            sm_flatness_reset(m->fl);
            m->on_tonality = 1;
        }
        /* Flatness of what the merge sees: the morph-scaled powers. */
        float qa, qb;
        sm_morph_gains(pos, &qa, &qb);
        const float qa2 = qa * qa, qb2 = qb * qb;
        float *p = sm_flatness_input(m->fl);
        for (int k = 0; k < m->bins; k++)
            p[k] = qa2 * (a[k].re * a[k].re + a[k].im * a[k].im) +
                   qb2 * (b[k].re * b[k].re + b[k].im * b[k].im);
        o->flat = sm_flatness_frame(m->fl);
        o->tonality = tonality;
    } else {
        m->on_tonality = 0;
    }

    if (snr > 0.0f) {
        if (!m->on_snr) {
            sm_minstat_reset(m->ms_a);
            sm_minstat_reset(m->ms_b);
            m->on_snr = 1;
        }
        sm_minstat_frame(m->ms_a, a);
        sm_minstat_frame(m->ms_b, b);
        o->pow_a = sm_minstat_power(m->ms_a);
        o->noise_a = sm_minstat_noise(m->ms_a);
        o->pow_b = sm_minstat_power(m->ms_b);
        o->noise_b = sm_minstat_noise(m->ms_b);
        /* Fade in while the tracker fills its first window. */
        long n = sm_minstat_frames(m->ms_a);
        long d = sm_minstat_window_frames(m->ms_a);
        o->snr = n >= d ? snr : snr * (float)n / (float)d;
    } else {
        m->on_snr = 0;
    }

    if (o->transient == 0.0f && o->tonality == 0.0f && o->snr == 0.0f)
        return NULL;
    return o;
}
