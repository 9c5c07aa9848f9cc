/* test_align.c: the alignment stage, alone and through the engine: the
 * tracked lag within 0.01 ms of known fractional delays (noise and
 * speech-like material, either sign) after 2 s; held through silence;
 * unmoved by unrelated inputs; the delay that glides (bounded rate, no
 * steps) and then lines the inputs up; off means untouched; bit-identical
 * output for any block size; telemetry and latency through the engine. */
#include "align.h"
#include "testutil.h"

#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#define FS 48000
#define LEN 216000 /* 4.5 s: 2^6 3^3 5^3, for the reference delay's FFT */
#define MARGIN 4800 /* silence at both ends of the material */

static sm_align_settings defaults(void)
{
    sm_align_settings s = {.max_lag_ms = 50, .window_ms = 100,
                           .smooth_ms = 200, .glide_ms_per_s = 2,
                           .enabled = 1};
    return s;
}

/* Material: noise (kind 0), speech-like (1) or low-passed noise (2),
 * with silent margins so the circular reference delay wraps silence. */
static void material(float *x, int kind, uint32_t seed)
{
    memset(x, 0, LEN * sizeof(float));
    float *m = x + MARGIN;
    size_t n = LEN - 2 * MARGIN;
    if (kind == 1) {
        tu_voice(m, n, FS, seed);
        return;
    }
    tu_noise(m, n, 0.3f, seed);
    if (kind == 2) { /* four one-poles at ~1 kHz: smooth sample to sample */
        const float c = 0.122f;
        for (int p = 0; p < 4; p++) {
            float y = 0.0f;
            for (size_t i = 0; i < n; i++)
                m[i] = y += c * (m[i] - y);
        }
        for (size_t i = 0; i < n; i++)
            m[i] *= 4.0f;
    }
}

/* Runs the stage over a and b (in place) from sample `from` to `to`, in
 * blocks of at most `block`, cut at the estimator's hops as the engine
 * cuts them. */
static void run(sm_align *al, float *a, float *b, size_t from, size_t to,
                size_t block)
{
    for (size_t i = from; i < to;) {
        size_t c = to - i < block ? to - i : block;
        if (sm_align_room(al) < c)
            c = sm_align_room(al);
        sm_align_process(al, a + i, b + i, c);
        i += c;
    }
}

static sm_align *make(const sm_align_settings *s)
{
    sm_error err = SM_OK;
    sm_align *al = sm_align_new(FS, s, &err);
    if (!al)
        fail_msg("sm_align_new: %s", sm_strerror(err));
    return al;
}

/* The requirement: B = A delayed by a known fractional delay between -40
 * and +40 ms, on noise and on speech-like material: after 2 s the
 * tracked lag is within 0.01 ms of the truth (in practice within
 * 0.0005 ms, 0.02 samples). */
static void test_lag_within_10us(void **state)
{
    (void)state;
    static const double d_ms[] = {12.3456, -12.3456, 40.0,  -40.0,
                                  0.5,     -7.7777,  25.01, -33.3333};
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    double worst = 0.0;
    for (int kind = 0; kind < 2; kind++) {
        material(x, kind, 17);
        for (size_t k = 0; k < sizeof d_ms / sizeof d_ms[0]; k++) {
            tu_delay_exact(x, a, b, LEN, d_ms[k] * FS / 1000.0);
            sm_align_settings s = defaults();
            sm_align *al = make(&s);
            run(al, a, b, 0, 2 * FS, 4096);
            sm_align_status st = sm_align_get_status(al);
            double err = st.lag_ms - d_ms[k];
            if (!st.locked || fabs(err) > 0.01)
                fail_msg("%s, delay %.4f ms: lag %.5f ms after 2 s (locked "
                         "%d, confidence %.2f)",
                         kind ? "voice" : "noise", d_ms[k], st.lag_ms,
                         st.locked, st.confidence);
            assert_true(st.confidence > 0.1f);
            worst = fmax(worst, fabs(err));
            sm_align_free(al);
        }
    }
    print_message("worst lag error after 2 s: %.6f ms (%.4f samples)\n",
                  worst, worst * FS / 1000.0);
    free(x);
    free(a);
    free(b);
}

/* |delay - lag| within the stage's hysteresis: the glide has landed. */
static int landed(const sm_align_status *st)
{
    return st->locked && fabs(st->delay_ms - st->lag_ms) * FS / 1000.0 <=
                             SM_ALIGN_HOLD_SAMPLES;
}

/* 2 s of lag 12.3456 ms, then 2 s of silence in both: once the history
 * holds only silence (200 ms: window + 2 x max lag), lag and delay do not
 * move at all; the reported confidence decays (1 s time constant). */
static void test_silence_holds_lag(void **state)
{
    (void)state;
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    material(x, 0, 5);
    tu_delay_exact(x, a, b, LEN, 12.3456 * FS / 1000.0);
    memset(a + 2 * FS, 0, (LEN - 2 * FS) * sizeof(float));
    memset(b + 2 * FS, 0, (LEN - 2 * FS) * sizeof(float));
    sm_align_settings s = defaults();
    s.glide_ms_per_s = 50;
    sm_align *al = make(&s);
    run(al, a, b, 0, 2 * FS, 1000);
    sm_align_status before = sm_align_get_status(al);
    assert_true(before.locked);
    assert_true(fabs(before.lag_ms - 12.3456) < 0.01);
    /* silence from here; the history holds material for 200 ms more */
    run(al, a, b, 2 * FS, 2 * FS + FS / 5, 1000);
    before = sm_align_get_status(al);
    assert_true(fabs(before.lag_ms - 12.3456) < 0.01);
    for (size_t t = 2 * FS + FS / 5; t < 4 * FS; t += FS / 10) {
        run(al, a, b, t, t + FS / 10, 1000);
        sm_align_status st = sm_align_get_status(al);
        if (st.lag_ms != before.lag_ms)
            fail_msg("at %.1f s: lag %.6f ms, was %.6f ms", (double)t / FS,
                     st.lag_ms, before.lag_ms);
    }
    sm_align_status after = sm_align_get_status(al);
    assert_true(landed(&after) && after.delay_ms == before.delay_ms);
    assert_true(before.confidence > 0.3f);
    assert_true(after.confidence < SM_ALIGN_MIN_CONFIDENCE); /* decayed */
    sm_align_free(al);
    free(x);
    free(a);
    free(b);
}

/* Unrelated inputs: (1) from the start, independent noises, a voice
 * against noise and two voices never lock: lag 0, reported confidence
 * under the threshold, and both inputs pass bit for bit. (2) After a
 * lock, 2.3 s of unrelated noise leave lag and delay exactly where they
 * were. */
static void test_unrelated_do_not_move(void **state)
{
    (void)state;
    float *a = tu_alloc(LEN), *b = tu_alloc(LEN), *a0 = tu_alloc(LEN),
          *b0 = tu_alloc(LEN);
    for (int c = 0; c < 3; c++) {
        material(a, c ? 1 : 0, 21);
        material(b, 0, 22);
        if (c == 2) /* another voice: the same generator, 13 % faster */
            tu_voice(b + MARGIN, LEN - 2 * MARGIN, FS * 1.13, 4);
        memcpy(a0, a, LEN * sizeof(float));
        memcpy(b0, b, LEN * sizeof(float));
        sm_align_settings s = defaults();
        sm_align *al = make(&s);
        float worst = 0.0f;
        for (size_t t = 0; t < LEN; t += 1200) {
            run(al, a, b, t, t + 1200, 1200);
            sm_align_status st = sm_align_get_status(al);
            worst = fmaxf(worst, sm_align_last_estimate(al).confidence);
            assert_false(st.locked);
            assert_true(st.lag_ms == 0.0 && st.delay_ms == 0.0);
            assert_true(st.confidence < SM_ALIGN_MIN_CONFIDENCE);
        }
        assert_true(sm_align_get_status(al).estimates >= 89); /* every 50 ms */
        static const char *const what[3] = {"noise/noise", "voice/noise",
                                            "voice/voice"};
        print_message("unrelated (%s): highest single confidence %.3f\n",
                      what[c], worst);
        assert_memory_equal(a, a0, LEN * sizeof(float));
        assert_memory_equal(b, b0, LEN * sizeof(float));
        sm_align_free(al);
    }

    float *x = tu_alloc(LEN), *y = tu_alloc(LEN);
    material(x, 0, 23);
    tu_delay_exact(x, a, b, LEN, -20.5 * FS / 1000.0);
    material(y, 0, 24);
    memcpy(b + 2 * FS, y + 2 * FS, (LEN - 2 * FS) * sizeof(float));
    sm_align_settings s = defaults();
    s.glide_ms_per_s = 50;
    sm_align *al = make(&s);
    /* unrelated from 2 s; the history holds related material 200 ms more */
    run(al, a, b, 0, 2 * FS + FS / 5, 512);
    sm_align_status before = sm_align_get_status(al);
    assert_true(before.locked && fabs(before.lag_ms + 20.5) < 0.01);
    assert_true(landed(&before));
    for (size_t t = 2 * FS + FS / 5; t < LEN; t += 4800) {
        run(al, a, b, t, t + 4800, 512);
        sm_align_status st = sm_align_get_status(al);
        assert_true(st.lag_ms == before.lag_ms);
        assert_true(st.delay_ms == before.delay_ms);
    }
    assert_true(sm_align_get_status(al).confidence < SM_ALIGN_MIN_CONFIDENCE);
    sm_align_free(al);
    free(x);
    free(y);
    free(a);
    free(b);
    free(a0);
    free(b0);
}

/* The lag changes (a source re-patched): 10 ms for 2 s, then -15 ms.
 * The tracker moves to the new lag within a second (evidence for it adds
 * up while the old one gets none), the delay then glides over at its
 * rate, through zero (from A delayed to B delayed) without a jump. */
static void test_lag_change_reacquires(void **state)
{
    (void)state;
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    float *b2 = tu_alloc(LEN), *a2 = tu_alloc(LEN);
    material(x, 0, 81);
    tu_delay_exact(x, a, b, LEN, 10.0 * FS / 1000.0);
    tu_delay_exact(x, a2, b2, LEN, -15.0 * FS / 1000.0);
    memcpy(b + 2 * FS, b2 + 2 * FS, (LEN - 2 * FS) * sizeof(float));
    sm_align_settings s = defaults();
    s.glide_ms_per_s = 20;
    sm_align *al = make(&s);
    run(al, a, b, 0, 2 * FS, 1024);
    sm_align_status st = sm_align_get_status(al);
    assert_true(fabs(st.lag_ms - 10.0) < 0.01);
    double prev = st.delay_ms, moved_at = 0.0;
    for (size_t t = 2 * FS; t < 4 * FS; t += 480) {
        run(al, a, b, t, t + 480, 1024);
        st = sm_align_get_status(al);
        /* 480 samples at 20 ms/s: 0.2 ms at most */
        assert_true(fabs(st.delay_ms - prev) <= 0.2 + 1e-9);
        prev = st.delay_ms;
        if (moved_at == 0.0 && fabs(st.lag_ms + 15.0) < 0.01)
            moved_at = (double)(t + 480) / FS;
    }
    print_message("lag change at 2 s: tracked at %.2f s, delay %.3f ms at "
                  "4 s\n",
                  moved_at, st.delay_ms);
    assert_true(moved_at > 2.0 && moved_at < 3.0);
    assert_true(fabs(st.lag_ms + 15.0) < 0.01);
    assert_true(st.delay_ms < 0.0); /* B is the one delayed now */
    sm_align_free(al);
    free(x);
    free(a);
    free(b);
    free(a2);
    free(b2);
}

/* Two voices from the same generator (same vowels, one 7 % faster) look
 * alike for a few hops whenever their pitches cross (at 19.7 s, four
 * hops agree on -22.29 ms with coherence up to 0.56): 21 s of them must
 * never lock. A tracker that locks on 1.0 of agreeing confidence instead
 * of SM_ALIGN_ACQUIRE_WEIGHT does, at 19.85 s. */
static void test_two_voices_never_lock(void **state)
{
    (void)state;
    const size_t n = 21 * FS;
    float *a = tu_alloc(n), *b = tu_alloc(n);
    tu_voice(a, n, FS, 2);
    tu_voice(b, n, FS * 1.07, 2);
    sm_align_settings s = defaults();
    sm_align *al = make(&s);
    int confident = 0;
    for (size_t t = 0; t < n; t += 1200) {
        run(al, a, b, t, t + 1200, 1200);
        sm_align_status st = sm_align_get_status(al);
        if (sm_align_last_estimate(al).confidence >= SM_ALIGN_MIN_CONFIDENCE)
            confident++;
        if (st.locked || st.delay_ms != 0.0)
            fail_msg("locked at %.3f s on %.3f ms", (double)t / FS,
                     st.lag_ms);
    }
    print_message("two voices: %d of %zu estimates confident, no lock\n",
                  confident, n / 1200);
    assert_true(confident > 5); /* they do match now and then */
    sm_align_free(al);
    free(a);
    free(b);
}

/* The delay glides: smooth material (so a step would show), lag 40 ms,
 * glide 20 ms/s. The applied delay never changes faster than 20 ms/s
 * (checked sample by sample), lands exactly on the lag, and the delayed
 * input never changes from sample to sample by more than the input
 * itself does (+1 % for the 1 % resampling). After landing the delayed
 * A lines up with B within -40 dB, and B (the lagging input) passes bit
 * for bit. Then the same with B leading. */
static void test_glide_then_aligned(void **state)
{
    (void)state;
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    float *a0 = tu_alloc(LEN), *b0 = tu_alloc(LEN);
    material(x, 2, 31);
    for (int sign = 1; sign >= -1; sign -= 2) {
        const double d_ms = sign * 40.0;
        tu_delay_exact(x, a, b, LEN, d_ms * FS / 1000.0);
        memcpy(a0, a, LEN * sizeof(float));
        memcpy(b0, b, LEN * sizeof(float));
        float *lead = sign > 0 ? a : b, *lead0 = sign > 0 ? a0 : b0;
        float *lag = sign > 0 ? b : a, *lag0 = sign > 0 ? b0 : a0;
        double in_step = 0.0;
        for (size_t i = 1; i < LEN; i++)
            in_step = fmax(in_step, fabs((double)lead0[i] - lead0[i - 1]));

        sm_align_settings s = defaults();
        s.glide_ms_per_s = 20;
        sm_align *al = make(&s);
        const double per_sample_ms = 20.0 / FS; /* ms of delay per sample */
        double prev = 0.0, out_step = 0.0;
        size_t at = 0;
        for (size_t i = 0; i < LEN - MARGIN; i++) {
            sm_align_process(al, a + i, b + i, 1); /* room is >= 1 */
            sm_align_status st = sm_align_get_status(al);
            if (fabs(st.delay_ms - prev) > per_sample_ms * (1.0 + 1e-9))
                fail_msg("sample %zu: delay moved %.3g ms in one sample", i,
                         st.delay_ms - prev);
            prev = st.delay_ms;
            if (!at && landed(&st))
                at = i;
            if (i > 0)
                out_step = fmax(out_step, fabs((double)lead[i] - lead[i - 1]));
        }
        sm_align_status st = sm_align_get_status(al);
        print_message("lag %.1f ms: landed at %.2f s, delay %.5f ms, largest "
                      "step out %.4f in %.4f\n",
                      d_ms, (double)at / FS, st.delay_ms, out_step,
                      in_step);
        assert_true(at > 0 && at < 3 * FS);
        assert_true(fabs(st.delay_ms - d_ms) < 0.01);
        assert_true(out_step <= 1.01 * in_step);
        /* Lined up once landed (the first input the delay reached). */
        size_t from = at + 2000, to = LEN - MARGIN;
        double e = tu_err_db(lead + from, lag0 + from, to - from);
        print_message("  aligned error %.1f dB\n", e);
        assert_true(e < -40.0);
        assert_true(tu_err_db(lead0 + from, lag0 + from, to - from) > 0.0);
        assert_memory_equal(lag, lag0, (LEN - MARGIN) * sizeof(float));
        sm_align_free(al);
    }
    free(x);
    free(a);
    free(b);
    free(a0);
    free(b0);
}

/* align.enabled off: no estimates, inputs untouched. Switched on it
 * locks; switched off again the delay glides back to exactly 0 and the
 * inputs pass bit for bit again. */
static void test_enable_disable(void **state)
{
    (void)state;
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    float *a0 = tu_alloc(LEN), *b0 = tu_alloc(LEN);
    material(x, 0, 41);
    tu_delay_exact(x, a, b, LEN, 3.3 * FS / 1000.0);
    memcpy(a0, a, LEN * sizeof(float));
    memcpy(b0, b, LEN * sizeof(float));
    sm_align_settings s = defaults();
    s.enabled = 0;
    s.glide_ms_per_s = 10;
    sm_align *al = make(&s);
    run(al, a, b, 0, FS, 777);
    sm_align_status st = sm_align_get_status(al);
    assert_int_equal(st.estimates, 0);
    assert_true(st.confidence == 0.0f && !st.locked);
    assert_memory_equal(a, a0, FS * sizeof(float));
    assert_memory_equal(b, b0, FS * sizeof(float));

    sm_align_set_enabled(al, 1);
    run(al, a, b, FS, 2 * FS, 777);
    st = sm_align_get_status(al);
    assert_true(st.locked && fabs(st.lag_ms - 3.3) < 0.01);
    assert_true(st.delay_ms > 3.0); /* gliding or landed */

    sm_align_set_enabled(al, 0);
    run(al, a, b, 2 * FS, 3 * FS, 777);
    st = sm_align_get_status(al);
    assert_true(st.delay_ms == 0.0);
    assert_true(st.confidence == 0.0f);
    assert_true(fabs(st.lag_ms - 3.3) < 0.01); /* remembered */
    /* 3.3 ms at 10 ms/s, from the next hop: back at 0 within 0.4 s */
    size_t from = 2 * FS + FS * 4 / 10;
    assert_memory_equal(a + from, a0 + from, (3 * FS - from) * sizeof(float));
    assert_memory_equal(b + from, b0 + from, (3 * FS - from) * sizeof(float));
    sm_align_free(al);
    free(x);
    free(a);
    free(b);
    free(a0);
    free(b0);
}

/* Block sizes 1, 64, 1000 and 4096: bit-identical output and the same
 * lag, with a glide under way. */
static void test_block_invariance(void **state)
{
    (void)state;
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    float *ra = tu_alloc(LEN), *rb = tu_alloc(LEN);
    float *wa = tu_alloc(LEN), *wb = tu_alloc(LEN);
    material(x, 1, 51);
    tu_delay_exact(x, a, b, LEN, -9.87 * FS / 1000.0);
    static const size_t blocks[] = {4096, 1, 64, 1000};
    double lag0 = 0.0;
    for (size_t k = 0; k < 4; k++) {
        float *oa = k ? wa : ra, *ob = k ? wb : rb;
        memcpy(oa, a, LEN * sizeof(float));
        memcpy(ob, b, LEN * sizeof(float));
        sm_align_settings s = defaults();
        s.glide_ms_per_s = 5;
        sm_align *al = make(&s);
        run(al, oa, ob, 0, 2 * FS, blocks[k]);
        sm_align_status st = sm_align_get_status(al);
        assert_true(st.locked && st.delay_ms != st.lag_ms); /* gliding */
        if (k == 0)
            lag0 = st.lag_ms;
        else if (st.lag_ms != lag0 || memcmp(wa, ra, 2 * FS * sizeof(float)) ||
                 memcmp(wb, rb, 2 * FS * sizeof(float)))
            fail_msg("block %zu differs from block 4096", blocks[k]);
        sm_align_free(al);
    }
    free(x);
    free(a);
    free(b);
    free(ra);
    free(rb);
    free(wa);
    free(wb);
}

/* ---- through the engine ------------------------------------------------ */

/* Renders n samples of a and b through an engine in blocks; returns the
 * stats at the end, and the raw (untrimmed) output if l is not NULL. */
static sm_engine_stats engine_run(const sm_config *c, const float *a,
                                  const float *b, size_t n, size_t block,
                                  float *l, float *r)
{
    sm_error err;
    sm_engine *e = sm_engine_new(c, &err);
    if (!e)
        fail_msg("sm_engine_new: %s", sm_strerror(err));
    float *tl = tu_alloc(block), *tr = tu_alloc(block);
    for (size_t i = 0; i < n; i += block) {
        size_t m = n - i < block ? n - i : block;
        sm_engine_process(e, a + i, b + i, l ? l + i : tl, r ? r + i : tr, m);
    }
    sm_engine_stats st;
    sm_engine_get_stats(e, &st);
    sm_engine_free(e);
    free(tl);
    free(tr);
    return st;
}

/* The engine reports the lag (noise and voice, 12.3456 ms either way)
 * within 0.01 ms after 2 s, with confidence; latency is the same with
 * and without the stage; align.max_lag_ms = 0 reports zeros and gives
 * the output of align.enabled = off, bit for bit. */
static void test_engine_telemetry_and_latency(void **state)
{
    (void)state;
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    for (int kind = 0; kind < 2; kind++) {
        material(x, kind, 61);
        for (int sign = 1; sign >= -1; sign -= 2) {
            double d = sign * 12.3456;
            tu_delay_exact(x, a, b, LEN, d * FS / 1000.0);
            sm_config c = sm_config_default(FS);
            sm_engine_stats st = engine_run(&c, a, b, 2 * FS, 1024, NULL,
                                            NULL);
            if (fabs(st.align_lag_ms - d) > 0.01 ||
                !(st.align_confidence > 0.1f))
                fail_msg("%s %.4f ms: engine reports %.5f ms, confidence "
                         "%.2f",
                         kind ? "voice" : "noise", d, st.align_lag_ms,
                         st.align_confidence);
            /* the delay heads for the lag at 2 ms/s */
            assert_true(st.align_delay_ms * sign > 1.0f);
            assert_true(st.align_delay_ms * sign <= 2.0f * 2.0f);
        }
    }

    sm_config on = sm_config_default(FS), none = on, off = on;
    none.values[SM_P_ALIGN_MAX_LAG_MS] = 0;
    off.values[SM_P_ALIGN_ENABLED] = SM_ALIGN_OFF;
    on.values[SM_P_ALIGN_MAX_LAG_MS] = 500;
    on.values[SM_P_ALIGN_WINDOW_MS] = 1000;
    sm_error err;
    sm_engine *e1 = sm_engine_new(&on, &err), *e2 = sm_engine_new(&none, &err);
    assert_non_null(e1);
    assert_non_null(e2);
    assert_int_equal(sm_engine_latency(e1), sm_engine_latency(e2));
    assert_int_equal(sm_engine_latency(e1), 4159);
    sm_engine_free(e1);
    sm_engine_free(e2);

    const size_t n = FS;
    float *l1 = tu_alloc(n), *r1 = tu_alloc(n), *l2 = tu_alloc(n),
          *r2 = tu_alloc(n);
    sm_engine_stats s1 = engine_run(&none, a, b, n, 512, l1, r1);
    sm_engine_stats s2 = engine_run(&off, a, b, n, 512, l2, r2);
    assert_true(s1.align_lag_ms == 0.0f && s1.align_confidence == 0.0f &&
                s1.align_delay_ms == 0.0f);
    assert_true(s2.align_confidence == 0.0f && s2.align_delay_ms == 0.0f);
    assert_memory_equal(l1, l2, n * sizeof(float));
    assert_memory_equal(r1, r2, n * sizeof(float));
    free(l1);
    free(r1);
    free(l2);
    free(r2);
    free(x);
    free(a);
    free(b);
}

/* Engine output with alignment on and the delay gliding: bit-identical
 * for host blocks of 1, 64 and 1000 (and run to run). */
static void test_engine_block_invariance(void **state)
{
    (void)state;
    const size_t n = 3 * FS / 2;
    float *x = tu_alloc(LEN), *a = tu_alloc(LEN), *b = tu_alloc(LEN);
    material(x, 1, 71);
    tu_delay_exact(x, a, b, LEN, 7.123 * FS / 1000.0);
    sm_config c = sm_config_default(FS);
    c.values[SM_P_ALIGN_GLIDE_MS_PER_S] = 20;
    c.values[SM_P_OUTPUT_WIDTH] = 0.7f;
    static const size_t blocks[] = {1000, 1, 64, 1000};
    float *l0 = tu_alloc(n), *r0 = tu_alloc(n), *l = tu_alloc(n),
          *r = tu_alloc(n);
    sm_engine_stats s0 = engine_run(&c, a, b, n, blocks[0], l0, r0);
    assert_true(s0.align_delay_ms > 1.0f); /* the glide is under way */
    for (size_t k = 1; k < 4; k++) {
        sm_engine_stats s = engine_run(&c, a, b, n, blocks[k], l, r);
        if (memcmp(l, l0, n * sizeof(float)) ||
            memcmp(r, r0, n * sizeof(float)) ||
            s.align_lag_ms != s0.align_lag_ms ||
            s.align_delay_ms != s0.align_delay_ms)
            fail_msg("block %zu differs from block 1000", blocks[k]);
    }
    free(l0);
    free(r0);
    free(l);
    free(r);
    free(x);
    free(a);
    free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_lag_within_10us),
        cmocka_unit_test(test_silence_holds_lag),
        cmocka_unit_test(test_unrelated_do_not_move),
        cmocka_unit_test(test_lag_change_reacquires),
        cmocka_unit_test(test_two_voices_never_lock),
        cmocka_unit_test(test_glide_then_aligned),
        cmocka_unit_test(test_enable_disable),
        cmocka_unit_test(test_block_invariance),
        cmocka_unit_test(test_engine_telemetry_and_latency),
        cmocka_unit_test(test_engine_block_invariance),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
