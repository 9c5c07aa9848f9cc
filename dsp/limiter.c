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

/* Modified Bessel function of the first kind, order 0 (power series). */
static double bessel_i0(double x)
{
    double sum = 1.0, term = 1.0, q = x * x / 4.0;
    for (int k = 1; k < 50 && term > 1e-17 * sum; k++) {
        term *= q / ((double)k * k);
        sum += term;
    }
    return sum;
}

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
    /* Kaiser-windowed sinc (beta 8) taps for fractions 1/4, 2/4, 3/4
     * between history samples D-1 and D (D = SM_LIM_TP_DELAY), normalised
     * to unity DC gain. */
    const double beta = 8.0, D = SM_LIM_TP_DELAY;
    for (int p = 0; p < 3; p++) {
        double f = (p + 1) / 4.0, sum = 0.0, h[SM_LIM_TAPS];
        for (int i = 0; i < SM_LIM_TAPS; i++) {
            double tau = (D - 1.0 + f) - i, r = tau / D;
            double w = r * r < 1.0 ? bessel_i0(beta * sqrt(1.0 - r * r)) /
                                         bessel_i0(beta)
                                   : 0.0;
            h[i] = sinc(tau) * w;
            sum += h[i];
        }
        double abs_sum = 0.0;
        for (int i = 0; i < SM_LIM_TAPS; i++) {
            l->coef[p][i] = (float)(h[i] / sum);
            abs_sum += fabs((double)l->coef[p][i]);
        }
        /* Margin for the float rounding of the dot product. */
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
    l->ceil_out = l->ceil_next = l->ceiling;
    l->t_loud = 0;
}

void sm_limiter_set_ceiling(sm_limiter *l, float ceiling_db)
{
    float c = powf(10.0f, ceiling_db / 20.0f);
    l->ceiling = c;
    l->loud = c / l->ip_bound;
    if (c >= l->ceil_out || l->t == 0) {
        l->ceil_out = l->ceil_next = c;
    } else {
        /* Samples already in the look-ahead got gains for the old
         * ceiling; clamping them to the new one would hard-clip. Every
         * position that feeds an output's gain has entered by then. */
        l->ceil_next = c;
        l->t_next = l->t + 2u * (unsigned)sm_limiter_latency(l) + 1u;
    }
}

int sm_limiter_latency(const sm_limiter *l)
{
    return SM_LIM_TP_DELAY + l->la;
}

/* Largest |interpolated value| between h[D-1] and h[D] of a channel. */
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
    float ceil_out = l->ceil_out;
    for (size_t k = 0; k < n; k++) {
        unsigned t = (unsigned)l->t; /* wraps; only differences matter */
        float xl = left[k], xr = right[k];
        /* History ring written twice, so h = hist + p + 1 is always the
         * last SM_LIM_TAPS inputs in order: h[i] holds input t - 31 + i. */
        unsigned p = (unsigned)(t & (SM_LIM_TAPS - 1));
        l->hist[0][p] = l->hist[0][p + SM_LIM_TAPS] = xl;
        l->hist[1][p] = l->hist[1][p + SM_LIM_TAPS] = xr;
        const float *h0 = l->hist[0] + p + 1, *h1 = l->hist[1] + p + 1;
        l->dl[0][t & mask] = xl;
        l->dl[1][t & mask] = xr;

        /* Peak at position m = t - D (= h[D - 1]): its sample and the
         * interpolated values on both sides of it. */
        unsigned m = t - SM_LIM_TP_DELAY;
        /* Interpolated values cannot exceed the window's sample peak
         * times ip_bound; when no input in the window is that loud their
         * exact value cannot change the gain, so skip them (the common,
         * quiet case; same output). */
        if (maxf(fabsf(xl), fabsf(xr)) > l->loud)
            l->t_loud = l->t + 1; /* +1: 0 means never */
        float ipn = l->t_loud && l->t + 1 - l->t_loud < SM_LIM_TAPS
                        ? maxf(ip_peak(l, h0), ip_peak(l, h1))
                        : 0.0f;
        const unsigned D = SM_LIM_TP_DELAY;
        float pk = maxf(fabsf(h0[D - 1]), fabsf(h1[D - 1]));
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
        if (h < r) {
            r = h;
        } else {
            /* In float the step stalls once it is under half an ulp; land
             * on h then, so the gain does return to exactly 1. */
            float nr = r + (h - r) * l->rel_coef;
            r = nr == r ? h : nr;
        }
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

        if (l->t >= l->t_next)
            ceil_out = l->ceil_out = l->ceil_next;
        float yl = l->dl[0][j & mask] * gain;
        float yr = l->dl[1][j & mask] * gain;
        /* Float rounding of x * (c / x) may land one ulp above c. */
        yl = yl > ceil_out ? ceil_out : yl < -ceil_out ? -ceil_out : yl;
        yr = yr > ceil_out ? ceil_out : yr < -ceil_out ? -ceil_out : yr;
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
