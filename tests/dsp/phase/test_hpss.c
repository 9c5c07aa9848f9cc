/* test_hpss.c: the hpss phase method (dsp/phase/hpss.c).
 *
 * hpss splits the target magnitude with a causal time median (harmonic)
 * and a frequency median (percussive) into two shares that add up to it,
 * runs each layer's method on the frame, and blends the two layers'
 * spectra by the shares after aligning their look-aheads. The tests check
 * the split against a brute-force reference and on a tone plus clicks,
 * the alignment, the blend and the reported look-ahead for every pair of
 * layer methods (against standalone objects of those methods and by the
 * look-aheads they report, so the tests hold whatever the methods are),
 * the anchored bins, the consistent-input case, hpss(X, X) = X, and the
 * house rules (determinism, silence, finite on hard inputs, reset,
 * configuration errors).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phase/hpsskernels.h"
#include "phase/offline.h"
#include "stft.h"
#include "testutil.h"

static sm_phase_setup make_setup(int window, int hop, double fs, int harm,
                                 int perc, int lookahead)
{
    sm_phase_setup s = {
        .window = window,
        .hop = hop,
        .fs_hz = fs,
        .method = SM_PHASE_HPSS,
        .lookahead = lookahead,
        .init = SM_PHASE_INIT_PGHI, /* as the engine passes phase.init */
        .harmonic = harm,
        .percussive = perc,
        .hpss_ms = 100.0f,
        .hpss_hz = 500.0f,
    };
    return s;
}

static sm_phase_in make_in(const float *mag, const sm_cpx *est,
                           const unsigned char *anchor)
{
    sm_phase_in in = {.mag = mag, .est = est, .anchor = anchor,
                      .iterations = 4, .divergence = 0, .step = 1.0f};
    return in;
}

static void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size);
    assert_non_null(p);
    return p;
}

/* xorshift32 in [0, 1). */
static float urand(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    return (float)(*s >> 8) / 16777216.0f;
}

/* Magnitude spectrogram of x (framing of offline.h); frames in *frames. */
static float *mag_of(const float *x, size_t n, int window, int hop,
                     int *frames, sm_cpx **spec_out)
{
    const int bins = window / 2 + 1, f = sm_spec_frames(n, window, hop);
    sm_cpx *spec = xcalloc((size_t)f * (size_t)bins, sizeof(sm_cpx));
    assert_int_equal(sm_spec_analyze(x, n, window, hop, spec), SM_OK);
    float *mag = xcalloc((size_t)f * (size_t)bins, sizeof(float));
    for (size_t i = 0; i < (size_t)f * (size_t)bins; i++)
        mag[i] = sm_cabs(spec[i]);
    *frames = f;
    if (spec_out)
        *spec_out = spec;
    else
        free(spec);
    return mag;
}

static double median_of(double *v, int n)
{
    for (int i = 1; i < n; i++) { /* insertion sort, n is small */
        double x = v[i];
        int j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
    return v[n / 2];
}

/* ---- kernel geometry ------------------------------------------------- */

static void check_geometry(sm_phase_setup s, int kt, int kf)
{
    sm_error err = SM_OK;
    sm_hpss *h = sm_hpss_new(&s, &err);
    assert_non_null(h);
    int t = 0, f = 0;
    sm_hpss_geometry(h, &t, &f);
    assert_int_equal(t, kt);
    assert_int_equal(f, kf);
    /* The causal median adds no look-ahead: the layers' larger one. */
    sm_phase_setup sl = s;
    sl.method = s.harmonic;
    int l1 = sm_phase_lookahead(&sl);
    sl.method = s.percussive;
    int l2 = sm_phase_lookahead(&sl);
    assert_int_equal(sm_hpss_lookahead(&s), l1 > l2 ? l1 : l2);
    sm_hpss_free(h);
}

static void test_geometry(void **state)
{
    (void)state;
    /* 100 ms / (512 / 48 kHz = 10.67 ms) = 9.4 -> 9 frames; 500 Hz /
     * 23.4 Hz = 21.3 -> 21 bins. */
    check_geometry(make_setup(2048, 512, 48000.0, 0, 0, 2), 9, 21);
    check_geometry(make_setup(2048, 512, 48000.0, SM_PHASE_RTISILA,
                              SM_PHASE_PGHI, 3), 9, 21);
    /* 100 ms / 2.67 ms = 37.5 -> 37; 500 Hz / 93.75 Hz = 5.3 -> 5. */
    check_geometry(make_setup(512, 128, 48000.0, 0, 0, 2), 37, 5);
    /* Short and narrow ask for less than 3: 3 (a median needs neighbours). */
    sm_phase_setup s = make_setup(512, 256, 8000.0, 0, 0, 0);
    s.hpss_ms = 20.0f;  /* 0.6 frames */
    s.hpss_hz = 5.0f;   /* 0.3 bins */
    check_geometry(s, 3, 3);
    /* Long and wide are capped: 127 frames, all bins (257, odd). */
    s = make_setup(512, 16, 48000.0, 0, 0, 0);
    s.hpss_ms = 1000.0f; /* 3000 frames */
    s.hpss_hz = 5000.0f; /* 53 bins */
    check_geometry(s, 127, 53);
    s.hpss_hz = 48000.0f;
    check_geometry(s, 127, 257);
    s = make_setup(514, 16, 48000.0, 0, 0, 0); /* 258 bins: largest odd */
    s.hpss_hz = 48000.0f;
    check_geometry(s, 127, 257);
}

/* ---- the split against a brute-force reference ----------------------- */

/* Random magnitudes over frames (some silent bins, some silent frames,
 * levels over 80 dB) through sm_hpss with mix layers; at every call the
 * split of frame n must be the power-2 Wiener split by the median of
 * frames n - T + 1 .. n (zeros before the stream) and the reflected median
 * over W bins. Bound: the reference is in double, the module in float:
 * each mask is a handful of float operations on values <= 1 (relative
 * error below 1e-6 of the magnitude); the sum is exact by construction
 * and checked exactly. */
static void check_split(int window, int hop, double fs, float ms, float hz)
{
    const int bins = window / 2 + 1, frames = 80;
    sm_phase_setup s = make_setup(window, hop, fs, SM_PHASE_MIX, SM_PHASE_MIX,
                                  0);
    s.hpss_ms = ms;
    s.hpss_hz = hz;
    sm_error err = SM_OK;
    sm_hpss *h = sm_hpss_new(&s, &err);
    assert_non_null(h);
    int kt, kf;
    sm_hpss_geometry(h, &kt, &kf);
    float *mag = xcalloc((size_t)frames * (size_t)bins, sizeof(float));
    uint32_t seed = 777;
    for (int f = 0; f < frames; f++) {
        float level = powf(10.0f, 4.0f * urand(&seed) - 2.0f);
        if (f % 13 == 5)
            level = 0.0f;
        for (int k = 0; k < bins; k++) {
            float u = urand(&seed);
            mag[(size_t)f * bins + k] = u < 0.1f ? 0.0f : level * u;
        }
    }
    sm_cpx *out = xcalloc((size_t)bins, sizeof(sm_cpx));
    double *v = xcalloc((size_t)(kt > kf ? kt : kf), sizeof(double));
    long checked = 0;
    for (int n = 0; n < frames; n++) {
        sm_phase_in in = make_in(mag + (size_t)n * bins, NULL, NULL);
        sm_hpss_process(h, &in, out);
        const int c = n;
        const float *mh = sm_hpss_layer_mag(h, 0);
        const float *mp = sm_hpss_layer_mag(h, 1);
        const float *row = mag + (size_t)c * bins;
        for (int k = 0; k < bins; k++) {
            for (int j = 0; j < kt; j++) {
                int f = n - kt + 1 + j;
                v[j] = f >= 0 ? mag[(size_t)f * bins + k] : 0.0;
            }
            double H = median_of(v, kt);
            for (int j = 0; j < kf; j++) {
                int b = k - kf / 2 + j;
                if (b < 0)
                    b = -b - 1;
                if (b >= bins)
                    b = 2 * bins - 1 - b;
                v[j] = row[b];
            }
            double P = median_of(v, kf);
            double m = row[k];
            double wh = (H == 0.0 && P == 0.0) ? 0.5 : H * H / (H * H + P * P);
            assert_true(fabs(mh[k] - m * wh) <= 1e-6 * m);
            assert_true(fabs(mp[k] - m * (1.0 - wh)) <= 1e-6 * m);
            assert_true(mh[k] >= 0.0f && mp[k] >= 0.0f);
            assert_true(mh[k] + mp[k] == row[k]);
            checked++;
        }
    }
    assert_true(checked == (long)frames * bins);
    sm_hpss_free(h);
    free(mag);
    free(out);
    free(v);
}

static void test_split_matches_reference(void **state)
{
    (void)state;
    check_split(2048, 512, 48000.0, 100.0f, 500.0f);
    check_split(512, 128, 44100.0, 60.0f, 1000.0f);
    check_split(256, 64, 16000.0, 20.0f, 200.0f); /* narrowest: 3 x 3 */
}

/* ---- tone plus clicks ------------------------------------------------ */

/* A stationary 1 kHz tone plus a click every 200 ms, 2048/512 at 48 kHz
 * (T = 9 frames, W = 21 bins). In a bin where the tone dominates (at least
 * 10x the clicks' magnitude there) the time median is the tone's level and
 * the frequency median is the clicks' flat level or less (the tone's main
 * lobe is 4 bins of 21), so its harmonic mask is >= 100/101; a click
 * touches 4 consecutive frames of every 19, fewer than half of any 9, so
 * in a bin where a click dominates the time median is the tone's leakage
 * there (<= 1/10 of the click, by the choice of bins) and the frequency
 * median the click's flat level: percussive mask >= 100/101. Those are
 * per bin; the energy bound 0.95 leaves room for bins near the limits of
 * the dominance test and for frames where the frequency kernel straddles
 * the tone's main lobe. The first T frames are left out: the causal
 * median has not seen the tone for long enough yet. */
static void test_tone_and_clicks(void **state)
{
    (void)state;
    const double fs = 48000.0;
    const int window = 2048, hop = 512, bins = window / 2 + 1;
    const size_t n = 96000;
    float *tone = tu_alloc(n), *clicks = tu_alloc(n), *x = tu_alloc(n);
    const double f0 = 1000.0, a0 = 0.5;
    tu_sines(tone, n, fs, &f0, &a0, 1);
    for (size_t i = 4800; i < n; i += 9600)
        clicks[i] = 1.0f;
    for (size_t i = 0; i < n; i++)
        x[i] = tone[i] + clicks[i];
    int frames, ft, fc;
    float *mx = mag_of(x, n, window, hop, &frames, NULL);
    float *mt = mag_of(tone, n, window, hop, &ft, NULL);
    float *mc = mag_of(clicks, n, window, hop, &fc, NULL);
    assert_int_equal(frames, ft);
    assert_int_equal(frames, fc);

    sm_phase_setup s = make_setup(window, hop, fs, SM_PHASE_MIX, SM_PHASE_MIX,
                                  0);
    sm_hpss *h = sm_hpss_new(&s, NULL);
    assert_non_null(h);
    int kt, kf;
    sm_hpss_geometry(h, &kt, &kf);
    assert_int_equal(kt, 9);
    assert_int_equal(kf, 21);
    sm_cpx *out = xcalloc((size_t)bins, sizeof(sm_cpx));
    double tone_h = 0, tone_all = 0, click_p = 0, click_all = 0;
    for (int m = 0; m < frames; m++) {
        sm_phase_in in = make_in(mx + (size_t)m * bins, NULL, NULL);
        sm_hpss_process(h, &in, out);
        const int c = m;
        if (c < kt || c >= frames - 4)
            continue;
        const float *mh = sm_hpss_layer_mag(h, 0);
        const float *mp = sm_hpss_layer_mag(h, 1);
        for (int k = 0; k < bins; k++) {
            size_t i = (size_t)c * bins + k;
            double e = (double)mx[i] * mx[i];
            if (mt[i] > 10.0f * mc[i]) {
                tone_h += (double)mh[k] * mh[k];
                tone_all += e;
            } else if (mc[i] > 10.0f * mt[i]) {
                click_p += (double)mp[k] * mp[k];
                click_all += e;
            }
        }
    }
    assert_true(tone_all > 0.0 && click_all > 0.0);
    print_message("tone in harmonic %.5f, clicks in percussive %.5f\n",
                  tone_h / tone_all, click_p / click_all);
    assert_true(tone_h / tone_all > 0.95);
    assert_true(click_p / click_all > 0.95);
    sm_hpss_free(h);
    free(tone);
    free(clicks);
    free(x);
    free(mx);
    free(mt);
    free(mc);
    free(out);
}

/* ---- look-ahead and alignment for every pair of layer methods -------- */

/* Frames of random magnitudes whose levels jump by up to 30 dB from frame
 * to frame, with silent frames between loud ones, through hpss and,
 * alongside, through a standalone object of each layer's method (same
 * setup, same input: each layer reconstructs the whole frame, so their
 * outputs must be bit for bit those of hpss's layers). At call n hpss
 * must output frame n - L, L = max(L_h, L_p) of the layers' own
 * look-aheads:
 * - zero for the first L calls; the first nonzero output is call L (frame
 *   0 is loud): the measured look-ahead is the reported one;
 * - both layers' spectra (after the alignment) are the standalone layers'
 *   outputs for frame n - L, bit for bit (a ring off by one frame gives a
 *   neighbour frame's spectrum);
 * - out = the blend of those two by frame n - L's masks (recorded from the
 *   split of that frame), bit for bit, and |out| = that frame's mag to
 *   float rounding (1e-5: a few roundings of sm_phasor_with_mag), exactly
 *   zero for a silent frame. */
static void check_alignment(int harm, int perc, int lookahead)
{
    const int window = 512, hop = 128, bins = window / 2 + 1, frames = 40;
    sm_phase_setup s = make_setup(window, hop, 48000.0, harm, perc,
                                  lookahead);
    sm_error err = SM_OK;
    sm_phase *p = sm_phase_new(&s, &err);
    sm_hpss *hp = sm_hpss_new(&s, &err);
    assert_non_null(p);
    assert_non_null(hp);
    const int L = sm_phase_lookahead(&s);
    sm_phase_setup sh = s, sp = s;
    sh.method = harm;
    sp.method = perc;
    const int lh = sm_phase_lookahead(&sh), lp = sm_phase_lookahead(&sp);
    assert_int_equal(L, lh > lp ? lh : lp);
    sm_phase *ph = sm_phase_new(&sh, &err), *pp = sm_phase_new(&sp, &err);
    assert_non_null(ph);
    assert_non_null(pp);

    const int calls = frames + L;
    const size_t cnt = (size_t)calls * bins;
    float *mag = xcalloc(cnt, sizeof(float));
    float *wh = xcalloc(cnt, sizeof(float));
    sm_cpx *oh = xcalloc(cnt, sizeof(sm_cpx)), *op = xcalloc(cnt, sizeof(sm_cpx));
    uint32_t seed = 4242u + (uint32_t)(harm * 5 + perc);
    for (int f = 0; f < frames; f++) {
        int silent = f == 7 || f == 15 || f == 16 || f == 30;
        float level = f == 0 ? 1.0f : powf(10.0f, 1.5f * urand(&seed) - 0.75f);
        for (int k = 0; k < bins; k++) {
            float u = urand(&seed);
            mag[(size_t)f * bins + k] = silent ? 0.0f : level * (0.05f + u);
        }
    }
    sm_cpx *out = xcalloc((size_t)bins, sizeof(sm_cpx));
    sm_cpx *out2 = xcalloc((size_t)bins, sizeof(sm_cpx));
    int first_nonzero = -1;
    for (int n = 0; n < calls; n++) {
        const size_t o = (size_t)n * bins;
        sm_phase_in in = make_in(mag + o, NULL, NULL);
        sm_phase_process(ph, &in, oh + o); /* frame n - lh */
        sm_phase_process(pp, &in, op + o); /* frame n - lp */
        sm_phase_process(p, &in, out);
        sm_hpss_process(hp, &in, out2);
        assert_memory_equal(out, out2, (size_t)bins * sizeof(sm_cpx));
        const float *mh = sm_hpss_layer_mag(hp, 0);
        for (int k = 0; k < bins; k++)
            wh[o + k] = mag[o + k] > 0.0f ? mh[k] / mag[o + k] : 0.5f;
        int nonzero = 0;
        for (int k = 0; k < bins; k++) {
            assert_true(isfinite(out[k].re) && isfinite(out[k].im));
            nonzero |= out[k].re != 0.0f || out[k].im != 0.0f;
        }
        if (nonzero && first_nonzero < 0)
            first_nonzero = n;
        const int f = n - L;
        if (f < 0) {
            assert_false(nonzero);
            continue;
        }
        const size_t fo = (size_t)f * bins;
        const sm_cpx *lh_out = sm_hpss_layer_out(hp, 0);
        const sm_cpx *lp_out = sm_hpss_layer_out(hp, 1);
        assert_memory_equal(lh_out, oh + (size_t)(f + lh) * bins,
                            (size_t)bins * sizeof(sm_cpx));
        assert_memory_equal(lp_out, op + (size_t)(f + lp) * bins,
                            (size_t)bins * sizeof(sm_cpx));
        for (int k = 0; k < bins; k++) {
            sm_cpx want = sm_hpss_blend(lh_out[k], lp_out[k], wh[fo + k],
                                        mag[fo + k]);
            assert_memory_equal(&out[k], &want, sizeof want);
            float m = mag[fo + k];
            assert_true(fabsf(sm_cabs(out[k]) - m) <= 1e-5f * m);
        }
    }
    assert_int_equal(first_nonzero, L);
    sm_phase_free(p);
    sm_phase_free(ph);
    sm_phase_free(pp);
    sm_hpss_free(hp);
    free(mag);
    free(wh);
    free(oh);
    free(op);
    free(out);
    free(out2);
}

static void test_lookahead_alignment(void **state)
{
    (void)state;
    for (int h = SM_PHASE_MIX; h <= SM_PHASE_BREGMAN; h++)
        for (int q = SM_PHASE_MIX; q <= SM_PHASE_BREGMAN; q++) {
            check_alignment(h, q, 2);
            check_alignment(h, q, SM_PHASE_MAX_LOOKAHEAD);
        }
    check_alignment(SM_PHASE_RTISILA, SM_PHASE_PGHI, 0);
    check_alignment(SM_PHASE_PGHI, SM_PHASE_LWS, 1);
}

/* ---- anchors, consistent input --------------------------------------- */

/* Random proposals, about a third of the bins anchored (some of them with
 * est = 0, which means no estimate and is left to the layers): every
 * anchored bin with an estimate is mag with est's phase, bit for bit, as
 * sm_phasor_with_mag gives it, for layers of any look-ahead. */
static void check_anchors(int harm, int perc)
{
    const int window = 512, hop = 128, bins = window / 2 + 1, frames = 40;
    sm_phase_setup s = make_setup(window, hop, 44100.0, harm, perc, 3);
    sm_phase *p = sm_phase_new(&s, NULL);
    assert_non_null(p);
    const int L = sm_phase_lookahead(&s);
    const size_t cnt = (size_t)(frames + L) * bins;
    float *mag = xcalloc(cnt, sizeof(float));
    sm_cpx *est = xcalloc(cnt, sizeof(sm_cpx));
    unsigned char *anc = xcalloc(cnt, 1);
    uint32_t seed = 99;
    for (size_t i = 0; i < (size_t)frames * bins; i++) {
        mag[i] = urand(&seed) + 0.01f;
        float ph = 6.2831853f * urand(&seed);
        est[i] = (sm_cpx){cosf(ph) * 0.3f, sinf(ph) * 0.3f};
        float u = urand(&seed);
        anc[i] = u < 0.33f;
        if (u < 0.03f)
            est[i] = (sm_cpx){0.0f, 0.0f};
    }
    sm_cpx *out = xcalloc((size_t)bins, sizeof(sm_cpx));
    long exact = 0;
    for (int n = 0; n < frames + L; n++) {
        size_t o = (size_t)n * bins;
        sm_phase_in in = make_in(mag + o, est + o, anc + o);
        sm_phase_process(p, &in, out);
        int f = n - L;
        if (f < 0)
            continue;
        for (int k = 0; k < bins; k++) {
            size_t i = (size_t)f * bins + k;
            if (!anc[i] || (est[i].re == 0.0f && est[i].im == 0.0f))
                continue;
            sm_cpx want = sm_phasor_with_mag(est[i], mag[i]);
            assert_memory_equal(&out[k], &want, sizeof want);
            exact++;
        }
    }
    assert_true(exact > (long)frames * bins / 4);
    sm_phase_free(p);
    free(mag);
    free(est);
    free(anc);
    free(out);
}

static void test_anchors_exact(void **state)
{
    (void)state;
    check_anchors(SM_PHASE_RTISILA, SM_PHASE_PGHI);
    check_anchors(SM_PHASE_PGHI, SM_PHASE_RTISILA);
    check_anchors(SM_PHASE_BREGMAN, SM_PHASE_LWS);
    check_anchors(SM_PHASE_MIX, SM_PHASE_MIX);
}

/* With the true phase as the proposal and mix layers, both layers have
 * that phase, so their sum is the true spectrum to float rounding: the
 * reconstruction of speech stays far below -60 dB SC (float rounding of a
 * few operations per bin is about -130 dB). */
static void test_consistent_input(void **state)
{
    (void)state;
    const int window = 1024, hop = 256;
    const double fs = 48000.0;
    const size_t n = 48000;
    float *x = tu_alloc(n), *y = tu_alloc(n);
    tu_voice(x, n, fs, 3);
    int frames;
    sm_cpx *spec;
    float *mag = mag_of(x, n, window, hop, &frames, &spec);
    sm_phase_setup s = make_setup(window, hop, fs, SM_PHASE_MIX, SM_PHASE_MIX,
                                  2);
    sm_cpx *rec = xcalloc((size_t)frames * (window / 2 + 1), sizeof(sm_cpx));
    assert_int_equal(sm_phase_offline(&s, mag, frames, spec, 1, rec), SM_OK);
    assert_int_equal(sm_spec_synth(rec, frames, window, hop, y, n), SM_OK);
    double sc = sm_spectral_convergence_db(mag, frames, window, hop, y, n);
    print_message("hpss(mix, mix) with true phase: SC %.1f dB\n", sc);
    assert_true(sc < -60.0);
    free(x);
    free(y);
    free(mag);
    free(spec);
    free(rec);
}

/* The same method in both layers is that method: the blend of two equal
 * spectra is the spectrum (to the rounding of one weighted sum and one
 * rescale, 1e-5 of the magnitude), whatever the masks, for every method
 * and both settings' look-aheads. */
static void test_same_layers_is_the_method(void **state)
{
    (void)state;
    const int window = 512, hop = 128, bins = window / 2 + 1;
    const size_t n = 12000;
    float *x = tu_alloc(n);
    tu_voice(x, n, 48000.0, 21);
    int frames;
    float *mag = mag_of(x, n, window, hop, &frames, NULL);
    sm_cpx *o1 = xcalloc((size_t)bins, sizeof(sm_cpx));
    sm_cpx *o2 = xcalloc((size_t)bins, sizeof(sm_cpx));
    for (int m = SM_PHASE_MIX; m <= SM_PHASE_BREGMAN; m++) {
        sm_phase_setup s = make_setup(window, hop, 48000.0, m, m, 2);
        sm_phase_setup sx = s;
        sx.method = m;
        assert_int_equal(sm_phase_lookahead(&s), sm_phase_lookahead(&sx));
        sm_phase *a = sm_phase_new(&s, NULL), *b = sm_phase_new(&sx, NULL);
        assert_non_null(a);
        assert_non_null(b);
        for (int f = 0; f < frames; f++) {
            sm_phase_in in = make_in(mag + (size_t)f * bins, NULL, NULL);
            sm_phase_process(a, &in, o1);
            sm_phase_process(b, &in, o2);
            for (int k = 0; k < bins; k++) {
                float d = sm_cabs((sm_cpx){o1[k].re - o2[k].re,
                                           o1[k].im - o2[k].im});
                assert_true(d <= 1e-5f * sm_cabs(o2[k]));
            }
        }
        sm_phase_free(a);
        sm_phase_free(b);
    }
    free(x);
    free(mag);
    free(o1);
    free(o2);
}

/* ---- house rules ----------------------------------------------------- */

/* Runs frames of sig's magnitude (plus the flush) through a fresh object
 * into outs[(frames + L) * bins]; the proposal is the signal's own
 * spectrum rotated by a fixed angle, a quarter of the bins anchored. */
static void run_signal(const sm_phase_setup *s, const float *mag,
                       const sm_cpx *spec, int frames, sm_phase *p,
                       sm_cpx *outs)
{
    const int bins = s->window / 2 + 1, L = sm_phase_lookahead(s);
    float *zm = xcalloc((size_t)bins, sizeof(float));
    sm_cpx *ze = xcalloc((size_t)bins, sizeof(sm_cpx));
    sm_cpx *e = xcalloc((size_t)bins, sizeof(sm_cpx));
    unsigned char *a = xcalloc((size_t)bins, 1);
    for (int k = 0; k < bins; k++)
        a[k] = (k % 4) == 1;
    for (int n = 0; n < frames + L; n++) {
        const size_t o = (size_t)n * bins;
        if (n < frames)
            for (int k = 0; k < bins; k++)
                e[k] = (sm_cpx){0.6f * spec[o + k].re - 0.8f * spec[o + k].im,
                                0.8f * spec[o + k].re + 0.6f * spec[o + k].im};
        sm_phase_in in = make_in(n < frames ? mag + o : zm,
                                 n < frames ? e : ze, a);
        sm_phase_process(p, &in, outs + o);
    }
    free(zm);
    free(ze);
    free(e);
    free(a);
}

static const int layer_pairs[][2] = {
    {SM_PHASE_BREGMAN, SM_PHASE_PGHI},
    {SM_PHASE_RTISILA, SM_PHASE_LWS},
    {SM_PHASE_MIX, SM_PHASE_RTISILA},
};
#define NLAYER_PAIRS (sizeof layer_pairs / sizeof layer_pairs[0])

/* Two objects and a reset one give bit-identical outputs on speech. */
static void test_deterministic_and_reset(void **state)
{
    (void)state;
    const int window = 512, hop = 128, bins = window / 2 + 1;
    const size_t n = 24000;
    float *x = tu_alloc(n), *noise = tu_alloc(n);
    tu_voice(x, n, 48000.0, 11);
    tu_noise(noise, n, 0.5f, 12);
    int frames, fn;
    sm_cpx *spec, *nspec;
    float *mag = mag_of(x, n, window, hop, &frames, &spec);
    float *nmag = mag_of(noise, n, window, hop, &fn, &nspec);
    for (size_t q = 0; q < NLAYER_PAIRS; q++) {
        sm_phase_setup s = make_setup(window, hop, 48000.0, layer_pairs[q][0],
                                      layer_pairs[q][1], 2);
        const int L = sm_phase_lookahead(&s);
        const size_t cnt = (size_t)(frames + L) * bins;
        const size_t ncnt = (size_t)(fn + L) * bins;
        sm_cpx *o1 = xcalloc(cnt, sizeof(sm_cpx));
        sm_cpx *o2 = xcalloc(cnt, sizeof(sm_cpx));
        sm_cpx *o3 = xcalloc(cnt > ncnt ? cnt : ncnt, sizeof(sm_cpx));
        sm_phase *a = sm_phase_new(&s, NULL), *b = sm_phase_new(&s, NULL);
        assert_non_null(a);
        assert_non_null(b);
        run_signal(&s, mag, spec, frames, a, o1);
        run_signal(&s, mag, spec, frames, b, o2);
        assert_memory_equal(o1, o2, cnt * sizeof(sm_cpx));
        /* a after other material and a reset = fresh. */
        run_signal(&s, nmag, nspec, fn / 2, a, o3);
        sm_phase_reset(a);
        run_signal(&s, mag, spec, frames, a, o3);
        assert_memory_equal(o1, o3, cnt * sizeof(sm_cpx));
        sm_phase_free(a);
        sm_phase_free(b);
        free(o1);
        free(o2);
        free(o3);
    }
    free(x);
    free(noise);
    free(mag);
    free(nmag);
    free(spec);
    free(nspec);
}

static void test_silence(void **state)
{
    (void)state;
    const int window = 1024, hop = 256, bins = window / 2 + 1;
    float *zm = xcalloc((size_t)bins, sizeof(float));
    sm_cpx *ze = xcalloc((size_t)bins, sizeof(sm_cpx));
    unsigned char *a = xcalloc((size_t)bins, 1);
    memset(a, 1, (size_t)bins);
    sm_cpx *out = xcalloc((size_t)bins, sizeof(sm_cpx));
    for (size_t q = 0; q < NLAYER_PAIRS; q++) {
        sm_phase_setup s = make_setup(window, hop, 48000.0, layer_pairs[q][0],
                                      layer_pairs[q][1], 3);
        sm_phase *p = sm_phase_new(&s, NULL);
        assert_non_null(p);
        for (int n = 0; n < 40; n++) {
            sm_phase_in in = make_in(zm, (n & 1) ? ze : NULL,
                                     (n & 2) ? a : NULL);
            sm_phase_process(p, &in, out);
            for (int k = 0; k < bins; k++) {
                assert_true(out[k].re == 0.0f);
                assert_true(out[k].im == 0.0f);
            }
        }
        sm_phase_free(p);
    }
    free(zm);
    free(ze);
    free(a);
    free(out);
}

/* DC, full-scale noise, a click train and denormal signals: finite out,
 * and (except for denormals, where float rounding is coarse relative to
 * the values) |out| = mag to float rounding (the bound of the alignment
 * test). */
static void test_hard_inputs_finite(void **state)
{
    (void)state;
    const int window = 512, hop = 128, bins = window / 2 + 1;
    const size_t n = 12000;
    float *x = tu_alloc(n);
    for (int sig = 0; sig < 5; sig++) {
        switch (sig) {
        case 0: for (size_t i = 0; i < n; i++) x[i] = 1.0f; break;
        case 1: tu_noise(x, n, 1.0f, 5); break;
        case 2:
            memset(x, 0, n * sizeof(float));
            for (size_t i = 100; i < n; i += 700)
                x[i] = (i / 700) & 1 ? -1.0f : 1.0f;
            break;
        case 3: tu_noise(x, n, 1e-39f, 6); break;  /* denormal samples */
        default:
            tu_noise(x, n, 1.0f, 7);
            for (size_t i = 0; i < n; i++)
                x[i] *= 1e-44f;
            break;
        }
        int frames;
        sm_cpx *spec;
        float *mag = mag_of(x, n, window, hop, &frames, &spec);
        for (size_t q = 0; q < NLAYER_PAIRS; q++) {
            sm_phase_setup s = make_setup(window, hop, 48000.0,
                                          layer_pairs[q][0],
                                          layer_pairs[q][1], 2);
            const int L = sm_phase_lookahead(&s);
            sm_phase *p = sm_phase_new(&s, NULL);
            assert_non_null(p);
            sm_cpx *o = xcalloc((size_t)(frames + L) * bins, sizeof(sm_cpx));
            run_signal(&s, mag, spec, frames, p, o);
            for (int f = 0; f < frames + L; f++)
                for (int k = 0; k < bins; k++) {
                    sm_cpx z = o[(size_t)f * bins + k];
                    assert_true(isfinite(z.re) && isfinite(z.im));
                    if (sig < 3 && f >= L) {
                        float m = mag[(size_t)(f - L) * bins + k];
                        assert_true(fabsf(sm_cabs(z) - m) <= 1e-5f * m);
                    }
                }
            sm_phase_free(p);
            free(o);
        }
        free(mag);
        free(spec);
    }
    free(x);
}

static void test_bad_setups_rejected(void **state)
{
    (void)state;
    const int bad[][2] = {
        {SM_PHASE_HPSS, SM_PHASE_PGHI}, {SM_PHASE_PGHI, SM_PHASE_HPSS},
        {SM_PHASE_HPSS, SM_PHASE_HPSS}, {-1, SM_PHASE_MIX},
        {SM_PHASE_MIX, SM_PHASE_GLA},   {SM_PHASE_FGLA, SM_PHASE_MIX},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sm_phase_setup s = make_setup(1024, 256, 48000.0, bad[i][0],
                                      bad[i][1], 2);
        sm_error err = SM_OK;
        assert_null(sm_phase_new(&s, &err));
        assert_int_equal(err, SM_ERR_CONFIG);
        err = SM_OK;
        assert_null(sm_hpss_new(&s, &err));
        assert_int_equal(err, SM_ERR_CONFIG);
        /* Answers (no recursion), and says nothing is added. */
        assert_int_equal(sm_phase_lookahead(&s), 0);
    }
    sm_phase_setup s = make_setup(1024, 256, 48000.0, 0, 2, 2);
    s.hpss_ms = NAN;
    sm_error err = SM_OK;
    assert_null(sm_phase_new(&s, &err));
    assert_int_equal(err, SM_ERR_CONFIG);
    s.hpss_ms = 100.0f;
    s.hpss_hz = 0.0f;
    assert_null(sm_phase_new(&s, &err));
    s.hpss_hz = 500.0f;
    sm_phase *p = sm_phase_new(&s, &err);
    assert_non_null(p);
    sm_phase_free(p);
}

int main(void)
{
    sm_fftw_init();
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_geometry),
        cmocka_unit_test(test_split_matches_reference),
        cmocka_unit_test(test_tone_and_clicks),
        cmocka_unit_test(test_lookahead_alignment),
        cmocka_unit_test(test_anchors_exact),
        cmocka_unit_test(test_consistent_input),
        cmocka_unit_test(test_same_layers_is_the_method),
        cmocka_unit_test(test_deterministic_and_reset),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_hard_inputs_finite),
        cmocka_unit_test(test_bad_setups_rejected),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
