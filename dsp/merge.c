/* merge.c: CPU backend of the per-frame merge: a plain loop over bins
 * around the shared kernels (the CUDA backend runs the same kernels). */
#include "merge.h"

#include "specmorph.h"

void sm_merge_frame_cpu(const sm_merge_frame *f)
{
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
