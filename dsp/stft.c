/* stft.c: windows and FFTW plans of one STFT size; see stft.h. */
#include "stft.h"

#include <fftw3.h>
#include <math.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

struct sm_stft {
    int n, hop, bins;
    float *win_a; /* periodic Hann */
    float *win_s; /* dual window with the 1/n of the inverse FFT folded in */
    float *tbuf;  /* time-domain work buffer, n */
    fftwf_plan fwd, inv;
};

static pthread_once_t fftw_once = PTHREAD_ONCE_INIT;
static void fftw_once_fn(void) { fftwf_make_planner_thread_safe(); }
void sm_fftw_init(void) { pthread_once(&fftw_once, fftw_once_fn); }

float *sm_stft_alloc_real(size_t n)
{
    float *p = fftwf_alloc_real(n ? n : 1);
    if (p)
        memset(p, 0, sizeof(float) * (n ? n : 1));
    return p;
}

sm_cpx *sm_stft_alloc_spec(const sm_stft *s)
{
    sm_cpx *p = (sm_cpx *)fftwf_alloc_complex((size_t)s->bins);
    if (p)
        memset(p, 0, sizeof(sm_cpx) * (size_t)s->bins);
    return p;
}

void sm_stft_free_buf(void *p)
{
    if (p)
        fftwf_free(p);
}

int sm_stft_bins(const sm_stft *s) { return s->bins; }

void sm_stft_free(sm_stft *s)
{
    if (!s)
        return;
    if (s->fwd)
        fftwf_destroy_plan(s->fwd);
    if (s->inv)
        fftwf_destroy_plan(s->inv);
    sm_stft_free_buf(s->win_a);
    sm_stft_free_buf(s->win_s);
    sm_stft_free_buf(s->tbuf);
    free(s);
}

sm_stft *sm_stft_new(int window, int hop, sm_error *err)
{
    sm_error e = SM_ERR_CONFIG;
    sm_stft *s = NULL;
    sm_cpx *spec = NULL;
    if (window < 4 || (window & 1) || hop < 1 || hop > window / 2)
        goto fail;
    e = SM_ERR_NOMEM;
    s = calloc(1, sizeof *s);
    if (!s)
        goto fail;
    s->n = window;
    s->hop = hop;
    s->bins = window / 2 + 1;
    s->win_a = sm_stft_alloc_real((size_t)window);
    s->win_s = sm_stft_alloc_real((size_t)window);
    s->tbuf = sm_stft_alloc_real((size_t)window);
    spec = sm_stft_alloc_spec(s);
    if (!s->win_a || !s->win_s || !s->tbuf || !spec)
        goto fail;

    for (int i = 0; i < window; i++)
        s->win_a[i] =
            (float)(0.5 - 0.5 * cos(2.0 * M_PI * (double)i / (double)window));
    for (int i = 0; i < window; i++) {
        /* Sum of squared analysis windows over all frames covering i. */
        double den = 0.0;
        for (int j = i % hop; j < window; j += hop)
            den += (double)s->win_a[j] * (double)s->win_a[j];
        if (!(den > 1e-9)) {
            e = SM_ERR_CONFIG;
            goto fail;
        }
        s->win_s[i] = (float)((double)s->win_a[i] / (den * (double)window));
    }

    sm_fftw_init();
    e = SM_ERR_FFT;
    s->fwd = fftwf_plan_dft_r2c_1d(window, s->tbuf, (fftwf_complex *)spec,
                                   FFTW_ESTIMATE);
    s->inv = fftwf_plan_dft_c2r_1d(window, (fftwf_complex *)spec, s->tbuf,
                                   FFTW_ESTIMATE);
    if (!s->fwd || !s->inv)
        goto fail;
    sm_stft_free_buf(spec);
    return s;
fail:
    sm_stft_free_buf(spec);
    sm_stft_free(s);
    if (err)
        *err = e;
    return NULL;
}

void sm_stft_analyze(sm_stft *s, const float *frame, sm_cpx *spec)
{
    const float *w = s->win_a;
    float *t = s->tbuf;
    for (int i = 0; i < s->n; i++)
        t[i] = frame[i] * w[i];
    fftwf_execute_dft_r2c(s->fwd, t, (fftwf_complex *)spec);
}

void sm_stft_synth_add(sm_stft *s, sm_cpx *spec, float *ola)
{
    const float *w = s->win_s;
    float *t = s->tbuf;
    fftwf_execute_dft_c2r(s->inv, (fftwf_complex *)spec, t);
    for (int i = 0; i < s->n; i++)
        ola[i] += t[i] * w[i];
}
