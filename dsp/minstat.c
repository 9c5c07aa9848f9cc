/* minstat.c: minimum-statistics noise tracker; see minstat.h for the
 * method and the simplifications. Owns the per-bin smoothed power, the
 * running minimum of the current sub-window, the ring of the completed
 * sub-window minima and their minimum, all allocated at creation. */
#include "minstat.h"

#include "modkernels.h"
#include "stft.h"

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

struct sm_minstat {
    int bins, V, D;
    float alpha, bias;
    float *P;      /* smoothed power */
    float *actmin; /* minimum of the current sub-window */
    float *ring;   /* (U - 1) x bins: minima of the completed sub-windows */
    float *minsub; /* minimum over ring */
    float *noise;
    int ring_pos, sub_count;
    long frames;
};

void sm_minstat_free(sm_minstat *ms)
{
    if (!ms)
        return;
    free(ms->P);
    free(ms->actmin);
    free(ms->ring);
    free(ms->minsub);
    free(ms->noise);
    free(ms);
}

static sm_minstat *create(int window, int hop, double fs_hz, float window_ms,
                          float bias, sm_error *err)
{
    sm_minstat *ms = calloc(1, sizeof *ms);
    if (!ms) {
        if (err)
            *err = SM_ERR_NOMEM;
        return NULL;
    }
    ms->bins = window / 2 + 1;
    double d = (double)window_ms * 1e-3 * fs_hz / (double)hop;
    int V = (int)floor(d / SM_MINSTAT_U + 0.5);
    ms->V = V < 1 ? 1 : V;
    ms->D = SM_MINSTAT_U * ms->V;
    ms->alpha =
        (float)exp(-(double)hop / (fs_hz * SM_MINSTAT_SMOOTH_MS * 1e-3));
    ms->bias = bias;
    size_t n = (size_t)ms->bins;
    ms->P = calloc(n, sizeof(float));
    ms->actmin = calloc(n, sizeof(float));
    ms->ring = calloc((SM_MINSTAT_U - 1) * n, sizeof(float));
    ms->minsub = calloc(n, sizeof(float));
    ms->noise = calloc(n, sizeof(float));
    if (!ms->P || !ms->actmin || !ms->ring || !ms->minsub || !ms->noise) {
        sm_minstat_free(ms);
        if (err)
            *err = SM_ERR_NOMEM;
        return NULL;
    }
    sm_minstat_reset(ms);
    return ms;
}

void sm_minstat_reset(sm_minstat *ms)
{
    size_t n = (size_t)ms->bins;
    for (size_t k = 0; k < n; k++) {
        ms->actmin[k] = FLT_MAX;
        ms->minsub[k] = FLT_MAX;
    }
    for (size_t k = 0; k < (SM_MINSTAT_U - 1) * n; k++)
        ms->ring[k] = FLT_MAX;
    memset(ms->noise, 0, n * sizeof(float));
    ms->ring_pos = 0;
    ms->sub_count = 0;
    ms->frames = 0;
}

void sm_minstat_frame(sm_minstat *ms, const sm_cpx *spec)
{
    const int bins = ms->bins;
    /* The first frame starts the smoothing from itself (P stays finite
     * across resets, so 0 * P is 0). */
    const float alpha = ms->frames ? ms->alpha : 0.0f;
    for (int k = 0; k < bins; k++) {
        float p = spec[k].re * spec[k].re + spec[k].im * spec[k].im;
        ms->noise[k] = sm_minstat_track(&ms->P[k], &ms->actmin[k], p, alpha,
                                        ms->minsub[k], ms->bias);
    }
    ms->frames++;
    if (++ms->sub_count < ms->V)
        return;
    /* A sub-window is complete: its minimum replaces the oldest one. */
    ms->sub_count = 0;
    float *slot = ms->ring + (size_t)ms->ring_pos * (size_t)bins;
    memcpy(slot, ms->actmin, (size_t)bins * sizeof(float));
    ms->ring_pos = (ms->ring_pos + 1) % (SM_MINSTAT_U - 1);
    for (int k = 0; k < bins; k++) {
        float m = ms->ring[k];
        for (int u = 1; u < SM_MINSTAT_U - 1; u++) {
            float v = ms->ring[(size_t)u * (size_t)bins + (size_t)k];
            m = v < m ? v : m;
        }
        ms->minsub[k] = m;
        ms->actmin[k] = FLT_MAX;
    }
}

const float *sm_minstat_noise(const sm_minstat *ms) { return ms->noise; }
const float *sm_minstat_power(const sm_minstat *ms) { return ms->P; }
long sm_minstat_frames(const sm_minstat *ms) { return ms->frames; }
int sm_minstat_window_frames(const sm_minstat *ms) { return ms->D; }
float sm_minstat_bias(const sm_minstat *ms) { return ms->bias; }

float sm_minstat_calibrate(int window, int hop, double fs_hz,
                           float window_ms, sm_error *err)
{
    sm_error e = SM_ERR_NOMEM;
    float bias = 0.0f;
    sm_stft *st = sm_stft_new(window, hop, &e);
    sm_minstat *ms = st ? create(window, hop, fs_hz, window_ms, 1.0f, &e)
                        : NULL;
    float *frame = sm_stft_alloc_real((size_t)window);
    sm_cpx *spec = st ? sm_stft_alloc_spec(st) : NULL;
    if (!st || !ms || !frame || !spec)
        goto out;
    /* White noise (xorshift32, uniform: each bin of the periodogram is
     * complex Gaussian by the central limit theorem); the window is full
     * from the first frame. The bias is the mean power over the mean
     * uncompensated estimate, over the interior bins (DC and Nyquist are
     * real, with another distribution) of every frame once the first
     * window is complete. */
    uint32_t s = 0x9e3779b9u;
    for (int i = 0; i < window; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        frame[i] = (float)(s >> 8) / 8388608.0f - 1.0f;
    }
    const long warm = ms->D, meas = ms->D < 16 ? 32 : 2L * ms->D;
    double sum_p = 0.0, sum_n = 0.0;
    for (long f = 0; f < warm + meas; f++) {
        if (f > 0) {
            memmove(frame, frame + hop, (size_t)(window - hop) * sizeof(float));
            for (int i = window - hop; i < window; i++) {
                s ^= s << 13;
                s ^= s >> 17;
                s ^= s << 5;
                frame[i] = (float)(s >> 8) / 8388608.0f - 1.0f;
            }
        }
        sm_stft_analyze(st, frame, spec);
        sm_minstat_frame(ms, spec);
        if (f < warm)
            continue;
        for (int k = 1; k < ms->bins - 1; k++) {
            sum_p += (double)spec[k].re * spec[k].re +
                     (double)spec[k].im * spec[k].im;
            sum_n += ms->noise[k];
        }
    }
    e = SM_ERR_CONFIG;
    if (sum_n > 0.0 && sum_p > 0.0) {
        bias = (float)(sum_p / sum_n);
        e = SM_OK;
    }
out:
    sm_stft_free_buf(frame);
    sm_stft_free_buf(spec);
    sm_minstat_free(ms);
    sm_stft_free(st);
    if (e != SM_OK && err)
        *err = e;
    return e == SM_OK ? bias : 0.0f;
}

sm_minstat *sm_minstat_new(int window, int hop, double fs_hz,
                           float window_ms, float bias, sm_error *err)
{
    if (window < 4 || hop < 1 || hop > window / 2 || !(fs_hz > 0.0) ||
        !(window_ms > 0.0f)) {
        if (err)
            *err = SM_ERR_CONFIG;
        return NULL;
    }
    if (!(bias > 0.0f)) {
        bias = sm_minstat_calibrate(window, hop, fs_hz, window_ms, err);
        if (!(bias > 0.0f))
            return NULL;
    }
    return create(window, hop, fs_hz, window_ms, bias, err);
}
