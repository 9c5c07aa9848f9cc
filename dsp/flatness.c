/* flatness.c: per-bin spectral flatness; see flatness.h. Owns the power
 * and log-power buffers of one frame and the smoothed log flatness. */
#include "flatness.h"

#include "modkernels.h"

#include <math.h>
#include <stdlib.h>

struct sm_flatness {
    int bins, primed;
    float beta;    /* one-pole coefficient per frame */
    float *p;      /* input powers */
    float *lp;     /* ln(p + floor) */
    float *lf;     /* smoothed log flatness */
    float *flat;   /* output 0..1 */
    float *pre_lp, *suf_lp, *pre_p, *suf_p; /* block scans (modkernels.h) */
};

void sm_flatness_free(sm_flatness *fl)
{
    if (!fl)
        return;
    free(fl->p);
    free(fl->lp);
    free(fl->lf);
    free(fl->flat);
    free(fl->pre_lp);
    free(fl->suf_lp);
    free(fl->pre_p);
    free(fl->suf_p);
    free(fl);
}

sm_flatness *sm_flatness_new(int bins, int hop, double fs_hz, sm_error *err)
{
    if (bins < 1 || hop < 1 || !(fs_hz > 0.0)) {
        if (err)
            *err = SM_ERR_CONFIG;
        return NULL;
    }
    sm_flatness *fl = calloc(1, sizeof *fl);
    if (!fl)
        goto fail;
    fl->bins = bins;
    fl->beta = (float)exp(-(double)hop / (fs_hz * SM_FLAT_SMOOTH_MS * 1e-3));
    fl->p = calloc((size_t)bins, sizeof(float));
    fl->lp = calloc((size_t)bins, sizeof(float));
    fl->lf = calloc((size_t)bins, sizeof(float));
    fl->flat = calloc((size_t)bins, sizeof(float));
    fl->pre_lp = calloc((size_t)bins, sizeof(float));
    fl->suf_lp = calloc((size_t)bins, sizeof(float));
    fl->pre_p = calloc((size_t)bins, sizeof(float));
    fl->suf_p = calloc((size_t)bins, sizeof(float));
    if (!fl->p || !fl->lp || !fl->lf || !fl->flat || !fl->pre_lp ||
        !fl->suf_lp || !fl->pre_p || !fl->suf_p)
        goto fail;
    return fl;
fail:
    sm_flatness_free(fl);
    if (err)
        *err = SM_ERR_NOMEM;
    return NULL;
}

void sm_flatness_reset(sm_flatness *fl) { fl->primed = 0; }

float *sm_flatness_input(sm_flatness *fl) { return fl->p; }

const float *sm_flatness_frame(sm_flatness *fl)
{
    const int bins = fl->bins;
    for (int k = 0; k < bins; k++)
        fl->lp[k] = sm_fast_logf(fl->p[k] + SM_LOG_POWER_FLOOR);
    const float beta = fl->primed ? fl->beta : 0.0f;
    const int h = SM_FLAT_HALF_BINS, w = 2 * h + 1;
    for (int j = 0; j * w < bins; j++) {
        sm_window_scan(fl->lp, bins, w, j, fl->pre_lp, fl->suf_lp);
        sm_window_scan(fl->p, bins, w, j, fl->pre_p, fl->suf_p);
    }
    for (int k = 0; k < bins; k++) {
        float n = (float)sm_window_count(bins, k, h);
        float ml = sm_window_sum(fl->lp, fl->pre_lp, fl->suf_lp, bins, k, h);
        float mp = sm_window_sum(fl->p, fl->pre_p, fl->suf_p, bins, k, h);
        float v = sm_flatness_log(ml / n, mp / n);
        float s = sm_power_smooth(fl->lf[k], v, beta);
        fl->lf[k] = s;
        fl->flat[k] = sm_flatness_from_log(s);
    }
    fl->primed = 1;
    return fl->flat;
}
