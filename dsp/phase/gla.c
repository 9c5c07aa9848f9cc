/* phase/gla.c: Griffin-Lim and fast Griffin-Lim over a whole spectrogram
 * (offline only; specmorph-image's gla and fgla, and the upper bound the
 * streaming methods are measured against). See gla.h.
 *
 * The two sets alternated between are C2, the spectrograms with the target
 * magnitude (projection: keep each bin's phase, impose mag), and C1, the
 * consistent spectrograms, the STFTs of signals of the offline framing
 * (projection: inverse STFT by the canonical dual window, which is the
 * least-squares inverse, then STFT again). Fast Griffin-Lim (Perraudin,
 * Balazs, Søndergaard 2013) adds momentum to the consistent iterate:
 *   c_n = P_C1(P_C2(t_{n-1})),   t_n = c_n + alpha (c_n - c_{n-1}),
 * alpha = 0 being classic Griffin-Lim.
 *
 * Signal support: the offline framing (offline.h) puts window - hop zeros
 * before the signal and covers padded samples [pad, frames * hop) with all
 * the frames that overlap them, which is where the dual window inverts
 * exactly. Samples outside that range are zero for every signal of the
 * framing, so P_C1 zeroes them: the projection is onto exactly the set
 * the caller's STFTs come from (for any length with this frame count).
 *
 * Cost per iteration: one inverse and one forward real FFT per frame, an
 * overlap-add into one signal buffer and two passes over the bins; the
 * only memory besides the caller's spectrogram (which holds t_n) is the
 * previous consistent iterate (fgla only), the signal and two aligned
 * frame buffers, all allocated once per call, with one FFTW plan pair.
 */
#include "phase/gla.h"

#include "stft.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* mag e^{i arg z}, |result| = mag to float rounding for any finite z:
 * a z whose squared parts would underflow (|z| < 2^-60) or overflow
 * (|z| > 2^60) is first scaled by a power of two (exact, keeps the
 * direction), and z / |z| is formed before mag multiplies it, so nothing
 * reaches inf. A zero z has no phase: phase 0. */
static inline sm_cpx impose_mag(sm_cpx z, float m)
{
    sm_cpx y = {m, 0.0f};
    if (m == 0.0f) {
        y.re = 0.0f;
        return y;
    }
    float r2 = z.re * z.re + z.im * z.im;
    if (r2 < 0x1p-120f) {
        z.re *= 0x1p100f;
        z.im *= 0x1p100f;
        r2 = z.re * z.re + z.im * z.im;
    } else if (r2 > 0x1p120f) {
        z.re *= 0x1p-100f;
        z.im *= 0x1p-100f;
        r2 = z.re * z.re + z.im * z.im;
    }
    if (r2 > 0.0f && r2 <= 3.0e38f) {
        float r = sqrtf(r2);
        y.re = z.re / r * m;
        y.im = z.im / r * m;
    }
    return y;
}

sm_error sm_gla_run(int window, int hop, const float *mag, int frames,
                    sm_cpx *spec, int iterations, float momentum)
{
    if (!mag || !spec)
        return SM_ERR_NULL;
    if (window < 4 || (window & 1) || hop < 1 || hop > window / 2 ||
        frames < 0 || iterations < 0 || !(momentum >= 0.0f) ||
        !(momentum < 2.0f))
        return SM_ERR_CONFIG;
    const int bins = window / 2 + 1;
    const size_t nb = (size_t)bins, count = (size_t)frames * nb;
    if (frames == 0)
        return SM_OK;
    if (iterations == 0) {
        for (size_t i = 0; i < count; i++)
            spec[i] = impose_mag(spec[i], mag[i]);
        return SM_OK;
    }

    sm_error e = SM_ERR_NOMEM;
    sm_stft *st = sm_stft_new(window, hop, &e);
    if (!st)
        return e;
    const size_t H = (size_t)hop, N = (size_t)window;
    const size_t pad = N - H;
    const size_t keep_end = (size_t)frames * H; /* support [pad, keep_end) */
    const size_t total = ((size_t)frames - 1) * H + N;
    const int fast = momentum > 0.0f;
    float *sig = sm_stft_alloc_real(total);
    sm_cpx *tmp = sm_stft_alloc_spec(st);
    sm_cpx *cprev = fast ? malloc(count * sizeof(sm_cpx)) : NULL;
    if (!sig || !tmp || (fast && !cprev)) {
        e = SM_ERR_NOMEM;
        goto out;
    }

    /* c_0 = P_C2(initial): the momentum's first difference is then
     * between two spectrograms of the target magnitude. */
    for (size_t i = 0; i < count; i++)
        spec[i] = impose_mag(spec[i], mag[i]);
    if (fast)
        memcpy(cprev, spec, count * sizeof(sm_cpx));

    const float a = momentum;
    for (int it = 0; it < iterations; it++) {
        /* x = ISTFT(P_C2(t)) over the support. */
        memset(sig, 0, total * sizeof(float));
        for (int m = 0; m < frames; m++) {
            const sm_cpx *t = spec + (size_t)m * nb;
            const float *g = mag + (size_t)m * nb;
            for (int k = 0; k < bins; k++)
                tmp[k] = impose_mag(t[k], g[k]);
            sm_stft_synth_add(st, tmp, sig + (size_t)m * H);
        }
        memset(sig, 0, pad * sizeof(float));
        memset(sig + keep_end, 0, (total - keep_end) * sizeof(float));

        /* c = STFT(x); t = c + a (c - c_prev). */
        for (int m = 0; m < frames; m++) {
            sm_cpx *t = spec + (size_t)m * nb;
            sm_stft_analyze(st, sig + (size_t)m * H, tmp);
            if (!fast) {
                memcpy(t, tmp, nb * sizeof(sm_cpx));
                continue;
            }
            sm_cpx *c = cprev + (size_t)m * nb;
            for (int k = 0; k < bins; k++) {
                sm_cpx n = tmp[k];
                t[k].re = n.re + a * (n.re - c[k].re);
                t[k].im = n.im + a * (n.im - c[k].im);
                c[k] = n;
            }
        }
    }

    /* The target magnitude with the final phases. */
    for (size_t i = 0; i < count; i++)
        spec[i] = impose_mag(spec[i], mag[i]);
    e = SM_OK;
out:
    free(cprev);
    sm_stft_free_buf(tmp);
    sm_stft_free_buf(sig);
    sm_stft_free(st);
    return e;
}
