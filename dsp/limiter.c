/* limiter.c: look-ahead true-peak limiter; see limiter.h for why it cannot
 * overshoot. Positions are absolute sample counts; rings are indexed by
 * position & mask. */
#include "limiter.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* fmaxf/fminf are library calls at -O2 (NaN rules); inputs here are
 * finite, so plain comparisons do. */
static inline float maxf(float a, float b) { return a > b ? a : b; }

static double sinc(double x)
{
    if (fabs(x) < 1e-12)
        return 1.0;
    return sin(M_PI * x) / (M_PI * x);
}

int sm_limiter_init(sm_limiter *l, double fs_hz, double lookahead_ms,
                    double release_ms, float ceiling_db)
{
    memset(l, 0, sizeof *l);
    l->la = (int)lround(lookahead_ms * 1e-3 * fs_hz);
    if (l->la < 1)
        l->la = 1;
    int need = l->la + SM_LIM_TP_DELAY + 2;
    l->len = 1;
    while (l->len < need)
        l->len <<= 1;
    l->mask = (unsigned)l->len - 1;
    l->rel_coef = (float)(1.0 - exp(-1.0 / (release_ms * 1e-3 * fs_hz)));
    /* Lanczos (a = 4) taps for fractions 1/4, 2/4, 3/4 between sample 3
     * and 4 of an 8-sample window; normalised to unity DC gain. */
    for (int p = 0; p < 3; p++) {
        double f = (p + 1) / 4.0, sum = 0.0;
        for (int i = 0; i < SM_LIM_TAPS; i++) {
            double tau = (3.0 + f) - i;
            double h = sinc(tau) * sinc(tau / 4.0);
            l->coef[p][i] = (float)h;
            sum += h;
        }
        double abs_sum = 0.0;
        for (int i = 0; i < SM_LIM_TAPS; i++) {
            l->coef[p][i] = (float)(l->coef[p][i] / sum);
            abs_sum += fabs((double)l->coef[p][i]);
        }
        /* Margin for the float rounding of the 8-term dot product. */
        if ((float)(abs_sum * 1.0001) > l->ip_bound)
            l->ip_bound = (float)(abs_sum * 1.0001);
    }
    for (int c = 0; c < 2; c++)
        l->dl[c] = calloc((size_t)l->len, sizeof(float));
    l->greq = calloc((size_t)l->len, sizeof(float));
    l->rel = calloc((size_t)l->len, sizeof(float));
    l->dq = calloc((size_t)l->len, sizeof(unsigned));
    if (!l->dl[0] || !l->dl[1] || !l->greq || !l->rel || !l->dq) {
        sm_limiter_free(l);
        return -1;
    }
    sm_limiter_set_ceiling(l, ceiling_db);
    sm_limiter_reset(l);
    return 0;
}

void sm_limiter_free(sm_limiter *l)
{
    free(l->dl[0]);
    free(l->dl[1]);
    free(l->greq);
    free(l->rel);
    free(l->dq);
    l->dl[0] = l->dl[1] = NULL;
    l->greq = l->rel = NULL;
    l->dq = NULL;
}

void sm_limiter_reset(sm_limiter *l)
{
    memset(l->hist, 0, sizeof l->hist);
    memset(l->dl[0], 0, sizeof(float) * (size_t)l->len);
    memset(l->dl[1], 0, sizeof(float) * (size_t)l->len);
    for (int i = 0; i < l->len; i++)
        l->greq[i] = l->rel[i] = 1.0f;
    l->t = 0;
    l->prev_ip = 0.0f;
    l->dq_head = l->dq_tail = 0;
    l->rel_last = 1.0f;
    l->box_sum = (double)(l->la + 1);
    l->box_count = 0;
    l->limited = 0;
    l->min_gain = 1.0f;
}

void sm_limiter_set_ceiling(sm_limiter *l, float ceiling_db)
{
    l->ceiling = powf(10.0f, ceiling_db / 20.0f);
}

int sm_limiter_latency(const sm_limiter *l)
{
    return SM_LIM_TP_DELAY + l->la;
}

/* Largest |interpolated value| between hist[3] and hist[4] of a channel. */
static inline float ip_peak(const sm_limiter *l, const float *h)
{
    float m = 0.0f;
    for (int p = 0; p < 3; p++) {
        float s = 0.0f;
        for (int i = 0; i < SM_LIM_TAPS; i++)
            s += l->coef[p][i] * h[i];
        m = maxf(m, fabsf(s));
    }
    return m;
}

void sm_limiter_process(sm_limiter *l, float *left, float *right, size_t n)
{
    const unsigned mask = l->mask;
    const unsigned la = (unsigned)l->la;
    const float ceil_lin = l->ceiling;
    for (size_t k = 0; k < n; k++) {
        unsigned t = (unsigned)l->t; /* wraps; only differences matter */
        float xl = left[k], xr = right[k];
        /* History ring written twice, so h = hist + p + 1 is always the
         * last 8 inputs in order: h[i] holds input t - 7 + i. */
        unsigned p = (unsigned)(t & (SM_LIM_TAPS - 1));
        l->hist[0][p] = l->hist[0][p + SM_LIM_TAPS] = xl;
        l->hist[1][p] = l->hist[1][p + SM_LIM_TAPS] = xr;
        const float *h0 = l->hist[0] + p + 1, *h1 = l->hist[1] + p + 1;
        l->dl[0][t & mask] = xl;
        l->dl[1][t & mask] = xr;

        /* Peak at position m = t - 4 (= hist[3]): its sample and the
         * interpolated values on both sides of it. */
        unsigned m = t - SM_LIM_TP_DELAY;
        /* Interpolated values cannot exceed the window's sample peak
         * times ip_bound; below the ceiling their exact value cannot
         * change the gain, so skip them (the common, quiet case). */
        float wmax = 0.0f;
        for (int i = 0; i < SM_LIM_TAPS; i++)
            wmax = maxf(wmax, maxf(fabsf(h0[i]), fabsf(h1[i])));
        float ipn = wmax * l->ip_bound <= ceil_lin
                        ? 0.0f
                        : maxf(ip_peak(l, h0), ip_peak(l, h1));
        float pk = maxf(fabsf(h0[3]), fabsf(h1[3]));
        pk = maxf(pk, maxf(ipn, l->prev_ip));
        l->prev_ip = ipn;
        float g = pk > ceil_lin ? ceil_lin / pk : 1.0f;
        l->greq[m & mask] = g;

        /* Sliding minimum over positions [j, j + la], j = m - la. */
        while (l->dq_tail != l->dq_head &&
               l->greq[l->dq[(l->dq_tail - 1) & mask] & mask] >= g)
            l->dq_tail--;
        l->dq[l->dq_tail & mask] = m;
        l->dq_tail++;
        unsigned j = m - la;
        while ((int)(l->dq[l->dq_head & mask] - j) < 0)
            l->dq_head++;
        float h = l->greq[l->dq[l->dq_head & mask] & mask];

        /* Release: instant down, exponential up, never above h. */
        float r = l->rel_last;
        r = h < r ? h : r + (h - r) * l->rel_coef;
        l->rel_last = r;

        /* Box filter over rel[j - la .. j]. */
        float old = l->rel[(j - la - 1) & mask];
        l->rel[j & mask] = r;
        if (++l->box_count > l->len) {
            double s = 0.0;
            for (unsigned i = 0; i <= la; i++)
                s += l->rel[(j - i) & mask];
            l->box_sum = s;
            l->box_count = 0;
        } else {
            l->box_sum += (double)r - (double)old;
        }
        float gain = (float)(l->box_sum / (double)(la + 1));
        float gj = l->greq[j & mask];
        if (gain > gj)
            gain = gj;
        if (gain > 1.0f)
            gain = 1.0f;

        float yl = l->dl[0][j & mask] * gain;
        float yr = l->dl[1][j & mask] * gain;
        /* Float rounding of x * (c / x) may land one ulp above c. */
        yl = yl > ceil_lin ? ceil_lin : yl < -ceil_lin ? -ceil_lin : yl;
        yr = yr > ceil_lin ? ceil_lin : yr < -ceil_lin ? -ceil_lin : yr;
        left[k] = yl;
        right[k] = yr;
        if (gain < 1.0f) {
            l->limited++;
            if (gain < l->min_gain)
                l->min_gain = gain;
        }
        l->t++;
    }
}
