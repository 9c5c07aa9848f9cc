/* phase/offline.c: whole-signal STFT with the band's framing, offline
 * reconstruction through any method, and spectral convergence; see
 * offline.h. */
#include "phase/offline.h"

#include "phase/gla.h"
#include "phase/pghi.h"
#include "stft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

int sm_spec_frames(size_t len, int window, int hop)
{
    if (len == 0 || window < 2 || hop < 1)
        return 0;
    return (int)((len - 1 + (size_t)(window - hop)) / (size_t)hop) + 1;
}

/* Frame m of x, with the window - hop zeros in front, into frame[]. */
static void frame_get(const float *x, size_t len, int window, int hop, int m,
                      float *frame)
{
    long start = (long)m * hop - (long)(window - hop);
    for (int i = 0; i < window; i++) {
        long t = start + i;
        frame[i] = (t >= 0 && (size_t)t < len) ? x[t] : 0.0f;
    }
}

sm_error sm_spec_analyze(const float *x, size_t len, int window, int hop,
                         sm_cpx *spec)
{
    if (!x || !spec)
        return SM_ERR_NULL;
    sm_error e = SM_ERR_NOMEM;
    sm_stft *s = sm_stft_new(window, hop, &e);
    if (!s)
        return e;
    const int bins = sm_stft_bins(s), frames = sm_spec_frames(len, window, hop);
    float *frame = sm_stft_alloc_real((size_t)window);
    sm_cpx *tmp = sm_stft_alloc_spec(s);
    if (!frame || !tmp) {
        e = SM_ERR_NOMEM;
        goto out;
    }
    for (int m = 0; m < frames; m++) {
        frame_get(x, len, window, hop, m, frame);
        sm_stft_analyze(s, frame, tmp);
        memcpy(spec + (size_t)m * (size_t)bins, tmp,
               (size_t)bins * sizeof(sm_cpx));
    }
    e = SM_OK;
out:
    sm_stft_free_buf(frame);
    sm_stft_free_buf(tmp);
    sm_stft_free(s);
    return e;
}

sm_error sm_spec_synth(const sm_cpx *spec, int frames, int window, int hop,
                       float *x, size_t len)
{
    if (!spec || !x)
        return SM_ERR_NULL;
    sm_error e = SM_ERR_NOMEM;
    sm_stft *s = sm_stft_new(window, hop, &e);
    if (!s)
        return e;
    const int bins = sm_stft_bins(s);
    const size_t pad = (size_t)(window - hop);
    const size_t total = (size_t)frames * (size_t)hop + (size_t)window;
    float *acc = sm_stft_alloc_real(total);
    sm_cpx *tmp = sm_stft_alloc_spec(s);
    if (!acc || !tmp) {
        e = SM_ERR_NOMEM;
        goto out;
    }
    for (int m = 0; m < frames; m++) {
        memcpy(tmp, spec + (size_t)m * (size_t)bins,
               (size_t)bins * sizeof(sm_cpx));
        sm_stft_synth_add(s, tmp, acc + (size_t)m * (size_t)hop);
    }
    for (size_t i = 0; i < len; i++)
        x[i] = pad + i < total ? acc[pad + i] : 0.0f;
    e = SM_OK;
out:
    sm_stft_free_buf(acc);
    sm_stft_free_buf(tmp);
    sm_stft_free(s);
    return e;
}

/* A streaming method over the whole spectrogram, flushed through its
 * look-ahead with silent frames. */
static sm_error run_streaming(const sm_phase_setup *s, const float *mag,
                              int frames, const sm_cpx *est, int iterations,
                              sm_cpx *spec)
{
    sm_error e = SM_ERR_NOMEM;
    const int bins = s->window / 2 + 1;
    sm_phase *p = sm_phase_new(s, &e);
    if (!p)
        return e;
    const int L = sm_phase_lookahead(s);
    float *zmag = calloc((size_t)bins, sizeof(float));
    sm_cpx *zest = calloc((size_t)bins, sizeof(sm_cpx));
    sm_cpx *out = calloc((size_t)bins, sizeof(sm_cpx));
    if (!zmag || !zest || !out) {
        e = SM_ERR_NOMEM;
        goto done;
    }
    const sm_param_info *step = sm_param_get_info(SM_P_PHASE_STEP);
    const sm_param_info *div = sm_param_get_info(SM_P_PHASE_DIVERGENCE);
    for (int m = 0; m < frames + L; m++) {
        const size_t off = (size_t)m * (size_t)bins;
        sm_phase_in in = {
            .mag = m < frames ? mag + off : zmag,
            .est = est ? (m < frames ? est + off : zest) : NULL,
            .anchor = NULL,
            .iterations = iterations,
            .divergence = (int)div->def,
            .step = step->def,
        };
        sm_phase_process(p, &in, out);
        if (m >= L)
            memcpy(spec + (size_t)(m - L) * (size_t)bins, out,
                   (size_t)bins * sizeof(sm_cpx));
    }
    e = SM_OK;
done:
    free(zmag);
    free(zest);
    free(out);
    sm_phase_free(p);
    return e;
}

sm_error sm_phase_offline(const sm_phase_setup *s, const float *mag,
                          int frames, const sm_cpx *est, int iterations,
                          sm_cpx *spec)
{
    if (!s || !mag || !spec)
        return SM_ERR_NULL;
    if (frames < 0 || s->window < 4 || (s->window & 1) || s->hop < 1 ||
        s->hop > s->window / 2)
        return SM_ERR_CONFIG;
    if (frames == 0)
        return SM_OK;
    if (iterations < 1)
        iterations = 1;
    if (iterations > SM_PHASE_MAX_ITERATIONS && s->method < SM_PHASE_GLA)
        iterations = SM_PHASE_MAX_ITERATIONS;
    const size_t count = (size_t)frames * (size_t)(s->window / 2 + 1);
    switch (s->method) {
    case SM_PHASE_GLA:
        if (est)
            memcpy(spec, est, count * sizeof(sm_cpx));
        else
            for (size_t i = 0; i < count; i++)
                spec[i] = (sm_cpx){mag[i], 0.0f};
        return sm_gla_run(s->window, s->hop, mag, frames, spec, iterations,
                          0.0f);
    case SM_PHASE_FGLA: {
        /* A good start is most of fast Griffin-Lim's work: PGHI's phase is
         * already close to consistent, so far fewer iterations reach the
         * level a start from zero phase needs a hundred for. */
        sm_error e = sm_pghi_offline(s->window, s->hop, mag, frames, spec);
        if (e != SM_OK)
            return e;
        return sm_gla_run(s->window, s->hop, mag, frames, spec, iterations,
                          0.99f);
    }
    default:
        return run_streaming(s, mag, frames, est, iterations, spec);
    }
}

double sm_spectral_convergence_db(const float *mag, int frames, int window,
                                  int hop, const float *y, size_t len)
{
    const int bins = window / 2 + 1;
    const size_t count = (size_t)frames * (size_t)bins;
    double num = 0.0, den = 0.0;
    int fy = sm_spec_frames(len, window, hop);
    sm_cpx *spec = fy > 0 ? calloc((size_t)fy * (size_t)bins, sizeof(sm_cpx))
                          : NULL;
    if (fy > 0 && (!spec || sm_spec_analyze(y, len, window, hop, spec)))
        fy = -1; /* cannot measure */
    for (size_t i = 0; i < count; i++) {
        size_t m = i / (size_t)bins;
        double a = mag[i], b = 0.0;
        if (fy > 0 && m < (size_t)fy)
            b = sm_cabs(spec[i]);
        num += (a - b) * (a - b);
        den += a * a;
    }
    free(spec);
    if (fy < 0)
        return NAN;
    if (den == 0.0)
        return num == 0.0 ? 0.0 : INFINITY;
    if (num == 0.0)
        return -INFINITY;
    return 10.0 * log10(num / den);
}
