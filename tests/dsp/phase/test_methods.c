/* test_methods.c: the contract of phase.h, checked on every streaming
 * phase method of methods.def through the dispatcher (sm_phase_*).
 *
 * Each method has its own tests for its quality; this file holds what
 * they all promise, so that a new method (a row and a module) is tested
 * against the contract the moment it exists:
 *   - the look-ahead it reports is the delay it has (a frame pushed at
 *     call m comes out at call m + L, never earlier, never later);
 *   - silence in, exact silence out; finite out for DC, full-scale noise,
 *     clicks and denormal magnitudes, whatever the proposal;
 *   - |out| = the frame's target magnitude (methods choose phases, never
 *     magnitudes), except hpss, whose output is the sum of two layers;
 *   - anchored bins keep est's phase: with every bin anchored and est the
 *     true spectrum of a signal, the output is that spectrum, so the
 *     resynthesis is the signal (SC <= -60 dB, the bound for
 *     consistent input);
 *   - bit-identical output for identical input, and reset() is a fresh
 *     object.
 * Every method runs at 2048/512 and 512/128 with phase.lookahead 0..3,
 * and rtisila, bregman and hpss in more than one configuration.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "phase/offline.h"
#include "testutil.h"

#define FS 48000.0
#define MAX_LA_ASKED 3

/* One configuration of a method (setup fields beyond geometry and the
 * look-ahead, and the live inputs). */
typedef struct variant {
    const char *label;
    int method, init, harmonic, percussive;
    int iterations, divergence;
    float step;
} variant;

static const variant variants[] = {
    {"mix", SM_PHASE_MIX, -1, -1, -1, 0, -1, 0.0f},
    {"lws", SM_PHASE_LWS, -1, -1, -1, 0, -1, 0.0f},
    {"pghi", SM_PHASE_PGHI, -1, -1, -1, 0, -1, 0.0f},
    {"rtisila", SM_PHASE_RTISILA, -1, -1, -1, 0, -1, 0.0f},
    {"rtisila init=mix it=7", SM_PHASE_RTISILA, SM_PHASE_INIT_MIX, -1, -1, 7,
     -1, 0.0f},
    {"bregman", SM_PHASE_BREGMAN, -1, -1, -1, 0, -1, 0.0f},
    {"bregman is init=mix step=1.7", SM_PHASE_BREGMAN, SM_PHASE_INIT_MIX, -1,
     -1, 3, SM_DIV_IS, 1.7f},
    {"hpss", SM_PHASE_HPSS, -1, -1, -1, 0, -1, 0.0f},
    {"hpss rtisila/lws", SM_PHASE_HPSS, -1, SM_PHASE_RTISILA, SM_PHASE_LWS, 2,
     -1, 0.0f},
};
#define NVARIANTS (sizeof variants / sizeof variants[0])

static const int geoms[][2] = {{2048, 512}, {512, 128}};
#define NGEOMS (sizeof geoms / sizeof geoms[0])

static float pdef(sm_param id) { return sm_param_get_info(id)->def; }

static int pick(int v, sm_param id) { return v >= 0 ? v : (int)pdef(id); }

static sm_phase_setup setup_of(const variant *v, int W, int H, int la)
{
    sm_phase_setup s = {
        .window = W,
        .hop = H,
        .fs_hz = FS,
        .method = v->method,
        .lookahead = la,
        .init = pick(v->init, SM_P_PHASE_INIT) == SM_PHASE_INIT_MIX
                    ? SM_PHASE_MIX
                    : SM_PHASE_PGHI,
        .harmonic = pick(v->harmonic, SM_P_PHASE_HARMONIC),
        .percussive = pick(v->percussive, SM_P_PHASE_PERCUSSIVE),
        .hpss_ms = pdef(SM_P_PHASE_HPSS_MS),
        .hpss_hz = pdef(SM_P_PHASE_HPSS_HZ),
    };
    return s;
}

static sm_phase_in in_of(const variant *v, const float *mag,
                         const sm_cpx *est, const unsigned char *anchor)
{
    sm_phase_in in = {
        .mag = mag,
        .est = est,
        .anchor = anchor,
        .iterations = v->iterations > 0 ? v->iterations
                                        : (int)pdef(SM_P_PHASE_ITERATIONS),
        .divergence = pick(v->divergence, SM_P_PHASE_DIVERGENCE),
        .step = v->step > 0.0f ? v->step : pdef(SM_P_PHASE_STEP),
    };
    return in;
}

static const char *where(const variant *v, int W, int H, int la)
{
    static char buf[128];
    snprintf(buf, sizeof buf, "%s %d/%d la %d", v->label, W, H, la);
    return buf;
}

static sm_phase *make(const variant *v, int W, int H, int la)
{
    sm_phase_setup s = setup_of(v, W, H, la);
    sm_error err = SM_OK;
    sm_phase *p = sm_phase_new(&s, &err);
    if (!p)
        fail_msg("%s: sm_phase_new: %s", where(v, W, H, la),
                 sm_strerror(err));
    return p;
}

/* ---- material -------------------------------------------------------- */

/* A spectrogram of `frames` frames; mag = |spec|. */
typedef struct sgram {
    int W, H, F, B;
    size_t n;
    float *x, *mag;
    sm_cpx *spec;
} sgram;

enum { SIG_VOICE, SIG_VOICE2, SIG_NOISE, SIG_DC, SIG_CLICKS };

/* A signal of about `frames` frames at hop H. */
static sgram sg_make(int W, int H, int frames, int kind)
{
    sgram g = {.W = W, .H = H, .B = W / 2 + 1};
    g.n = (size_t)frames * (size_t)H;
    g.x = tu_alloc(g.n);
    switch (kind) {
    case SIG_VOICE: tu_voice(g.x, g.n, FS, 5); break;
    case SIG_VOICE2: tu_voice(g.x, g.n, FS, 9); break;
    case SIG_NOISE: tu_noise(g.x, g.n, 1.0f, 77); break; /* full scale */
    case SIG_DC:
        for (size_t i = 0; i < g.n; i++)
            g.x[i] = 1.0f;
        break;
    default: /* clicks: full-scale impulses, irregular spacing */
        memset(g.x, 0, g.n * sizeof(float));
        for (size_t i = 7, k = 0; i < g.n; i += 300 + 97 * (k++ % 5))
            g.x[i] = (k & 1) ? -1.0f : 1.0f;
        break;
    }
    g.F = sm_spec_frames(g.n, W, H);
    g.spec = calloc((size_t)g.F * (size_t)g.B, sizeof(sm_cpx));
    assert_non_null(g.spec);
    assert_int_equal(sm_spec_analyze(g.x, g.n, W, H, g.spec), SM_OK);
    g.mag = tu_alloc((size_t)g.F * (size_t)g.B);
    for (size_t i = 0; i < (size_t)g.F * (size_t)g.B; i++)
        g.mag[i] = sm_cabs(g.spec[i]);
    return g;
}

static void sg_free(sgram *g)
{
    free(g->x);
    free(g->mag);
    free(g->spec);
}

/* Anchors on a fixed irregular pattern (about one bin in three). */
static unsigned char *anchors_some(int F, int B)
{
    size_t n = (size_t)F * (size_t)B;
    unsigned char *a = malloc(n);
    assert_non_null(a);
    uint32_t s = 12345u;
    for (size_t i = 0; i < n; i++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        a[i] = (s % 3u) == 0u;
    }
    return a;
}

/* Runs p over frames 0..F-1 of mag/est/anchor (est, anchor may be NULL)
 * and then L silent frames, so that out[F * B] gets every frame (out of
 * call m is frame m - L). Also checks that the first L calls are silent. */
static void run_all(sm_phase *p, const variant *v, int L, int F, int B,
                    const float *mag, const sm_cpx *est,
                    const unsigned char *anchor, sm_cpx *out)
{
    float *zmag = calloc((size_t)B, sizeof(float));
    sm_cpx *zest = calloc((size_t)B, sizeof(sm_cpx));
    unsigned char *zanc = calloc((size_t)B, 1);
    sm_cpx *o = calloc((size_t)B, sizeof(sm_cpx));
    assert_true(zmag && zest && zanc && o);
    for (int m = 0; m < F + L; m++) {
        const size_t off = (size_t)m * (size_t)B;
        sm_phase_in in = in_of(
            v, m < F ? mag + off : zmag,
            est ? (m < F ? est + off : zest) : NULL,
            anchor ? (m < F ? anchor + off : zanc) : NULL);
        sm_phase_process(p, &in, o);
        if (m < L) {
            for (int k = 0; k < B; k++)
                if (o[k].re != 0.0f || o[k].im != 0.0f)
                    fail_msg("%s: call %d of the first L = %d not silent",
                             v->label, m, L);
        } else {
            memcpy(out + (size_t)(m - L) * (size_t)B, o,
                   (size_t)B * sizeof(sm_cpx));
        }
    }
    free(zmag);
    free(zest);
    free(zanc);
    free(o);
}

/* Checks every output bin: finite, and (except hpss) |out| = mag within
 * 1e-5 relative; the absolute floor 1e-38 (about FLT_MIN) lets denormal
 * targets be off by their own rounding. |out| is taken in double so that
 * a denormal bin's square does not underflow. */
static void check_out(const variant *v, const char *what, int W, int H,
                      int la, const sm_cpx *out, const float *mag,
                      size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (!isfinite(out[i].re) || !isfinite(out[i].im))
            fail_msg("%s, %s: bin %zu not finite (%g, %g)",
                     where(v, W, H, la), what, i, (double)out[i].re,
                     (double)out[i].im);
        if (v->method == SM_PHASE_HPSS)
            continue;
        double m = hypot((double)out[i].re, (double)out[i].im);
        if (!(fabs(m - (double)mag[i]) <= 1e-5 * (double)mag[i] + 1e-38))
            fail_msg("%s, %s: bin %zu |out| %.9g, target %.9g",
                     where(v, W, H, la), what, i, m, (double)mag[i]);
    }
}

/* ---- the objects ------------------------------------------------------ */

/* One object per variant, geometry and look-ahead asked, made once for
 * the whole file (some methods precompute for a while in _new); every
 * test resets it before use, which test_reset_is_fresh shows to be the
 * same as a fresh object. Right after _new each one runs the reference
 * voice (with and without proposal and anchors): its fresh outputs. */
#define NLA (MAX_LA_ASKED + 1)
#define REF_FRAMES 40
typedef struct fixture {
    sm_phase *p[NVARIANTS][NGEOMS][NLA];
    int L[NVARIANTS][NGEOMS][NLA];
    sm_cpx *ref[NVARIANTS][NGEOMS][NLA][2]; /* fresh runs: pass 0, 1 */
    sgram voice[NGEOMS], est[NGEOMS];        /* the reference voice, and
                                                the proposal: another one */
    unsigned char *anc[NGEOMS];
} fixture;

static fixture fx;

static void ref_run(sm_phase *p, const variant *v, int L, int g, int pass,
                    sm_cpx *out)
{
    const sgram *s = &fx.voice[g];
    run_all(p, v, L, s->F, s->B, s->mag, pass ? fx.est[g].spec : NULL,
            pass ? fx.anc[g] : NULL, out);
}

static int fx_setup(void **state)
{
    (void)state;
    memset(&fx, 0, sizeof fx);
    for (size_t g = 0; g < NGEOMS; g++) {
        const int W = geoms[g][0], H = geoms[g][1];
        fx.voice[g] = sg_make(W, H, REF_FRAMES, SIG_VOICE);
        fx.est[g] = sg_make(W, H, REF_FRAMES, SIG_VOICE2);
        fx.anc[g] = anchors_some(fx.voice[g].F, fx.voice[g].B);
        const size_t count = (size_t)fx.voice[g].F * (size_t)fx.voice[g].B;
        for (size_t vi = 0; vi < NVARIANTS; vi++)
            for (int la = 0; la < NLA; la++) {
                const variant *v = &variants[vi];
                sm_phase_setup st = setup_of(v, W, H, la);
                fx.L[vi][g][la] = sm_phase_lookahead(&st);
                fx.p[vi][g][la] = make(v, W, H, la);
                for (int pass = 0; pass < 2; pass++) {
                    sm_cpx *r = calloc(count, sizeof(sm_cpx));
                    assert_non_null(r);
                    fx.ref[vi][g][la][pass] = r;
                    ref_run(fx.p[vi][g][la], v, fx.L[vi][g][la], (int)g,
                            pass, r);
                    sm_phase_reset(fx.p[vi][g][la]);
                }
            }
    }
    return 0;
}

static int fx_teardown(void **state)
{
    (void)state;
    for (size_t g = 0; g < NGEOMS; g++) {
        for (size_t vi = 0; vi < NVARIANTS; vi++)
            for (int la = 0; la < NLA; la++) {
                sm_phase_free(fx.p[vi][g][la]);
                free(fx.ref[vi][g][la][0]);
                free(fx.ref[vi][g][la][1]);
            }
        sg_free(&fx.voice[g]);
        sg_free(&fx.est[g]);
        free(fx.anc[g]);
    }
    return 0;
}

/* The fixture's object, reset. */
static sm_phase *obj(size_t vi, size_t g, int la)
{
    sm_phase *p = fx.p[vi][g][la];
    sm_phase_reset(p);
    return p;
}

/* ---- the tests --------------------------------------------------------- */

/* The reported look-ahead is within the method's rules and is the delay
 * measured: silent frames, one loud frame at call 3, silence again; the
 * first nonzero output must come at call 3 + L, and that output is the
 * loud frame (its magnitude, except hpss). */
static void test_lookahead_measured(void **state)
{
    (void)state;
    for (size_t g = 0; g < NGEOMS; g++) {
        const int W = geoms[g][0], H = geoms[g][1], B = W / 2 + 1;
        sgram s = sg_make(W, H, 8, SIG_NOISE);
        const float *loud = s.mag + (size_t)4 * (size_t)B;
        float *zmag = calloc((size_t)B, sizeof(float));
        sm_cpx *out = calloc((size_t)B, sizeof(sm_cpx));
        assert_true(zmag && out);
        for (size_t vi = 0; vi < NVARIANTS; vi++) {
            const variant *v = &variants[vi];
            for (int la = 0; la <= MAX_LA_ASKED; la++) {
                sm_phase_setup st = setup_of(v, W, H, la);
                const int L = sm_phase_lookahead(&st);
                assert_true(L >= 0 && L <= SM_PHASE_MAX_LOOKAHEAD);
                if (v->method == SM_PHASE_MIX)
                    assert_int_equal(L, 0);
                /* phase.lookahead is what a method may wait for; hpss
                 * may add its median's own look-ahead. */
                if (v->method != SM_PHASE_HPSS && L > la)
                    fail_msg("%s: look-ahead %d over the %d asked",
                             where(v, W, H, la), L, la);
                sm_phase *p = obj(vi, g, la);
                int first = -1;
                for (int m = 0; m < 3 + SM_PHASE_MAX_LOOKAHEAD + 3; m++) {
                    sm_phase_in in = in_of(v, m == 3 ? loud : zmag, NULL,
                                           NULL);
                    sm_phase_process(p, &in, out);
                    int nz = 0;
                    for (int k = 0; k < B; k++)
                        nz |= out[k].re != 0.0f || out[k].im != 0.0f;
                    if (nz && first < 0) {
                        first = m;
                        check_out(v, "the loud frame", W, H, la, out, loud,
                                  (size_t)B);
                    }
                }
                if (first != 3 + L)
                    fail_msg("%s: reports look-ahead %d, measured %d",
                             where(v, W, H, la), L, first - 3);
            }
        }
        free(zmag);
        free(out);
        sg_free(&s);
    }
}

/* Silence in, exact silence out, with or without a proposal and anchors
 * (a zero target magnitude leaves nothing to give a phase to). */
static void test_silence(void **state)
{
    (void)state;
    for (size_t g = 0; g < NGEOMS; g++) {
        const int W = geoms[g][0], H = geoms[g][1];
        sgram s = sg_make(W, H, 24, SIG_VOICE);
        const size_t count = (size_t)s.F * (size_t)s.B;
        float *zmag = calloc(count, sizeof(float));
        sm_cpx *out = calloc(count, sizeof(sm_cpx));
        unsigned char *anc = anchors_some(s.F, s.B);
        assert_true(zmag && out);
        for (size_t vi = 0; vi < NVARIANTS; vi++) {
            const variant *v = &variants[vi];
            for (int la = 0; la <= MAX_LA_ASKED; la++) {
                sm_phase_setup st = setup_of(v, W, H, la);
                const int L = sm_phase_lookahead(&st);
                for (int pass = 0; pass < 2; pass++) {
                    sm_phase *p = obj(vi, g, la);
                    run_all(p, v, L, s.F, s.B, zmag, pass ? s.spec : NULL,
                            pass ? anc : NULL, out);
                    for (size_t i = 0; i < count; i++)
                        if (out[i].re != 0.0f || out[i].im != 0.0f)
                            fail_msg("%s: silence gave (%g, %g) at bin %zu",
                                     where(v, W, H, la), (double)out[i].re,
                                     (double)out[i].im, i);
                }
            }
        }
        free(anc);
        free(zmag);
        free(out);
        sg_free(&s);
    }
}

/* Hard material: DC (all energy in bins 0 and 1), full-scale white noise
 * (the largest magnitudes), clicks (flat spectra with fast phase ramps)
 * and magnitudes of 1e-40 (denormal; with a denormal or an opposite
 * proposal); every output finite and with the target magnitude. */
static void test_finite_hard_inputs(void **state)
{
    (void)state;
    static const int kinds[] = {SIG_DC, SIG_NOISE, SIG_CLICKS};
    static const char *const names[] = {"dc", "noise", "clicks", "denormal"};
    for (size_t g = 0; g < NGEOMS; g++) {
        const int W = geoms[g][0], H = geoms[g][1];
        sgram sg[4];
        for (int k = 0; k < 3; k++)
            sg[k] = sg_make(W, H, 16, kinds[k]);
        /* denormal: |X| = 1e-40 everywhere, with one bin in five zero;
         * the proposal is the clicks' spectrum scaled to denormals */
        sg[3] = sg_make(W, H, 16, SIG_CLICKS);
        const size_t cnt3 = (size_t)sg[3].F * (size_t)sg[3].B;
        for (size_t i = 0; i < cnt3; i++) {
            sg[3].mag[i] = (i % 5) ? 1e-40f : 0.0f;
            sg[3].spec[i].re *= 1e-42f;
            sg[3].spec[i].im *= -1e-42f;
        }
        for (size_t vi = 0; vi < NVARIANTS; vi++) {
            const variant *v = &variants[vi];
            for (int la = 0; la <= MAX_LA_ASKED; la++) {
                sm_phase_setup st = setup_of(v, W, H, la);
                const int L = sm_phase_lookahead(&st);
                for (int k = 0; k < 4; k++) {
                    const sgram *s = &sg[k];
                    const size_t count = (size_t)s->F * (size_t)s->B;
                    sm_cpx *out = calloc(count, sizeof(sm_cpx));
                    unsigned char *anc = anchors_some(s->F, s->B);
                    assert_non_null(out);
                    for (int pass = 0; pass < 2; pass++) {
                        sm_phase *p = obj(vi, g, la);
                        run_all(p, v, L, s->F, s->B, s->mag,
                                pass ? s->spec : NULL, pass ? anc : NULL,
                                out);
                        check_out(v, names[k], W, H, la, out, s->mag,
                                  count);
                    }
                    free(anc);
                    free(out);
                }
            }
        }
        for (int k = 0; k < 4; k++)
            sg_free(&sg[k]);
    }
}

/* Anchored bins (with a proposal and a target) have the proposal's
 * phase: the directions of out and est agree to 4e-6 (float rounding of
 * the rescaling). Holds for hpss too: both layers keep est's phase, and
 * so does their sum. */
static void check_anchored_phase(const variant *v, int W, int H, int la,
                                 const sm_cpx *out, const sm_cpx *est,
                                 const unsigned char *anc, size_t count)
{
    for (size_t i = 0; i < count; i++) {
        if (!anc[i])
            continue;
        const sm_cpx a = out[i], b = est[i];
        double na = hypot(a.re, a.im), nb = hypot(b.re, b.im);
        if (na == 0.0 || nb == 0.0)
            continue;
        double cr = (double)a.re * b.im - (double)a.im * b.re;
        double dt = (double)a.re * b.re + (double)a.im * b.im;
        if (!(fabs(cr) <= 4e-6 * na * nb && dt > 0.0))
            fail_msg("%s: anchored bin %zu (frame %zu) has phase %.7f, est "
                     "%.7f",
                     where(v, W, H, la), i, i / (size_t)(W / 2 + 1),
                     atan2(a.im, a.re), atan2(b.im, b.re));
    }
}

/* Two objects given the same frames give bit-identical outputs: a new
 * object against the fixture's fresh run (the proposal is another voice's
 * spectrum, anchors on a third of the bins, and a run without either). */
static void test_deterministic(void **state)
{
    (void)state;
    for (size_t g = 0; g < NGEOMS; g++) {
        const int W = geoms[g][0], H = geoms[g][1];
        const sgram *s = &fx.voice[g];
        const size_t count = (size_t)s->F * (size_t)s->B;
        sm_cpx *o = calloc(count, sizeof(sm_cpx));
        assert_non_null(o);
        for (size_t vi = 0; vi < NVARIANTS; vi++) {
            const variant *v = &variants[vi];
            for (int la = 0; la < NLA; la++) {
                sm_phase *p = make(v, W, H, la);
                for (int pass = 0; pass < 2; pass++) {
                    sm_phase_reset(p);
                    ref_run(p, v, fx.L[vi][g][la], (int)g, pass, o);
                    if (memcmp(o, fx.ref[vi][g][la][pass], count *
                                                           sizeof(sm_cpx)))
                        fail_msg("%s: two objects differ (pass %d)",
                                 where(v, W, H, la), pass);
                    check_out(v, "voice", W, H, la, o, s->mag, count);
                    if (pass)
                        check_anchored_phase(v, W, H, la, o, fx.est[g].spec,
                                             fx.anc[g], count);
                }
                sm_phase_free(p);
            }
        }
        free(o);
    }
}

/* reset() returns to the state after _new: an object that ran on noise
 * and part of a voice (with proposals and anchors, stopped in the middle
 * of its look-ahead) and was reset gives exactly its fresh output. */
static void test_reset_is_fresh(void **state)
{
    (void)state;
    for (size_t g = 0; g < NGEOMS; g++) {
        const int W = geoms[g][0], H = geoms[g][1];
        const sgram *s = &fx.voice[g];
        sgram n = sg_make(W, H, 30, SIG_NOISE);
        const size_t count = (size_t)s->F * (size_t)s->B;
        sm_cpx *o = calloc(count, sizeof(sm_cpx));
        assert_non_null(o);
        assert_true(n.F <= s->F);
        for (size_t vi = 0; vi < NVARIANTS; vi++) {
            const variant *v = &variants[vi];
            for (int la = 0; la < NLA; la++) {
                const int L = fx.L[vi][g][la];
                for (int pass = 0; pass < 2; pass++) {
                    sm_phase *p = obj(vi, g, la);
                    run_all(p, v, L, n.F, n.B, n.mag, n.spec, fx.anc[g], o);
                    run_all(p, v, 0, s->F / 2, s->B, s->mag, fx.est[g].spec,
                            NULL, o);
                    sm_phase_reset(p);
                    ref_run(p, v, L, (int)g, pass, o);
                    if (memcmp(o, fx.ref[vi][g][la][pass], count *
                                                           sizeof(sm_cpx)))
                        fail_msg("%s: reset object differs from a fresh one "
                                 "(pass %d)",
                                 where(v, W, H, la), pass);
                }
            }
        }
        free(o);
        sg_free(&n);
    }
}

/* A bin that is pure A keeps A's phase: with every bin anchored and est
 * the true spectrum of a signal (so mag = |est|), each output bin is est
 * (a few float roundings: 4e-6 relative), and the resynthesis is the
 * signal: SC <= -60 dB. hpss sums two layers, each keeping est's phase:
 * the phase must still be est's (the direction checked to 4e-6), and the
 * SC bound holds for it too. */
static void test_all_anchored_passes_through(void **state)
{
    (void)state;
    for (size_t g = 0; g < NGEOMS; g++) {
        const int W = geoms[g][0], H = geoms[g][1];
        sgram s = sg_make(W, H, 40, SIG_VOICE);
        const size_t count = (size_t)s.F * (size_t)s.B;
        sm_cpx *out = calloc(count, sizeof(sm_cpx));
        unsigned char *anc = malloc(count);
        float *y = tu_alloc(s.n);
        assert_true(out && anc);
        memset(anc, 1, count);
        for (size_t vi = 0; vi < NVARIANTS; vi++) {
            const variant *v = &variants[vi];
            for (int la = 0; la <= MAX_LA_ASKED; la++) {
                sm_phase_setup st = setup_of(v, W, H, la);
                const int L = sm_phase_lookahead(&st);
                sm_phase *p = obj(vi, g, la);
                run_all(p, v, L, s.F, s.B, s.mag, s.spec, anc, out);
                for (size_t i = 0; i < count; i++) {
                    const sm_cpx a = out[i], b = s.spec[i];
                    double na = hypot(a.re, a.im), nb = hypot(b.re, b.im);
                    double cr = (double)a.re * b.im - (double)a.im * b.re;
                    double dt = (double)a.re * b.re + (double)a.im * b.im;
                    int ok;
                    if (v->method == SM_PHASE_HPSS)
                        ok = (nb == 0.0 || na == 0.0) ||
                             (fabs(cr) <= 4e-6 * na * nb && dt > 0.0);
                    else
                        ok = hypot((double)a.re - b.re,
                                   (double)a.im - b.im) <= 4e-6 * nb;
                    if (!ok)
                        fail_msg("%s: anchored bin %zu (frame %zu) is "
                                 "(%g, %g), est (%g, %g)",
                                 where(v, W, H, la), i, i / (size_t)s.B,
                                 (double)a.re, (double)a.im, (double)b.re,
                                 (double)b.im);
                }
                assert_int_equal(sm_spec_synth(out, s.F, W, H, y, s.n),
                                 SM_OK);
                double sc = sm_spectral_convergence_db(s.mag, s.F, W, H, y,
                                                       s.n);
                if (!(sc <= -60.0))
                    fail_msg("%s: consistent anchored input gives SC %.1f "
                             "dB",
                             where(v, W, H, la), sc);
            }
        }
        free(y);
        free(anc);
        free(out);
        sg_free(&s);
    }
}

/* The dispatcher refuses what no method can run, and names round-trip. */
static void test_dispatch(void **state)
{
    (void)state;
    for (int m = 0; m < SM_PHASE__COUNT; m++) {
        const char *nm = sm_phase_name(m);
        assert_non_null(nm);
        assert_int_equal(sm_phase_find(nm), m);
    }
    assert_null(sm_phase_name(-1));
    assert_null(sm_phase_name(SM_PHASE__COUNT));
    assert_int_equal(sm_phase_find("nope"), -1);
    assert_int_equal(sm_phase_find(NULL), -1);
    sm_phase_setup s = setup_of(&variants[0], 2048, 512, 2);
    sm_error err = SM_OK;
    s.method = SM_PHASE_GLA; /* offline only */
    assert_null(sm_phase_new(&s, &err));
    assert_int_equal(err, SM_ERR_CONFIG);
    s.method = SM_PHASE_LWS;
    s.hop = 1025;
    assert_null(sm_phase_new(&s, &err));
    s.hop = 512;
    s.lookahead = SM_PHASE_MAX_LOOKAHEAD + 1;
    assert_null(sm_phase_new(&s, &err));
    s.lookahead = 2;
    s.window = 2047;
    assert_null(sm_phase_new(&s, &err));
    assert_int_equal(err, SM_ERR_CONFIG);
    sm_phase_free(NULL);
}

/* The shared rescaling kernel keeps |y| = m and the direction of z for
 * proposals far outside the range whose squares are normal floats (the
 * engine's clamped inputs stay inside it, image and offline callers need
 * not): 1e-6 relative is float rounding of the power-of-two scaled path. */
static void test_phasor_with_mag_range(void **state)
{
    (void)state;
    static const float parts[][2] = {{1e-21f, -2e-21f}, {3e-30f, 4e-30f},
                                     {1e-40f, 0.0f},     {2e25f, -2e25f},
                                     {3e37f, 4e37f},     {0.6f, 0.8f}};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        sm_cpx z = {parts[i][0], parts[i][1]};
        sm_cpx y = sm_phasor_with_mag(z, 2.0f);
        double mag = sqrt((double)y.re * y.re + (double)y.im * y.im);
        double zr = sqrt((double)z.re * z.re + (double)z.im * z.im);
        if (!(fabs(mag - 2.0) < 2e-6))
            fail_msg("case %zu: |y| = %.9g", i, mag);
        if (!(fabs(y.re / mag - z.re / zr) < 1e-6))
            fail_msg("case %zu: y = (%g, %g)", i, y.re, y.im);
        assert_true(fabs(y.im / mag - z.im / zr) < 1e-6);
    }
    sm_cpx zero = {0.0f, 0.0f};
    sm_cpx y0 = sm_phasor_with_mag(zero, 1.5f);
    assert_true(y0.re == 1.5f && y0.im == 0.0f);
    y0 = sm_phasor_with_mag(parts[0][0] > 0 ? (sm_cpx){1.0f, 1.0f} : zero,
                            0.0f);
    assert_true(y0.re == 0.0f && y0.im == 0.0f);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_dispatch),
        cmocka_unit_test(test_lookahead_measured),
        cmocka_unit_test(test_silence),
        cmocka_unit_test(test_finite_hard_inputs),
        cmocka_unit_test(test_deterministic),
        cmocka_unit_test(test_reset_is_fresh),
        cmocka_unit_test(test_all_anchored_passes_through),
        cmocka_unit_test(test_phasor_with_mag_range),
    };
    return cmocka_run_group_tests(tests, fx_setup, fx_teardown);
}
