/* engine.c: the engine object: input guards, alignment, crossover (and
 * its adaptive cutoffs), bands, output gain and limiter, the
 * live-parameter path and telemetry.
 *
 * A call to sm_engine_process is cut into chunks that end exactly on the
 * next hop boundary of any band, so every frame sees the same samples and
 * every parameter change lands on the same sample whatever the host block
 * size: output is bit-identical across block sizes.
 */
#include "specmorph.h"

#include "align.h"
#include "band.h"
#include "centroid.h"
#include "fpu.h"
#include "limiter.h"
#include "pqueue.h"
#include "stft.h"
#include "xover.h"

#include <math.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

/* Inputs beyond this are clamped: float audio is nominally +-1, and the
 * bound keeps every power in the spectra finite. */
#define SM_INPUT_LIMIT 1000.0f
#define SM_LIMITER_LOOKAHEAD_MS 1.0
#define SM_LIMITER_RELEASE_MS 60.0
/* The fixed/adaptive blend lands on 0 or 1 once this close (the last
 * step, at most 0.1 % of the log distance, is glided by the crossover). */
#define SM_ADAPT_MIX_SNAP 1e-3

struct sm_engine {
    sm_config cfg;
    int nbands;
    sm_band *band[3];
    sm_xover xo;
    sm_limiter lim;
    sm_align *align; /* NULL when align.max_lag_ms = 0 */
    sm_centroid *cent; /* adaptive crossovers; NULL with 1 band */
    double adapt_mix;  /* 0 = fixed cutoffs, 1 = adaptive ones */
    int latency;
    size_t chunk_max;
    float *sa, *sb;       /* sanitised inputs, chunk_max */
    float *split[2][3];   /* crossover outputs, chunk_max */
    float *mix_l, *mix_r; /* band sum, chunk_max */
    float gain_cur, gain_tgt, gain_coef;
    float target[SM_P_COUNT]; /* consumer side: values in force */
    sm_pqueue q;
    _Atomic float shown[SM_P_COUNT]; /* producer side: last accepted */
    /* telemetry, written by the process thread only */
    atomic_ullong st_samples, st_frames, st_nonfinite, st_limited,
        st_changes, st_queue_full;
    _Atomic float st_min_gain, st_peak;
    _Atomic float st_align_lag_ms, st_align_conf, st_align_delay_ms;
    _Atomic float st_xover_lo_hz, st_xover_hi_hz, st_centroid_hz;
};

static float db_to_lin(float db) { return powf(10.0f, db / 20.0f); }

static sm_band_targets band_targets(const float *v)
{
    sm_band_targets t = {
        .pos = v[SM_P_MORPH_POSITION],
        .k = v[SM_P_MASK_K],
        .width = v[SM_P_OUTPUT_WIDTH],
        .wiener_ms = v[SM_P_MASK_WIENER_MS],
        .mask_type = (int)v[SM_P_MASK_TYPE],
        .transient = v[SM_P_MOD_TRANSIENT_AMOUNT],
        .tonality = v[SM_P_MOD_TONALITY_AMOUNT],
        .snr = v[SM_P_MOD_SNR_AMOUNT],
        .transient_ms = v[SM_P_MOD_TRANSIENT_MS],
        .snr_window_ms = v[SM_P_MOD_SNR_WINDOW_MS],
        .iterations = (int)v[SM_P_PHASE_ITERATIONS],
        .divergence = (int)v[SM_P_PHASE_DIVERGENCE],
        .step = v[SM_P_PHASE_STEP],
        .anchor = v[SM_P_PHASE_ANCHOR],
    };
    return t;
}

/* The phase stage's structure from the table (window, hop and rate are
 * filled in per band). */
static sm_phase_setup phase_setup(const float *v)
{
    sm_phase_setup s = {
        .method = (int)v[SM_P_PHASE_METHOD],
        .lookahead = (int)v[SM_P_PHASE_LOOKAHEAD],
        .init = (int)v[SM_P_PHASE_INIT],
        .harmonic = (int)v[SM_P_PHASE_HARMONIC],
        .percussive = (int)v[SM_P_PHASE_PERCUSSIVE],
        .hpss_ms = v[SM_P_PHASE_HPSS_MS],
        .hpss_hz = v[SM_P_PHASE_HPSS_HZ],
    };
    return s;
}

void sm_engine_free(sm_engine *e)
{
    if (!e)
        return;
    for (int i = 0; i < 3; i++)
        sm_band_free(e->band[i]);
    sm_limiter_free(&e->lim);
    sm_align_free(e->align);
    sm_centroid_free(e->cent);
    sm_stft_free_buf(e->sa);
    sm_stft_free_buf(e->sb);
    for (int c = 0; c < 2; c++)
        for (int b = 0; b < 3; b++)
            sm_stft_free_buf(e->split[c][b]);
    sm_stft_free_buf(e->mix_l);
    sm_stft_free_buf(e->mix_r);
    free(e);
}

sm_engine *sm_engine_new(const sm_config *cfg, sm_error *err)
{
    sm_error e = sm_config_check(cfg, NULL, 0);
    sm_engine *en = NULL;
    if (e != SM_OK)
        goto fail;
    e = SM_ERR_NOMEM;
    en = calloc(1, sizeof *en);
    if (!en)
        goto fail;
    en->cfg = *cfg;
    const float *v = cfg->values;
    const double fs = cfg->sample_rate_hz;
    for (int i = 0; i < SM_P_COUNT; i++) {
        en->target[i] = v[i];
        atomic_init(&en->shown[i], v[i]);
    }
    sm_pqueue_init(&en->q);

    int win[3], hop[3];
    en->nbands = (int)v[SM_P_BANDS_COUNT];
    if (en->nbands == 1) {
        win[0] = (int)v[SM_P_BANDS_SINGLE_WINDOW];
        hop[0] = (int)v[SM_P_BANDS_SINGLE_HOP];
    } else {
        win[0] = (int)v[SM_P_BANDS_LF_WINDOW];
        hop[0] = (int)v[SM_P_BANDS_LF_HOP];
        win[1] = (int)v[SM_P_BANDS_MF_WINDOW];
        hop[1] = (int)v[SM_P_BANDS_MF_HOP];
        win[2] = (int)v[SM_P_BANDS_HF_WINDOW];
        hop[2] = (int)v[SM_P_BANDS_HF_HOP];
    }
    /* Each band's path: its window, plus its phase look-ahead; the
     * shorter paths are padded to the longest. */
    const sm_phase_setup ph = phase_setup(v);
    int lmax = 0, lat[3];
    size_t hmax = 0;
    for (int b = 0; b < en->nbands; b++) {
        lat[b] = win[b] - 1 +
                 sm_band_phase_lookahead(win[b], hop[b], fs, &ph) * hop[b];
        if (lat[b] > lmax)
            lmax = lat[b];
        if ((size_t)hop[b] > hmax)
            hmax = (size_t)hop[b];
    }
    sm_band_targets bt = band_targets(v);
    for (int b = 0; b < en->nbands; b++) {
        en->band[b] = sm_band_new(win[b], hop[b], lmax - lat[b], fs, &bt, &ph,
                                  &e);
        if (!en->band[b])
            goto fail;
    }
    e = SM_ERR_NOMEM;
    if (sm_limiter_init(&en->lim, fs, SM_LIMITER_LOOKAHEAD_MS,
                        SM_LIMITER_RELEASE_MS, v[SM_P_OUTPUT_CEILING_DB]) != 0)
        goto fail;
    sm_xover_init(&en->xo, fs, v[SM_P_BANDS_XOVER_LO_HZ],
                  v[SM_P_BANDS_XOVER_HI_HZ],
                  sm_param_get_info(SM_P_BANDS_XOVER_LO_HZ)->smooth_ms);

    en->chunk_max = hmax;
    en->sa = sm_stft_alloc_real(hmax);
    en->sb = sm_stft_alloc_real(hmax);
    en->mix_l = sm_stft_alloc_real(hmax);
    en->mix_r = sm_stft_alloc_real(hmax);
    if (!en->sa || !en->sb || !en->mix_l || !en->mix_r)
        goto fail;
    if (en->nbands == 3)
        for (int c = 0; c < 2; c++)
            for (int b = 0; b < 3; b++)
                if (!(en->split[c][b] = sm_stft_alloc_real(hmax)))
                    goto fail;

    float gsm = sm_param_get_info(SM_P_OUTPUT_GAIN_DB)->smooth_ms;
    en->gain_coef = (float)(1.0 - exp(-1.0 / (fs * gsm * 1e-3)));
    en->gain_cur = en->gain_tgt = db_to_lin(v[SM_P_OUTPUT_GAIN_DB]);
    if (v[SM_P_ALIGN_MAX_LAG_MS] > 0.0f) {
        sm_align_settings as = {
            .max_lag_ms = v[SM_P_ALIGN_MAX_LAG_MS],
            .window_ms = v[SM_P_ALIGN_WINDOW_MS],
            .smooth_ms = v[SM_P_ALIGN_SMOOTH_MS],
            .glide_ms_per_s = v[SM_P_ALIGN_GLIDE_MS_PER_S],
            .enabled = v[SM_P_ALIGN_ENABLED] != 0.0f,
        };
        if (!(en->align = sm_align_new(fs, &as, &e)))
            goto fail;
    }
    if (en->nbands == 3) {
        if (!(en->cent = sm_centroid_new(fs, v[SM_P_BANDS_ADAPT_MS], &e)))
            goto fail;
        sm_centroid_set_active(en->cent, v[SM_P_BANDS_ADAPTIVE] != 0.0f);
    }
    /* Alignment adds nothing: it delays only the leading input. */
    en->latency = lmax + sm_limiter_latency(&en->lim);
    atomic_init(&en->st_min_gain, 1.0f);
    atomic_init(&en->st_peak, 0.0f);
    atomic_init(&en->st_align_lag_ms, 0.0f);
    atomic_init(&en->st_align_conf, 0.0f);
    atomic_init(&en->st_align_delay_ms, 0.0f);
    atomic_init(&en->st_xover_lo_hz,
                en->nbands == 3 ? (float)en->xo.lo_hz : 0.0f);
    atomic_init(&en->st_xover_hi_hz,
                en->nbands == 3 ? (float)en->xo.hi_hz : 0.0f);
    atomic_init(&en->st_centroid_hz, 0.0f);
    return en;
fail:
    sm_engine_free(en);
    if (err)
        *err = e;
    return NULL;
}

int sm_engine_latency(const sm_engine *e) { return e ? e->latency : 0; }

/* The fixed pair in force. Two producers may race past the pair check;
 * keep the order here so the filters never see hi below lo. */
static void fixed_cutoffs(const sm_engine *e, float *lo, float *hi)
{
    *lo = e->target[SM_P_BANDS_XOVER_LO_HZ];
    *hi = e->target[SM_P_BANDS_XOVER_HI_HZ];
    if (*hi < 1.5f * *lo)
        *hi = 1.5f * *lo;
}

void sm_engine_reset(sm_engine *e)
{
    sm_band_targets bt = band_targets(e->target);
    for (int b = 0; b < e->nbands; b++)
        sm_band_reset(e->band[b], &bt);
    /* As new: the fixed cutoffs, no glide in flight, nothing adapted. */
    float lo, hi;
    fixed_cutoffs(e, &lo, &hi);
    sm_xover_init(&e->xo, e->cfg.sample_rate_hz, lo, hi,
                  sm_param_get_info(SM_P_BANDS_XOVER_LO_HZ)->smooth_ms);
    e->adapt_mix = 0.0;
    if (e->cent) {
        sm_centroid_reset(e->cent);
        sm_centroid_set_active(e->cent, e->target[SM_P_BANDS_ADAPTIVE] != 0.0f);
    }
    if (e->align)
        sm_align_reset(e->align);
    sm_limiter_reset(&e->lim);
    e->gain_cur = e->gain_tgt;
}

/* Parameters checked together (sm_config_check): the fixed pair and the
 * adaptive ranges. */
static int is_xover(sm_param id)
{
    return id == SM_P_BANDS_XOVER_LO_HZ || id == SM_P_BANDS_XOVER_HI_HZ ||
           id == SM_P_BANDS_XOVER_LO_MIN_HZ ||
           id == SM_P_BANDS_XOVER_LO_MAX_HZ ||
           id == SM_P_BANDS_XOVER_HI_MIN_HZ || id == SM_P_BANDS_XOVER_HI_MAX_HZ;
}

sm_error sm_engine_set(sm_engine *e, sm_param id, float value)
{
    if (!e)
        return SM_ERR_NULL;
    sm_error err = sm_param_check(id, value, NULL, 0);
    if (err != SM_OK)
        return err;
    if (sm_param_get_info(id)->flags & SM_PF_REBUILD)
        return SM_ERR_NEEDS_REBUILD;
    if (e->nbands == 3 && is_xover(id)) {
        sm_config c = sm_engine_config(e);
        c.values[id] = value;
        if (sm_config_check(&c, NULL, 0) != SM_OK)
            return SM_ERR_CONFIG;
    }
    if (sm_pqueue_push(&e->q, (int)id, value) != 0) {
        atomic_fetch_add_explicit(&e->st_queue_full, 1, memory_order_relaxed);
        return SM_ERR_QUEUE_FULL;
    }
    atomic_store_explicit(&e->shown[id], value, memory_order_relaxed);
    return SM_OK;
}

_Static_assert(SM_ENGINE_SET_MANY_MAX == SM_PQUEUE_CAP / 4,
               "set_many's bound is push_batch's");

sm_error sm_engine_set_many(sm_engine *e, const sm_param *ids,
                            const float *values, size_t n, size_t *bad)
{
    if (!e || (n && (!ids || !values)))
        return SM_ERR_NULL;
    if (n == 0)
        return SM_OK;
    if (n > SM_ENGINE_SET_MANY_MAX) {
        if (bad)
            *bad = SM_ENGINE_SET_MANY_MAX;
        return SM_ERR_RANGE;
    }
    /* Every value as sm_engine_set checks one, before anything is queued. */
    size_t first_xover = n;
    for (size_t i = 0; i < n; i++) {
        sm_error err = sm_param_check(ids[i], values[i], NULL, 0);
        if (err == SM_OK && (sm_param_get_info(ids[i])->flags & SM_PF_REBUILD))
            err = SM_ERR_NEEDS_REBUILD;
        if (err != SM_OK) {
            if (bad)
                *bad = i;
            return err;
        }
        if (first_xover == n && is_xover(ids[i]))
            first_xover = i;
    }
    /* The crossover pair with the whole batch applied (in order, so the
     * last of repeated ids wins, as it will in apply_changes). */
    if (e->nbands == 3 && first_xover < n) {
        sm_config c = sm_engine_config(e);
        for (size_t i = 0; i < n; i++)
            c.values[ids[i]] = values[i];
        if (sm_config_check(&c, NULL, 0) != SM_OK) {
            if (bad)
                *bad = first_xover;
            return SM_ERR_CONFIG;
        }
    }
    int qid[SM_ENGINE_SET_MANY_MAX];
    for (size_t i = 0; i < n; i++)
        qid[i] = (int)ids[i];
    if (sm_pqueue_push_batch(&e->q, qid, values, n) != 0) {
        atomic_fetch_add_explicit(&e->st_queue_full, 1, memory_order_relaxed);
        return SM_ERR_QUEUE_FULL;
    }
    for (size_t i = 0; i < n; i++)
        atomic_store_explicit(&e->shown[ids[i]], values[i],
                              memory_order_relaxed);
    return SM_OK;
}

float sm_engine_get(const sm_engine *e, sm_param id)
{
    if (!e || (int)id < 0 || id >= SM_P_COUNT)
        return NAN;
    return atomic_load_explicit(&((sm_engine *)e)->shown[id],
                                memory_order_relaxed);
}

sm_config sm_engine_config(const sm_engine *e)
{
    sm_config c = e->cfg;
    for (int i = 0; i < SM_P_COUNT; i++)
        c.values[i] = sm_engine_get(e, (sm_param)i);
    return c;
}

/* Consumer side of the queue; runs at the start of each process call. */
static void apply_changes(sm_engine *e)
{
    int id;
    float v;
    unsigned long long n = 0;
    while (sm_pqueue_pop(&e->q, &id, &v)) {
        e->target[id] = v;
        n++;
        switch (id) {
        case SM_P_OUTPUT_GAIN_DB:
            e->gain_tgt = db_to_lin(v);
            break;
        case SM_P_ALIGN_ENABLED:
            if (e->align)
                sm_align_set_enabled(e->align, v != 0.0f);
            break;
        case SM_P_ALIGN_SMOOTH_MS:
            if (e->align)
                sm_align_set_smooth_ms(e->align, v);
            break;
        case SM_P_ALIGN_GLIDE_MS_PER_S:
            if (e->align)
                sm_align_set_glide(e->align, v);
            break;
        case SM_P_OUTPUT_CEILING_DB:
            sm_limiter_set_ceiling(&e->lim, v);
            break;
        case SM_P_BANDS_XOVER_LO_HZ:
        case SM_P_BANDS_XOVER_HI_HZ:
            /* While adaptive cutoffs are blended in, the next centroid
             * hop takes the new pair into the blend. */
            if (e->adapt_mix == 0.0) {
                float lo, hi;
                fixed_cutoffs(e, &lo, &hi);
                sm_xover_set(&e->xo, lo, hi);
                /* A performer's move: it glides freely (xover.h). */
                sm_xover_set_slew(&e->xo, 0);
            }
            break;
        case SM_P_BANDS_ADAPTIVE:
            if (e->cent)
                sm_centroid_set_active(e->cent,
                                       v != 0.0f || e->adapt_mix > 0.0);
            break;
        case SM_P_BANDS_ADAPT_MS:
            if (e->cent)
                sm_centroid_set_smooth_ms(e->cent, v);
            break;
        default:
            break;
        }
    }
    if (n)
        atomic_fetch_add_explicit(&e->st_changes, n, memory_order_relaxed);
}

/* At each centroid hop: the blend between the fixed cutoffs (0) and the
 * adaptive ones (1) moves toward bands.adaptive with the time constant
 * bands.adapt_ms (only once there is a centroid to follow), and the
 * crossover gets the blended pair, geometric in each cutoff (a blend of
 * two pairs with hi >= 1.5 lo keeps it). The crossover's slew limit is on
 * while anything adaptive is in the blend, and until the cutoffs are back
 * on the fixed pair. Idle (off, blended out, landed) it does nothing: the
 * fixed pair applies exactly as without the stage. */
static void adapt_hop(sm_engine *e)
{
    const float *v = e->target;
    const double on = v[SM_P_BANDS_ADAPTIVE] != 0.0f ? 1.0 : 0.0;
    if (on == 0.0 && e->adapt_mix == 0.0 && e->xo.slew == 0.0)
        return;
    const double fs = e->cfg.sample_rate_hz;
    sm_centroid_status cs = sm_centroid_get_status(e->cent);
    if (cs.seeded) {
        double ms = v[SM_P_BANDS_ADAPT_MS];
        double g = 1.0 - exp(-sm_centroid_hop(e->cent) / (fs * ms * 1e-3));
        double m = e->adapt_mix + g * (on - e->adapt_mix);
        e->adapt_mix = fabs(on - m) < SM_ADAPT_MIX_SNAP ? on : m;
    }
    sm_centroid_set_active(e->cent, on != 0.0 || e->adapt_mix > 0.0);
    float flo, fhi;
    fixed_cutoffs(e, &flo, &fhi);
    const double m = e->adapt_mix;
    if (m == 0.0) {
        sm_xover_set(&e->xo, flo, fhi);
        if (sm_xover_landed(&e->xo))
            sm_xover_set_slew(&e->xo, 0);
        return;
    }
    sm_xover_set_slew(&e->xo, 1);
    sm_xover_ranges r = {
        .lo_min_hz = v[SM_P_BANDS_XOVER_LO_MIN_HZ],
        .lo_max_hz = v[SM_P_BANDS_XOVER_LO_MAX_HZ],
        .hi_min_hz = v[SM_P_BANDS_XOVER_HI_MIN_HZ],
        .hi_max_hz = v[SM_P_BANDS_XOVER_HI_MAX_HZ],
    };
    double lo, hi;
    sm_xover_map(&r, sm_xover_position(cs.hz), fs, &lo, &hi);
    if (m < 1.0) {
        lo = exp((1.0 - m) * log(flo) + m * log(lo));
        hi = exp((1.0 - m) * log(fhi) + m * log(hi));
    }
    sm_xover_set(&e->xo, lo, hi);
}

/* Copies a chunk of input, replacing non-finite samples by silence and
 * clamping absurd ones; returns how many were non-finite. */
static size_t sanitise(const float *in, float *out, size_t n)
{
    size_t bad = 0;
    for (size_t i = 0; i < n; i++) {
        float x = in[i];
        if (!isfinite(x)) {
            x = 0.0f;
            bad++;
        }
        /* Ternaries, not fminf/fmaxf: those are library calls at -O2. */
        x = x > SM_INPUT_LIMIT ? SM_INPUT_LIMIT : x;
        out[i] = x < -SM_INPUT_LIMIT ? -SM_INPUT_LIMIT : x;
    }
    return bad;
}

void sm_engine_process(sm_engine *e, const float *in_a, const float *in_b,
                       float *out_l, float *out_r, size_t n)
{
    sm_fpu_state fpu = sm_fpu_enter();
    apply_changes(e);
    const sm_band_targets bt = band_targets(e->target);
    unsigned long long frames = 0, bad = 0;
    float peak = atomic_load_explicit(&e->st_peak, memory_order_relaxed);
    size_t done = 0;
    while (done < n) {
        size_t c = n - done;
        if (c > e->chunk_max)
            c = e->chunk_max;
        for (int b = 0; b < e->nbands; b++) {
            size_t room = sm_band_room(e->band[b]);
            if (room < c)
                c = room;
        }
        /* ... and on the estimator's hops, for the same reason. */
        if (e->align && sm_align_room(e->align) < c)
            c = sm_align_room(e->align);
        /* ... and on the centroid analyser's, so its updates land on the
         * same samples too. */
        if (e->cent && sm_centroid_room(e->cent) < c)
            c = sm_centroid_room(e->cent);
        bad += sanitise(in_a + done, e->sa, c);
        bad += sanitise(in_b + done, e->sb, c);
        if (e->align)
            sm_align_process(e->align, e->sa, e->sb, c);
        if (e->nbands == 3) {
            sm_xover_process(&e->xo, e->sa, e->sb,
                             (float *const(*)[3])e->split, c);
            /* The chunk ends on a centroid hop or before it; new targets
             * apply from the next sample on. */
            if (sm_centroid_push(e->cent, e->sa, e->sb, c))
                adapt_hop(e);
            for (int b = 0; b < 3; b++)
                frames += (unsigned)sm_band_push(e->band[b], e->split[0][b],
                                                 e->split[1][b], c, &bt);
        } else {
            frames += (unsigned)sm_band_push(e->band[0], e->sa, e->sb, c, &bt);
        }
        for (int b = 0; b < e->nbands; b++)
            sm_band_pull(e->band[b], e->mix_l, e->mix_r, c, b > 0);

        /* Output gain, smoothed per sample so it is block-size free. */
        float g = e->gain_cur;
        const float gt = e->gain_tgt, gc = e->gain_coef;
        for (size_t i = 0; i < c; i++) {
            g = fabsf(gt - g) <= 1e-7f * gt ? gt : g + (gt - g) * gc;
            e->mix_l[i] *= g;
            e->mix_r[i] *= g;
        }
        e->gain_cur = g;
        sm_limiter_process(&e->lim, e->mix_l, e->mix_r, c);
        for (size_t i = 0; i < c; i++) {
            float l = e->mix_l[i], r = e->mix_r[i];
            float m = fabsf(l) > fabsf(r) ? fabsf(l) : fabsf(r);
            peak = m > peak ? m : peak;
            out_l[done + i] = l;
            out_r[done + i] = r;
        }
        done += c;
    }
    atomic_fetch_add_explicit(&e->st_samples, n, memory_order_relaxed);
    atomic_fetch_add_explicit(&e->st_frames, frames, memory_order_relaxed);
    if (bad)
        atomic_fetch_add_explicit(&e->st_nonfinite, bad,
                                  memory_order_relaxed);
    atomic_store_explicit(&e->st_limited, e->lim.limited,
                          memory_order_relaxed);
    atomic_store_explicit(&e->st_min_gain, e->lim.min_gain,
                          memory_order_relaxed);
    atomic_store_explicit(&e->st_peak, peak, memory_order_relaxed);
    if (e->align) {
        sm_align_status as = sm_align_get_status(e->align);
        atomic_store_explicit(&e->st_align_lag_ms, (float)as.lag_ms,
                              memory_order_relaxed);
        atomic_store_explicit(&e->st_align_conf, as.confidence,
                              memory_order_relaxed);
        atomic_store_explicit(&e->st_align_delay_ms, (float)as.delay_ms,
                              memory_order_relaxed);
    }
    if (e->cent) {
        atomic_store_explicit(&e->st_xover_lo_hz, (float)e->xo.lo_hz,
                              memory_order_relaxed);
        atomic_store_explicit(&e->st_xover_hi_hz, (float)e->xo.hi_hz,
                              memory_order_relaxed);
        atomic_store_explicit(&e->st_centroid_hz,
                              (float)sm_centroid_get_status(e->cent).hz,
                              memory_order_relaxed);
    }
    sm_fpu_leave(fpu);
}

void sm_engine_get_stats(const sm_engine *e, sm_engine_stats *st)
{
    sm_engine *m = (sm_engine *)e;
    st->samples = atomic_load(&m->st_samples);
    st->frames = atomic_load(&m->st_frames);
    st->nonfinite_in = atomic_load(&m->st_nonfinite);
    st->limited = atomic_load(&m->st_limited);
    st->param_changes = atomic_load(&m->st_changes);
    st->queue_full = atomic_load(&m->st_queue_full);
    float mg = atomic_load(&m->st_min_gain);
    st->max_reduction_db = mg < 1.0f ? -20.0f * log10f(mg) : 0.0f;
    float pk = atomic_load(&m->st_peak);
    st->peak_out_dbfs = pk > 0.0f ? 20.0f * log10f(pk) : -INFINITY;
    st->align_lag_ms = atomic_load(&m->st_align_lag_ms);
    st->align_confidence = atomic_load(&m->st_align_conf);
    st->align_delay_ms = atomic_load(&m->st_align_delay_ms);
    st->xover_lo_hz = atomic_load(&m->st_xover_lo_hz);
    st->xover_hi_hz = atomic_load(&m->st_xover_hi_hz);
    st->xover_centroid_hz = atomic_load(&m->st_centroid_hz);
}
