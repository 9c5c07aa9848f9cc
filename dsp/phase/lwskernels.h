/* phase/lwskernels.h: the per-bin math of the lws phase method (locally
 * weighted sums), shared by the CPU loop of phase/lws.c and a later CUDA
 * kernel, like kernels.h: static inline SM_HD, no libc beyond float math.
 *
 * The consistency projection P(X) = STFT(ISTFT(X)) is linear, and for a
 * fixed window pair and hop it is, bin by bin, a weighted sum over the
 * neighbouring bins of the overlapping frames:
 *   P(X)_m[k] = sum_d tw_d[k] sum_j w_d[j] X_{m+d}[k - j]
 * (d: frame offset, |d| hop < window; j: bin offset; w_d[j] and the
 * twiddle tw_d[k] = e^{-2 pi i k d hop / window} depend only on the
 * windows and the hop; see lws.c for their derivation). Rows are stored
 * "extended": Q guard bins on either side of bins 0 .. window/2 hold the
 * Hermitian mirror (X[-j] = conj X[j], X[N/2 + j] = conj X[N/2 - j]), and
 * one more zero bin above (read against a zero tap), so the sum needs no
 * branch at the spectrum's ends.
 */
#ifndef SM_LWSKERNELS_H
#define SM_LWSKERNELS_H

#include "kernels.h"

static inline SM_HD sm_cpx sm_cmul(sm_cpx a, sm_cpx b)
{
    sm_cpx y = {a.re * b.re - a.im * b.im, a.re * b.im + a.im * b.re};
    return y;
}

/* Packed taps: frame offset d's taps, in the order of the row they meet
 * (j = q, q-1, .., -q, then a zero tap to make the count even), two at a
 * time as four floats, {Re w, Re w, Re w', Re w'} in wr and the same with
 * Im in wi, so that one 4-float load of the row (two bins, re and im)
 * meets them lane for lane. With GCC/Clang the four lanes are one vector;
 * elsewhere (CUDA), or with SM_LWS_SCALAR defined, a loop over the lanes
 * does exactly the same operations in the same order, so both give the
 * same bits (checked: the method's output over three geometries hashes
 * the same built either way, and at -O0). */
#if defined(__GNUC__) && !defined(__CUDACC__) && !defined(SM_LWS_SCALAR)
typedef float sm_lws_v4 __attribute__((vector_size(16)));
#define SM_LWS_VECTOR 1
#endif

/* Lanes s[l] = sum_p a[4p+l] x[4p+l], t[l] = sum_p b[4p+l] x[4p+l] over
 * `pairs` groups of four. */
static inline SM_HD void sm_lws_dot4(const float *x, const float *a,
                                     const float *b, int pairs, float *s,
                                     float *t)
{
#if defined(SM_LWS_VECTOR)
    sm_lws_v4 A = {0.0f, 0.0f, 0.0f, 0.0f}, B = A;
    for (int p = 0; p < pairs; p++) {
        sm_lws_v4 X, R, I;
        __builtin_memcpy(&X, x + 4 * p, sizeof X);
        __builtin_memcpy(&R, a + 4 * p, sizeof R);
        __builtin_memcpy(&I, b + 4 * p, sizeof I);
        A += R * X;
        B += I * X;
    }
    for (int l = 0; l < 4; l++) {
        s[l] = A[l];
        t[l] = B[l];
    }
#else
    for (int l = 0; l < 4; l++)
        s[l] = t[l] = 0.0f;
    for (int p = 0; p < pairs; p++)
        for (int l = 0; l < 4; l++) {
            s[l] += a[4 * p + l] * x[4 * p + l];
            t[l] += b[4 * p + l] * x[4 * p + l];
        }
#endif
}

/* The weighted sum of bin k of the centre frame over its neighbours.
 * rows[d + D] (d = -D..D): bin 0 of frame m+d's extended row, NULL when
 * that frame is absent (not yet pushed: it counts as unknown, not as
 * silence); the row must be readable from bin -q to bins + q (the zero
 * tap's partner). wr, wi + off[d + D]: frame d's packed taps, q + 1 pairs
 * for q = half[d + D] (half < 0: the frame has no tap above the
 * threshold); the bin's own tap (d = 0, j = 0) counts as the caller
 * packed it (W_0[0] for the projection; lws.c scales it).
 * tw[(d + D) * bins + k]: the twiddle. The order of the additions is
 * fixed, so the result is deterministic. */
static inline SM_HD sm_cpx sm_lws_bin_sum(const sm_cpx *const *rows, int D,
                                          const float *wr, const float *wi,
                                          const int *off, const int *half,
                                          const sm_cpx *tw, int bins, int k)
{
    float accr = 0.0f, acci = 0.0f;
    for (int d = -D; d <= D; d++) {
        const sm_cpx *r = rows[d + D];
        const int q = half[d + D];
        if (!r || q < 0)
            continue;
        float s[4], t[4];
        sm_lws_dot4((const float *)(r + k - q), wr + off[d + D],
                    wi + off[d + D], q + 1, s, t);
        /* (Re w + i Im w)(x.re + i x.im), summed over the two lanes */
        const float ar = (s[0] + s[2]) - (t[1] + t[3]);
        const float ai = (s[1] + s[3]) + (t[0] + t[2]);
        if (d == 0) {
            accr += ar;
            acci += ai;
        } else {
            const sm_cpx c = tw[(d + D) * bins + k];
            accr += c.re * ar - c.im * ai;
            acci += c.re * ai + c.im * ar;
        }
    }
    sm_cpx y = {accr, acci};
    return y;
}

/* The new value of a bin from its weighted sum: the target magnitude m
 * with the sum's phase. DC and Nyquist (real_bin) are real in any
 * spectrum of a real signal: their sign is the sign of the sum's real
 * part. A vanishing sum keeps the previous phasor's phase (prev, which
 * may itself be 0: then phase 0), so a bin with no information does not
 * jump. Never NaN: sm_phasor_with_mag guards 0/0 and overflow. */
static inline SM_HD sm_cpx sm_lws_bin_set(sm_cpx sum, sm_cpx prev, float m,
                                          int real_bin)
{
    if (real_bin) {
        sm_cpx y = {sum.re < 0.0f ? -m : m, 0.0f};
        if (!(sum.re != 0.0f))
            y.re = prev.re < 0.0f ? -m : m;
        return y;
    }
    if (!(sum.re != 0.0f || sum.im != 0.0f))
        return sm_phasor_with_mag(prev, m);
    return sm_phasor_with_mag(sum, m);
}

#endif
