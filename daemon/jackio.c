/* jackio.c: JACK client, rings, DSP worker; see jackio.h for the thread
 * rules. The audio path pauses (silence out, rings untouched) whenever the
 * control thread re-primes it, and whenever JACK's period differs from the
 * one the rings were primed for, so a change is never half-applied. */
#include "jackio.h"

#include <errno.h>
#include <jack/jack.h>
#include <jack/ringbuffer.h>
#include <jack/thread.h>
#include <math.h>
#include <pthread.h>
#include <regex.h>
#include <semaphore.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define SM_MAX_PERIOD 8192
#define HIST_BINS 1024 /* worker time per wake-up, 4 us per bin */
#define HIST_US 4
#define HIST_LEN 65536 /* input history for pre-rolling a new engine */
#define FADE_MS 50
#define FRAME_BYTES (2 * sizeof(float))

struct sm_jack {
    jack_client_t *client;
    jack_port_t *in_a, *in_b, *out_l, *out_r;
    char name[128];
    int prefill;
    sm_engine *engine;

    jack_ringbuffer_t *rin, *rout; /* interleaved frames: (a,b) / (l,r) */
    float *cb_buf;                 /* process callback scratch, 2 x max */
    float *wk_a, *wk_b, *wk_l, *wk_r, *wk_buf; /* worker scratch */

    sem_t wake;
    pthread_t worker;
    int worker_running;

    atomic_int paused;        /* control -> RT, worker */
    atomic_int rt_ack, wk_ack; /* RT, worker -> control */
    atomic_int quit;
    atomic_int primed_period; /* period the rings are primed for */
    atomic_int latency;       /* samples reported on the ports */
    atomic_int active;

    atomic_int f_shutdown, f_ports, f_format;
    /* Audio-thread state, reset by the control thread while paused. */
    unsigned long long pushed;  /* frames of the stream given to the worker */
    size_t debt;                /* frames of output owed after under-runs */
    atomic_uint stream_origin;  /* JACK frame time of stream frame 0 */
    atomic_ullong post_ns;      /* when the callback last woke the worker */
    unsigned long long cb_prev_ns; /* when the previous cycle ran */
    unsigned irregular;         /* bit k: cycle k ago ran off the beat */

    /* Crossfaded engine swap (see worker_block). incoming: control ->
     * worker; retired: worker -> control, which frees it. */
    _Atomic(sm_engine *) incoming, retired;
    atomic_ullong engine_start; /* stream frame of the engine's sample 0 */
    sm_engine *next;            /* worker only: engine being brought in */
    unsigned long long next_start, next_pos, hist_n;
    int fade_i, fade_len, fade_power;
    float *hist_a, *hist_b;     /* input history, HIST_LEN frames */
    float *x_a, *x_b, *x_l, *x_r, *x_l2, *x_r2; /* worker scratch */
    float *block;               /* the one allocation behind them all */
    atomic_ullong underruns, overruns, xruns;
    atomic_ullong underruns_irregular; /* the part that followed off-beat cycles */
    atomic_uint peak[4]; /* float bits of |x| peaks: in_a, in_b, out_l, out_r */

    /* Worker timing, written by the worker only; read without a lock
     * (a status line may mix two consecutive updates, nothing worse). */
    atomic_ullong wk_runs, wk_ns_sum, wk_ns_max;
    atomic_uint wk_hist[HIST_BINS + 1];
};

/* ---- callbacks: RT or notification threads; flags and copies only ---- */

/* Raises a peak meter (float bits; positive floats order as their bits),
 * read and cleared by the control thread. RT-safe: no loop on contention
 * from the reader but a few CAS retries at most. */
static void peak_raise(atomic_uint *m, const float *x, jack_nframes_t n)
{
    float p = 0.0f;
    for (jack_nframes_t i = 0; i < n; i++) {
        float v = fabsf(x[i]);
        p = v > p ? v : p; /* NaN never raises it */
    }
    unsigned bits;
    memcpy(&bits, &p, sizeof bits);
    unsigned cur = atomic_load_explicit(m, memory_order_relaxed);
    while (bits > cur && !atomic_compare_exchange_weak_explicit(
                             m, &cur, bits, memory_order_relaxed,
                             memory_order_relaxed))
        ;
}

static int on_process(jack_nframes_t n, void *arg)
{
    sm_jack *j = arg;
    float *a = jack_port_get_buffer(j->in_a, n);
    float *b = jack_port_get_buffer(j->in_b, n);
    float *l = jack_port_get_buffer(j->out_l, n);
    float *r = jack_port_get_buffer(j->out_r, n);
    size_t bytes = (size_t)n * FRAME_BYTES;
    if (atomic_load(&j->paused) ||
        (int)n != atomic_load_explicit(&j->primed_period,
                                       memory_order_relaxed)) {
        atomic_store(&j->rt_ack, 1);
        memset(l, 0, n * sizeof(float));
        memset(r, 0, n * sizeof(float));
        return 0;
    }
    float *buf = j->cb_buf;
    peak_raise(&j->peak[0], a, n);
    peak_raise(&j->peak[1], b, n);
    if (jack_ringbuffer_write_space(j->rin) >= bytes) {
        for (jack_nframes_t i = 0; i < n; i++) {
            buf[2 * i] = a[i];
            buf[2 * i + 1] = b[i];
        }
        jack_ringbuffer_write(j->rin, (const char *)buf, bytes);
        /* Engine sample 0 in JACK time; a skipped cycle or dropped input
         * moves it, so it is published every cycle. */
        atomic_store_explicit(
            &j->stream_origin,
            (unsigned)(jack_last_frame_time(j->client) - j->pushed),
            memory_order_relaxed);
        j->pushed += n;
    } else {
        atomic_fetch_add_explicit(&j->overruns, 1, memory_order_relaxed);
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now); /* vDSO: no system call */
    unsigned long long now_ns = (unsigned long long)now.tv_sec * 1000000000ull +
                                (unsigned long long)now.tv_nsec;
    atomic_store_explicit(&j->post_ns, now_ns, memory_order_relaxed);
    sem_post(&j->wake);
    /* The worker has prefill periods of wall-clock time per period only
     * while cycles come on the beat. When the machine stalls the graph,
     * JACK runs late cycles back to back and that time shrinks: a cycle
     * more than half a period off the beat is remembered for prefill + 1
     * cycles so that an under-run it causes can be told apart. */
    unsigned long long period_ns =
        (unsigned long long)n * 1000000000ull / jack_get_sample_rate(j->client);
    unsigned long long dt = now_ns - j->cb_prev_ns;
    int off = j->cb_prev_ns &&
              (dt > period_ns + period_ns / 2 || dt < period_ns / 2);
    j->irregular = (j->irregular << 1) | (unsigned)off;
    j->cb_prev_ns = now_ns;
    /* Output owed after an under-run arrives late: drop it when it does,
     * so the latency returns to the one reported. */
    size_t avail = jack_ringbuffer_read_space(j->rout) / FRAME_BYTES;
    if (j->debt && avail > n) {
        size_t drop = avail - n < j->debt ? avail - n : j->debt;
        jack_ringbuffer_read_advance(j->rout, drop * FRAME_BYTES);
        j->debt -= drop;
    }
    if (jack_ringbuffer_read_space(j->rout) >= bytes) {
        jack_ringbuffer_read(j->rout, (char *)buf, bytes);
        for (jack_nframes_t i = 0; i < n; i++) {
            l[i] = buf[2 * i];
            r[i] = buf[2 * i + 1];
        }
        peak_raise(&j->peak[2], l, n);
        peak_raise(&j->peak[3], r, n);
    } else {
        memset(l, 0, n * sizeof(float));
        memset(r, 0, n * sizeof(float));
        j->debt += n;
        atomic_fetch_add_explicit(&j->underruns, 1, memory_order_relaxed);
        unsigned window = j->prefill >= 30 ? ~0u : (2u << j->prefill) - 1u;
        if (j->irregular & window)
            atomic_fetch_add_explicit(&j->underruns_irregular, 1,
                                      memory_order_relaxed);
    }
    return 0;
}

/* Latency of one side = the widest range on the other side + ours:
 * capture latency flows inputs -> outputs, playback outputs -> inputs. */
static void propagate(jack_port_t *const from[2], jack_port_t *const to[2],
                      jack_latency_callback_mode_t mode, jack_nframes_t lat)
{
    jack_latency_range_t ra, rb, out;
    jack_port_get_latency_range(from[0], mode, &ra);
    jack_port_get_latency_range(from[1], mode, &rb);
    out.min = (ra.min < rb.min ? ra.min : rb.min) + lat;
    out.max = (ra.max > rb.max ? ra.max : rb.max) + lat;
    jack_port_set_latency_range(to[0], mode, &out);
    jack_port_set_latency_range(to[1], mode, &out);
}

static void on_latency(jack_latency_callback_mode_t mode, void *arg)
{
    sm_jack *j = arg;
    jack_nframes_t lat = (jack_nframes_t)atomic_load(&j->latency);
    jack_port_t *const ins[2] = {j->in_a, j->in_b};
    jack_port_t *const outs[2] = {j->out_l, j->out_r};
    if (mode == JackCaptureLatency)
        propagate(ins, outs, mode, lat);
    else
        propagate(outs, ins, mode, lat);
}

static int on_xrun(void *arg)
{
    sm_jack *j = arg;
    atomic_fetch_add_explicit(&j->xruns, 1, memory_order_relaxed);
    return 0;
}

static void on_shutdown(jack_status_t code, const char *reason, void *arg)
{
    (void)code;
    (void)reason;
    sm_jack *j = arg;
    atomic_store(&j->f_shutdown, 1);
}

static void on_port_registration(jack_port_id_t id, int reg, void *arg)
{
    (void)id;
    sm_jack *j = arg;
    if (reg)
        atomic_store(&j->f_ports, 1);
}

static int on_buffer_size(jack_nframes_t n, void *arg)
{
    (void)n;
    sm_jack *j = arg;
    atomic_store(&j->f_format, 1);
    return 0;
}

static int on_sample_rate(jack_nframes_t n, void *arg)
{
    (void)n;
    sm_jack *j = arg;
    atomic_store(&j->f_format, 1);
    return 0;
}

/* ---- DSP worker ------------------------------------------------------- */

static void hist_write(sm_jack *j, const float *a, const float *b, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        size_t p = (size_t)((j->hist_n + i) & (HIST_LEN - 1));
        j->hist_a[p] = a[i];
        j->hist_b[p] = b[i];
    }
    j->hist_n += n;
}

/* A new engine is brought in without a gap: it is first fed the recent
 * input history, a bounded amount per period beside the running engine
 * (pre-roll, so its state and latency are filled), then both run on the
 * live input while the output crossfades over FADE_MS, then the old one
 * is handed back to the control thread. Nothing here allocates. */
static void bring_in(sm_jack *j, const float *a, const float *b, float *l,
                     float *r, size_t frames, unsigned long long p0)
{
    if (!j->next) {
        sm_engine *in = atomic_exchange(&j->incoming, NULL);
        if (!in)
            return;
        /* A whole number of SM_MAX_PERIOD frames (a power of two): the
         * new engine's sample 0 then stays on the JACK cycle grid and on
         * every hop grid, as a fresh stream's does. */
        unsigned long long pre = (unsigned long long)sm_engine_latency(in) +
                                 2 * SM_MAX_PERIOD - 1;
        pre -= pre % SM_MAX_PERIOD;
        if (pre > HIST_LEN - 2 * SM_MAX_PERIOD)
            pre = HIST_LEN - 2 * SM_MAX_PERIOD;
        if (pre > p0)
            pre = p0;
        j->next = in;
        j->next_start = j->next_pos = p0 - pre;
        j->fade_i = 0;
        /* Same latency: the two outputs are the same signal give or take
         * the change, so equal gain; different latencies shift them in
         * time, so equal power (no dip for uncorrelated material). */
        j->fade_power = sm_engine_latency(in) != sm_engine_latency(j->engine);
    }
    /* Catch up on history: four times the live rate, at least 256 frames
     * (the worker uses well under a tenth of its period at the default
     * layout, so five engines' worth of work fits; the control thread,
     * which waits for the swap, is back sooner). */
    size_t budget = 4 * frames < 256 ? 256 : 4 * frames;
    while (j->next_pos < p0 && budget) {
        size_t m = (size_t)(p0 - j->next_pos);
        if (m > budget)
            m = budget;
        if (m > SM_MAX_PERIOD)
            m = SM_MAX_PERIOD;
        for (size_t i = 0; i < m; i++) {
            size_t p = (size_t)((j->next_pos + i) & (HIST_LEN - 1));
            j->x_a[i] = j->hist_a[p];
            j->x_b[i] = j->hist_b[p];
        }
        sm_engine_process(j->next, j->x_a, j->x_b, j->x_l, j->x_r, m);
        j->next_pos += m;
        budget -= m;
    }
    if (j->next_pos != p0)
        return;
    sm_engine_process(j->next, a, b, j->x_l2, j->x_r2, frames);
    j->next_pos += frames;
    for (size_t i = 0; i < frames; i++) {
        float g_new = 1.0f, g_old = 0.0f;
        if (j->fade_i < j->fade_len) {
            float x = (float)j->fade_i / (float)j->fade_len;
            if (j->fade_power) {
                g_new = sinf(0.5f * (float)M_PI * x);
                g_old = cosf(0.5f * (float)M_PI * x);
            } else {
                g_new = 0.5f - 0.5f * cosf((float)M_PI * x);
                g_old = 1.0f - g_new;
            }
            j->fade_i++;
        }
        l[i] = l[i] * g_old + j->x_l2[i] * g_new;
        r[i] = r[i] * g_old + j->x_r2[i] * g_new;
    }
    if (j->fade_i >= j->fade_len) {
        atomic_store(&j->retired, j->engine);
        j->engine = j->next;
        atomic_store(&j->engine_start, j->next_start);
        j->next = NULL;
    }
}

static void record_time(sm_jack *j, unsigned long long t0_ns)
{
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    unsigned long long end = (unsigned long long)t1.tv_sec * 1000000000ull +
                             (unsigned long long)t1.tv_nsec;
    unsigned long long ns = end > t0_ns ? end - t0_ns : 0;
    atomic_fetch_add_explicit(&j->wk_runs, 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&j->wk_ns_sum, ns, memory_order_relaxed);
    if (ns > atomic_load_explicit(&j->wk_ns_max, memory_order_relaxed))
        atomic_store_explicit(&j->wk_ns_max, ns, memory_order_relaxed);
    unsigned long long bin = ns / (1000ull * HIST_US);
    atomic_fetch_add_explicit(&j->wk_hist[bin < HIST_BINS ? bin : HIST_BINS],
                              1, memory_order_relaxed);
}

static void *worker_main(void *arg)
{
    sm_jack *j = arg;
    const size_t max = SM_MAX_PERIOD;
    for (;;) {
        while (sem_wait(&j->wake) != 0 && errno == EINTR)
            ;
        if (atomic_load(&j->quit))
            break;
        if (atomic_load(&j->paused)) {
            atomic_store(&j->wk_ack, 1);
            continue;
        }
        /* Timed from the callback's wake-up: the delay before this thread
         * runs counts against the deadline as much as the work. */
        unsigned long long t0 = atomic_load(&j->post_ns);
        size_t frames, total = 0;
        while ((frames = jack_ringbuffer_read_space(j->rin) / FRAME_BYTES)) {
            if (frames > max)
                frames = max;
            total += frames;
            jack_ringbuffer_read(j->rin, (char *)j->wk_buf,
                                 frames * FRAME_BYTES);
            for (size_t i = 0; i < frames; i++) {
                j->wk_a[i] = j->wk_buf[2 * i];
                j->wk_b[i] = j->wk_buf[2 * i + 1];
            }
            unsigned long long p0 = j->hist_n;
            hist_write(j, j->wk_a, j->wk_b, frames);
            sm_engine_process(j->engine, j->wk_a, j->wk_b, j->wk_l, j->wk_r,
                              frames);
            bring_in(j, j->wk_a, j->wk_b, j->wk_l, j->wk_r, frames, p0);
            for (size_t i = 0; i < frames; i++) {
                j->wk_buf[2 * i] = j->wk_l[i];
                j->wk_buf[2 * i + 1] = j->wk_r[i];
            }
            if (jack_ringbuffer_write_space(j->rout) >= frames * FRAME_BYTES)
                jack_ringbuffer_write(j->rout, (const char *)j->wk_buf,
                                      frames * FRAME_BYTES);
            else
                atomic_fetch_add_explicit(&j->overruns, 1,
                                          memory_order_relaxed);
        }
        if (total && t0)
            record_time(j, t0);
    }
    return NULL;
}

/* ---- control thread ---------------------------------------------------- */

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Stops the audio path from touching the rings; returns when both the
 * process callback and the worker have acknowledged (or the process
 * callback is evidently not running: server gone or not active). */
static void pause_path(sm_jack *j)
{
    atomic_store(&j->rt_ack, 0);
    atomic_store(&j->wk_ack, 0);
    atomic_store(&j->paused, 1);
    if (j->worker_running)
        sem_post(&j->wake);
    for (int i = 0; i < 400; i++) {
        int rt_ok = atomic_load(&j->rt_ack) || !atomic_load(&j->active) ||
                    atomic_load(&j->f_shutdown);
        int wk_ok = atomic_load(&j->wk_ack) || !j->worker_running;
        if (rt_ok && wk_ok)
            return;
        sleep_ms(1);
        if (j->worker_running && !atomic_load(&j->wk_ack))
            sem_post(&j->wake);
    }
}

/* Empties the rings and fills the output ring with prefill periods of
 * silence; the path must be paused. */
static void prime(sm_jack *j)
{
    int period = (int)jack_get_buffer_size(j->client);
    /* Input still in the ring never reaches the engine: take it back out
     * of the count that places engine sample 0 in JACK time. */
    j->pushed -= jack_ringbuffer_read_space(j->rin) / FRAME_BYTES;
    jack_ringbuffer_reset(j->rin);
    jack_ringbuffer_reset(j->rout);
    /* Drain stale wake-ups so the worker does not spin on them. */
    while (sem_trywait(&j->wake) == 0)
        ;
    size_t zeros = (size_t)j->prefill * (size_t)period * FRAME_BYTES;
    memset(j->wk_buf, 0, sizeof(float) * 2 * SM_MAX_PERIOD);
    while (zeros) {
        size_t m = zeros < sizeof(float) * 2 * SM_MAX_PERIOD
                       ? zeros
                       : sizeof(float) * 2 * SM_MAX_PERIOD;
        jack_ringbuffer_write(j->rout, (const char *)j->wk_buf, m);
        zeros -= m;
    }
    j->debt = 0;
    j->cb_prev_ns = 0;
    j->irregular = 0;
    atomic_store(&j->latency, sm_engine_latency(j->engine) +
                                  j->prefill * period);
    atomic_store(&j->primed_period, period <= SM_MAX_PERIOD ? period : -1);
}

static void resume_path(sm_jack *j) { atomic_store(&j->paused, 0); }

void sm_jack_resync(sm_jack *j)
{
    pause_path(j);
    prime(j);
    resume_path(j);
    if (atomic_load(&j->active))
        jack_recompute_total_latencies(j->client);
}

/* A fresh stream: the engine starts at stream frame 0. Path paused. */
static void restart_stream(sm_jack *j)
{
    /* A crossfade in flight is abandoned: the path is paused, so the
     * worker's engines are the control thread's to free. */
    sm_engine_free(j->next);
    j->next = NULL;
    sm_engine_free(atomic_exchange(&j->incoming, NULL));
    sm_engine_free(atomic_exchange(&j->retired, NULL));
    j->pushed = 0;
    j->hist_n = 0;
    atomic_store(&j->engine_start, 0);
}

sm_engine *sm_jack_swap_engine(sm_jack *j, sm_engine *e)
{
    pause_path(j);
    sm_engine *old = j->engine;
    j->engine = e;
    restart_stream(j);
    prime(j);
    resume_path(j);
    if (atomic_load(&j->active))
        jack_recompute_total_latencies(j->client);
    return old;
}

int sm_jack_crossfade_engine(sm_jack *j, sm_engine *e)
{
    if (!atomic_load(&j->active) || atomic_load(&j->f_shutdown) ||
        atomic_load(&j->paused) || !j->worker_running) {
        sm_engine_free(sm_jack_swap_engine(j, e));
        return 0;
    }
    sm_engine_free(atomic_exchange(&j->retired, NULL));
    atomic_store(&j->incoming, e);
    /* Pre-roll plus fade take well under a second of audio; allow for a
     * stalled server, which the shutdown flag reports. */
    for (int i = 0; i < 2000 && !atomic_load(&j->f_shutdown); i++) {
        sm_engine *old = atomic_exchange(&j->retired, NULL);
        if (old) {
            sm_engine_free(old);
            int period = (int)jack_get_buffer_size(j->client);
            atomic_store(&j->latency,
                         sm_engine_latency(e) + j->prefill * period);
            jack_recompute_total_latencies(j->client);
            return 0;
        }
        sleep_ms(5);
    }
    /* Not taken by the worker: take it back and swap with a pause. */
    sm_engine *back = atomic_exchange(&j->incoming, NULL);
    if (back) {
        sm_engine_free(sm_jack_swap_engine(j, back));
        return 0;
    }
    return -1; /* in the worker's hands; sm_jack_close frees it */
}

static int alloc_buffers(sm_jack *j)
{
    size_t cap = (size_t)(j->prefill + 4) * SM_MAX_PERIOD * FRAME_BYTES;
    j->rin = jack_ringbuffer_create(cap);
    j->rout = jack_ringbuffer_create(cap);
    /* Callback and worker scratch and the history: one block, carved. */
    float **per[] = {&j->wk_a, &j->wk_b, &j->wk_l, &j->wk_r,  &j->x_a,
                     &j->x_b,  &j->x_l,  &j->x_r, &j->x_l2, &j->x_r2};
    const size_t np = sizeof per / sizeof per[0];
    size_t total = 4 * SM_MAX_PERIOD + np * SM_MAX_PERIOD + 2 * HIST_LEN;
    j->block = calloc(total, sizeof(float));
    if (!j->rin || !j->rout || !j->block)
        return -1;
    float *p = j->block;
    j->cb_buf = p;
    j->wk_buf = p + 2 * SM_MAX_PERIOD;
    p += 4 * SM_MAX_PERIOD;
    for (size_t i = 0; i < np; i++, p += SM_MAX_PERIOD)
        *per[i] = p;
    j->hist_a = p;
    j->hist_b = p + HIST_LEN;
    memset(j->block, 0, total * sizeof(float)); /* touch every page */
    /* Lock and touch now: no page fault on the audio path later. */
    jack_ringbuffer_mlock(j->rin);
    jack_ringbuffer_mlock(j->rout);
    memset(j->rin->buf, 0, j->rin->size);
    memset(j->rout->buf, 0, j->rout->size);
    return 0;
}

sm_jack *sm_jack_open(const char *client_name, const char *server,
                      int prefill_periods, char *why, size_t why_len)
{
    sm_jack *j = calloc(1, sizeof *j);
    if (!j) {
        snprintf(why, why_len, "out of memory");
        return NULL;
    }
    snprintf(j->name, sizeof j->name, "%s", client_name);
    j->prefill = prefill_periods;
    if (sem_init(&j->wake, 0, 0) != 0 || alloc_buffers(j) != 0) {
        snprintf(why, why_len, "out of memory");
        goto fail;
    }
    jack_options_t opt = JackNoStartServer | JackUseExactName;
    jack_status_t st = 0;
    if (server && *server)
        j->client = jack_client_open(client_name, opt | JackServerName, &st,
                                     server);
    else
        j->client = jack_client_open(client_name, opt, &st);
    if (!j->client) {
        if (st & JackNameNotUnique)
            snprintf(why, why_len, "client name '%s' is taken", client_name);
        else if (st & JackServerFailed)
            snprintf(why, why_len, "no JACK server%s%s running",
                     server && *server ? " named " : "",
                     server && *server ? server : "");
        else
            snprintf(why, why_len, "cannot open a JACK client (status "
                                   "0x%x)", (unsigned)st);
        goto fail;
    }
    j->in_a = jack_port_register(j->client, "in_a", JACK_DEFAULT_AUDIO_TYPE,
                                 JackPortIsInput, 0);
    j->in_b = jack_port_register(j->client, "in_b", JACK_DEFAULT_AUDIO_TYPE,
                                 JackPortIsInput, 0);
    j->out_l = jack_port_register(j->client, "out_l",
                                  JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput,
                                  0);
    j->out_r = jack_port_register(j->client, "out_r",
                                  JACK_DEFAULT_AUDIO_TYPE, JackPortIsOutput,
                                  0);
    if (!j->in_a || !j->in_b || !j->out_l || !j->out_r) {
        snprintf(why, why_len, "cannot register ports");
        goto fail;
    }
    if (jack_set_process_callback(j->client, on_process, j) ||
        jack_set_latency_callback(j->client, on_latency, j) ||
        jack_set_xrun_callback(j->client, on_xrun, j) ||
        jack_set_port_registration_callback(j->client, on_port_registration,
                                            j) ||
        jack_set_buffer_size_callback(j->client, on_buffer_size, j) ||
        jack_set_sample_rate_callback(j->client, on_sample_rate, j)) {
        snprintf(why, why_len, "cannot set JACK callbacks");
        goto fail;
    }
    jack_on_info_shutdown(j->client, on_shutdown, j);
    atomic_store(&j->paused, 1);
    atomic_store(&j->primed_period, -1);
    return j;
fail:
    sm_jack_close(j);
    return NULL;
}

int sm_jack_rate(sm_jack *j) { return (int)jack_get_sample_rate(j->client); }

int sm_jack_period(sm_jack *j) { return (int)jack_get_buffer_size(j->client); }

const char *sm_jack_client_name(sm_jack *j)
{
    return jack_get_client_name(j->client);
}

int sm_jack_start(sm_jack *j, sm_engine *engine, char *why, size_t why_len)
{
    j->engine = engine;
    restart_stream(j);
    prime(j);
    j->fade_len = (int)(jack_get_sample_rate(j->client) * FADE_MS / 1000);
    int prio = jack_client_real_time_priority(j->client);
    int rt = jack_is_realtime(j->client);
    /* Below JACK's own priority: the process callback must always win. */
    int rc = jack_client_create_thread(j->client, &j->worker,
                                       prio > 1 ? prio - 1 : 1, rt,
                                       worker_main, j);
    if (rc != 0 && rt)
        rc = jack_client_create_thread(j->client, &j->worker, 0, 0,
                                       worker_main, j);
    if (rc != 0) {
        snprintf(why, why_len, "cannot create the DSP worker thread");
        return -1;
    }
    j->worker_running = 1;
    resume_path(j);
    if (jack_activate(j->client) != 0) {
        snprintf(why, why_len, "cannot activate the JACK client");
        return -1;
    }
    atomic_store(&j->active, 1);
    return 0;
}

void sm_jack_close(sm_jack *j)
{
    if (!j)
        return;
    if (j->client) {
        /* After a server shutdown the client is a zombie: closing it is
         * the documented way out, and never from a callback. */
        if (atomic_load(&j->active) && !atomic_load(&j->f_shutdown))
            jack_deactivate(j->client);
        atomic_store(&j->active, 0);
        jack_client_close(j->client);
        j->client = NULL;
    }
    if (j->worker_running) {
        atomic_store(&j->quit, 1);
        sem_post(&j->wake);
        pthread_join(j->worker, NULL);
        j->worker_running = 0;
    }
    sem_destroy(&j->wake);
    if (j->rin)
        jack_ringbuffer_free(j->rin);
    if (j->rout)
        jack_ringbuffer_free(j->rout);
    free(j->block);
    sm_engine_free(j->next);
    sm_engine_free(atomic_exchange(&j->incoming, NULL));
    sm_engine_free(atomic_exchange(&j->retired, NULL));
    sm_engine_free(j->engine);
    free(j);
}

int sm_jack_take_shutdown(sm_jack *j) { return atomic_exchange(&j->f_shutdown, 0); }
int sm_jack_take_ports_changed(sm_jack *j) { return atomic_exchange(&j->f_ports, 0); }
int sm_jack_take_format_changed(sm_jack *j) { return atomic_exchange(&j->f_format, 0); }

sm_engine *sm_jack_engine(sm_jack *j) { return j->engine; }

void sm_jack_take_peaks(sm_jack *j, float dbfs[4])
{
    for (int k = 0; k < 4; k++) {
        unsigned bits = atomic_exchange(&j->peak[k], 0u);
        float p;
        memcpy(&p, &bits, sizeof p);
        dbfs[k] = p > 0.0f ? 20.0f * log10f(p) : -INFINITY;
    }
}

void sm_jack_get_counters(sm_jack *j, sm_jack_counters *c)
{
    c->underruns = atomic_load(&j->underruns);
    c->underruns_irregular = atomic_load(&j->underruns_irregular);
    c->overruns = atomic_load(&j->overruns);
    c->xruns = atomic_load(&j->xruns);
    c->dsp_load = j->client ? jack_cpu_load(j->client) : 0.0f;
    c->latency = atomic_load(&j->latency);
    c->period = atomic_load(&j->primed_period);
    c->rate_hz = j->client ? (int)jack_get_sample_rate(j->client) : 0;
    c->origin_frame = atomic_load(&j->stream_origin) +
                      (unsigned)atomic_load(&j->engine_start);
    unsigned long long runs = atomic_load(&j->wk_runs);
    c->worker_runs = runs;
    c->worker_mean_us = runs ? atomic_load(&j->wk_ns_sum) / 1e3 / runs : 0.0;
    c->worker_max_us = atomic_load(&j->wk_ns_max) / 1e3;
    /* p99 from the histogram: the upper edge of the bin that holds it. */
    unsigned long long want = runs - runs / 100, seen = 0;
    c->worker_p99_us = 0.0;
    for (int i = 0; runs && i <= HIST_BINS; i++) {
        seen += atomic_load(&j->wk_hist[i]);
        if (seen >= want) {
            c->worker_p99_us = i < HIST_BINS ? (double)(i + 1) * HIST_US
                                             : c->worker_max_us;
            break;
        }
    }
}

/* Connects src -> dst unless already connected; 1 when a connection was
 * made. */
static int connect_once(sm_jack *j, const char *src, const char *dst)
{
    jack_port_t *p = jack_port_by_name(j->client, src);
    if (!p || jack_port_connected_to(p, dst))
        return 0;
    return jack_connect(j->client, src, dst) == 0;
}

static int own_port(sm_jack *j, const char *port)
{
    const char *me = jack_get_client_name(j->client);
    size_t n = strlen(me);
    return strncmp(port, me, n) == 0 && port[n] == ':';
}

int sm_jack_autoconnect(sm_jack *j, const void *re_a, const void *re_b,
                        const void *re_out)
{
    int made = 0;
    const void *res[2] = {re_a, re_b};
    jack_port_t *dst[2] = {j->in_a, j->in_b};
    const char **ports = jack_get_ports(j->client, NULL,
                                        JACK_DEFAULT_AUDIO_TYPE,
                                        JackPortIsOutput);
    for (int k = 0; k < 2; k++)
        for (int i = 0; res[k] && ports && ports[i]; i++)
            if (!own_port(j, ports[i]) &&
                regexec((const regex_t *)res[k], ports[i], 0, NULL, 0) == 0)
                made += connect_once(j, ports[i], jack_port_name(dst[k]));
    jack_free(ports);
    if (!re_out)
        return made;
    ports = jack_get_ports(j->client, NULL, JACK_DEFAULT_AUDIO_TYPE,
                           JackPortIsInput);
    const char *match[2] = {NULL, NULL};
    int nm = 0;
    for (int i = 0; ports && ports[i] && nm < 2; i++)
        if (!own_port(j, ports[i]) &&
            regexec((const regex_t *)re_out, ports[i], 0, NULL, 0) == 0)
            match[nm++] = ports[i];
    if (nm >= 1) {
        made += connect_once(j, jack_port_name(j->out_l), match[0]);
        made += connect_once(j, jack_port_name(j->out_r),
                             match[nm == 2 ? 1 : 0]);
    }
    jack_free(ports);
    return made;
}
