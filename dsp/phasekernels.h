/* phasekernels.h: the per-bin math of the phase methods, shared by the
 * CPU loops and (later) the CUDA kernels, like kernels.h. Included by
 * kernels.h; needs sm_cpx and SM_HD from there. */
#ifndef SM_PHASEKERNELS_H
#define SM_PHASEKERNELS_H

/* The phasor z scaled to magnitude m: m e^{i arg z}. A zero (or
 * non-finite-free but vanishing) z has no phase: it gives m on the real
 * axis (phase 0), never NaN. m = 0 gives exactly 0. */
static inline SM_HD sm_cpx sm_phasor_with_mag(sm_cpx z, float m)
{
    float r2 = z.re * z.re + z.im * z.im;
    sm_cpx y = {m, 0.0f};
    if (m == 0.0f) {
        y.re = 0.0f;
        return y;
    }
    /* Parts under ~1e-19 square into denormals (|y| off by up to 2e-5)
     * and parts over ~1.8e19 overflow (phase lost): bring such a z into
     * range by powers of two first, which changes neither its direction
     * nor any bit of the common case. */
    const int nonzero = z.re != 0.0f || z.im != 0.0f;
    for (int k = 0;
         k < 3 && nonzero && !(r2 >= 1.17549435e-38f && r2 <= 3.0e38f);
         k++) {
        float s = r2 > 1.0f ? 0x1p-64f : 0x1p64f;
        z.re *= s;
        z.im *= s;
        r2 = z.re * z.re + z.im * z.im;
    }
    if (r2 >= 1.17549435e-38f && r2 <= 3.0e38f) {
        float g = m / sqrtf(r2);
        y.re = z.re * g;
        y.im = z.im * g;
    }
    return y;
}

/* The accelerated iterate of fast Griffin-Lim (Perraudin, Balazs,
 * Sondergaard 2013): c + alpha (c - prev), c the new projection, prev
 * the previous one. alpha = 0 is plain Griffin-Lim. */
static inline SM_HD sm_cpx sm_phase_extrapolate(sm_cpx c, sm_cpx prev,
                                                float alpha)
{
    sm_cpx y = {c.re + alpha * (c.re - prev.re),
                c.im + alpha * (c.im - prev.im)};
    return y;
}

/* One bin of an RTISI-LA update (rtisila.c through lookbuf.c): z is the
 * bin of the frame analysed from the current signal, r its target
 * magnitude. The projection p = r z/|z| (Griffin-Lim's magnitude step) is
 * over-relaxed, c = p + kappa (p - z) (kappa = 0: the projection itself,
 * exactly), and extrapolated with momentum alpha from the previous c,
 * *prev; the result t replaces *spec (the spectrum whose synthesis the
 * signal holds) and the change t - *spec is returned for the synthesis. */
static inline SM_HD sm_cpx sm_rtisila_bin(sm_cpx z, float r, float kappa,
                                          float alpha, sm_cpx *prev,
                                          sm_cpx *spec)
{
    sm_cpx p = sm_phasor_with_mag(z, r);
    sm_cpx c = {p.re + kappa * (p.re - z.re), p.im + kappa * (p.im - z.im)};
    sm_cpx t = sm_phase_extrapolate(c, *prev, alpha);
    sm_cpx d = {t.re - spec->re, t.im - spec->im};
    *prev = c;
    *spec = t;
    return d;
}

/* The squared magnitude error (|z| - r)^2 of a bin: the consistency
 * residual that decides how much momentum a frame still gets. */
static inline SM_HD float sm_rtisila_resid(sm_cpx z, float r)
{
    float e = sqrtf(z.re * z.re + z.im * z.im) - r;
    return e * e;
}

/* ---- bregman ------------------------------------------------------------
 * Gradient steps on a Bregman divergence D(r | m) between the target
 * magnitude r and the current magnitude m = |z| of a bin (bregman.c):
 *   kl (generalised Kullback-Leibler)  D = r log(r/m) - r + m,
 *                                      dD/dm = (m - r) / m
 *   is (Itakura-Saito)                 D = r/m - log(r/m) - 1,
 *                                      dD/dm = (m - r) / m^2
 * The gradient with respect to the complex bin is dD/dm z/|z|. A plain
 * step on it is not scale-invariant (kl's gradient has no unit, is's is
 * 1/amplitude) and moves a loud bin by a vanishing fraction, so the step
 * is preconditioned per bin by the inverse curvature of D at the larger
 * of m and r (kl: max(m, r), is: max(m, r)^2):
 *   m > r:  m <- m - step (m - r)              (every divergence alike)
 *   m <= r: m <- m + step h (r - m),  h = r/m (kl), (r/m)^2 (is)
 * so a step of 1 is Griffin-Lim's projection for a bin that is too loud,
 * and a bin that is too quiet is pushed further than the projection would
 * (by how much more the divergence penalises under- than over-estimates:
 * is more than kl). h is capped at SM_BREGMAN_GAIN_MAX: a bin with
 * (almost) nothing in it would otherwise jump without bound. */
#define SM_BREGMAN_GAIN_MAX 2.0f

/* The magnitude after one preconditioned gradient step (above). May be
 * negative for step > 1 (past zero: the phasor turns round). */
static inline SM_HD float sm_bregman_mag(float m, float r, float step,
                                         int is)
{
    if (m > r)
        return m - step * (m - r);
    float h = SM_BREGMAN_GAIN_MAX;
    if (m > 0.0f) {
        float q = r / m;
        if (is)
            q = q * q;
        if (q < h)
            h = q;
    }
    return m + step * h * (r - m);
}

/* D(r + eps | m + eps), eps > 0 keeping both finite where r or m is 0
 * (is is undefined at 0). In float; sum it in double. */
static inline SM_HD float sm_bregman_div(float r, float m, float eps, int is)
{
    float a = r + eps, b = m + eps, q = a / b;
    if (is)
        return q - logf(q) - 1.0f;
    return a * logf(q) - a + b;
}

/* One bin of a bregman update: z the analysed bin, r the target; the
 * gradient step's result c = (m'/m) z (m' = sm_bregman_mag) is
 * extrapolated with momentum alpha like sm_rtisila_bin. */
static inline SM_HD sm_cpx sm_bregman_bin(sm_cpx z, float r, float step,
                                          int is, float alpha, sm_cpx *prev,
                                          sm_cpx *spec)
{
    float m = sqrtf(z.re * z.re + z.im * z.im);
    sm_cpx c;
    if (m > 0.0f && m <= 3.0e38f) {
        float g = sm_bregman_mag(m, r, step, is) / m;
        c.re = z.re * g;
        c.im = z.im * g;
    } else {
        c.re = sm_bregman_mag(0.0f, r, step, is);
        c.im = 0.0f;
    }
    sm_cpx t = sm_phase_extrapolate(c, *prev, alpha);
    sm_cpx d = {t.re - spec->re, t.im - spec->im};
    *prev = c;
    *spec = t;
    return d;
}

#endif
