/* limiter.h: stereo-linked look-ahead safety limiter with true-peak
 * detection.
 *
 * Peaks are estimated at 4x oversampling (32-tap Kaiser-windowed sinc
 * interpolation between samples, as BS.1770 true-peak meters do; shorter
 * kernels under-read intersample peaks of content near Nyquist). The required gain is
 * held by a sliding minimum over the look-ahead and smoothed by a box
 * filter of the same length, so the gain reaches its target exactly when
 * the peak arrives and never overshoots: every output sample satisfies
 * |y| <= ceiling (sample peaks are also clamped against float rounding).
 * A lowered ceiling is in force for every sample that enters after the
 * change; samples already inside the look-ahead leave under the old one,
 * so a change never hard-clips.
 * Latency: SM_LIM_TP_DELAY + look-ahead samples.
 */
#ifndef SM_LIMITER_H
#define SM_LIMITER_H

#include <stddef.h>

#define SM_LIM_TP_DELAY 16
#define SM_LIM_TAPS 32 /* power of two: the history ring is masked */

typedef struct sm_limiter {
    int la;            /* look-ahead (box length - 1), samples */
    int len;           /* ring length, power of two > la + delay */
    unsigned mask;
    unsigned long long t; /* input samples seen */
    float ceiling;     /* linear, for detection (samples entering now) */
    float ceil_out;    /* linear, for the final clamp (samples leaving) */
    float ceil_next;   /* clamp ceiling that takes over at t_next */
    unsigned long long t_next;
    float loud;        /* |x| above which interpolation must be computed */
    unsigned long long t_loud; /* last input time with |x| > loud */
    float rel_coef;    /* release per-sample fraction */
    float coef[3][SM_LIM_TAPS];
    float ip_bound;    /* max over phases of sum |coef|: overshoot bound */
    float hist[2][2 * SM_LIM_TAPS]; /* last inputs, ring written twice */
    float prev_ip;     /* interpolated peak between the last two positions */
    float *dl[2];      /* audio delay rings */
    float *greq;       /* ring of required gains (by position) */
    float *rel;        /* ring of release-smoothed held gains */
    unsigned *dq;      /* sliding-min deque of positions */
    unsigned dq_head, dq_tail;
    float rel_last;
    double box_sum;
    int box_count;     /* samples since the last exact re-sum */
    /* telemetry */
    unsigned long long limited;
    float min_gain;
} sm_limiter;

/* NRT only: allocates. lookahead_ms > 0, release_ms > 0. Returns 0 on
 * success, -1 on allocation failure. */
int sm_limiter_init(sm_limiter *l, double fs_hz, double lookahead_ms,
                    double release_ms, float ceiling_db);
void sm_limiter_free(sm_limiter *l);
void sm_limiter_reset(sm_limiter *l);

/* RT-safe. */
void sm_limiter_set_ceiling(sm_limiter *l, float ceiling_db);

/* Limits n samples in place. RT-safe. */
void sm_limiter_process(sm_limiter *l, float *left, float *right, size_t n);

/* Samples of delay. any thread. */
int sm_limiter_latency(const sm_limiter *l);

#endif
