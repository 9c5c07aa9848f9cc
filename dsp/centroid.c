/* centroid.c: frames, the combined power spectrum, the log centroid, the
 * gate and the smoothing; see centroid.h for the rules and why. */
#include "centroid.h"

#include "stft.h"

#include <fftw3.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sm_centroid {
    double fs_hz;
    int n, hop;         /* frame, hop (n / 2) */
    int k0, k1;         /* bins analysed: k0 .. k1 inclusive */
    double *lnf;        /* ln(f_k) for k0 .. k1 */
    float *win;         /* periodic Hann, n */
    double ms_scale;    /* 2 / (n sum w^2): sum P_k -> mean square */
    fftwf_complex *hist; /* a + i b, the last n samples; the newest hop
                            fills [n - hop, n) */
    fftwf_complex *buf; /* windowed frame, transformed in place */
    fftwf_plan plan;
    size_t phase;       /* samples since the last hop */
    /* settings: requested (any time) and in force (latched at hops) */
    int active_req, active;
    double smooth_req, gain;
    /* state */
    int seeded;
    double ln_hz;       /* smoothed ln(centroid) */
    double frame_hz, level_dbfs;
    unsigned long long frames, gated;
};

static double gain_for(const sm_centroid *c, double smooth_ms)
{
    if (smooth_ms <= 0.0)
        return 1.0;
    return 1.0 - exp(-(double)c->hop / (c->fs_hz * smooth_ms * 1e-3));
}

void sm_centroid_free(sm_centroid *c)
{
    if (!c)
        return;
    if (c->plan)
        fftwf_destroy_plan(c->plan);
    if (c->hist)
        fftwf_free(c->hist);
    if (c->buf)
        fftwf_free(c->buf);
    sm_stft_free_buf(c->win);
    free(c->lnf);
    free(c);
}

sm_centroid *sm_centroid_new(double fs_hz, double smooth_ms, sm_error *err)
{
    sm_error e = SM_ERR_RATE;
    sm_centroid *c = NULL;
    if (!(fs_hz >= 1000.0))
        goto fail;
    e = SM_ERR_NOMEM;
    c = calloc(1, sizeof *c);
    if (!c)
        goto fail;
    c->fs_hz = fs_hz;
    /* ~43 ms at any rate: the nearest power of two to 2048 * fs / 48k. */
    int n = 1 << (int)floor(log2(SM_CENTROID_FRAME_48K * fs_hz / 48000.0) +
                            0.5);
    c->n = n < 64 ? 64 : n;
    c->hop = c->n / 2;
    double top = SM_CENTROID_HI_HZ < 0.5 * fs_hz ? SM_CENTROID_HI_HZ
                                                 : 0.5 * fs_hz;
    c->k0 = (int)ceil(SM_CENTROID_LO_HZ * c->n / fs_hz);
    if (c->k0 < 1)
        c->k0 = 1; /* never DC */
    c->k1 = (int)floor(top * c->n / fs_hz);
    if (c->k1 > c->n / 2 - 1)
        c->k1 = c->n / 2 - 1; /* never Nyquist: its Z pairs with itself */
    c->lnf = malloc(sizeof(double) * (size_t)(c->k1 - c->k0 + 1));
    c->win = sm_stft_alloc_real((size_t)c->n);
    c->hist = fftwf_alloc_complex((size_t)c->n);
    c->buf = fftwf_alloc_complex((size_t)c->n);
    if (!c->lnf || !c->win || !c->hist || !c->buf)
        goto fail;
    memset(c->hist, 0, sizeof(fftwf_complex) * (size_t)c->n);
    memset(c->buf, 0, sizeof(fftwf_complex) * (size_t)c->n);
    for (int k = c->k0; k <= c->k1; k++)
        c->lnf[k - c->k0] = log((double)k * fs_hz / c->n);
    double s2 = 0.0;
    for (int i = 0; i < c->n; i++) {
        double w = 0.5 - 0.5 * cos(2.0 * M_PI * i / c->n);
        c->win[i] = (float)w;
        s2 += (double)c->win[i] * c->win[i];
    }
    c->ms_scale = 2.0 / ((double)c->n * s2);
    sm_fftw_init();
    e = SM_ERR_FFT;
    c->plan = fftwf_plan_dft_1d(c->n, c->buf, c->buf, FFTW_FORWARD,
                                FFTW_ESTIMATE);
    if (!c->plan)
        goto fail;
    c->smooth_req = smooth_ms;
    c->gain = gain_for(c, smooth_ms);
    c->level_dbfs = -INFINITY;
    return c;
fail:
    sm_centroid_free(c);
    if (err)
        *err = e;
    return NULL;
}

void sm_centroid_reset(sm_centroid *c)
{
    memset(c->hist, 0, sizeof(fftwf_complex) * (size_t)c->n);
    c->phase = 0;
    c->seeded = 0;
    c->ln_hz = c->frame_hz = 0.0;
    c->level_dbfs = -INFINITY;
    c->frames = c->gated = 0;
}

int sm_centroid_frame(const sm_centroid *c) { return c->n; }
int sm_centroid_hop(const sm_centroid *c) { return c->hop; }

void sm_centroid_set_smooth_ms(sm_centroid *c, double smooth_ms)
{
    c->smooth_req = smooth_ms;
}

void sm_centroid_set_active(sm_centroid *c, int active)
{
    c->active_req = active;
}

size_t sm_centroid_room(const sm_centroid *c)
{
    return (size_t)c->hop - c->phase;
}

/* One frame: the combined power spectrum, the gate, the centroid. */
static void analyse(sm_centroid *c)
{
    const int n = c->n;
    for (int i = 0; i < n; i++) {
        c->buf[i][0] = c->hist[i][0] * c->win[i];
        c->buf[i][1] = c->hist[i][1] * c->win[i];
    }
    fftwf_execute(c->plan);
    double sp = 0.0, spl = 0.0;
    for (int k = c->k0; k <= c->k1; k++) {
        const float *z = c->buf[k], *y = c->buf[n - k];
        double p = (double)z[0] * z[0] + (double)z[1] * z[1] +
                   (double)y[0] * y[0] + (double)y[1] * y[1];
        sp += p;
        spl += p * c->lnf[k - c->k0];
    }
    c->frames++;
    /* sp holds 2 (|A_k|^2 + |B_k|^2) per bin: half of it is the power. */
    double ms = 0.5 * sp * c->ms_scale;
    c->level_dbfs = ms > 0.0 ? 10.0 * log10(ms) : -INFINITY;
    if (!(c->level_dbfs >= SM_CENTROID_GATE_DBFS)) {
        c->gated++;
        return;
    }
    double l = spl / sp;
    c->frame_hz = exp(l);
    if (!c->seeded) {
        c->ln_hz = l;
        c->seeded = 1;
    } else {
        c->ln_hz += c->gain * (l - c->ln_hz);
    }
}

int sm_centroid_push(sm_centroid *c, const float *a, const float *b,
                     size_t n)
{
    fftwf_complex *h = c->hist + (c->n - c->hop) + c->phase;
    for (size_t i = 0; i < n; i++) {
        h[i][0] = a[i];
        h[i][1] = b[i];
    }
    c->phase += n;
    if (c->phase < (size_t)c->hop)
        return 0;
    /* At each hop: settings take effect, then the frame. */
    c->phase = 0;
    c->active = c->active_req;
    c->gain = gain_for(c, c->smooth_req);
    if (c->active)
        analyse(c);
    /* Slide by a hop (hop = n/2: the newer half becomes the older). */
    memcpy(c->hist, c->hist + c->hop, sizeof(fftwf_complex) * (size_t)c->hop);
    return 1;
}

sm_centroid_status sm_centroid_get_status(const sm_centroid *c)
{
    sm_centroid_status st = {
        .hz = c->seeded ? exp(c->ln_hz) : 0.0,
        .frame_hz = c->frame_hz,
        .level_dbfs = c->level_dbfs,
        .seeded = c->seeded,
        .frames = c->frames,
        .gated = c->gated,
    };
    return st;
}
