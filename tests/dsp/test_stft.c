/* test_stft.c: the streaming STFT (dsp/stft.c).
 *
 * Every band of the engine is an STFT analysis, a per-bin merge and an
 * overlap-add synthesis; with an identity merge it must reconstruct its
 * input exactly (up to float rounding), delayed by a known amount, for the
 * window/hop pairs the configuration allows (hops that divide the window
 * and one that does not). The streaming loop is written out here as the
 * engine runs it:
 *
 *   every hop H: history <- last N input samples (oldest first)
 *                analyze(history) -> spec; synth_add(spec) into ola[0..N)
 *                emit ola[0..H); shift ola left by H, zero its last H.
 *
 * Block b (b = 0, 1, ...) has read inputs up to (b+1)H - 1, so its frame
 * starts at input (b+1)H - N, and the emitted ola[i] is input time
 * (b+1)H - N + i while being output sample bH + i: output o is input
 * o - (N - H). The delay is exactly N - H, and every input time >= 0 is
 * covered by all the frames that overlap it, so reconstruction is exact
 * from the first sample on (outputs before the delay are zero).
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "stft.h"
#include "testutil.h"

/* Runs x (n samples) through analysis + synthesis; y gets n outputs. The
 * spectrum may be modified by `mod` between the two. */
typedef void (*spec_mod)(sm_cpx *spec, int bins, void *ctx);

static void stream(sm_stft *s, int win, int hop, const float *x, float *y,
                   size_t n, spec_mod mod, void *ctx)
{
    float *hist = sm_stft_alloc_real((size_t)win);
    float *ola = sm_stft_alloc_real((size_t)win);
    sm_cpx *spec = sm_stft_alloc_spec(s);
    assert_non_null(hist);
    assert_non_null(ola);
    assert_non_null(spec);
    size_t H = (size_t)hop, N = (size_t)win;
    for (size_t o = 0; o < n; o += H) {
        memmove(hist, hist + H, (N - H) * sizeof(float));
        for (size_t i = 0; i < H; i++)
            hist[N - H + i] = o + i < n ? x[o + i] : 0.0f;
        sm_stft_analyze(s, hist, spec);
        if (mod)
            mod(spec, sm_stft_bins(s), ctx);
        sm_stft_synth_add(s, spec, ola);
        for (size_t i = 0; i < H && o + i < n; i++)
            y[o + i] = ola[i];
        memmove(ola, ola + H, (N - H) * sizeof(float));
        memset(ola + N - H, 0, H * sizeof(float));
    }
    sm_stft_free_buf(hist);
    sm_stft_free_buf(ola);
    sm_stft_free_buf(spec);
}

static const int pairs[][2] = {{4096, 1024}, {2048, 512}, {512, 128},
                               {2048, 256},  {1024, 512}, {256, 64},
                               /* hop not dividing the window */
                               {1024, 384},  {1000, 300}};
#define NPAIRS (sizeof pairs / sizeof pairs[0])

static void test_perfect_reconstruction(void **state)
{
    (void)state;
    const size_t n = 40000;
    float *x = tu_alloc(n), *y = tu_alloc(n), *xd = tu_alloc(n);
    tu_noise(x, n, 0.5f, 1234);
    for (size_t p = 0; p < NPAIRS; p++) {
        int win = pairs[p][0], hop = pairs[p][1];
        sm_error err = SM_OK;
        sm_stft *s = sm_stft_new(win, hop, &err);
        if (!s)
            fail_msg("sm_stft_new(%d, %d): %s", win, hop, sm_strerror(err));
        assert_int_equal(sm_stft_bins(s), win / 2 + 1);
        stream(s, win, hop, x, y, n, NULL, NULL);
        size_t d = (size_t)(win - hop);
        /* Against the input delayed by d, zeros first. */
        memset(xd, 0, d * sizeof(float));
        memcpy(xd + d, x, (n - d) * sizeof(float));
        double db = tu_err_db(y, xd, n);
        if (!(db < -120.0))
            fail_msg("(%d, %d): reconstruction error %.1f dB", win, hop, db);
        print_message("(%d, %d): error %.1f dB\n", win, hop, db);
        /* The delay is exact: one sample off is a large error. */
        double off = tu_err_db(y + d + 1, x, n - d - 1);
        assert_true(off > -3.0);
        sm_stft_free(s);
    }
    free(x);
    free(y);
    free(xd);
}

/* Analysis gives the spectrum of the Hann-windowed frame: a DC input of 1
 * gives bin 0 = sum of the periodic Hann window = N/2, bin 1 = -N/4, the
 * rest 0; a cosine on a bin centre gives N/4 there. */
static void test_analysis_spectrum(void **state)
{
    (void)state;
    const int win = 512, hop = 128, k0 = 37;
    sm_stft *s = sm_stft_new(win, hop, NULL);
    assert_non_null(s);
    float *frame = sm_stft_alloc_real(win);
    sm_cpx *spec = sm_stft_alloc_spec(s);
    for (int i = 0; i < win; i++)
        frame[i] = 1.0f;
    sm_stft_analyze(s, frame, spec);
    assert_float_equal(spec[0].re, win / 2.0f, 1e-3);
    assert_float_equal(spec[1].re, -win / 4.0f, 1e-3);
    for (int b = 2; b < win / 2 + 1; b++)
        assert_true(hypotf(spec[b].re, spec[b].im) < 1e-3f);
    for (int i = 0; i < win; i++)
        frame[i] = (float)cos(2.0 * M_PI * k0 * i / win);
    sm_stft_analyze(s, frame, spec);
    assert_float_equal(spec[k0].re, win / 4.0f, 1e-3);
    assert_float_equal(spec[k0 - 1].re, -win / 8.0f, 1e-3);
    assert_float_equal(spec[k0 + 1].re, -win / 8.0f, 1e-3);
    for (int b = 0; b < win / 2 + 1; b++)
        if (b < k0 - 1 || b > k0 + 1)
            assert_true(hypotf(spec[b].re, spec[b].im) < 1e-3f);
    /* The input frame is not modified. */
    for (int i = 0; i < win; i++)
        assert_true(frame[i] == (float)cos(2.0 * M_PI * k0 * i / win));
    sm_stft_free_buf(frame);
    sm_stft_free_buf(spec);
    sm_stft_free(s);
}

/* A spectral gain g applied to every bin gives g times the reconstruction
 * (synthesis is linear), and zeroing all bins gives silence. */
static void scale_mod(sm_cpx *spec, int bins, void *ctx)
{
    float g = *(const float *)ctx;
    for (int b = 0; b < bins; b++) {
        spec[b].re *= g;
        spec[b].im *= g;
    }
}

static void test_linear_in_spectrum(void **state)
{
    (void)state;
    const size_t n = 16384;
    const int win = 2048, hop = 512;
    float *x = tu_alloc(n), *y = tu_alloc(n), *want = tu_alloc(n);
    tu_noise(x, n, 0.5f, 99);
    sm_stft *s = sm_stft_new(win, hop, NULL);
    assert_non_null(s);
    float g = 0.25f;
    stream(s, win, hop, x, y, n, scale_mod, &g);
    size_t d = (size_t)(win - hop);
    for (size_t i = 0; i < n - d; i++)
        want[i] = 0.25f * x[i];
    assert_true(tu_err_db(y + d, want, n - d) < -120.0);
    g = 0.0f;
    stream(s, win, hop, x, y, n, scale_mod, &g);
    assert_true(tu_energy(y, n) == 0.0);
    sm_stft_free(s);
    free(x);
    free(y);
    free(want);
}

static void test_new_rejects_bad_sizes(void **state)
{
    (void)state;
    static const int bad[][2] = {{1023, 256}, {2049, 512}, {1024, 513},
                                 {256, 129},  {1024, 0},   {1024, -1},
                                 {2, 1},      {0, 0},      {-1024, 256}};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        sm_error err = SM_OK;
        sm_stft *s = sm_stft_new(bad[i][0], bad[i][1], &err);
        if (s)
            fail_msg("sm_stft_new(%d, %d) accepted", bad[i][0], bad[i][1]);
        assert_int_equal(err, SM_ERR_CONFIG);
    }
    /* NULL err is allowed. */
    assert_null(sm_stft_new(1023, 256, NULL));
    /* The limits themselves are fine: hop = N/2, hop = 1, small N. */
    static const int good[][2] = {{1024, 512}, {64, 1}, {4, 2}, {32768, 8192}};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        sm_error err = SM_OK;
        sm_stft *s = sm_stft_new(good[i][0], good[i][1], &err);
        if (!s)
            fail_msg("sm_stft_new(%d, %d): %s", good[i][0], good[i][1],
                     sm_strerror(err));
        assert_int_equal(sm_stft_bins(s), good[i][0] / 2 + 1);
        sm_stft_free(s);
    }
    sm_stft_free(NULL);
}

/* Two STFT objects of different sizes are independent (each has its own
 * plans and work buffer) and can be used interleaved. */
static void test_independent_instances(void **state)
{
    (void)state;
    const size_t n = 8192;
    float *x = tu_alloc(n), *y1 = tu_alloc(n), *y2 = tu_alloc(n);
    float *r1 = tu_alloc(n);
    tu_noise(x, n, 0.5f, 5);
    sm_stft *a = sm_stft_new(512, 128, NULL);
    sm_stft *b = sm_stft_new(1024, 256, NULL);
    assert_non_null(a);
    assert_non_null(b);
    stream(a, 512, 128, x, r1, n, NULL, NULL);
    stream(b, 1024, 256, x, y2, n, NULL, NULL);
    stream(a, 512, 128, x, y1, n, NULL, NULL);
    assert_memory_equal(y1, r1, n * sizeof(float));
    assert_true(tu_err_db(y2 + 768, x, n - 768) < -120.0);
    sm_stft_free(a);
    sm_stft_free(b);
    free(x);
    free(y1);
    free(y2);
    free(r1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_perfect_reconstruction),
        cmocka_unit_test(test_analysis_spectrum),
        cmocka_unit_test(test_linear_in_spectrum),
        cmocka_unit_test(test_new_rejects_bad_sizes),
        cmocka_unit_test(test_independent_instances),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
