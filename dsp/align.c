/* align.c: estimator hops, lag tracker and the gliding delay; see align.h
 * for the rules and why. */
#include "align.h"

#include "fdelay.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

struct sm_align {
    double fs_hz;
    int win, lag_max, hop; /* samples */
    sm_gccphat *est;
    sm_fdelay_kernel kern;
    sm_fdelay line[2];  /* A, B: raw history and the delayed read */
    float *seg_a, *seg_b; /* estimator segments */
    size_t phase;       /* samples since the last estimator hop */
    /* settings: requested (any time) and in force (latched at hops) */
    int enabled_req, enabled;
    double smooth_req, glide_req;
    double gain;        /* tracker one-pole gain per estimate */
    double step;        /* glide, samples per sample */
    /* tracker */
    int locked;
    double lag;         /* samples, > 0: B lags A */
    struct cand {       /* lags that estimates away from it agree on */
        double lag;     /* confidence-weighted mean, samples */
        double w;       /* summed confidence, decaying */
        int n;          /* estimates in it */
    } cand[SM_ALIGN_CANDIDATES];
    double cand_decay;  /* per hop: exp(-hop / SM_ALIGN_EVIDENCE_MS) */
    double conf;        /* reported confidence (over the evidence time) */
    double target;      /* signed delay the glide heads for */
    double s;           /* signed delay now, samples */
    sm_gccphat_result last;
    unsigned long long estimates;
};

static double gain_for(const sm_align *al, double smooth_ms)
{
    if (smooth_ms <= 0.0)
        return 1.0;
    return 1.0 - exp(-(double)al->hop / (al->fs_hz * smooth_ms * 1e-3));
}

void sm_align_free(sm_align *al)
{
    if (!al)
        return;
    sm_gccphat_free(al->est);
    sm_fdelay_kernel_free(&al->kern);
    sm_fdelay_free(&al->line[0]);
    sm_fdelay_free(&al->line[1]);
    free(al->seg_a);
    free(al->seg_b);
    free(al);
}

sm_align *sm_align_new(double fs_hz, const sm_align_settings *s,
                       sm_error *err)
{
    sm_error e = SM_ERR_CONFIG;
    sm_align *al = NULL;
    long w = lround(s->window_ms * 1e-3 * fs_hz);
    long l = lround(s->max_lag_ms * 1e-3 * fs_hz);
    if (l < 1 && s->max_lag_ms > 0.0)
        l = 1; /* under half a sample: still one either way */
    if (w < 16 || l < 1)
        goto fail;
    e = SM_ERR_NOMEM;
    al = calloc(1, sizeof *al);
    if (!al)
        goto fail;
    al->fs_hz = fs_hz;
    al->win = (int)w;
    al->lag_max = (int)l;
    /* Half a window: the Hann-windowed references then cover every
     * sample equally; closer hops cost more and add little. But not
     * under a quarter of the FFT (window + 2 max lag): a short window with
     * a long lag range would otherwise run a long FFT every few
     * milliseconds (500 ms of lag, 20 ms window, 384 kHz: most of a
     * core). */
    long hop = w / 2, min_hop = (w + 2 * l) / 4;
    al->hop = (int)(hop > min_hop ? hop : min_hop);
    al->est = sm_gccphat_new(al->win, al->lag_max, &e);
    if (!al->est)
        goto fail;
    e = SM_ERR_NOMEM;
    size_t hist = (size_t)(w + 2 * l);
    if (sm_fdelay_kernel_init(&al->kern) != 0 ||
        sm_fdelay_init(&al->line[0], (double)l, hist) != 0 ||
        sm_fdelay_init(&al->line[1], (double)l, hist) != 0)
        goto fail;
    al->seg_a = malloc(sizeof(float) * (size_t)w);
    al->seg_b = malloc(sizeof(float) * hist);
    if (!al->seg_a || !al->seg_b)
        goto fail;
    al->enabled_req = al->enabled = s->enabled;
    al->smooth_req = s->smooth_ms;
    al->glide_req = s->glide_ms_per_s;
    al->gain = gain_for(al, s->smooth_ms);
    al->step = s->glide_ms_per_s * 1e-3;
    al->cand_decay =
        exp(-(double)al->hop / (fs_hz * SM_ALIGN_EVIDENCE_MS * 1e-3));
    return al;
fail:
    sm_align_free(al);
    if (err)
        *err = e;
    return NULL;
}

void sm_align_reset(sm_align *al)
{
    sm_fdelay_reset(&al->line[0]);
    sm_fdelay_reset(&al->line[1]);
    al->phase = 0;
    al->locked = 0;
    al->lag = al->conf = al->target = al->s = 0.0;
    memset(al->cand, 0, sizeof al->cand);
    memset(&al->last, 0, sizeof al->last);
    al->estimates = 0;
}

void sm_align_set_enabled(sm_align *al, int enabled)
{
    al->enabled_req = enabled;
}

void sm_align_set_smooth_ms(sm_align *al, double smooth_ms)
{
    al->smooth_req = smooth_ms;
}

void sm_align_set_glide(sm_align *al, double glide_ms_per_s)
{
    al->glide_req = glide_ms_per_s;
}

size_t sm_align_room(const sm_align *al)
{
    return (size_t)al->hop - al->phase;
}

/* One estimate into the tracker (see align.h). */
static void track(sm_align *al, const sm_gccphat_result *r)
{
    float c = r->valid ? r->confidence : 0.0f;
    /* Reported over the evidence time, not smooth_ms: a second's worth,
     * so a moment in which two unrelated inputs look alike stays low. */
    al->conf += (1.0 - al->cand_decay) * (c - al->conf);
    for (int i = 0; i < SM_ALIGN_CANDIDATES; i++)
        al->cand[i].w *= al->cand_decay;
    if (!r->valid || c < SM_ALIGN_MIN_CONFIDENCE)
        return;
    const double ms = al->fs_hz * 1e-3;
    double e = r->lag_samples;
    if (al->locked && fabs(e - al->lag) <= SM_ALIGN_NEAR_MS * ms) {
        double wgt = c >= SM_ALIGN_FULL_CONFIDENCE
                         ? 1.0
                         : (double)c / SM_ALIGN_FULL_CONFIDENCE;
        al->lag += al->gain * wgt * (e - al->lag);
        return;
    }
    /* Evidence for another lag: into the candidate it agrees with, or in
     * place of the weakest one. */
    struct cand *k = NULL, *weakest = &al->cand[0];
    for (int i = 0; i < SM_ALIGN_CANDIDATES; i++) {
        struct cand *q = &al->cand[i];
        if (q->n > 0 && fabs(e - q->lag) <= SM_ALIGN_AGREE_MS * ms &&
            (!k || q->w > k->w))
            k = q;
        if (q->w < weakest->w)
            weakest = q;
    }
    if (k) {
        k->w += c;
        k->lag += (double)c / k->w * (e - k->lag);
        k->n++;
    } else {
        k = weakest;
        k->lag = e;
        k->w = c;
        k->n = 1;
    }
    if (k->n >= SM_ALIGN_ACQUIRE && k->w >= SM_ALIGN_ACQUIRE_WEIGHT) {
        al->lag = k->lag;
        al->locked = 1;
        memset(al->cand, 0, sizeof al->cand);
    }
}

/* At each estimator hop: settings take effect, then the estimate. */
static void hop(sm_align *al)
{
    al->enabled = al->enabled_req;
    al->gain = gain_for(al, al->smooth_req);
    al->step = al->glide_req * 1e-3;
    if (al->enabled) {
        const int w = al->win, l = al->lag_max;
        sm_fdelay_copy(&al->line[0], al->seg_a, (size_t)w, (size_t)l);
        sm_fdelay_copy(&al->line[1], al->seg_b, (size_t)(w + 2 * l), 0);
        al->last = sm_gccphat_run(al->est, al->seg_a, al->seg_b);
        al->estimates++;
        track(al, &al->last);
    } else {
        al->conf = 0.0;
    }
    double t = al->enabled && al->locked ? al->lag : 0.0;
    double lim = (double)al->lag_max;
    t = t > lim ? lim : t < -lim ? -lim : t;
    /* Hysteresis: the tracked lag wanders by hundredths of a sample from
     * hop to hop; the delay follows only moves that matter, so a steady
     * lag gives a steady delay, and a lag of (nearly) 0 gives exactly 0:
     * the inputs pass bit for bit. */
    if (t == 0.0 || fabs(t - al->target) > SM_ALIGN_HOLD_SAMPLES)
        al->target = t;
}

void sm_align_process(sm_align *al, float *a, float *b, size_t n)
{
    sm_fdelay *la = &al->line[0], *lb = &al->line[1];
    if (al->s == al->target) {
        /* Landed: one fixed kernel per input (the lagging one passes). */
        sm_fdelay_run(la, &al->kern, a, n, al->s > 0.0 ? al->s : 0.0);
        sm_fdelay_run(lb, &al->kern, b, n, al->s < 0.0 ? -al->s : 0.0);
    } else {
        const double t = al->target, st = al->step;
        double s = al->s;
        for (size_t i = 0; i < n; i++) {
            /* Slew-limited, and exact on arrival. */
            double d = t - s;
            s = d > st ? s + st : d < -st ? s - st : t;
            sm_fdelay_push(la, a[i]);
            sm_fdelay_push(lb, b[i]);
            a[i] = sm_fdelay_read(la, &al->kern, s > 0.0 ? s : 0.0);
            b[i] = sm_fdelay_read(lb, &al->kern, s < 0.0 ? -s : 0.0);
        }
        al->s = s;
    }
    al->phase += n;
    if (al->phase >= (size_t)al->hop) {
        al->phase = 0;
        hop(al);
    }
}

sm_align_status sm_align_get_status(const sm_align *al)
{
    const double ms = 1e3 / al->fs_hz;
    sm_align_status st = {
        .lag_ms = al->lag * ms,
        .delay_ms = al->s * ms,
        .confidence = (float)al->conf,
        .locked = al->locked,
        .estimates = al->estimates,
    };
    return st;
}

sm_gccphat_result sm_align_last_estimate(const sm_align *al)
{
    return al->last;
}
