/* test_centroid.c: the spectral centroid analyser behind the adaptive
 * crossovers (dsp/centroid.c).
 *
 * What the crossovers rely on: a sine reads as its frequency and two equal
 * tones as their geometric mean (a log centroid), at any rate; A and B
 * count by power (out-of-phase inputs do not cancel); the level is in
 * dBFS of the in-range RMS; silence and quiet noise under the gate hold
 * the value; the smoothing is a one-pole of the configured time constant
 * on ln(Hz) per hop; nothing is analysed while inactive but the history
 * is kept; the frame scales with the rate; and how the stream is cut
 * into pushes changes nothing.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "centroid.h"
#include "testutil.h"

/* Pushes a and b (n samples) in pieces of at most `piece`, never across a
 * hop. Returns the number of hops completed; the status after each hop
 * goes to trace (if not NULL, up to max entries). */
static size_t feed(sm_centroid *c, const float *a, const float *b, size_t n,
                   size_t piece, sm_centroid_status *trace, size_t max)
{
    size_t hops = 0;
    for (size_t i = 0; i < n;) {
        size_t m = sm_centroid_room(c);
        if (m > piece)
            m = piece;
        if (m > n - i)
            m = n - i;
        if (sm_centroid_push(c, a + i, b + i, m)) {
            if (trace && hops < max)
                trace[hops] = sm_centroid_get_status(c);
            hops++;
        }
        i += m;
    }
    return hops;
}

static sm_centroid *make(double fs, double smooth_ms)
{
    sm_error err = SM_OK;
    sm_centroid *c = sm_centroid_new(fs, smooth_ms, &err);
    assert_non_null(c);
    sm_centroid_set_active(c, 1);
    return c;
}

/* The centroid of one steady signal in A (B silent), no smoothing. */
static double centroid_of(double fs, const float *a, size_t n)
{
    sm_centroid *c = make(fs, 0.0);
    float *z = tu_alloc(n);
    feed(c, a, z, n, n, NULL, 0);
    double hz = sm_centroid_get_status(c).frame_hz;
    sm_centroid_free(c);
    free(z);
    return hz;
}

/* A sine reads as its frequency (within 1 %; Hann leakage around a low
 * tone bends the log average a little) at 44.1, 48 and 96 kHz, and a
 * full-scale sine is at -3.01 dBFS. */
static void test_sine(void **state)
{
    (void)state;
    static const double rates[] = {44100.0, 48000.0, 96000.0};
    static const double freqs[] = {60.0,   100.0,  200.0,  440.0,  1000.0,
                                   3000.0, 6000.0, 12000.0, 18000.0};
    for (size_t r = 0; r < 3; r++) {
        const size_t n = (size_t)rates[r];
        float *a = tu_alloc(n);
        for (size_t k = 0; k < sizeof freqs / sizeof freqs[0]; k++) {
            double amp = 0.25;
            tu_sines(a, n, rates[r], &freqs[k], &amp, 1);
            double hz = centroid_of(rates[r], a, n);
            double tol = freqs[k] < 100.0 ? 0.03 : 0.01;
            if (fabs(hz / freqs[k] - 1.0) > tol)
                fail_msg("%.0f Hz sine at %.0f Hz: centroid %.1f Hz",
                         freqs[k], rates[r], hz);
        }
        double f = 1000.0, amp = 1.0;
        tu_sines(a, n, rates[r], &f, &amp, 1);
        sm_centroid *c = make(rates[r], 0.0);
        float *z = tu_alloc(n);
        feed(c, a, z, n, n, NULL, 0);
        double lv = sm_centroid_get_status(c).level_dbfs;
        if (fabs(lv - 20.0 * log10(sqrt(0.5))) > 0.01)
            fail_msg("full-scale sine at %.0f Hz: %.3f dBFS", rates[r], lv);
        sm_centroid_free(c);
        free(z);
        free(a);
    }
}

/* Two tones of equal level read as their geometric mean; at powers
 * p1, p2 the power-weighted mean of ln f. */
static void test_two_tones(void **state)
{
    (void)state;
    const double fs = 48000.0;
    const size_t n = 48000;
    float *a = tu_alloc(n);
    double f[2] = {200.0, 3200.0}, amp[2] = {0.2, 0.2};
    tu_sines(a, n, fs, f, amp, 2);
    double hz = centroid_of(fs, a, n);
    if (fabs(hz / 800.0 - 1.0) > 0.01)
        fail_msg("200 + 3200 Hz: %.1f Hz, want 800", hz);
    amp[1] = 0.1; /* a quarter of the power */
    tu_sines(a, n, fs, f, amp, 2);
    double want = exp((4.0 * log(200.0) + log(3200.0)) / 5.0);
    hz = centroid_of(fs, a, n);
    if (fabs(hz / want - 1.0) > 0.01)
        fail_msg("200 + 3200 Hz at 4:1 power: %.1f Hz, want %.1f", hz, want);
    free(a);
}

/* A and B add as powers: a tone in each gives their geometric mean, and
 * B = -A (which a mono sum would cancel) reads as A alone, 3 dB up. */
static void test_inputs_add_as_power(void **state)
{
    (void)state;
    const double fs = 48000.0;
    const size_t n = 48000;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    double fa = 300.0, fb = 4800.0, amp = 0.2;
    tu_sines(a, n, fs, &fa, &amp, 1);
    tu_sines(b, n, fs, &fb, &amp, 1);
    sm_centroid *c = make(fs, 0.0);
    feed(c, a, b, n, 333, NULL, 0);
    double hz = sm_centroid_get_status(c).frame_hz;
    if (fabs(hz / 1200.0 - 1.0) > 0.01)
        fail_msg("300 Hz in A, 4800 Hz in B: %.1f Hz, want 1200", hz);
    sm_centroid_free(c);

    for (size_t i = 0; i < n; i++)
        b[i] = -a[i];
    c = make(fs, 0.0);
    feed(c, a, b, n, n, NULL, 0);
    sm_centroid_status st = sm_centroid_get_status(c);
    assert_true(fabs(st.frame_hz / 300.0 - 1.0) < 0.01);
    double one = 20.0 * log10(0.2 * sqrt(0.5));
    assert_true(fabs(st.level_dbfs - (one + 3.0103)) < 0.01);
    sm_centroid_free(c);
    free(a);
    free(b);
}

/* Below -70 dBFS nothing moves: after a tone, digital silence and then
 * noise at -80 dBFS leave the smoothed and the frame centroid where the
 * tone put them (the frames are counted as gated); noise at -60 dBFS
 * moves them. */
static void test_silence_holds(void **state)
{
    (void)state;
    const double fs = 48000.0;
    const size_t n = 48000;
    float *a = tu_alloc(n), *z = tu_alloc(n), *nz = tu_alloc(n);
    double f = 500.0, amp = 0.3;
    tu_sines(a, n, fs, &f, &amp, 1);
    sm_centroid *c = make(fs, 100.0);
    feed(c, a, z, n, n, NULL, 0);
    sm_centroid_status before = sm_centroid_get_status(c);
    assert_true(before.seeded);
    assert_true(fabs(before.hz / 500.0 - 1.0) < 0.01);
    /* The tone's tail in the next frames (up to a frame and a hop of
     * silence): let it pass. */
    feed(c, z, z, 4096, n, NULL, 0);
    before = sm_centroid_get_status(c);
    feed(c, z, z, n, n, NULL, 0);
    sm_centroid_status st = sm_centroid_get_status(c);
    assert_true(st.hz == before.hz && st.frame_hz == before.frame_hz);
    assert_true(isinf(st.level_dbfs) && st.level_dbfs < 0);
    assert_true(st.gated > before.gated);
    /* White noise, uniform in +-a: RMS a / sqrt(3). */
    float quiet = (float)(pow(10.0, -80.0 / 20.0) * sqrt(3.0));
    tu_noise(nz, n, quiet, 5);
    feed(c, nz, z, n, n, NULL, 0);
    st = sm_centroid_get_status(c);
    assert_true(st.hz == before.hz && st.frame_hz == before.frame_hz);
    assert_true(fabs(st.level_dbfs + 80.0) < 1.5);
    tu_noise(nz, n, quiet * 100.0f, 6);
    feed(c, nz, z, n, n, NULL, 0);
    st = sm_centroid_get_status(c);
    assert_true(st.frame_hz > 3000.0 && st.hz > before.hz);
    sm_centroid_free(c);
    /* And before anything passed the gate: no centroid at all. */
    c = make(fs, 100.0);
    feed(c, z, z, n, n, NULL, 0);
    st = sm_centroid_get_status(c);
    assert_false(st.seeded);
    assert_true(st.hz == 0.0 && st.frames > 0 && st.gated == st.frames);
    sm_centroid_free(c);
    free(a);
    free(z);
    free(nz);
}

/* The smoothing: from a steady 250 Hz to a steady 4 kHz the smoothed ln
 * centroid follows the frames by a one-pole of gain
 * 1 - exp(-hop / (fs tau)) per hop (checked hop by hop), so once the frames
 * read 4 kHz it is within 1/e of the way after tau (one hop's
 * resolution); the first frame above the gate sets it outright. */
static void test_smoothing_time(void **state)
{
    (void)state;
    const double fs = 48000.0, tau_ms = 300.0;
    const size_t n = 3 * 48000, step = 48000;
    float *a = tu_alloc(n), *z = tu_alloc(n);
    for (size_t i = 0; i < n; i++) {
        double f = i < step ? 250.0 : 4000.0;
        a[i] = (float)(0.3 * sin(2.0 * M_PI * f * (double)i / fs));
    }
    sm_centroid *c = make(fs, tau_ms);
    const int hop = sm_centroid_hop(c);
    assert_int_equal(hop, 1024);
    sm_centroid_status tr[200];
    size_t hops = feed(c, a, z, n, 700, tr, 200);
    assert_true(hops == n / (size_t)hop);
    const double g = 1.0 - exp(-hop / (fs * tau_ms * 1e-3));
    assert_true(tr[0].hz == tr[0].frame_hz); /* the first sets it */
    size_t pure = 0; /* first hop whose frame holds only the 4 kHz tone */
    for (size_t k = 1; k < hops; k++) {
        double want = log(tr[k - 1].hz) +
                      g * (log(tr[k].frame_hz) - log(tr[k - 1].hz));
        assert_true(fabs(log(tr[k].hz) - want) < 1e-9);
        if (!pure && (k + 1) * (size_t)hop >= step + 2048)
            pure = k;
    }
    assert_true(fabs(tr[pure].frame_hz / 4000.0 - 1.0) < 0.01);
    /* From the last hop before `pure`, the remaining log distance shrinks
     * to 1/e within tau (+- a hop). */
    const double l0 = log(tr[pure - 1].hz), l1 = log(4000.0);
    size_t k = pure;
    while ((l1 - log(tr[k].hz)) > (l1 - l0) / M_E)
        k++;
    double t_ms = (double)(k - (pure - 1)) * hop / fs * 1e3;
    print_message("1/e after %.1f ms (tau %.0f ms)\n", t_ms, tau_ms);
    assert_true(fabs(t_ms - tau_ms) <= hop / fs * 1e3 + 1e-9);
    sm_centroid_free(c);
    free(a);
    free(z);
}

/* Inactive: no frame is analysed and the state holds; the history is
 * kept, so the first hop after turning on (which takes effect at a hop)
 * reads the signal right away. */
static void test_inactive(void **state)
{
    (void)state;
    const double fs = 48000.0;
    const size_t n = 48000;
    float *a = tu_alloc(n), *z = tu_alloc(n);
    double f = 2000.0, amp = 0.3;
    tu_sines(a, n, fs, &f, &amp, 1);
    sm_error err;
    sm_centroid *c = sm_centroid_new(fs, 0.0, &err);
    assert_non_null(c);
    feed(c, a, z, n, n, NULL, 0);
    sm_centroid_status st = sm_centroid_get_status(c);
    assert_true(st.frames == 0 && !st.seeded && st.hz == 0.0);
    sm_centroid_set_active(c, 1);
    /* Up to the next hop: latched there, and that frame is analysed. */
    size_t room = sm_centroid_room(c);
    assert_int_equal(sm_centroid_push(c, a, z, room), 1);
    st = sm_centroid_get_status(c);
    assert_true(st.frames == 1 && st.seeded);
    assert_true(fabs(st.frame_hz / 2000.0 - 1.0) < 0.01);
    sm_centroid_free(c);
    free(a);
    free(z);
}

/* The frame is ~43 ms at every rate (nearest power of two), hop half of
 * it; reset is as new. */
static void test_frame_sizes_and_reset(void **state)
{
    (void)state;
    static const struct {
        double fs;
        int frame;
    } t[] = {{8000.0, 256},   {22050.0, 1024}, {44100.0, 2048},
             {48000.0, 2048}, {96000.0, 4096}, {192000.0, 8192},
             {384000.0, 16384}};
    for (size_t k = 0; k < sizeof t / sizeof t[0]; k++) {
        sm_centroid *c = make(t[k].fs, 100.0);
        assert_int_equal(sm_centroid_frame(c), t[k].frame);
        assert_int_equal(sm_centroid_hop(c), t[k].frame / 2);
        assert_int_equal(sm_centroid_room(c), (size_t)t[k].frame / 2);
        sm_centroid_free(c);
    }
    const size_t n = 48000;
    float *a = tu_alloc(n), *z = tu_alloc(n);
    double f = 700.0, amp = 0.3;
    tu_sines(a, n, 48000.0, &f, &amp, 1);
    sm_centroid *c = make(48000.0, 100.0);
    sm_centroid_status s1[64], s2[64];
    size_t h1 = feed(c, a, z, n, n, s1, 64);
    sm_centroid_reset(c);
    assert_false(sm_centroid_get_status(c).seeded);
    size_t h2 = feed(c, a, z, n, 999, s2, 64);
    assert_int_equal(h1, h2);
    for (size_t k = 0; k < h1; k++)
        assert_true(s1[k].hz == s2[k].hz && s1[k].frame_hz == s2[k].frame_hz &&
                    s1[k].level_dbfs == s2[k].level_dbfs &&
                    s1[k].seeded == s2[k].seeded &&
                    s1[k].frames == s2[k].frames && s1[k].gated == s2[k].gated);
    sm_centroid_free(c);
    free(a);
    free(z);
}

/* How the stream is cut into pushes changes nothing, bit for bit. */
static void test_push_invariance(void **state)
{
    (void)state;
    const size_t n = 2 * 48000;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_voice(a, n, 48000.0, 3);
    tu_noise(b, n, 0.05f, 4);
    static const size_t pieces[] = {1, 7, 64, 1000, 4096};
    sm_centroid_status ref[128], got[128];
    sm_centroid *c = make(48000.0, 200.0);
    size_t h0 = feed(c, a, b, n, 4096, ref, 128);
    sm_centroid_free(c);
    for (size_t p = 0; p < sizeof pieces / sizeof pieces[0]; p++) {
        c = make(48000.0, 200.0);
        size_t h = feed(c, a, b, n, pieces[p], got, 128);
        assert_int_equal(h, h0);
        for (size_t k = 0; k < h; k++)
            if (got[k].hz != ref[k].hz || got[k].frame_hz != ref[k].frame_hz)
                fail_msg("pieces of %zu: hop %zu differs", pieces[p], k);
        sm_centroid_free(c);
    }
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sine),
        cmocka_unit_test(test_two_tones),
        cmocka_unit_test(test_inputs_add_as_power),
        cmocka_unit_test(test_silence_holds),
        cmocka_unit_test(test_smoothing_time),
        cmocka_unit_test(test_inactive),
        cmocka_unit_test(test_frame_sizes_and_reset),
        cmocka_unit_test(test_push_invariance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
