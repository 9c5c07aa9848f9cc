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
    const int bins = f->bins;
    float qa, qb;
    sm_morph_gains(f->pos, &qa, &qb);
    float *w = m->w;
    for (int i = 0; i < bins; i++) {
        sm_cpx a = f->a[i], b = f->b[i];
        float wa = sm_bin_base_mask(&a, &b, &f->psd_a[i], &f->psd_b[i],
                                    f->psd_alpha, qa, qb, f->mask_type, f->k,
                                    &m->mag_a[i], &m->mag_b[i]);
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
        sm_cpx a = sm_bin_scale(f->a[i], qa), b = sm_bin_scale(f->b[i], qb);
        float wa = w[i];
        if (m->transient > 0.0f)
            wa = sm_mask_transient(wa, bal, m->pull_a, m->pull_b);
        /* The magnitudes of pass 1, as the plain loop computes them. */
        sm_cpx y = sm_bin_merge_mix(a, b, wa, m->mag_a[i], m->mag_b[i]);
        sm_bin_out(y, wa, f->width, f->stereo, &f->l[i], &f->r[i]);
        if (f->wa_out)
            f->wa_out[i] = wa;
    }
}

void sm_merge_frame_cpu(const sm_merge_frame *f)
{
    if (f->mod) {
        merge_modulated(f);
        return;
    }
    float qa, qb;
    sm_morph_gains(f->pos, &qa, &qb);
    for (int i = 0; i < f->bins; i++) {
        sm_cpx a = f->a[i], b = f->b[i];
        float ma, mb;
        float wa = sm_bin_base_mask(&a, &b, &f->psd_a[i], &f->psd_b[i],
                                    f->psd_alpha, qa, qb, f->mask_type, f->k,
                                    &ma, &mb);
        sm_cpx y = sm_bin_merge_mix(a, b, wa, ma, mb);
        sm_bin_out(y, wa, f->width, f->stereo, &f->l[i], &f->r[i]);
        if (f->wa_out)
            f->wa_out[i] = wa;
    }
}
