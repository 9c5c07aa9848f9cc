/* merge.c: CPU backend of the per-frame merge: a plain loop over bins
 * around the shared kernels (the CUDA backend runs the same kernels),
 * and its three-pass variant for a mask reshaped by the modulators. */
#include "merge.h"

#include "specmorph.h"

/* The modulated merge (merge.h): pass 1 is the plain loop's mask with
 * the SNR weighting, pass 2 the tonality smoothing (which needs the whole
 * mask), pass 3 the transient pull, merge and pan. Kept apart from the
 * plain loop so that loop stays exactly as it was. */
static void merge_modulated(const sm_merge_frame *f)
{
    const sm_mod_frame *m = f->mod;
    const int type = f->mask_type, bins = f->bins;
    const float k = f->k, width = f->width;
    const float alpha = f->psd_alpha;
    float qa, qb;
    sm_morph_gains(f->pos, &qa, &qb);
    const float qa2 = qa * qa, qb2 = qb * qb;
    float *w = m->w;
    for (int i = 0; i < bins; i++) {
        sm_cpx a = f->a[i], b = f->b[i];
        float pa = a.re * a.re + a.im * a.im;
        float pb = b.re * b.re + b.im * b.im;
        float Pa = sm_power_smooth(f->psd_a[i], pa, alpha);
        float Pb = sm_power_smooth(f->psd_b[i], pb, alpha);
        f->psd_a[i] = Pa;
        f->psd_b[i] = Pb;
        if (qa != 1.0f) {
            a.re *= qa;
            a.im *= qa;
            pa *= qa2;
        }
        if (qb != 1.0f) {
            b.re *= qb;
            b.im *= qb;
            pb *= qb2;
        }
        float ma = sqrtf(pa), mb = sqrtf(pb);
        m->mag_a[i] = ma;
        m->mag_b[i] = mb;
        float wa;
        if (type == SM_MASK_WIENER) {
            wa = sm_mask_wiener(qa2 * Pa, qb2 * Pb);
        } else {
            wa = sm_mask_softmax(pa, pb, k);
            if (type == SM_MASK_PSF && wa > 0.0f && wa < 1.0f)
                wa = sm_mask_psf(a, b, wa, ma, mb,
                                 sm_mix_phasor(a, b, wa, ma, mb));
        }
        if (m->snr > 0.0f)
            wa = sm_mask_snr(wa, sm_snr_gain(m->pow_a[i], m->noise_a[i]),
                             sm_snr_gain(m->pow_b[i], m->noise_b[i]),
                             m->snr);
        w[i] = wa;
    }
    if (m->tonality > 0.0f) {
        /* The mask's mean over [i - h, i + h] (clipped). */
        const int h = SM_MASK_SMOOTH_HALF_BINS, ww = 2 * h + 1;
        for (int j = 0; j * ww < bins; j++)
            sm_window_scan(w, bins, ww, j, m->pre, m->suf);
        for (int i = 0; i < bins; i++) {
            float mean = sm_window_sum(w, m->pre, m->suf, bins, i, h) /
                         (float)sm_window_count(bins, i, h);
            m->w2[i] = sm_mask_tonality(w[i], mean, m->tonality * m->flat[i]);
        }
        w = m->w2;
    }
    const float bal = sm_morph_balance(qa, qb);
    for (int i = 0; i < bins; i++) {
        sm_cpx a = f->a[i], b = f->b[i];
        if (qa != 1.0f) {
            a.re *= qa;
            a.im *= qa;
        }
        if (qb != 1.0f) {
            b.re *= qb;
            b.im *= qb;
        }
        float wa = w[i];
        if (m->transient > 0.0f)
            wa = sm_mask_transient(wa, bal, m->pull_a, m->pull_b);
        /* The magnitudes of pass 1, as the plain loop computes them. */
        sm_cpx y = sm_bin_merge_mix(a, b, wa, m->mag_a[i], m->mag_b[i]);
        if (f->stereo) {
            float gl, gr;
            sm_bin_pan(wa, width, &gl, &gr);
            f->l[i].re = y.re * gl;
            f->l[i].im = y.im * gl;
            f->r[i].re = y.re * gr;
            f->r[i].im = y.im * gr;
        } else {
            f->l[i] = y;
        }
    }
}

void sm_merge_frame_cpu(const sm_merge_frame *f)
{
    if (f->mod) {
        merge_modulated(f);
        return;
    }
    const int type = f->mask_type;
    const float k = f->k, width = f->width;
    const float alpha = f->psd_alpha;
    float qa, qb;
    sm_morph_gains(f->pos, &qa, &qb);
    const float qa2 = qa * qa, qb2 = qb * qb;
    for (int i = 0; i < f->bins; i++) {
        sm_cpx a = f->a[i], b = f->b[i];
        float pa = a.re * a.re + a.im * a.im;
        float pb = b.re * b.re + b.im * b.im;
        /* Always track the power estimates (unscaled, so a position
         * change acts at once) so a switch to wiener is seamless. */
        float Pa = sm_power_smooth(f->psd_a[i], pa, alpha);
        float Pb = sm_power_smooth(f->psd_b[i], pb, alpha);
        f->psd_a[i] = Pa;
        f->psd_b[i] = Pb;
        /* From here on the sources are the morph-scaled spectra. */
        if (qa != 1.0f) {
            a.re *= qa;
            a.im *= qa;
            pa *= qa2;
        }
        if (qb != 1.0f) {
            b.re *= qb;
            b.im *= qb;
            pb *= qb2;
        }
        float ma = sqrtf(pa), mb = sqrtf(pb);
        float wa;
        if (type == SM_MASK_WIENER) {
            wa = sm_mask_wiener(qa2 * Pa, qb2 * Pb);
        } else {
            wa = sm_mask_softmax(pa, pb, k);
            if (type == SM_MASK_PSF && wa > 0.0f && wa < 1.0f)
                wa = sm_mask_psf(a, b, wa, ma, mb,
                                 sm_mix_phasor(a, b, wa, ma, mb));
        }
        sm_cpx y = sm_bin_merge_mix(a, b, wa, ma, mb);
        if (f->stereo) {
            float gl, gr;
            sm_bin_pan(wa, width, &gl, &gr);
            f->l[i].re = y.re * gl;
            f->l[i].im = y.im * gl;
            f->r[i].re = y.re * gr;
            f->r[i].im = y.im * gr;
        } else {
            f->l[i] = y;
        }
    }
}
