/* specmorph.h: the public API of the specmorph engine library (libspecmorph).
 *
 * Two mono sources in, one stereo merge out. The engine knows no JACK, OSC,
 * files or GPU: every front end (daemon, renderer, image tool) drives it
 * through these calls. Shape follows libsamplerate: an opaque object, a
 * constructor that reports an error code, sm_strerror() for the text.
 *
 * Thread classes used below:
 *   RT-safe    no allocation, no locks, no system calls; bounded time.
 *   NRT only   may allocate or plan FFTs; never call from an audio thread.
 *   any thread lock-free; may be called concurrently with process.
 */
#ifndef SPECMORPH_H
#define SPECMORPH_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

#define SM_VERSION "0.1.0"

/* ---- errors ---------------------------------------------------------- */

typedef enum sm_error {
    SM_OK = 0,
    SM_ERR_NOMEM,         /* allocation failed */
    SM_ERR_RATE,          /* sample rate outside 8000..384000 Hz */
    SM_ERR_PARAM,         /* unknown parameter id or name */
    SM_ERR_RANGE,         /* value outside the parameter's range */
    SM_ERR_NOT_FINITE,    /* NaN or Inf given as a value */
    SM_ERR_PARSE,         /* text is not a value of the parameter's type */
    SM_ERR_CONFIG,        /* values are each valid but not together */
    SM_ERR_FFT,           /* FFTW could not make a plan */
    SM_ERR_QUEUE_FULL,    /* too many changes pending; retry next period */
    SM_ERR_NEEDS_REBUILD, /* structural parameter: build a new engine */
    SM_ERR_NULL,          /* a required pointer was NULL */
    SM_ERR__COUNT
} sm_error;

/* Text for an error code. any thread. */
const char *sm_strerror(sm_error err);

/* ---- parameters (generated from params.def) -------------------------- */

typedef enum sm_param {
#define X(id, sec, key, type, mn, mx, def, unit, sm, fl, ch, help) SM_P_##id,
#include "params.def"
#undef X
    SM_P_COUNT
} sm_param;

typedef enum sm_ptype { SM_T_FLOAT, SM_T_INT, SM_T_ENUM } sm_ptype;

enum {
    SM_PF_LIVE = 1u << 0,    /* may change while the engine runs */
    SM_PF_REBUILD = 1u << 1, /* needs a new engine */
    SM_PF_RATE = 1u << 2,    /* default scales with the sample rate */
    SM_PF_LOG = 1u << 3      /* 0..1 control is geometric (min > 0) */
};

/* Enum values of the SM_T_ENUM parameters, in table order. */
enum { SM_MASK_SOFTMAX = 0, SM_MASK_WIENER = 1, SM_MASK_PSF = 2 };
enum {
    SM_PHASE_MIX = 0,
    SM_PHASE_LWS = 1,
    SM_PHASE_PGHI = 2,
    SM_PHASE_RTISILA = 3,
    SM_PHASE_BREGMAN = 4,
    SM_PHASE_HPSS = 5
}; /* phase.method; phase.harmonic/percussive take the first five */
enum { SM_PHASE_INIT_PGHI = 0, SM_PHASE_INIT_MIX = 1 };
enum { SM_DIV_KL = 0, SM_DIV_IS = 1 };
enum { SM_ALIGN_OFF = 0, SM_ALIGN_ON = 1 };
enum { SM_ADAPTIVE_OFF = 0, SM_ADAPTIVE_ON = 1 };

typedef struct sm_param_info {
    const char *section;  /* INI section, OSC path component */
    const char *key;      /* INI key, OSC path component */
    const char *name;     /* "section.key" */
    sm_ptype type;
    float min, max, def;  /* def is the 48 kHz default */
    const char *unit;     /* "" when none */
    float smooth_ms;      /* live-change smoothing time constant */
    unsigned flags;       /* SM_PF_* */
    const char *choices;  /* SM_T_ENUM: names separated by '\0', max + 1 of
                             them; use sm_param_choice_name() */
    const char *help;
} sm_param_info;

/* Row of the table, or NULL for an id out of range. any thread. */
const sm_param_info *sm_param_get_info(sm_param id);

/* Id of "section.key" (case-insensitive), or -1. any thread. */
int sm_param_find(const char *name);

/* Closest "section.key" to a misspelt name (edit distance), or NULL when
 * nothing is reasonably close. any thread. */
const char *sm_param_suggest(const char *name);

/* Case-insensitive edit distance (for "did you mean" suggestions; 99 for
 * strings over 63 characters). any thread. */
int sm_text_distance(const char *a, const char *b);

/* Closest section name to a misspelt one, or NULL. any thread. */
const char *sm_param_suggest_section(const char *section);

/* Parses text as a value of parameter id: numbers for FLOAT/INT (the
 * whole string, finite, integral for INT), a choice name or index for
 * ENUM. Range is checked. On failure, why (if not NULL) receives a
 * one-line reason naming the allowed values. any thread. */
sm_error sm_param_parse(sm_param id, const char *text, float *value,
                        char *why, size_t why_len);

/* Checks a numeric value against type and range, with a reason as above.
 * any thread. */
sm_error sm_param_check(sm_param id, float value, char *why, size_t why_len);

/* Writes the value as text (enum names for ENUM). Returns the length it
 * needed, like snprintf. any thread. */
int sm_param_format(sm_param id, float value, char *buf, size_t len);

/* Name of choice index for an ENUM parameter, or NULL. any thread. */
const char *sm_param_choice_name(sm_param id, int index);

/* Normalised control (a 0..1 fader, OSC /specmorph/norm/<section>/<key>).
 * sm_param_from_norm maps norm (clamped to 0..1) onto the range: linear,
 * or geometric for SM_PF_LOG rows; SM_T_INT rounds to the nearest integer,
 * and to the nearest power of two in range for SM_PF_RATE rows (window
 * and hop sizes); SM_T_ENUM gives round(norm * max), the choices evenly
 * spread. 0 gives min and 1 gives max exactly, and every result passes
 * sm_param_check. NaN (or an unknown id) gives NaN, for the caller to
 * refuse. sm_param_to_norm is the inverse, clamped to 0..1 (NaN for NaN
 * or an unknown id). any thread. */
float sm_param_from_norm(sm_param id, float norm);
float sm_param_to_norm(sm_param id, float value);

/* ---- configuration ---------------------------------------------------- */

typedef struct sm_config {
    int sample_rate_hz;
    float values[SM_P_COUNT];
} sm_config;

/* Defaults for a sample rate: window and hop sizes scale from their 48 kHz
 * values to the nearest power of two. any thread. */
sm_config sm_config_default(int sample_rate_hz);

/* Sets one value with type and range checks. any thread. */
sm_error sm_config_set(sm_config *cfg, sm_param id, float value);

/* Checks the values together (hop against window, crossover order, band
 * count, rate). why receives a one-line reason. any thread. */
sm_error sm_config_check(const sm_config *cfg, char *why, size_t why_len);

/* Built-in presets (lowlatency, balanced, studio): named partial
 * configurations that set the band layout only (bands.count and every
 * window and hop size, given at 48 kHz and scaled to cfg's rate like the
 * defaults); morph, mask, crossover and output values are left as they
 * are. balanced is the defaults. Index 0 .. sm_preset_count() - 1; name
 * and help are NULL out of range. any thread. */
int sm_preset_count(void);
const char *sm_preset_name(int preset);
const char *sm_preset_help(int preset);

/* Index of a preset name (case-insensitive), or -1. any thread. */
int sm_preset_find(const char *name);

/* Closest preset name to a misspelt one, or NULL. any thread. */
const char *sm_preset_suggest(const char *name);

/* Applies a preset at cfg->sample_rate_hz. SM_ERR_NULL, SM_ERR_PARAM for
 * an unknown index, SM_ERR_RATE for an unsupported rate; cfg is untouched
 * on error. The other values are not re-checked: sm_config_check the
 * result. any thread. */
sm_error sm_config_apply_preset(sm_config *cfg, int preset);

/* ---- engine ---------------------------------------------------------- */

typedef struct sm_engine sm_engine;

/* Builds an engine: allocates every buffer and makes every FFT plan
 * (FFTW_ESTIMATE, so output is deterministic). Returns NULL and sets *err
 * on failure. Two engines may live in one process. NRT only. */
sm_engine *sm_engine_new(const sm_config *cfg, sm_error *err);

/* Frees everything. NRT only. */
void sm_engine_free(sm_engine *e);

/* Processes n samples of each input into out_l and out_r. Any n, any split
 * of a stream into calls: the output is bit-identical whatever the block
 * sizes. Inputs may alias outputs. Non-finite input samples are replaced
 * by silence and counted; denormals are flushed for the duration of the
 * call. RT-safe. */
void sm_engine_process(sm_engine *e, const float *in_a, const float *in_b,
                       float *out_l, float *out_r, size_t n);

/* Queues a live parameter change; it takes effect at the next hop boundary
 * of each band (with the parameter's smoothing). Returns SM_ERR_RANGE etc.
 * for bad values, SM_ERR_CONFIG for a crossover value (bands.xover_*)
 * that breaks their order with the others (sm_config_check; 3 bands
 * only), SM_ERR_NEEDS_REBUILD for structural parameters,
 * SM_ERR_QUEUE_FULL when the engine has not consumed earlier changes yet.
 * any thread (several producers allowed). */
sm_error sm_engine_set(sm_engine *e, sm_param id, float value);

/* Most changes one sm_engine_set_many call takes. */
#define SM_ENGINE_SET_MANY_MAX 256

/* Queues n live parameter changes (ids[i] = values[i]) as one batch: all
 * of them take effect together at the same hop boundary of each band
 * (each with its parameter's smoothing), never split across two; for an
 * OSC bundle. All or nothing: every value is checked first as
 * sm_engine_set checks one, and the crossovers (the fixed pair and the
 * adaptive ranges, bands.xover_*) with the batch's values applied
 * together (so bands.xover_lo_hz and bands.xover_hi_hz may move together
 * to a pair that is valid only together, and likewise a range's ends).
 * On the first failure nothing is queued, the error is returned as by
 * sm_engine_set and *bad (if not NULL) receives the index of the
 * offending entry (for SM_ERR_CONFIG, the first crossover entry). Repeated ids: the last one
 * wins. n = 0 does nothing and returns SM_OK; n over
 * SM_ENGINE_SET_MANY_MAX returns SM_ERR_RANGE with *bad =
 * SM_ENGINE_SET_MANY_MAX; SM_ERR_QUEUE_FULL when the queue lacks room
 * for all n. any thread (several producers allowed). */
sm_error sm_engine_set_many(sm_engine *e, const sm_param *ids,
                            const float *values, size_t n, size_t *bad);

/* Last value accepted by sm_engine_set (or the configured one). any
 * thread. */
float sm_engine_get(const sm_engine *e, sm_param id);

/* The configuration the engine was built with, live changes applied.
 * any thread (a snapshot; values are read atomically one by one). */
sm_config sm_engine_config(const sm_engine *e);

/* Exact latency in samples: an input impulse at sample 0 comes out at this
 * sample (through the crossovers' allpass phase when bands.count = 3).
 * Alignment does not change it: only the leading input is delayed (by
 * the lag, to line up with the other), the lagging one passes untouched,
 * so the latency holds for the lagging input, and for both while no lag
 * is applied. any thread. */
int sm_engine_latency(const sm_engine *e);

/* Clears all signal state (as if new). Pending changes are kept. NRT only
 * (not concurrently with process). */
void sm_engine_reset(sm_engine *e);

/* Counters and readings for reports and status. any thread (values are
 * read without tearing but not as one snapshot). */
typedef struct sm_engine_stats {
    unsigned long long samples;        /* processed so far */
    unsigned long long frames;         /* STFT frames over all bands */
    unsigned long long nonfinite_in;   /* input samples replaced by 0 */
    unsigned long long limited;        /* samples with gain reduction */
    float max_reduction_db;            /* deepest limiter reduction (>= 0) */
    float peak_out_dbfs;               /* highest sample peak out */
    unsigned long long param_changes;  /* live changes applied */
    unsigned long long queue_full;     /* sets refused: queue full */
    /* Alignment (all 0 without the stage, align.max_lag_ms = 0): */
    float align_lag_ms;     /* tracked lag of B behind A, ms (negative: B
                               leads); 0 until the first lock, then held
                               through silence or unrelated material */
    float align_confidence; /* 0..1, averaged over about 1 s; low for
                               silence, unrelated inputs, or with
                               align.enabled = off */
    float align_delay_ms;   /* delay applied now, signed like the lag
                               (> 0: A is delayed, < 0: B is); glides to
                               the lag at align.glide_ms_per_s */
    /* Crossovers (all 0 with bands.count = 1): */
    float xover_lo_hz;      /* LF/MF cutoff in force now (gliding toward
                               its target); the fixed bands.xover_lo_hz
                               with bands.adaptive = off */
    float xover_hi_hz;      /* MF/HF cutoff in force now */
    float xover_centroid_hz; /* smoothed spectral centroid the adaptive
                               cutoffs follow; 0 until the first frame
                               above the silence gate after
                               bands.adaptive is first turned on */
} sm_engine_stats;

void sm_engine_get_stats(const sm_engine *e, sm_engine_stats *st);

#ifdef __cplusplus
}
#endif
#endif
