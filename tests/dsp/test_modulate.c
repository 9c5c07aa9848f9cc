/* test_modulate.c: the mask modulators as a stage (dsp/modulate.c) and
 * through the band, the merge and the engine.
 *
 * Off is off: with every amount 0 a band is bit for bit the band built
 * without the stage, also after the modulators were on for a while, and
 * the modulated merge at zero amounts is the plain merge. Each modulator
 * does what it says, measured on the engine's output: an attack of B over
 * a loud steady A gets through far better with the transient modulator;
 * with the SNR modulator the noisy source loses the bins where the clean
 * one has signal (read from the stereo pan, which follows the mask); the
 * tonality modulator smooths the mask across a noisy region but not at a
 * tonal peak. A lone source, or one faded out by the position, passes
 * untouched whatever the amounts. Output stays bit-identical for any block
 * size and after a reset with every modulator on.
 *
 * The mask is read back from the output with output.width = 1: a bin with
 * A weight w >= 0.5 comes out with gains L = 1, R = 2 - 2w, below 0.5 with
 * L = 2w, R = 1, so w = 1 - |R| / 2|L| or |L| / 2|R| on an STFT of the
 * output with the band's own window.
 */
#include "band.h"
#include "merge.h"
#include "stft.h"
#include "testutil.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FS 48000
#define WIN 2048
#define HOP 512
#define BINS (WIN / 2 + 1)

/* One band 2048/512, no alignment stage, mono unless asked. */
static sm_config cfg_one(void)
{
    sm_config c = sm_config_default(FS);
    c.values[SM_P_BANDS_COUNT] = 1;
    c.values[SM_P_BANDS_SINGLE_WINDOW] = WIN;
    c.values[SM_P_BANDS_SINGLE_HOP] = HOP;
    c.values[SM_P_ALIGN_MAX_LAG_MS] = 0;
    c.values[SM_P_OUTPUT_WIDTH] = 0;
    return c;
}

static void all_amounts(sm_config *c, float v)
{
    c->values[SM_P_MOD_TRANSIENT_AMOUNT] = v;
    c->values[SM_P_MOD_TONALITY_AMOUNT] = v;
    c->values[SM_P_MOD_SNR_AMOUNT] = v;
}

/* ---- off is off ------------------------------------------------------- */

static sm_band_targets targets(int type, float pos, float k, float width)
{
    sm_band_targets t = {.pos = pos, .k = k, .width = width,
                         .wiener_ms = 40.0f, .mask_type = type,
                         .transient = 0.0f, .tonality = 0.0f, .snr = 0.0f,
                         .transient_ms = 30.0f, .snr_window_ms = 1500.0f};
    return t;
}

/* Streams a and b through a band in hop-sized pushes; the targets change
 * to t2 (if not NULL) at sample `at`. */
static void run_band(sm_band *band, const float *a, const float *b, size_t n,
                     const sm_band_targets *t1, const sm_band_targets *t2,
                     size_t at, float *l, float *r)
{
    size_t done = 0;
    while (done < n) {
        size_t c = sm_band_room(band);
        if (c > n - done)
            c = n - done;
        const sm_band_targets *t = t2 && done >= at ? t2 : t1;
        sm_band_push(band, a + done, b + done, c, t);
        sm_band_pull(band, l + done, r + done, c, 0);
        done += c;
    }
}

static void sources(float *a, float *b, size_t n)
{
    float *z = tu_alloc(n);
    tu_voice(a, n, FS, 1);
    tu_voice(b, n, FS, 2);
    tu_noise(z, n, 0.02f, 5);
    for (size_t i = 0; i < n; i++)
        a[i] += z[i];
    /* clicks in B */
    for (size_t c = 9000; c + 480 < n; c += 11000)
        for (int j = 0; j < 480; j++)
            b[c + (size_t)j] += 0.5f * z[(size_t)j * 7] * expf(-j / 48.0f);
    free(z);
}

static void test_off_is_the_band_without_modulators(void **state)
{
    (void)state;
    const size_t n = 3 * FS / 2;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    float *l0 = tu_alloc(n), *r0 = tu_alloc(n), *l1 = tu_alloc(n),
          *r1 = tu_alloc(n);
    sources(a, b, n);
    static const float pos[] = {0.5f, 0.3f, 0.85f};
    for (int type = 0; type < 3; type++)
        for (int p = 0; p < 3; p++) {
            sm_band_targets t = targets(type, pos[p], p ? 3.3f : 2.0f, 0.5f);
            sm_band_targets bare = t;
            bare.snr_window_ms = 0.0f; /* no modulator stage at all */
            sm_band *b0 = sm_band_new(WIN, HOP, 0, FS, &bare, NULL, NULL);
            sm_band *b1 = sm_band_new(WIN, HOP, 0, FS, &t, NULL, NULL);
            assert_non_null(b0);
            assert_non_null(b1);
            run_band(b0, a, b, n, &bare, NULL, 0, l0, r0);
            run_band(b1, a, b, n, &t, NULL, 0, l1, r1);
            assert_memory_equal(l0, l1, n * sizeof(float));
            assert_memory_equal(r0, r1, n * sizeof(float));
            sm_band_free(b0);
            sm_band_free(b1);
        }
    free(a);
    free(b);
    free(l0);
    free(r0);
    free(l1);
    free(r1);
}

/* On for 1 s, then every amount back to 0: once the amounts have landed
 * on 0 (the 30 ms smoothing, to 1e-6: 0.42 s) and the last modulated
 * frame has left the overlap-add (one window), the output is the bare
 * band's again, bit for bit. */
static void test_off_again_is_off(void **state)
{
    (void)state;
    const size_t n = 5 * FS / 2, at = FS;
    const size_t from = at + FS / 2 + WIN;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    float *l0 = tu_alloc(n), *r0 = tu_alloc(n), *l1 = tu_alloc(n),
          *r1 = tu_alloc(n);
    sources(a, b, n);
    sm_band_targets off = targets(SM_MASK_SOFTMAX, 0.5f, 2.0f, 0.5f);
    sm_band_targets on = off;
    on.transient = on.tonality = on.snr = 1.0f;
    sm_band_targets bare = off;
    bare.snr_window_ms = 0.0f;
    sm_band *b0 = sm_band_new(WIN, HOP, 0, FS, &bare, NULL, NULL);
    sm_band *b1 = sm_band_new(WIN, HOP, 0, FS, &on, NULL, NULL);
    run_band(b0, a, b, n, &bare, NULL, 0, l0, r0);
    run_band(b1, a, b, n, &on, &off, at, l1, r1);
    /* It did something while on ... */
    assert_true(tu_err_db(l1, l0, at) > -60.0);
    /* ... and nothing once off again. */
    assert_memory_equal(l0 + from, l1 + from, (n - from) * sizeof(float));
    assert_memory_equal(r0 + from, r1 + from, (n - from) * sizeof(float));
    sm_band_free(b0);
    sm_band_free(b1);
    free(a);
    free(b);
    free(l0);
    free(r0);
    free(l1);
    free(r1);
}

/* The modulated merge with every amount 0 computes the plain merge, bit
 * for bit (so an amount gliding to 0 ends without a step). */
static void test_modulated_merge_at_zero_is_plain(void **state)
{
    (void)state;
    const int bins = 257;
    float *buf = tu_alloc(4 * (size_t)bins);
    tu_noise(buf, 4 * (size_t)bins, 3.0f, 8);
    sm_cpx *a = calloc((size_t)bins, sizeof(sm_cpx)),
           *b = calloc((size_t)bins, sizeof(sm_cpx));
    sm_cpx *l0 = calloc((size_t)bins, sizeof(sm_cpx)),
           *r0 = calloc((size_t)bins, sizeof(sm_cpx));
    sm_cpx *l1 = calloc((size_t)bins, sizeof(sm_cpx)),
           *r1 = calloc((size_t)bins, sizeof(sm_cpx));
    float *pa0 = tu_alloc((size_t)bins), *pb0 = tu_alloc((size_t)bins),
          *pa1 = tu_alloc((size_t)bins), *pb1 = tu_alloc((size_t)bins);
    float *w = tu_alloc((size_t)bins), *w2 = tu_alloc((size_t)bins);
    float *ma = tu_alloc((size_t)bins), *mb = tu_alloc((size_t)bins);
    float *pre = tu_alloc((size_t)bins), *suf = tu_alloc((size_t)bins);
    assert_non_null(a && b && l0 && r0 && l1 && r1);
    for (int i = 0; i < bins; i++) {
        a[i].re = buf[4 * i];
        a[i].im = buf[4 * i + 1];
        b[i].re = buf[4 * i + 2];
        b[i].im = buf[4 * i + 3];
        if (i % 17 == 0) /* silent bins of A, of B, of both */
            a[i].re = a[i].im = 0.0f;
        if (i % 13 == 0)
            b[i].re = b[i].im = 0.0f;
        if (i % 11 == 0) /* anti-phase */
            b[i].re = -a[i].re, b[i].im = -a[i].im;
    }
    sm_mod_frame mod = {.w = w, .w2 = w2, .mag_a = ma, .mag_b = mb,
                        .pre = pre, .suf = suf};
    static const float pos[] = {0.0f, 0.2f, 0.5f, 0.7f, 1.0f};
    static const float ks[] = {1.0f, 2.0f, 4.5f};
    for (int type = 0; type < 3; type++)
        for (int p = 0; p < 5; p++)
            for (int kk = 0; kk < 3; kk++)
                for (int st = 0; st < 2; st++) {
                    memset(pa0, 0, (size_t)bins * sizeof(float));
                    memset(pb0, 0, (size_t)bins * sizeof(float));
                    memset(pa1, 0, (size_t)bins * sizeof(float));
                    memset(pb1, 0, (size_t)bins * sizeof(float));
                    sm_merge_frame f = {
                        .a = a, .b = b, .l = l0, .r = r0, .psd_a = pa0,
                        .psd_b = pb0, .bins = bins, .mask_type = type,
                        .pos = pos[p], .k = ks[kk], .width = 0.6f,
                        .psd_alpha = 0.5f, .stereo = st, .mod = NULL};
                    for (int rep = 0; rep < 2; rep++) /* psd state */
                        sm_merge_frame_cpu(&f);
                    f.l = l1;
                    f.r = r1;
                    f.psd_a = pa1;
                    f.psd_b = pb1;
                    f.mod = &mod;
                    for (int rep = 0; rep < 2; rep++)
                        sm_merge_frame_cpu(&f);
                    assert_memory_equal(l0, l1, (size_t)bins * sizeof(sm_cpx));
                    if (st)
                        assert_memory_equal(r0, r1,
                                            (size_t)bins * sizeof(sm_cpx));
                    assert_memory_equal(pa0, pa1, (size_t)bins * sizeof(float));
                    assert_memory_equal(pb0, pb1, (size_t)bins * sizeof(float));
                }
    free(buf);
    free(a);
    free(b);
    free(l0);
    free(r0);
    free(l1);
    free(r1);
    free(pa0);
    free(pb0);
    free(pa1);
    free(pb1);
    free(w);
    free(w2);
    free(ma);
    free(mb);
    free(pre);
    free(suf);
}

/* With one source silent, or faded out by the position, every modulator
 * at 1 changes nothing: bit for bit the output with them off. */
static void test_lone_source_untouched(void **state)
{
    (void)state;
    const size_t n = 2 * FS;
    float *a = tu_alloc(n), *b = tu_alloc(n), *z = tu_alloc(n);
    sources(a, b, n);
    for (int bands = 1; bands <= 3; bands += 2) {
        for (int kase = 0; kase < 4; kase++) {
            sm_config c = cfg_one();
            c.values[SM_P_BANDS_COUNT] = (float)bands;
            c.values[SM_P_OUTPUT_WIDTH] = 0.7f;
            const float *ia = a, *ib = b;
            if (kase == 0)
                ia = z; /* A silent */
            else if (kase == 1)
                ib = z; /* B silent */
            else
                c.values[SM_P_MORPH_POSITION] = kase == 2 ? 0.0f : 1.0f;
            float *l0, *r0, *l1, *r1;
            tu_render(&c, ia, ib, n, 1000, &l0, &r0);
            all_amounts(&c, 1.0f);
            tu_render(&c, ia, ib, n, 1000, &l1, &r1);
            assert_memory_equal(l0, l1, n * sizeof(float));
            assert_memory_equal(r0, r1, n * sizeof(float));
            free(l0);
            free(r0);
            free(l1);
            free(r1);
        }
    }
    free(a);
    free(b);
    free(z);
}

/* ---- each modulator does what it says --------------------------------- */

/* A click (10 ms noise burst) every 250 ms in B over loud steady noise in
 * A: how much of B's click is in the output, as the projection on B
 * rendered alone (same engine, A silent: B through the crossover allpass
 * and the STFT, exactly), over 25 ms from each click. */
static double click_gain(int bands, float amount)
{
    const size_t n = 4 * FS;
    float *a = tu_alloc(n), *b = tu_alloc(n), *z = tu_alloc(n);
    float burst[480];
    tu_noise(a, n, 0.5f, 41); /* -11 dBFS RMS */
    for (size_t c = 9600; c + 480 < n; c += 12000) {
        tu_noise(burst, 480, 0.8f, (uint32_t)c);
        for (int j = 0; j < 480; j++)
            b[c + (size_t)j] = burst[j] * expf(-(float)j / 48.0f);
    }
    sm_config cf = cfg_one();
    cf.values[SM_P_BANDS_COUNT] = (float)bands;
    float *ref, *r, *l;
    tu_render(&cf, z, b, n, 1000, &ref, &r);
    free(r);
    cf.values[SM_P_MOD_TRANSIENT_AMOUNT] = amount;
    tu_render(&cf, a, b, n, 1000, &l, &r);
    free(r);
    double num = 0.0, den = 0.0;
    for (size_t c = 9600; c + 1200 < n; c += 12000)
        for (size_t i = c; i < c + 1200; i++) {
            num += (double)l[i] * ref[i];
            den += (double)ref[i] * ref[i];
        }
    free(a);
    free(b);
    free(z);
    free(ref);
    free(l);
    return num / den;
}

static void test_transient_lets_clicks_through(void **state)
{
    (void)state;
    double g0 = click_gain(1, 0.0f), g1 = click_gain(1, 1.0f);
    double h0 = click_gain(3, 0.0f), h1 = click_gain(3, 1.0f);
    print_message("  click of B in the output: 1 band %.3f -> %.3f (%+.1f "
                  "dB), 3 bands %.3f -> %.3f (%+.1f dB)\n", g0, g1,
                  20.0 * log10(g1 / g0), h0, h1, 20.0 * log10(h1 / h0));
    assert_true(g1 > 1.6 * g0 && g1 - g0 > 0.15);
    /* 3 bands: the short HF window already keeps more of the click. */
    assert_true(h1 > 1.2 * h0 && h1 - h0 > 0.1);
}

/* Mask estimate per output frame and bin (see the top of the file). */
static float *mask_readout(const float *l, const float *r, size_t n,
                           size_t *frames)
{
    sm_stft *st = sm_stft_new(WIN, HOP, NULL);
    assert_non_null(st);
    size_t nf = (n - WIN) / HOP + 1;
    float *m = tu_alloc(nf * BINS);
    sm_cpx *sl = sm_stft_alloc_spec(st), *sr = sm_stft_alloc_spec(st);
    for (size_t f = 0; f < nf; f++) {
        sm_stft_analyze(st, l + f * HOP, sl);
        sm_stft_analyze(st, r + f * HOP, sr);
        for (int k = 0; k < BINS; k++) {
            float L = hypotf(sl[k].re, sl[k].im);
            float R = hypotf(sr[k].re, sr[k].im);
            m[f * BINS + (size_t)k] =
                L >= R ? (L > 0.0f ? 1.0f - R / (2.0f * L) : 0.5f)
                       : L / (2.0f * R);
        }
    }
    sm_stft_free_buf(sl);
    sm_stft_free_buf(sr);
    sm_stft_free(st);
    *frames = nf;
    return m;
}

/* Tone bursts (250 ms on, 250 ms off) at `hz`, delayed by `delay`. */
static void add_bursts(float *x, size_t n, double hz, float amp, size_t delay)
{
    for (size_t i = delay; i < n; i++)
        if (((i - delay) / (FS / 4)) % 2 == 0)
            x[i] += amp * sinf((float)(2.0 * M_PI * hz * (double)i / FS));
}

/* Mean A weight at a burst bin over the frames well inside its bursts,
 * after the first 2 s. */
static double mask_in_bursts(const float *m, size_t frames, double hz,
                             size_t delay)
{
    const int k = (int)(hz * WIN / FS + 0.5);
    double s = 0.0;
    int c = 0;
    for (size_t f = 0; f < frames; f++) {
        size_t mid = f * HOP + WIN / 2;
        if (mid < 2 * FS + delay)
            continue;
        size_t ph = (mid - delay) % (FS / 2);
        if (ph > WIN / 2 && ph < FS / 4 - WIN / 2) {
            s += m[f * BINS + (size_t)k];
            c++;
        }
    }
    assert_true(c > 10);
    return s / c;
}

/* A: bursts at 1500 Hz, B: bursts at 2500 Hz (offset by 125 ms), both at
 * the level of the hiss one of them carries (uniform noise 0.1, each tone
 * about level with it bin for bin); the other has a faint floor. */
static void snr_shares(int noisy_is_a, float amount, double *at_a,
                       double *at_b)
{
    const size_t n = 6 * FS;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, noisy_is_a ? 0.1f : 0.0003f, 31);
    tu_noise(b, n, noisy_is_a ? 0.0003f : 0.1f, 32);
    add_bursts(a, n, 1500.0, 0.003f, 0);
    add_bursts(b, n, 2500.0, 0.003f, FS / 8);
    sm_config c = cfg_one();
    c.values[SM_P_OUTPUT_WIDTH] = 1;
    c.values[SM_P_MOD_SNR_AMOUNT] = amount;
    float *l, *r;
    tu_render(&c, a, b, n, 1000, &l, &r);
    size_t frames;
    float *m = mask_readout(l, r, n, &frames);
    *at_a = mask_in_bursts(m, frames, 1500.0, 0);
    *at_b = mask_in_bursts(m, frames, 2500.0, FS / 8);
    free(m);
    free(l);
    free(r);
    free(a);
    free(b);
}

static void test_snr_noisy_source_gives_way(void **state)
{
    (void)state;
    double a0, b0, a1, b1;
    /* A noisy: at B's (clean) tone, A's share falls; at A's own tone A
     * keeps the bin (B has nothing there). */
    snr_shares(1, 0.0f, &a0, &b0);
    snr_shares(1, 1.0f, &a1, &b1);
    print_message("  A noisy: A's weight at B's tone %.3f -> %.3f, at A's "
                  "tone %.3f -> %.3f\n", b0, b1, a0, a1);
    assert_true(b0 > 0.35 && b1 < 0.25 && b0 - b1 > 0.2);
    assert_true(a1 > 0.98);
    /* Mirrored: B noisy loses A's tone. */
    snr_shares(0, 0.0f, &a0, &b0);
    snr_shares(0, 1.0f, &a1, &b1);
    print_message("  B noisy: A's weight at A's tone %.3f -> %.3f, at B's "
                  "tone %.3f -> %.3f\n", a0, a1, b0, b1);
    assert_true(a0 < 0.65 && a1 > 0.75 && a1 - a0 > 0.2);
    assert_true(b1 < 0.02);
}

/* A: white noise and a 3 kHz sine, B: other white noise at the same
 * level. Across the noisy bins (200 Hz .. 4.7 kHz, away from the sine)
 * the mask varies from bin to bin; the tonality modulator smooths it
 * there, and leaves the sine's bin to A. */
static void tonality_readout(float amount, double *sd, double *peak)
{
    const size_t n = 4 * FS;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 0.1f, 21);
    tu_noise(b, n, 0.1f, 22);
    const double hz = 3000.0, amp = 0.2;
    float *s = tu_alloc(n);
    tu_sines(s, n, FS, &hz, &amp, 1);
    for (size_t i = 0; i < n; i++)
        a[i] += s[i];
    sm_config c = cfg_one();
    c.values[SM_P_OUTPUT_WIDTH] = 1;
    c.values[SM_P_MOD_TONALITY_AMOUNT] = amount;
    float *l, *r;
    tu_render(&c, a, b, n, 1000, &l, &r);
    size_t frames;
    float *m = mask_readout(l, r, n, &frames);
    const int pk = (int)(hz * WIN / FS + 0.5);
    double var = 0.0, pv = 0.0;
    int nf = 0;
    for (size_t f = 8; f < frames; f++) {
        double s1 = 0.0, s2 = 0.0;
        int cnt = 0;
        for (int k = 9; k < 200; k++) {
            if (abs(k - pk) < 12)
                continue;
            double v = m[f * BINS + (size_t)k];
            s1 += v;
            s2 += v * v;
            cnt++;
        }
        var += s2 / cnt - (s1 / cnt) * (s1 / cnt);
        pv += m[f * BINS + (size_t)pk];
        nf++;
    }
    *sd = sqrt(var / nf);
    *peak = pv / nf;
    free(m);
    free(l);
    free(r);
    free(a);
    free(b);
    free(s);
}

static void test_tonality_smooths_noise_not_peaks(void **state)
{
    (void)state;
    double sd0, p0, sd1, p1;
    tonality_readout(0.0f, &sd0, &p0);
    tonality_readout(1.0f, &sd1, &p1);
    print_message("  mask spread across noisy bins %.3f -> %.3f, at the "
                  "tonal peak %.3f -> %.3f\n", sd0, sd1, p0, p1);
    assert_true(sd1 < 0.6 * sd0);
    assert_true(p0 > 0.97 && p1 > 0.97);
}

/* ---- determinism ------------------------------------------------------ */

/* Toggles one amount every 250 ms (all three off, then all on, ...), each
 * change queued exactly on the grid, in blocks of bs samples. */
static void live_pass(sm_engine *e, const float *a, const float *b, size_t n,
                      size_t bs, float *l, float *r)
{
    static const sm_param ids[3] = {SM_P_MOD_TRANSIENT_AMOUNT,
                                    SM_P_MOD_TONALITY_AMOUNT,
                                    SM_P_MOD_SNR_AMOUNT};
    const size_t grid = FS / 4;
    size_t done = 0;
    while (done < n) {
        if (done % grid == 0) {
            size_t step = done / grid;
            assert_int_equal(sm_engine_set(e, ids[step % 3],
                                           (step / 3) % 2 ? 1.0f : 0.0f),
                             SM_OK);
        }
        size_t m = bs, next = (done / grid + 1) * grid;
        m = m > next - done ? next - done : m;
        m = m > n - done ? n - done : m;
        sm_engine_process(e, a + done, b + done, l + done, r + done, m);
        done += m;
    }
}

/* Every modulator on, 3 bands: any block size gives the same samples;
 * live changes of the amounts land on the same samples whatever the
 * block size, and a reset engine gives the fresh engine's output again. */
static void test_block_size_and_reset(void **state)
{
    (void)state;
    const size_t n = 3 * FS;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    sources(a, b, n);
    sm_config c = sm_config_default(FS);
    c.values[SM_P_ALIGN_MAX_LAG_MS] = 0;
    all_amounts(&c, 1.0f);
    float *l0, *r0, *l1, *r1;
    tu_render(&c, a, b, n, 4096, &l0, &r0);
    static const size_t blocks[] = {1, 64, 1000, 4099};
    for (size_t i = 0; i < sizeof blocks / sizeof blocks[0]; i++) {
        tu_render(&c, a, b, n, blocks[i], &l1, &r1);
        assert_memory_equal(l0, l1, n * sizeof(float));
        assert_memory_equal(r0, r1, n * sizeof(float));
        free(l1);
        free(r1);
    }
    for (size_t i = 0; i < n; i++)
        assert_true(isfinite(l0[i]) && isfinite(r0[i]));
    free(l0);
    free(r0);

    float *out[3][2];
    for (int k = 0; k < 3; k++)
        for (int ch = 0; ch < 2; ch++)
            out[k][ch] = tu_alloc(n);
    sm_engine *e = sm_engine_new(&c, NULL), *fresh = sm_engine_new(&c, NULL);
    assert_non_null(e);
    assert_non_null(fresh);
    live_pass(e, a, b, n, 256, out[0][0], out[0][1]);
    live_pass(fresh, a, b, n, 777, out[1][0], out[1][1]);
    /* all on again, applied, then reset: as new */
    sm_engine_set(e, SM_P_MOD_TRANSIENT_AMOUNT, 1.0f);
    sm_engine_set(e, SM_P_MOD_TONALITY_AMOUNT, 1.0f);
    sm_engine_set(e, SM_P_MOD_SNR_AMOUNT, 1.0f);
    sm_engine_process(e, a, b, out[2][0], out[2][1], 0);
    sm_engine_reset(e);
    live_pass(e, a, b, n, 1000, out[2][0], out[2][1]);
    for (int k = 1; k < 3; k++)
        for (int ch = 0; ch < 2; ch++)
            assert_memory_equal(out[0][ch], out[k][ch], n * sizeof(float));
    for (size_t i = 0; i < n; i++)
        assert_true(isfinite(out[0][0][i]) && isfinite(out[0][1][i]));
    sm_engine_free(e);
    sm_engine_free(fresh);
    for (int k = 0; k < 3; k++)
        for (int ch = 0; ch < 2; ch++)
            free(out[k][ch]);
    free(a);
    free(b);
}

/* The table: amounts default to 0 (today's sound), live; the tracker's
 * window needs a rebuild. */
static void test_parameters(void **state)
{
    (void)state;
    static const sm_param amounts[] = {SM_P_MOD_TRANSIENT_AMOUNT,
                                       SM_P_MOD_TONALITY_AMOUNT,
                                       SM_P_MOD_SNR_AMOUNT};
    for (int i = 0; i < 3; i++) {
        const sm_param_info *in = sm_param_get_info(amounts[i]);
        assert_true(in->def == 0.0f && in->min == 0.0f && in->max == 1.0f);
        assert_true(in->flags & SM_PF_LIVE);
    }
    sm_config c = cfg_one();
    sm_engine *e = sm_engine_new(&c, NULL);
    assert_non_null(e);
    assert_int_equal(sm_engine_set(e, SM_P_MOD_SNR_WINDOW_MS, 800.0f),
                     SM_ERR_NEEDS_REBUILD);
    assert_int_equal(sm_engine_set(e, SM_P_MOD_TRANSIENT_MS, 80.0f), SM_OK);
    assert_int_equal(sm_engine_set(e, SM_P_MOD_SNR_AMOUNT, 1.5f),
                     SM_ERR_RANGE);
    sm_engine_free(e);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_off_is_the_band_without_modulators),
        cmocka_unit_test(test_off_again_is_off),
        cmocka_unit_test(test_modulated_merge_at_zero_is_plain),
        cmocka_unit_test(test_lone_source_untouched),
        cmocka_unit_test(test_transient_lets_clicks_through),
        cmocka_unit_test(test_snr_noisy_source_gives_way),
        cmocka_unit_test(test_tonality_smooths_noise_not_peaks),
        cmocka_unit_test(test_block_size_and_reset),
        cmocka_unit_test(test_parameters),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
