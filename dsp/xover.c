/* xover.c: LR4 3-band split on TPT SVFs, its glide, and the mapping of
 * the adaptive cutoffs; see xover.h for the topology and the rules. */
#include "xover.h"

#include <math.h>
#include <string.h>

sm_svf_coef sm_svf_design_g(double g, double k)
{
    sm_svf_coef c;
    c.k = k;
    c.a1 = 1.0 / (1.0 + g * (g + k));
    c.a2 = g * c.a1;
    c.a3 = g * c.a2;
    return c;
}

sm_svf_coef sm_svf_design(double f_hz, double fs_hz, double k)
{
    return sm_svf_design_g(tan(M_PI * f_hz / fs_hz), k);
}

/* One TPT SVF tick: returns low-pass, writes band-pass to *bp. */
static inline double svf_tick(const sm_svf_coef *c, sm_svf *s, double v0,
                              double *bp)
{
    double v3 = v0 - s->ic2;
    double v1 = c->a1 * s->ic1 + c->a2 * v3;
    double v2 = s->ic2 + c->a2 * s->ic1 + c->a3 * v3;
    s->ic1 = 2.0 * v1 - s->ic1;
    s->ic2 = 2.0 * v2 - s->ic2;
    *bp = v1;
    return v2;
}

static void redesign(sm_xover *x)
{
    x->lo = sm_svf_design(x->lo_hz, x->fs_hz, M_SQRT2);
    x->hi = sm_svf_design(x->hi_hz, x->fs_hz, M_SQRT2);
}

void sm_xover_reset(sm_xover *x) { memset(x->st, 0, sizeof x->st); }

void sm_xover_init(sm_xover *x, double fs_hz, double lo_hz, double hi_hz,
                   double glide_ms)
{
    memset(x, 0, sizeof *x);
    x->fs_hz = fs_hz;
    x->lo_hz = x->lo_tgt = lo_hz;
    x->hi_hz = x->hi_tgt = hi_hz;
    double step_s = SM_XOVER_GRID / fs_hz;
    x->glide = glide_ms > 0 ? 1.0 - exp(-step_s / (glide_ms * 1e-3)) : 1.0;
    redesign(x);
}

void sm_xover_set(sm_xover *x, double lo_hz, double hi_hz)
{
    x->lo_tgt = lo_hz;
    x->hi_tgt = hi_hz;
}

void sm_xover_set_slew(sm_xover *x, int on)
{
    x->slew = on ? SM_XOVER_GRID / (x->fs_hz * SM_XOVER_SLEW_CYCLES) : 0.0;
}

int sm_xover_landed(const sm_xover *x)
{
    return x->lo_hz == x->lo_tgt && x->hi_hz == x->hi_tgt;
}

/* One grid step of one cutoff: the one-pole in log frequency, within the
 * slew limit when it is on (see xover.h). */
static double glide_one(const sm_xover *x, double f, double tgt)
{
    double l = log(f), lt = log(tgt);
    double d = (lt - l) * x->glide;
    if (x->slew > 0.0) {
        double dmax = x->slew * f;
        d = d > dmax ? dmax : d < -dmax ? -dmax : d;
    }
    l += d;
    return fabs(l - lt) < 1e-6 ? tgt : exp(l);
}

static void grid_step(sm_xover *x)
{
    x->moving = x->lo_hz != x->lo_tgt || x->hi_hz != x->hi_tgt;
    if (x->moving) {
        x->g_lo0 = tan(M_PI * x->lo_hz / x->fs_hz);
        x->g_hi0 = tan(M_PI * x->hi_hz / x->fs_hz);
        /* Glide in log frequency; land exactly once close enough. */
        x->lo_hz = glide_one(x, x->lo_hz, x->lo_tgt);
        x->hi_hz = glide_one(x, x->hi_hz, x->hi_tgt);
        redesign(x);
        x->dg_lo = (tan(M_PI * x->lo_hz / x->fs_hz) - x->g_lo0) /
                   SM_XOVER_GRID;
        x->dg_hi = (tan(M_PI * x->hi_hz / x->fs_hz) - x->g_hi0) /
                   SM_XOVER_GRID;
    }
    /* Guard the recursion: input is sanitised upstream, but a state that
     * ever went non-finite would never recover on its own. */
    for (int c = 0; c < 2; c++)
        for (int f = 0; f < 7; f++)
            if (!isfinite(x->st[c][f].ic1) || !isfinite(x->st[c][f].ic2))
                x->st[c][f].ic1 = x->st[c][f].ic2 = 0.0;
}

static inline void split_one(const sm_svf_coef *lo, const sm_svf_coef *hi,
                             sm_svf *st, double v, float *lf, float *mf,
                             float *hf)
{
    double bp, bp2;
    /* LR4 at lo: one SVF gives both first-stage outputs. */
    double lp1 = svf_tick(lo, &st[0], v, &bp);
    double hp1 = v - lo->k * bp - lp1;
    double lfr = svf_tick(lo, &st[1], lp1, &bp2);
    double l2 = svf_tick(lo, &st[2], hp1, &bp2);
    double rest = hp1 - lo->k * bp2 - l2;
    /* LR4 at hi on the rest. */
    double lp1h = svf_tick(hi, &st[3], rest, &bp);
    double hp1h = rest - hi->k * bp - lp1h;
    double mid = svf_tick(hi, &st[4], lp1h, &bp2);
    double l3 = svf_tick(hi, &st[5], hp1h, &bp2);
    double high = hp1h - hi->k * bp2 - l3;
    /* LF through the allpass at hi so the bands sum allpass. */
    (void)svf_tick(hi, &st[6], lfr, &bp);
    double low = lfr - 2.0 * hi->k * bp;
    *lf = (float)low;
    *mf = (float)mid;
    *hf = (float)high;
}

void sm_xover_process(sm_xover *x, const float *a, const float *b,
                      float *const out[2][3], size_t n)
{
    size_t i = 0;
    while (i < n) {
        if (x->grid_pos == SM_XOVER_GRID) {
            grid_step(x);
            x->grid_pos = 0;
        }
        size_t m = SM_XOVER_GRID - x->grid_pos;
        if (m > n - i)
            m = n - i;
        if (!x->moving) {
            for (size_t j = i; j < i + m; j++) {
                split_one(&x->lo, &x->hi, x->st[0], a[j], &out[0][0][j],
                          &out[0][1][j], &out[0][2][j]);
                split_one(&x->lo, &x->hi, x->st[1], b[j], &out[1][0][j],
                          &out[1][1][j], &out[1][2][j]);
            }
        } else {
            /* Sample s (1..GRID) of the block: g moves linearly from the
             * previous grid point and lands on the designed set. */
            unsigned s = x->grid_pos;
            for (size_t j = i; j < i + m; j++) {
                s++;
                sm_svf_coef lo = x->lo, hi = x->hi;
                if (s < SM_XOVER_GRID) {
                    lo = sm_svf_design_g(x->g_lo0 + x->dg_lo * s, M_SQRT2);
                    hi = sm_svf_design_g(x->g_hi0 + x->dg_hi * s, M_SQRT2);
                }
                split_one(&lo, &hi, x->st[0], a[j], &out[0][0][j],
                          &out[0][1][j], &out[0][2][j]);
                split_one(&lo, &hi, x->st[1], b[j], &out[1][0][j],
                          &out[1][1][j], &out[1][2][j]);
            }
        }
        x->grid_pos += (unsigned)m;
        i += m;
    }
}

/* ---- adaptive cutoffs ---------------------------------------------------- */

double sm_xover_position(double centroid_hz)
{
    if (!(centroid_hz > 0.0))
        return 0.5;
    double p = log(centroid_hz / SM_XOVER_ANCHOR_LO_HZ) /
               log(SM_XOVER_ANCHOR_HI_HZ / SM_XOVER_ANCHOR_LO_HZ);
    return p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
}

void sm_xover_map(const sm_xover_ranges *r, double p, double fs_hz,
                  double *lo_hz, double *hi_hz)
{
    p = p < 0.0 ? 0.0 : p > 1.0 ? 1.0 : p;
    double lo = r->lo_min_hz * pow(r->lo_max_hz / r->lo_min_hz, p);
    double hi = r->hi_min_hz * pow(r->hi_max_hz / r->hi_min_hz, p);
    /* The ranges are checked together (sm_config_check), but two live
     * producers may race past that check: never hand the filters an
     * unusable pair. */
    double top = SM_XOVER_MAX_FRACTION * fs_hz;
    if (hi > top)
        hi = top;
    if (hi < SM_XOVER_MIN_RATIO * lo)
        hi = SM_XOVER_MIN_RATIO * lo < top ? SM_XOVER_MIN_RATIO * lo : top;
    if (lo > hi / SM_XOVER_MIN_RATIO)
        lo = hi / SM_XOVER_MIN_RATIO;
    *lo_hz = lo;
    *hi_hz = hi;
}
