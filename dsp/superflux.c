/* superflux.c: online SuperFlux onset detector and transient envelope;
 * see superflux.h for the method and what differs from the paper. Owns the
 * log-magnitude history of one source (lag frames) and the short odf
 * history of the peak picker, all allocated at creation. */
#include "superflux.h"

#include "modkernels.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sm_superflux {
    int bins, lag;
    float scale;      /* (lambda / (N/4))^2: a full-scale sine's peak = 1 */
    float *hist;      /* lag x bins: maximum-filtered log magnitudes */
    float *cur;       /* bins: log magnitudes of this frame */
    int head;         /* slot of hist holding frame t - lag */
    int primed;       /* frames in hist (up to lag) */
    float *odf_hist;  /* pre_avg values, ring */
    int navg, nmax, combine, hold_frames;
    int odf_pos, odf_count;
    int since_onset;  /* frames since the last onset */
    int hold;         /* frames of envelope 1 still to come */
    float odf, env, decay;
    int onset;
    double hop_s;
};

static int frames_of(double ms, double hop_s)
{
    int n = (int)ceil(ms * 1e-3 / hop_s - 1e-9);
    return n < 1 ? 1 : n;
}

void sm_superflux_free(sm_superflux *sf)
{
    if (!sf)
        return;
    free(sf->hist);
    free(sf->cur);
    free(sf->odf_hist);
    free(sf);
}

sm_superflux *sm_superflux_new(int window, int hop, double fs_hz,
                               sm_error *err)
{
    sm_superflux *sf = NULL;
    if (window < 4 || hop < 1 || !(fs_hz > 0.0)) {
        if (err)
            *err = SM_ERR_CONFIG;
        return NULL;
    }
    sf = calloc(1, sizeof *sf);
    if (!sf)
        goto fail;
    sf->bins = window / 2 + 1;
    int lag = (int)floor((double)window / (4.0 * hop) + 0.5);
    sf->lag = lag < 1 ? 1 : lag > SM_FLUX_LAG_MAX ? SM_FLUX_LAG_MAX : lag;
    float norm = SM_FLUX_LAMBDA / (0.25f * (float)window);
    sf->scale = norm * norm; /* on the power */
    sf->hop_s = (double)hop / fs_hz;
    sf->navg = frames_of(SM_FLUX_PRE_AVG_MS, sf->hop_s);
    sf->nmax = frames_of(SM_FLUX_PRE_MAX_MS, sf->hop_s);
    if (sf->nmax > sf->navg)
        sf->nmax = sf->navg;
    sf->combine = frames_of(SM_FLUX_COMBINE_MS, sf->hop_s);
    sf->hold_frames = (window + hop - 1) / hop;
    sf->hist = calloc((size_t)sf->lag * (size_t)sf->bins, sizeof(float));
    sf->cur = calloc((size_t)sf->bins, sizeof(float));
    sf->odf_hist = calloc((size_t)sf->navg, sizeof(float));
    if (!sf->hist || !sf->cur || !sf->odf_hist)
        goto fail;
    sm_superflux_set_decay_ms(sf, 30.0f);
    sm_superflux_reset(sf);
    return sf;
fail:
    sm_superflux_free(sf);
    if (err)
        *err = SM_ERR_NOMEM;
    return NULL;
}

void sm_superflux_reset(sm_superflux *sf)
{
    sf->head = 0;
    sf->primed = 0;
    sf->odf_pos = 0;
    sf->odf_count = 0;
    sf->since_onset = sf->combine; /* an onset may come at once */
    sf->hold = 0;
    sf->odf = 0.0f;
    sf->env = 0.0f;
    sf->onset = 0;
}

void sm_superflux_set_decay_ms(sm_superflux *sf, float ms)
{
    sf->decay = ms > 0.0f ? (float)exp(-sf->hop_s / (ms * 1e-3)) : 0.0f;
}

int sm_superflux_onset(const sm_superflux *sf) { return sf->onset; }
float sm_superflux_odf(const sm_superflux *sf) { return sf->odf; }
float sm_superflux_envelope(const sm_superflux *sf) { return sf->env; }
int sm_superflux_lag(const sm_superflux *sf) { return sf->lag; }

/* Causal peak picking on the odf history (the current value included). */
static int pick(sm_superflux *sf, float odf)
{
    sf->odf_hist[sf->odf_pos] = odf;
    sf->odf_pos = (sf->odf_pos + 1) % sf->navg;
    if (sf->odf_count < sf->navg)
        sf->odf_count++;
    if (sf->since_onset < sf->combine)
        sf->since_onset++;
    float sum = 0.0f, mx = 0.0f;
    for (int j = 0; j < sf->odf_count; j++) {
        int p = (sf->odf_pos - 1 - j + 2 * sf->navg) % sf->navg;
        float v = sf->odf_hist[p];
        sum += v;
        if (j < sf->nmax && v > mx)
            mx = v;
    }
    float mean = sum / (float)sf->odf_count;
    if (odf >= mx && odf >= mean + SM_FLUX_DELTA &&
        sf->since_onset >= sf->combine) {
        sf->since_onset = 0;
        return 1;
    }
    return 0;
}

float sm_superflux_frame(sm_superflux *sf, const sm_cpx *spec)
{
    const int bins = sf->bins;
    float *cur = sf->cur;
    for (int k = 0; k < bins; k++) {
        float p = spec[k].re * spec[k].re + spec[k].im * spec[k].im;
        cur[k] = sm_flux_logmag(p, sf->scale);
    }
    /* The oldest slot holds frame t - lag; this frame replaces it. */
    float *slot = sf->hist + (size_t)sf->head * (size_t)bins;
    int ready = sf->primed >= sf->lag;
    float odf = 0.0f;
    if (ready) {
        float s = 0.0f;
        for (int k = 0; k < bins; k++)
            s += sm_flux_rise(cur[k], slot[k]);
        odf = s / (float)bins;
    } else {
        sf->primed++;
    }
    for (int k = 0; k < bins; k++)
        slot[k] = sm_flux_maxfilt3(cur, bins, k);
    sf->head = (sf->head + 1) % sf->lag;

    sf->odf = odf;
    sf->onset = ready ? pick(sf, odf) : 0;
    if (sf->onset) {
        sf->env = 1.0f;
        sf->hold = sf->hold_frames - 1;
    } else if (sf->hold > 0) {
        sf->hold--;
    } else {
        sf->env *= sf->decay;
        if (sf->env < 1e-6f)
            sf->env = 0.0f;
    }
    return sf->env;
}
