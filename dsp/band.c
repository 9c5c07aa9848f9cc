/* band.c: streaming STFT band; see band.h for the timing contract. */
#include "band.h"

#include "merge.h"
#include "modulate.h"
#include "stft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

typedef struct smoother {
    float cur, coef; /* coef: fraction of the distance covered per hop */
} smoother;

struct sm_band {
    int n, hop, bins, extra;
    double fs_hz;
    sm_stft *stft;
    float *in_a, *in_b;   /* last n input samples, oldest first */
    size_t fill;          /* samples of the current hop pushed so far */
    sm_cpx *sa, *sb, *yl, *yr;
    float *psd_a, *psd_b;
    float *ola_l, *ola_r; /* overlap-add accumulators, n */
    float *fifo_l, *fifo_r;
    size_t fifo_mask, rd, wr; /* counters; occupancy = wr - rd */
    smoother pos, k, width;
    float psd_ms, psd_alpha; /* wiener_ms and its per-frame coefficient */
    sm_mod *mod;             /* NULL: built without modulators */
    /* Phase stage; NULL: the merge's mix phase goes straight out. */
    sm_phase *phase;
    int la;                  /* its look-ahead, frames */
    float *mag;              /* target magnitudes of the frame, bins */
    unsigned char *anchor;   /* anchored bins of the frame */
    float *wa_ring;          /* (la + 1) x bins: A weights, for the pan of
                                the frame the stage returns */
    int wa_pos;              /* row of the newest frame */
    sm_cpx *yph;             /* the stage's output frame */
    smoother transient, tonality, snr;
    float transient_ms;      /* value last given to mod */
};

static float smooth_coef(sm_param id, int hop, double fs_hz)
{
    float ms = sm_param_get_info(id)->smooth_ms;
    if (ms <= 0.0f)
        return 1.0f;
    return (float)(1.0 - exp(-(double)hop / (fs_hz * ms * 1e-3)));
}

static void smoother_step(smoother *s, float target)
{
    float d = target - s->cur;
    /* Land exactly: a value that never arrives (width 0 for mono, pos 0
     * for all A) would keep the exact fast paths from being taken. */
    if (fabsf(d) < 1e-6f || s->coef >= 1.0f)
        s->cur = target;
    else
        s->cur += d * s->coef;
}

void sm_band_free(sm_band *b)
{
    if (!b)
        return;
    sm_stft_free_buf(b->in_a);
    sm_stft_free_buf(b->in_b);
    sm_stft_free_buf(b->sa);
    sm_stft_free_buf(b->sb);
    sm_stft_free_buf(b->yl);
    sm_stft_free_buf(b->yr);
    sm_stft_free_buf(b->psd_a);
    sm_stft_free_buf(b->psd_b);
    sm_stft_free_buf(b->ola_l);
    sm_stft_free_buf(b->ola_r);
    sm_stft_free_buf(b->fifo_l);
    sm_stft_free_buf(b->fifo_r);
    sm_stft_free(b->stft);
    sm_mod_free(b->mod);
    sm_phase_free(b->phase);
    sm_stft_free_buf(b->mag);
    free(b->anchor);
    sm_stft_free_buf(b->wa_ring);
    sm_stft_free_buf(b->yph);
    free(b);
}

void sm_band_reset(sm_band *b, const sm_band_targets *init)
{
    size_t n = (size_t)b->n, bins = (size_t)b->bins;
    memset(b->in_a, 0, n * sizeof(float));
    memset(b->in_b, 0, n * sizeof(float));
    memset(b->ola_l, 0, n * sizeof(float));
    memset(b->ola_r, 0, n * sizeof(float));
    memset(b->psd_a, 0, bins * sizeof(float));
    memset(b->psd_b, 0, bins * sizeof(float));
    memset(b->fifo_l, 0, (b->fifo_mask + 1) * sizeof(float));
    memset(b->fifo_r, 0, (b->fifo_mask + 1) * sizeof(float));
    b->fill = 0;
    b->rd = 0;
    b->wr = (size_t)(b->hop - 1 + b->extra); /* pre-fill of silence */
    b->pos.cur = init->pos;
    b->k.cur = init->k;
    b->width.cur = init->width;
    b->psd_ms = -1.0f; /* recomputed at the first frame */
    b->transient.cur = init->transient;
    b->tonality.cur = init->tonality;
    b->snr.cur = init->snr;
    b->transient_ms = -1.0f; /* given to mod at the first frame */
    if (b->mod)
        sm_mod_reset(b->mod);
    if (b->phase) {
        sm_phase_reset(b->phase);
        memset(b->wa_ring, 0, (size_t)(b->la + 1) * bins * sizeof(float));
        b->wa_pos = 0;
    }
}

int sm_band_phase_lookahead(int window, int hop, double fs_hz,
                            const sm_phase_setup *ph)
{
    if (!ph || ph->method == SM_PHASE_MIX)
        return 0;
    sm_phase_setup s = *ph;
    s.window = window;
    s.hop = hop;
    s.fs_hz = fs_hz;
    return sm_phase_lookahead(&s);
}

sm_band *sm_band_new(int window, int hop, int extra_delay_samples,
                     double fs_hz, const sm_band_targets *init,
                     const sm_phase_setup *ph, sm_error *err)
{
    sm_error e = SM_ERR_NOMEM;
    sm_band *b = calloc(1, sizeof *b);
    if (!b)
        goto fail;
    b->n = window;
    b->hop = hop;
    b->extra = extra_delay_samples;
    b->fs_hz = fs_hz;
    b->stft = sm_stft_new(window, hop, &e);
    if (!b->stft)
        goto fail;
    e = SM_ERR_NOMEM;
    b->bins = sm_stft_bins(b->stft);
    size_t cap = 1;
    while (cap < (size_t)(2 * hop + extra_delay_samples + 1))
        cap <<= 1;
    b->fifo_mask = cap - 1;
    b->in_a = sm_stft_alloc_real((size_t)window);
    b->in_b = sm_stft_alloc_real((size_t)window);
    b->ola_l = sm_stft_alloc_real((size_t)window);
    b->ola_r = sm_stft_alloc_real((size_t)window);
    b->psd_a = sm_stft_alloc_real((size_t)b->bins);
    b->psd_b = sm_stft_alloc_real((size_t)b->bins);
    b->fifo_l = sm_stft_alloc_real(cap);
    b->fifo_r = sm_stft_alloc_real(cap);
    b->sa = sm_stft_alloc_spec(b->stft);
    b->sb = sm_stft_alloc_spec(b->stft);
    b->yl = sm_stft_alloc_spec(b->stft);
    b->yr = sm_stft_alloc_spec(b->stft);
    if (!b->in_a || !b->in_b || !b->ola_l || !b->ola_r || !b->psd_a ||
        !b->psd_b || !b->fifo_l || !b->fifo_r || !b->sa || !b->sb || !b->yl ||
        !b->yr)
        goto fail;
    b->pos.coef = smooth_coef(SM_P_MORPH_POSITION, hop, fs_hz);
    b->k.coef = smooth_coef(SM_P_MASK_K, hop, fs_hz);
    b->width.coef = smooth_coef(SM_P_OUTPUT_WIDTH, hop, fs_hz);
    if (init->snr_window_ms > 0.0f) {
        b->mod = sm_mod_new(window, hop, fs_hz, init->snr_window_ms, &e);
        if (!b->mod)
            goto fail;
        b->transient.coef = smooth_coef(SM_P_MOD_TRANSIENT_AMOUNT, hop, fs_hz);
        b->tonality.coef = smooth_coef(SM_P_MOD_TONALITY_AMOUNT, hop, fs_hz);
        b->snr.coef = smooth_coef(SM_P_MOD_SNR_AMOUNT, hop, fs_hz);
    }
    if (ph && ph->method != SM_PHASE_MIX) {
        sm_phase_setup s = *ph;
        s.window = window;
        s.hop = hop;
        s.fs_hz = fs_hz;
        b->la = sm_phase_lookahead(&s);
        if (!(b->phase = sm_phase_new(&s, &e)))
            goto fail;
        e = SM_ERR_NOMEM;
        b->mag = sm_stft_alloc_real((size_t)b->bins);
        b->anchor = calloc((size_t)b->bins, 1);
        b->wa_ring = sm_stft_alloc_real((size_t)(b->la + 1) * (size_t)b->bins);
        b->yph = sm_stft_alloc_spec(b->stft);
        if (!b->mag || !b->anchor || !b->wa_ring || !b->yph)
            goto fail;
    }
    sm_band_reset(b, init);
    return b;
fail:
    sm_band_free(b);
    if (err)
        *err = e;
    return NULL;
}

size_t sm_band_room(const sm_band *b) { return (size_t)b->hop - b->fill; }

int sm_band_latency(const sm_band *b)
{
    return b->n - 1 + b->la * b->hop + b->extra;
}

/* The phase stage: the merge wrote its mono spectrum (mix phase) to yl
 * and each bin's A weight to the newest row of wa_ring. The stage returns
 * the frame of la frames ago, which is panned with that frame's weights. */
static void run_phase(sm_band *b, const sm_band_targets *t, int stereo)
{
    const int bins = b->bins;
    const float *wa = b->wa_ring + (size_t)b->wa_pos * (size_t)bins;
    const float hi = t->anchor, lo = 1.0f - t->anchor;
    for (int i = 0; i < bins; i++) {
        b->mag[i] = sm_cabs(b->yl[i]);
        b->anchor[i] = wa[i] >= hi || wa[i] <= lo;
    }
    sm_phase_in in = {
        .mag = b->mag, .est = b->yl, .anchor = b->anchor,
        .iterations = t->iterations, .divergence = t->divergence,
        .step = t->step,
    };
    sm_phase_process(b->phase, &in, b->yph);
    /* The oldest row is the frame that came out. */
    int old = b->wa_pos + 1 > b->la ? 0 : b->wa_pos + 1;
    const float *wd = b->wa_ring + (size_t)old * (size_t)bins;
    for (int i = 0; i < bins; i++)
        sm_bin_out(b->yph[i], wd[i], b->width.cur, stereo, &b->yl[i],
                   &b->yr[i]);
    b->wa_pos = old;
}

static void run_frame(sm_band *b, const sm_band_targets *t)
{
    const size_t n = (size_t)b->n, hop = (size_t)b->hop;
    smoother_step(&b->pos, t->pos);
    smoother_step(&b->k, t->k);
    smoother_step(&b->width, t->width);
    if (t->wiener_ms != b->psd_ms) { /* only when it changes */
        b->psd_ms = t->wiener_ms;
        b->psd_alpha = t->wiener_ms > 0.0f
                           ? (float)exp(-(double)hop /
                                        (b->fs_hz * t->wiener_ms * 1e-3))
                           : 0.0f;
    }

    sm_stft_analyze(b->stft, b->in_a, b->sa);
    sm_stft_analyze(b->stft, b->in_b, b->sb);

    const sm_mod_frame *mod = NULL;
    if (b->mod) {
        smoother_step(&b->transient, t->transient);
        smoother_step(&b->tonality, t->tonality);
        smoother_step(&b->snr, t->snr);
        if (t->transient_ms != b->transient_ms) {
            b->transient_ms = t->transient_ms;
            sm_mod_set_transient_ms(b->mod, t->transient_ms);
        }
        mod = sm_mod_analyze(b->mod, b->sa, b->sb, b->pos.cur,
                             b->transient.cur, b->tonality.cur, b->snr.cur);
    }

    sm_merge_frame f = {
        .a = b->sa, .b = b->sb, .l = b->yl, .r = b->yr,
        .psd_a = b->psd_a, .psd_b = b->psd_b, .bins = b->bins,
        .mask_type = t->mask_type, .pos = b->pos.cur, .k = b->k.cur,
        .width = b->width.cur,
        .psd_alpha = b->psd_alpha,
        .stereo = b->width.cur != 0.0f,
        .mod = mod,
    };
    if (b->phase) {
        /* Mono merge first; the pan follows the phase stage. */
        f.stereo = 0;
        f.wa_out = b->wa_ring + (size_t)b->wa_pos * (size_t)b->bins;
        sm_merge_frame_cpu(&f);
        f.stereo = b->width.cur != 0.0f;
        run_phase(b, t, f.stereo);
    } else {
        sm_merge_frame_cpu(&f);
    }

    sm_stft_synth_add(b->stft, b->yl, b->ola_l);
    if (f.stereo) {
        sm_stft_synth_add(b->stft, b->yr, b->ola_r);
    } else {
        /* Mono: R is L; the accumulators meet again bit-exactly. */
        memcpy(b->ola_r, b->ola_l, n * sizeof(float));
    }

    /* The first hop samples are complete: move them to the FIFO. */
    for (size_t i = 0; i < hop; i++) {
        size_t w = (b->wr + i) & b->fifo_mask;
        b->fifo_l[w] = b->ola_l[i];
        b->fifo_r[w] = b->ola_r[i];
    }
    b->wr += hop;
    memmove(b->ola_l, b->ola_l + hop, (n - hop) * sizeof(float));
    memmove(b->ola_r, b->ola_r + hop, (n - hop) * sizeof(float));
    memset(b->ola_l + n - hop, 0, hop * sizeof(float));
    memset(b->ola_r + n - hop, 0, hop * sizeof(float));

    memmove(b->in_a, b->in_a + hop, (n - hop) * sizeof(float));
    memmove(b->in_b, b->in_b + hop, (n - hop) * sizeof(float));
    b->fill = 0;
}

int sm_band_push(sm_band *b, const float *a, const float *bb, size_t n,
                 const sm_band_targets *t)
{
    size_t off = (size_t)(b->n - b->hop) + b->fill;
    memcpy(b->in_a + off, a, n * sizeof(float));
    memcpy(b->in_b + off, bb, n * sizeof(float));
    b->fill += n;
    if (b->fill < (size_t)b->hop)
        return 0;
    run_frame(b, t);
    return 1;
}

void sm_band_pull(sm_band *b, float *l, float *r, size_t n, int add)
{
    for (size_t i = 0; i < n; i++) {
        size_t p = (b->rd + i) & b->fifo_mask;
        if (add) {
            l[i] += b->fifo_l[p];
            r[i] += b->fifo_r[p];
        } else {
            l[i] = b->fifo_l[p];
            r[i] = b->fifo_r[p];
        }
    }
    b->rd += n;
}
