/* test_xover.c: the 3-band LR4 crossover (dsp/xover.c) and the mapping
 * of the adaptive cutoffs.
 *
 * The engine relies on three properties: the bands sum to an allpass (so a
 * merge of identical sources is transparent in magnitude), each band has
 * the LR4 shape at its cutoffs, and the output does not depend on how the
 * stream is cut into blocks (the engine's bit-identity promise). These are
 * measured on long impulse responses with a direct DFT in double at
 * log-spaced frequencies. Moving cutoffs make the sum a time-varying
 * allpass: its short-time energy must still track the input's, it must
 * equal the cascade of the two allpasses following the same trajectory
 * (coefficients ramping sample by sample), tones must pass it at constant
 * amplitude (0.01 dB) while the cutoffs follow the fastest adaptation
 * (that is the slew limit's job), and the ramp must leave no trace of the
 * 32-sample grid. A state that went non-finite must recover at the next
 * grid step. The mapping keeps both cutoffs in their ranges and in order
 * at every rate.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "testutil.h"
#include "xover.h"

#define FS 48000.0
#define IR_LEN (1 << 17)

typedef struct bands {
    float *o[2][3];
    size_t n;
} bands;

static void bands_alloc(bands *b, size_t n)
{
    b->n = n;
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < 3; k++)
            b->o[c][k] = tu_alloc(n);
}

static void bands_free(bands *b)
{
    for (int c = 0; c < 2; c++)
        for (int k = 0; k < 3; k++)
            free(b->o[c][k]);
}

/* Runs x over a and b from sample `from` to `to` in blocks of `block`. */
static void run_blocks(sm_xover *x, const float *a, const float *b, bands *o,
                       size_t from, size_t to, size_t block)
{
    for (size_t i = from; i < to; i += block) {
        size_t m = to - i < block ? to - i : block;
        float *const out[2][3] = {
            {o->o[0][0] + i, o->o[0][1] + i, o->o[0][2] + i},
            {o->o[1][0] + i, o->o[1][1] + i, o->o[1][2] + i}};
        sm_xover_process(x, a + i, b + i, out, m);
    }
}

/* |DFT| of h at f (Hz), in dB; double precision, rotating phasor. */
static double mag_db(const double *h, size_t n, double f)
{
    double w = 2.0 * M_PI * f / FS;
    double cr = cos(w), ci = -sin(w);
    double zr = 1.0, zi = 0.0, sr = 0.0, si = 0.0;
    for (size_t i = 0; i < n; i++) {
        sr += h[i] * zr;
        si += h[i] * zi;
        double t = zr * cr - zi * ci;
        zi = zr * ci + zi * cr;
        zr = t;
        if ((i & 1023) == 1023) { /* keep |z| = 1 */
            double r = sqrt(zr * zr + zi * zi);
            zr /= r;
            zi /= r;
        }
    }
    return 10.0 * log10(sr * sr + si * si);
}

/* Impulse responses of the three bands (input a) and their sum. */
typedef struct irs {
    double *band[3], *sum;
    size_t n;
} irs;

static void irs_measure(irs *r, double lo, double hi)
{
    size_t n = IR_LEN;
    float *imp = tu_alloc(n);
    imp[0] = 1.0f;
    sm_xover x;
    sm_xover_init(&x, FS, lo, hi, 50.0);
    bands o;
    bands_alloc(&o, n);
    run_blocks(&x, imp, imp, &o, 0, n, n);
    r->n = n;
    for (int k = 0; k < 3; k++) {
        r->band[k] = malloc(n * sizeof(double));
        assert_non_null(r->band[k]);
    }
    r->sum = malloc(n * sizeof(double));
    assert_non_null(r->sum);
    for (size_t i = 0; i < n; i++) {
        for (int k = 0; k < 3; k++)
            r->band[k][i] = o.o[0][k][i];
        r->sum[i] = (double)o.o[0][0][i] + o.o[0][1][i] + o.o[0][2][i];
        /* Both inputs go through identical filters. */
        for (int k = 0; k < 3; k++)
            assert_true(o.o[0][k][i] == o.o[1][k][i]);
    }
    /* The response has died out well before the end (no truncation). */
    double tail = 0.0;
    for (size_t i = n - 1024; i < n; i++)
        tail = fmax(tail, fabs(r->sum[i]));
    assert_true(tail < 1e-12);
    bands_free(&o);
    free(imp);
}

static void irs_free(irs *r)
{
    for (int k = 0; k < 3; k++)
        free(r->band[k]);
    free(r->sum);
}

static void test_sum_is_flat(void **state)
{
    (void)state;
    irs r;
    irs_measure(&r, 250.0, 4000.0);
    double worst = 0.0, worst_f = 0.0;
    const int npts = 60;
    for (int p = 0; p <= npts; p++) {
        double f = 20.0 * pow(1000.0, (double)p / npts); /* 20 Hz..20 kHz */
        double db = mag_db(r.sum, r.n, f);
        if (fabs(db) > worst) {
            worst = fabs(db);
            worst_f = f;
        }
    }
    /* The cutoffs themselves, where the bands overlap most. */
    static const double extra[] = {250.0, 4000.0, 1000.0, 353.6, 2828.4};
    for (size_t p = 0; p < sizeof extra / sizeof extra[0]; p++) {
        double db = mag_db(r.sum, r.n, extra[p]);
        if (fabs(db) > worst) {
            worst = fabs(db);
            worst_f = extra[p];
        }
    }
    if (worst > 0.01)
        fail_msg("band sum deviates by %.4f dB at %.1f Hz", worst, worst_f);
    irs_free(&r);
}

static void test_band_shapes(void **state)
{
    (void)state;
    irs r;
    irs_measure(&r, 250.0, 4000.0);
    const double lr4 = 20.0 * log10(0.5); /* -6.02 dB at the cutoff */
    double lf_250 = mag_db(r.band[0], r.n, 250.0);
    double lf_4k = mag_db(r.band[0], r.n, 4000.0);
    double lf_50 = mag_db(r.band[0], r.n, 50.0);
    double mf_1k = mag_db(r.band[1], r.n, 1000.0);
    double mf_250 = mag_db(r.band[1], r.n, 250.0);
    double mf_4k = mag_db(r.band[1], r.n, 4000.0);
    double mf_20 = mag_db(r.band[1], r.n, 20.0);
    double mf_20k = mag_db(r.band[1], r.n, 20000.0);
    double hf_4k = mag_db(r.band[2], r.n, 4000.0);
    double hf_250 = mag_db(r.band[2], r.n, 250.0);
    double hf_15k = mag_db(r.band[2], r.n, 15000.0);
    print_message("LF: 250 Hz %.3f, 4 kHz %.1f; MF: 1 kHz %.3f; "
                  "HF: 4 kHz %.3f, 250 Hz %.1f dB\n",
                  lf_250, lf_4k, mf_1k, hf_4k, hf_250);
    assert_true(fabs(lf_250 - lr4) < 0.05);
    assert_true(lf_4k < -40.0);
    assert_true(fabs(lf_50) < 0.1);
    assert_true(fabs(mf_1k) < 0.5);
    /* MF meets LF at 250 and HF at 4000, each at -6 dB. */
    assert_true(fabs(mf_250 - lr4) < 0.1);
    assert_true(fabs(mf_4k - lr4) < 0.1);
    assert_true(mf_20 < -40.0);
    assert_true(mf_20k < -30.0);
    assert_true(fabs(hf_4k - lr4) < 0.05);
    assert_true(hf_250 < -40.0);
    assert_true(fabs(hf_15k) < 0.1);
    irs_free(&r);
}

/* Processing in one call or in blocks of any size gives identical output,
 * including across a cutoff change made between two samples that are not
 * on the 32-sample grid. */
static void test_block_invariance(void **state)
{
    (void)state;
    const size_t n = 20000, change_at = 5003;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 0.9f, 11);
    tu_noise(b, n, 0.5f, 12);
    bands ref;
    bands_alloc(&ref, n);
    sm_xover x;
    sm_xover_init(&x, FS, 250.0, 4000.0, 50.0);
    run_blocks(&x, a, b, &ref, 0, change_at, n);
    sm_xover_set(&x, 600.0, 2500.0);
    run_blocks(&x, a, b, &ref, change_at, n, n);
    static const size_t blocks[] = {1, 7, 64, 1000, 31, 32, 33};
    for (size_t t = 0; t < sizeof blocks / sizeof blocks[0]; t++) {
        bands o;
        bands_alloc(&o, n);
        sm_xover_init(&x, FS, 250.0, 4000.0, 50.0);
        run_blocks(&x, a, b, &o, 0, change_at, blocks[t]);
        sm_xover_set(&x, 600.0, 2500.0);
        run_blocks(&x, a, b, &o, change_at, n, blocks[t]);
        for (int c = 0; c < 2; c++)
            for (int k = 0; k < 3; k++)
                if (memcmp(o.o[c][k], ref.o[c][k], n * sizeof(float)) != 0)
                    fail_msg("blocks of %zu: input %d band %d differs",
                             blocks[t], c, k);
        bands_free(&o);
    }
    /* The change did take effect (the test is not vacuous). */
    assert_true(x.lo_hz > 250.0 && x.hi_hz < 4000.0);
    bands_free(&ref);
    free(a);
    free(b);
}

/* While the cutoffs glide, the band sum is a time-varying allpass: its
 * energy over short windows equals the input's within 0.1 dB. */
static void test_glide_keeps_sum_flat(void **state)
{
    (void)state;
    const size_t n = 3 * 48000, win = 8192;
    float *a = tu_alloc(n), *b = tu_alloc(n), *sum = tu_alloc(n);
    tu_noise(a, n, 0.5f, 21);
    tu_noise(b, n, 0.5f, 22);
    bands o;
    bands_alloc(&o, n);
    sm_xover x;
    sm_xover_init(&x, FS, 250.0, 4000.0, 50.0);
    /* Up and back down while still moving, then a jump the other way. */
    size_t t1 = 24000, t2 = 40000, t3 = 90000;
    run_blocks(&x, a, b, &o, 0, t1, 256);
    sm_xover_set(&x, 600.0, 2500.0);
    run_blocks(&x, a, b, &o, t1, t2, 256);
    double lo_mid = x.lo_hz;
    sm_xover_set(&x, 100.0, 8000.0);
    run_blocks(&x, a, b, &o, t2, t3, 256);
    sm_xover_set(&x, 1500.0, 2250.0);
    run_blocks(&x, a, b, &o, t3, n, 256);
    /* The cutoffs moved through the range and landed on the target. */
    assert_true(lo_mid > 400.0 && lo_mid < 600.0);
    assert_true(x.lo_hz == 1500.0 && x.hi_hz == 2250.0);

    for (int c = 0; c < 2; c++) {
        const float *in = c ? b : a;
        for (size_t i = 0; i < n; i++) {
            double s = (double)o.o[c][0][i] + o.o[c][1][i] + o.o[c][2][i];
            sum[i] = (float)s;
            if (!isfinite(o.o[c][0][i]) || !isfinite(o.o[c][1][i]) ||
                !isfinite(o.o[c][2][i]))
                fail_msg("non-finite output at %zu", i);
        }
        double worst = 0.0;
        size_t worst_at = 0;
        for (size_t w0 = win; w0 + win <= n; w0 += win / 2) {
            double ei = tu_energy(in + w0, win);
            double eo = tu_energy(sum + w0, win);
            double d = fabs(10.0 * log10(eo / ei));
            if (d > worst) {
                worst = d;
                worst_at = w0;
            }
        }
        if (worst > 0.1)
            fail_msg("input %d: band-sum energy off by %.3f dB in the window "
                     "at %zu",
                     c, worst, worst_at);
    }
    bands_free(&o);
    free(a);
    free(b);
    free(sum);
}

/* One TPT SVF allpass tick (the textbook form, written out here so the
 * reference does not share code with the unit under test). */
static double ref_ap(const sm_svf_coef *c, sm_svf *s, double v0)
{
    double v3 = v0 - s->ic2;
    double v1 = c->a1 * s->ic1 + c->a2 * v3;
    double v2 = s->ic2 + c->a2 * s->ic1 + c->a3 * v3;
    s->ic1 = 2.0 * v1 - s->ic1;
    s->ic2 = 2.0 * v2 - s->ic2;
    return v0 - 2.0 * c->k * v1;
}

/* The coefficients of the reference at sample s (1..GRID) of a grid
 * block whose cutoff went from f0 to f1: the prewarped cutoff
 * g = tan(pi f / fs) moves linearly and lands on f1 (xover.h). Written
 * out here, not taken from the unit under test. */
static sm_svf_coef ref_coef(double f0, double f1, unsigned s)
{
    double g0 = tan(M_PI * f0 / FS), g1 = tan(M_PI * f1 / FS);
    double g = s == SM_XOVER_GRID ? g1 : g0 + (g1 - g0) * s / SM_XOVER_GRID;
    sm_svf_coef c;
    c.k = M_SQRT2;
    c.a1 = 1.0 / (1.0 + g * (g + c.k));
    c.a2 = g * c.a1;
    c.a3 = g * c.a2;
    return c;
}

/* Stronger than the energy check: while the cutoffs move, the band sum is
 * exactly the cascade of the two 2nd-order allpasses that follow the same
 * cutoff trajectory (the cutoffs at each grid point, read from the
 * crossover, ramped in between as xover.h says), with and without the
 * slew limit. A topology in which the split and the compensating allpass
 * disagree while moving, or a state that jumps on a coefficient change,
 * breaks this by far more than float rounding. */
static void test_glide_sum_is_allpass_cascade(void **state)
{
    (void)state;
    const size_t n = 2 * 48000, g = SM_XOVER_GRID;
    float *a = tu_alloc(n);
    tu_noise(a, n, 0.5f, 41);
    bands o;
    bands_alloc(&o, n);
    sm_xover x;
    sm_xover_init(&x, FS, 250.0, 4000.0, 50.0);
    sm_svf ap_lo = {0, 0}, ap_hi = {0, 0};
    double err = 0.0, sig = 0.0;
    int moves = 0;
    for (size_t i = 0; i < n; i += g) {
        if (i == 9600)
            sm_xover_set(&x, 600.0, 2500.0);
        if (i == 32000)
            sm_xover_set(&x, 100.0, 8000.0);
        if (i == 48000)
            sm_xover_set_slew(&x, 1);
        if (i == 60000)
            sm_xover_set(&x, 1500.0, 2250.0);
        double lo0 = x.lo_hz, hi0 = x.hi_hz;
        run_blocks(&x, a, a, &o, i, i + g, g);
        /* x.lo_hz and x.hi_hz are now the cutoffs at the block's end. */
        moves += lo0 != x.lo_hz;
        for (size_t j = i; j < i + g; j++) {
            unsigned pos = (unsigned)(j - i + 1);
            sm_svf_coef cl = ref_coef(lo0, x.lo_hz, pos);
            sm_svf_coef ch = ref_coef(hi0, x.hi_hz, pos);
            double r = ref_ap(&ch, &ap_hi, ref_ap(&cl, &ap_lo, a[j]));
            double s = (double)o.o[0][0][j] + o.o[0][1][j] + o.o[0][2][j];
            err += (s - r) * (s - r);
            sig += r * r;
        }
    }
    assert_true(moves > 100); /* the cutoffs really moved */
    double db = 10.0 * log10(err / sig);
    if (!(db < -100.0))
        fail_msg("band sum differs from the allpass cascade by %.1f dB", db);
    bands_free(&o);
    free(a);
}

/* After a glide has landed, the bands have the shape of the new cutoffs. */
static void test_glide_lands_on_new_shape(void **state)
{
    (void)state;
    const size_t pre = 96000, n = IR_LEN;
    float *z = tu_alloc(pre), *imp = tu_alloc(n);
    imp[0] = 1.0f;
    bands o;
    bands_alloc(&o, pre > n ? pre : n);
    sm_xover x;
    sm_xover_init(&x, FS, 250.0, 4000.0, 50.0);
    sm_xover_set(&x, 600.0, 2500.0);
    run_blocks(&x, z, z, &o, 0, pre, 512);
    assert_true(x.lo_hz == 600.0 && x.hi_hz == 2500.0);
    sm_xover_reset(&x);
    run_blocks(&x, imp, imp, &o, 0, n, 4096);
    double *h = malloc(n * sizeof(double));
    assert_non_null(h);
    const double lr4 = 20.0 * log10(0.5);
    for (size_t i = 0; i < n; i++)
        h[i] = o.o[0][0][i];
    assert_true(fabs(mag_db(h, n, 600.0) - lr4) < 0.05);
    for (size_t i = 0; i < n; i++)
        h[i] = o.o[0][2][i];
    assert_true(fabs(mag_db(h, n, 2500.0) - lr4) < 0.05);
    for (size_t i = 0; i < n; i++)
        h[i] = (double)o.o[0][0][i] + o.o[0][1][i] + o.o[0][2][i];
    assert_true(fabs(mag_db(h, n, 1225.0)) < 0.01);
    free(h);
    bands_free(&o);
    free(z);
    free(imp);
}

static int all_finite(const bands *o, int c, size_t from, size_t to)
{
    for (size_t i = from; i < to; i++)
        for (int k = 0; k < 3; k++)
            if (!isfinite(o->o[c][k][i]))
                return 0;
    return 1;
}

/* A NaN that got into one input's state is cleared at the next grid step:
 * from there on that input's bands equal a fresh crossover's, and the
 * other input is not disturbed at all. */
static void test_nonfinite_recovery(void **state)
{
    (void)state;
    const size_t n = 4096, bad = 100;
    const size_t next_grid = (bad / SM_XOVER_GRID + 1) * SM_XOVER_GRID;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_noise(a, n, 0.5f, 31);
    tu_noise(b, n, 0.5f, 32);
    bands clean, o, fresh;
    bands_alloc(&clean, n);
    bands_alloc(&o, n);
    bands_alloc(&fresh, n);
    sm_xover x;
    sm_xover_init(&x, FS, 250.0, 4000.0, 50.0);
    run_blocks(&x, a, b, &clean, 0, n, n);

    float *a_bad = tu_alloc(n);
    memcpy(a_bad, a, n * sizeof(float));
    a_bad[bad] = NAN;
    sm_xover_init(&x, FS, 250.0, 4000.0, 50.0);
    run_blocks(&x, a_bad, b, &o, 0, n, 64);
    assert_false(all_finite(&o, 0, bad, bad + 1)); /* the NaN got in */
    assert_true(all_finite(&o, 0, next_grid, n));
    for (int k = 0; k < 3; k++)
        assert_memory_equal(o.o[1][k], clean.o[1][k], n * sizeof(float));

    sm_xover_init(&x, FS, 250.0, 4000.0, 50.0);
    run_blocks(&x, a + next_grid, b + next_grid, &fresh, 0, n - next_grid,
               n);
    for (int k = 0; k < 3; k++)
        assert_memory_equal(o.o[0][k] + next_grid, fresh.o[0][k],
                            (n - next_grid) * sizeof(float));

    /* An infinite state written directly is cleared the same way, and an
     * infinite input sample too. */
    sm_xover_init(&x, FS, 250.0, 4000.0, 50.0);
    run_blocks(&x, a, b, &o, 0, 40, 40);
    x.st[0][3].ic1 = INFINITY;
    x.st[1][6].ic2 = -INFINITY;
    run_blocks(&x, a, b, &o, 40, n, 40);
    assert_true(all_finite(&o, 0, 64, n));
    assert_true(all_finite(&o, 1, 64, n));
    memcpy(a_bad, a, n * sizeof(float));
    a_bad[bad] = INFINITY;
    sm_xover_init(&x, FS, 250.0, 4000.0, 50.0);
    run_blocks(&x, a_bad, b, &o, 0, n, n);
    assert_true(all_finite(&o, 0, next_grid, n));
    assert_true(tu_energy(o.o[0][0] + next_grid, n - next_grid) > 0.0);

    bands_free(&clean);
    bands_free(&o);
    bands_free(&fresh);
    free(a);
    free(b);
    free(a_bad);
}


/* Drives x like the engine's adaptive crossovers at their fastest: every
 * 1024 samples the centroid position (0 or 1, switching every `period`
 * samples: the worst content, full-range jumps) goes through a one-pole
 * of adapt_ms, is mapped into the default ranges and set as the target;
 * x glides (50 ms) on its own. Runs a and b (= a) through it into o. */
static void drive_adaptive(sm_xover *x, const float *a, bands *o, size_t n,
                           double adapt_ms, size_t period)
{
    const sm_xover_ranges r = {120.0, 600.0, 2000.0, 8000.0};
    const size_t hop = 1024;
    const double g = 1.0 - exp(-(double)hop / (FS * adapt_ms * 1e-3));
    double p = 0.0;
    for (size_t i = 0; i < n; i += hop) {
        double want = (i / period) % 2 ? 1.0 : 0.0;
        p += g * (want - p);
        double lo, hi;
        sm_xover_map(&r, p, FS, &lo, &hi);
        sm_xover_set(x, lo, hi);
        run_blocks(x, a, a, o, i, i + hop < n ? i + hop : n, hop);
    }
}

/* Tones an octave apart from base up to 13 kHz, faded in and out so that
 * the analytic envelope has no edges to ring on. An octave: a moving
 * allpass phase-modulates each tone, and the skirt of that modulation
 * (-60 dB at half an octave for the fastest motion) would beat with a
 * closer neighbour in its measurement band. Two sets (100 and 150 Hz
 * bases) cover the spectrum every half octave. */
#define NTONES 8
#define TONE_AMP 0.05

static int tones_make(float *a, size_t n, double base, double *hz)
{
    double amp[NTONES];
    int count = 0;
    for (double f = base; f < 13000.0 && count < NTONES; f *= 2.0) {
        hz[count] = f;
        amp[count++] = TONE_AMP;
    }
    tu_sines(a, n, FS, hz, amp, count);
    const size_t fade = 4800;
    for (size_t i = 0; i < fade; i++) {
        float w = (float)(0.5 - 0.5 * cos(M_PI * (double)i / fade));
        a[i] *= w;
        a[n - 1 - i] *= w;
    }
    return count;
}

/* Worst |envelope| in dB of each tone in the band sum of o, over all but
 * the first and last half second. */
static double tones_worst_db(const bands *o, size_t n, const double *hz,
                             int count, double *worst_hz)
{
    float *sum = tu_alloc(n);
    for (size_t i = 0; i < n; i++)
        sum[i] = (float)((double)o->o[0][0][i] + o->o[0][1][i] +
                         o->o[0][2][i]);
    double worst = 0.0;
    for (int k = 0; k < count; k++) {
        double lo, hi;
        tu_envelope_db(sum, n, FS, hz[k] / 1.08, hz[k] * 1.08, TONE_AMP,
                       24000, n - 24000, &lo, &hi);
        double w = fmax(fabs(lo), fabs(hi));
        if (w > worst) {
            worst = w;
            *worst_hz = hz[k];
        }
    }
    free(sum);
    return worst;
}

/* Flat while moving: tones from 100 Hz to 12 kHz pass the band sum at
 * constant amplitude, within 0.01 dB, while both cutoffs follow the
 * worst content (full-range centroid jumps every second) at the fastest
 * adaptation (bands.adapt_ms = 20) and at the default (500): the slew
 * limit keeps them flat. Without it the same motion dips a tone near the
 * low cutoff by several hundredths of a dB: the reason for the limit. */
static void test_moving_sum_flat(void **state)
{
    (void)state;
    const size_t n = 1u << 19; /* 10.9 s */
    float *a[2] = {tu_alloc(n), tu_alloc(n)};
    double hz[2][NTONES];
    int count[2] = {tones_make(a[0], n, 100.0, hz[0]),
                    tones_make(a[1], n, 150.0, hz[1])};
    static const double adapt_ms[] = {20.0, 500.0};
    for (int slew = 1; slew >= 0; slew--) {
        for (size_t t = slew ? 0 : 1; t < 2; t++) {
            double at = 0.0, worst = 0.0;
            for (int set = 0; set < 2; set++) {
                bands o;
                bands_alloc(&o, n);
                sm_xover x;
                sm_xover_init(&x, FS, 120.0, 2000.0, 50.0);
                sm_xover_set_slew(&x, slew);
                drive_adaptive(&x, a[set], &o, n, adapt_ms[t], 48000);
                double at1 = 0.0;
                double w = tones_worst_db(&o, n, hz[set], count[set], &at1);
                if (w > worst) {
                    worst = w;
                    at = at1;
                }
                bands_free(&o);
            }
            print_message("slew %s, adapt_ms %4.0f: worst tone %.5f dB "
                          "(at %.0f Hz)\n",
                          slew ? "on " : "off", adapt_ms[t], worst, at);
            if (slew && worst > 0.01)
                fail_msg("adapt_ms %.0f: the %.0f Hz tone varies by %.4f dB",
                         adapt_ms[t], at, worst);
            if (!slew && !(worst > 0.02))
                fail_msg("without the slew limit only %.4f dB: is the "
                         "measure still sensitive?",
                         worst);
        }
    }
    free(a[0]);
    free(a[1]);
}

/* The coefficients ramp sample by sample: a tone seen while the cutoffs
 * move fast (the slew limit off) has nothing far from it in the band sum
 * or the mid band (in which the tone lies) but the tone's own spectrum;
 * cutoffs that stepped every 32 samples put sidebands at multiples of
 * fs/32 = 1.5 kHz around it at -52 dB. */
static void test_ramp_leaves_no_grid(void **state)
{
    (void)state;
    const size_t n = 48 * 1024, N = 8192, from = 12800;
    const double f0 = 3000.0;
    float *a = tu_alloc(n);
    double amp = 0.5;
    tu_sines(a, n, FS, &f0, &amp, 1);
    bands o;
    bands_alloc(&o, n);
    sm_xover x;
    sm_xover_init(&x, FS, 120.0, 2000.0, 50.0);
    drive_adaptive(&x, a, &o, n, 20.0, 12288);
    /* The window below lies in the glide up (from 12288 on). */
    double *t = malloc(N * sizeof(double));
    assert_non_null(t);
    for (int which = 0; which < 2; which++) {
        for (size_t i = 0; i < N; i++) {
            double v = which ? o.o[0][1][from + i]
                             : (double)o.o[0][0][from + i] +
                                   o.o[0][1][from + i] + o.o[0][2][from + i];
            double u = 2.0 * M_PI * (double)i / N; /* Blackman-Harris */
            t[i] = v * (0.35875 - 0.48829 * cos(u) + 0.14128 * cos(2 * u) -
                        0.01168 * cos(3 * u));
        }
        double tot = 0.0, far = 0.0;
        for (size_t k = 0; k <= N / 2; k++) {
            double p = mag_db(t, N, (double)k * FS / N);
            double pw = pow(10.0, p / 10.0);
            tot += pw;
            if (fabs((double)k * FS / N - f0) > 700.0)
                far += pw;
        }
        double db = 10.0 * log10(far / tot);
        print_message("%s: far from the tone %.1f dB\n",
                      which ? "mid band" : "band sum", db);
        if (!(db < -90.0))
            fail_msg("%s: %.1f dB far from the tone (grid steps?)",
                     which ? "mid band" : "band sum", db);
    }
    free(t);
    bands_free(&o);
    free(a);
}

/* With the slew limit on, no cutoff moves by more than
 * fc / SM_XOVER_SLEW_CYCLES nepers per second (per grid step), and it
 * still lands exactly on its target. Off (after init, as for the fixed
 * cutoffs) a change glides at its time constant only. */
static void test_slew_limit(void **state)
{
    (void)state;
    const size_t g = SM_XOVER_GRID, n = 10 * 48000;
    float *z = tu_alloc(n);
    bands o;
    bands_alloc(&o, n);
    sm_xover x;
    sm_xover_init(&x, FS, 120.0, 2000.0, 50.0);
    sm_xover_set_slew(&x, 1);
    sm_xover_set(&x, 600.0, 8000.0);
    size_t landed_at = 0;
    double worst = 0.0;
    for (size_t i = 0; i < n; i += g) {
        double lo0 = x.lo_hz, hi0 = x.hi_hz;
        run_blocks(&x, z, z, &o, i, i + g, g);
        double rl = fabs(log(x.lo_hz / lo0)) / (lo0 * g / FS);
        double rh = fabs(log(x.hi_hz / hi0)) / (hi0 * g / FS);
        worst = fmax(worst, fmax(rl, rh));
        if (!landed_at && sm_xover_landed(&x))
            landed_at = i + g;
    }
    /* In nepers per second per Hz of cutoff: 1/500. */
    if (worst > 1.0 / SM_XOVER_SLEW_CYCLES * (1.0 + 1e-9))
        fail_msg("cutoff moved at %.6f / Hz, limit %.6f", worst,
                 1.0 / SM_XOVER_SLEW_CYCLES);
    assert_true(x.lo_hz == 600.0 && x.hi_hz == 8000.0);
    /* 120 -> 600 Hz at the limit takes 500 (1/120 - 1/600) s = 3.33 s,
     * and the one-pole's tail a little more. */
    double t = (double)landed_at / FS;
    print_message("120 -> 600 Hz under the limit: landed after %.2f s\n", t);
    assert_true(t > 3.3 && t < 4.5);

    /* Off: the same change is a 50 ms one-pole (lands within 1 s). */
    sm_xover_init(&x, FS, 120.0, 2000.0, 50.0);
    sm_xover_set(&x, 600.0, 8000.0);
    run_blocks(&x, z, z, &o, 0, 48000, 512);
    assert_true(sm_xover_landed(&x) && x.lo_hz == 600.0);
    bands_free(&o);
    free(z);
}

/* The mapping: the anchors' log axis, each cutoff at the same geometric
 * position of its range, monotonic, inside the ranges, hi >= 1.5 lo and
 * hi <= 0.45 fs at every rate, even for ranges the configuration check
 * would refuse (live producers may race past it). */
static void test_map(void **state)
{
    (void)state;
    const double alo = SM_XOVER_ANCHOR_LO_HZ, ahi = SM_XOVER_ANCHOR_HI_HZ;
    assert_true(sm_xover_position(alo) == 0.0);
    assert_true(sm_xover_position(alo / 3) == 0.0);
    assert_true(sm_xover_position(ahi) == 1.0);
    assert_true(sm_xover_position(ahi * 5) == 1.0);
    assert_true(fabs(sm_xover_position(sqrt(alo * ahi)) - 0.5) < 1e-12);
    assert_true(sm_xover_position(0.0) == 0.5); /* no centroid yet */
    const sm_xover_ranges r = {120.0, 600.0, 2000.0, 8000.0};
    static const double rates[] = {44100.0, 48000.0, 96000.0};
    for (size_t k = 0; k < 3; k++) {
        double prev_lo = 0.0, prev_hi = 0.0;
        for (int i = 0; i <= 200; i++) {
            double c = 20.0 * pow(1000.0, i / 200.0); /* 20 Hz..20 kHz */
            double lo, hi;
            sm_xover_map(&r, sm_xover_position(c), rates[k], &lo, &hi);
            assert_true(lo >= 120.0 * (1 - 1e-12) &&
                        lo <= 600.0 * (1 + 1e-12));
            assert_true(hi >= 2000.0 * (1 - 1e-12) &&
                        hi <= 8000.0 * (1 + 1e-12));
            assert_true(lo >= prev_lo && hi >= prev_hi);
            prev_lo = lo;
            prev_hi = hi;
        }
        double lo, hi;
        sm_xover_map(&r, 0.5, rates[k], &lo, &hi);
        assert_true(fabs(lo - sqrt(120.0 * 600.0)) < 1e-9);
        assert_true(fabs(hi - 4000.0) < 1e-9);
    }
    /* Ranges that do not fit: still a usable pair. */
    const sm_xover_ranges bad = {1000.0, 2000.0, 1000.0, 16000.0};
    for (int i = 0; i <= 10; i++) {
        double lo, hi;
        sm_xover_map(&bad, i / 10.0, 22050.0, &lo, &hi);
        assert_true(hi <= 0.45 * 22050.0 + 1e-9);
        assert_true(hi >= 1.5 * lo * (1 - 1e-12));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_sum_is_flat),
        cmocka_unit_test(test_band_shapes),
        cmocka_unit_test(test_block_invariance),
        cmocka_unit_test(test_glide_keeps_sum_flat),
        cmocka_unit_test(test_glide_sum_is_allpass_cascade),
        cmocka_unit_test(test_glide_lands_on_new_shape),
        cmocka_unit_test(test_nonfinite_recovery),
        cmocka_unit_test(test_moving_sum_flat),
        cmocka_unit_test(test_ramp_leaves_no_grid),
        cmocka_unit_test(test_slew_limit),
        cmocka_unit_test(test_map),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
