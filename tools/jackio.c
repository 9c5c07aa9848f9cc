/* jackio.c: sm-jackio, plays two mono files into a JACK client and records
 * its stereo output, cycle-exact, for the daemon's integration tests and
 * demos.
 *
 *   sm-jackio [-S SERVER] --play A.wav B.wav --to NAME --record OUT.wav
 *             --frames N [--skip N] [--align ORIGIN:STEP] [--no-connect]
 *             [--strict] [--timeout SEC]
 *
 * Two JACK clients live in this one process: a player (ports out_a, out_b)
 * and a recorder (ports in_l, in_r), so the graph is
 *
 *     player:out_a -> NAME:in_a      NAME:out_l -> recorder:in_l
 *     player:out_b -> NAME:in_b      NAME:out_r -> recorder:in_r
 *
 * with no feedback loop: JACK runs the player, then NAME, then the recorder
 * in every cycle. Once the four connections exist (made here, or with
 * --no-connect made by someone else, e.g. the daemon's connect_* patterns),
 * both files start at frame 0 of one process cycle and the recording
 * starts in that very cycle (the same jack_last_frame_time in both
 * clients), so recorded frame s + L is NAME's output for input frame s,
 * L being NAME's total latency. --skip L drops those first L frames.
 *
 * --align ORIGIN:STEP starts on a cycle whose frame time T has
 * (T - ORIGIN) a multiple of STEP (and of the period). With ORIGIN the
 * frame time of the daemon's engine sample 0 (the "origin=" field of its
 * status line) and STEP a multiple of every STFT hop, the files start on
 * the engine's hop grid, exactly as they do in specmorph-render.
 *
 * --thru NAME is the other half of a soak baseline: it registers a client
 * NAME with the daemon's four ports that copies in_a to out_l and in_b to
 * out_r and does nothing else, then runs until SIGTERM, SIGINT or the
 * timeout and prints the xruns JACK reported to it. The same graph with
 * this client in NAME's place shows what the machine's scheduling costs
 * by itself.
 *
 * An xrun anywhere in the graph while recording, or a skipped cycle, makes
 * the recording untrustworthy: a warning, or with --strict an error.
 *
 * The process callbacks only copy between JACK buffers and buffers
 * allocated beforehand; the WAV file (stereo, 32-bit float) is written
 * after the recording. Every stage runs under one timeout (default 30 s).
 * Errors: one line on stderr, exit 2.
 */
#include <errno.h>
#include <jack/jack.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <sndfile.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>

#define PROG "sm-jackio"

typedef struct track {
    float *x;
    long n;
} track;

/* State shared with the process callbacks. Fields written by the main
 * thread before `armed` is set (release) are read-only afterwards. */
typedef struct io {
    jack_client_t *play, *rec;
    jack_port_t *out_a, *out_b, *in_l, *in_r;
    track a, b;
    float *buf;        /* interleaved stereo, `total` frames */
    long total;        /* skip + frames */
    jack_nframes_t start_at;
    atomic_int armed;
    /* player (its own RT thread) */
    int p_on;
    long p_pos;
    jack_nframes_t p_start, p_next;
    /* recorder (its own RT thread) */
    int r_on;
    long r_pos;
    jack_nframes_t r_start, r_next;
    atomic_int r_done;
    atomic_int gap;      /* a cycle was skipped while running */
    atomic_int xruns;
    atomic_int shutdown;
} io;

static const char *volatile stage = "starting";
static int timeout_s = 30;

/* The --thru client: plain copies, one xrun counter. */
typedef struct thru {
    jack_port_t *in[2], *out[2];
    atomic_int xruns;
    atomic_int shutdown;
} thru;

static void die(const char *fmt, ...) __attribute__((format(printf, 1, 2), noreturn));
static void die(const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    fprintf(stderr, PROG ": %s\n", line);
    _exit(2);
}

static void put(const char *s)
{
    ssize_t r = write(2, s, strlen(s));
    (void)r;
}

static void on_alarm(int sig)
{
    (void)sig;
    char num[16];
    int n = timeout_s, i = (int)sizeof num - 1;
    num[i] = 0;
    do {
        num[--i] = (char)('0' + n % 10);
        n /= 10;
    } while (n && i > 0);
    put(PROG ": timed out after ");
    put(num + i);
    put(" s while ");
    put(stage);
    put("\n");
    _exit(2);
}

static void quiet(const char *msg) { (void)msg; }

static int signed_diff(jack_nframes_t a, jack_nframes_t b)
{
    return (int)(int32_t)(a - b);
}

static int play_cb(jack_nframes_t nf, void *arg)
{
    io *s = arg;
    float *oa = jack_port_get_buffer(s->out_a, nf);
    float *ob = jack_port_get_buffer(s->out_b, nf);
    jack_nframes_t t = jack_last_frame_time(s->play);
    if (!s->p_on && atomic_load_explicit(&s->armed, memory_order_acquire) &&
        signed_diff(t, s->start_at) >= 0) {
        s->p_on = 1;
        s->p_start = s->p_next = t;
    }
    if (!s->p_on) {
        memset(oa, 0, nf * sizeof(float));
        memset(ob, 0, nf * sizeof(float));
        return 0;
    }
    if (t != s->p_next)
        atomic_store(&s->gap, 1);
    s->p_next = t + nf;
    const track *tr[2] = {&s->a, &s->b};
    float *out[2] = {oa, ob};
    for (int c = 0; c < 2; c++) {
        long have = tr[c]->n - s->p_pos;
        long k = have <= 0 ? 0 : have < (long)nf ? have : (long)nf;
        if (k > 0)
            memcpy(out[c], tr[c]->x + s->p_pos, (size_t)k * sizeof(float));
        if (k < (long)nf)
            memset(out[c] + k, 0, (size_t)((long)nf - k) * sizeof(float));
    }
    s->p_pos += nf;
    return 0;
}

static int rec_cb(jack_nframes_t nf, void *arg)
{
    io *s = arg;
    const float *il = jack_port_get_buffer(s->in_l, nf);
    const float *ir = jack_port_get_buffer(s->in_r, nf);
    jack_nframes_t t = jack_last_frame_time(s->rec);
    if (atomic_load_explicit(&s->r_done, memory_order_relaxed))
        return 0;
    if (!s->r_on && atomic_load_explicit(&s->armed, memory_order_acquire) &&
        signed_diff(t, s->start_at) >= 0) {
        s->r_on = 1;
        s->r_start = s->r_next = t;
    }
    if (!s->r_on)
        return 0;
    if (t != s->r_next)
        atomic_store(&s->gap, 1);
    s->r_next = t + nf;
    long k = s->total - s->r_pos;
    if (k > (long)nf)
        k = nf;
    float *d = s->buf + 2 * s->r_pos;
    for (long i = 0; i < k; i++) {
        d[2 * i] = il[i];
        d[2 * i + 1] = ir[i];
    }
    s->r_pos += k;
    if (s->r_pos >= s->total)
        atomic_store_explicit(&s->r_done, 1, memory_order_release);
    return 0;
}

static int xrun_cb(void *arg)
{
    atomic_fetch_add(&((io *)arg)->xruns, 1);
    return 0;
}

static void shutdown_cb(jack_status_t code, const char *reason, void *arg)
{
    (void)code;
    (void)reason;
    atomic_store(&((io *)arg)->shutdown, 1);
}

static int thru_cb(jack_nframes_t nf, void *arg)
{
    thru *t = arg;
    for (int c = 0; c < 2; c++)
        memcpy(jack_port_get_buffer(t->out[c], nf),
               jack_port_get_buffer(t->in[c], nf), nf * sizeof(float));
    return 0;
}

static int thru_xrun_cb(void *arg)
{
    atomic_fetch_add(&((thru *)arg)->xruns, 1);
    return 0;
}

static void thru_shutdown_cb(jack_status_t code, const char *reason, void *arg)
{
    (void)code;
    (void)reason;
    atomic_store(&((thru *)arg)->shutdown, 1);
}

static void sleep_ms(int ms)
{
    struct timespec ts = {ms / 1000, (long)(ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) && errno == EINTR)
        ;
}

static void check_alive(io *s)
{
    if (atomic_load(&s->shutdown))
        die("the JACK server went away while %s", stage);
}

static track load(const char *path)
{
    SF_INFO in;
    memset(&in, 0, sizeof in);
    SNDFILE *sf = sf_open(path, SFM_READ, &in);
    if (!sf)
        die("%s: %s", path, sf_strerror(NULL));
    if (in.channels != 1)
        die("%s: expected a mono file, it has %d channels", path, in.channels);
    if (in.frames <= 0)
        die("%s: zero length", path);
    track t = {malloc((size_t)in.frames * sizeof(float)), (long)in.frames};
    if (!t.x)
        die("%s: out of memory", path);
    if (sf_readf_float(sf, t.x, in.frames) != in.frames)
        die("%s: read failed", path);
    sf_close(sf);
    return t;
}

static int file_rate(const char *path)
{
    SF_INFO in;
    memset(&in, 0, sizeof in);
    SNDFILE *sf = sf_open(path, SFM_READ, &in);
    if (!sf)
        die("%s: %s", path, sf_strerror(NULL));
    sf_close(sf);
    return in.samplerate;
}

static jack_client_t *open_client(const char *name, const char *server)
{
    jack_status_t st;
    jack_options_t opt = JackNoStartServer | (server ? JackServerName : 0);
    jack_client_t *c = server ? jack_client_open(name, opt, &st, server)
                              : jack_client_open(name, opt, &st);
    if (!c)
        die("cannot connect to the JACK server%s%s%s (status 0x%x)",
            server ? " \"" : "", server ? server : "", server ? "\"" : "",
            (unsigned)st);
    return c;
}

static jack_port_t *reg(jack_client_t *c, const char *name, unsigned long flags)
{
    jack_port_t *p = jack_port_register(c, name, JACK_DEFAULT_AUDIO_TYPE, flags, 0);
    if (!p)
        die("cannot register port %s:%s", jack_get_client_name(c), name);
    return p;
}

static long parse_count(const char *opt, const char *v, long lo, long hi)
{
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        die("%s: expected a whole number from %ld to %ld, got \"%s\"", opt, lo,
            hi, v);
    return n;
}

/* --thru NAME: runs the pass-through client until SIGTERM or SIGINT, then
 * prints its xrun count on stdout. */
static int run_thru(const char *name, const char *server)
{
    static thru t; /* zeroed */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL); /* before JACK's threads exist */
    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        fprintf(stderr, PROG ": warning: cannot lock memory (%s)\n",
                strerror(errno));
    jack_set_error_function(quiet);
    jack_set_info_function(quiet);
    stage = "opening the pass-through client";
    jack_status_t st;
    jack_options_t opt = JackNoStartServer | JackUseExactName |
                         (server ? JackServerName : 0);
    jack_client_t *c = server ? jack_client_open(name, opt, &st, server)
                              : jack_client_open(name, opt, &st);
    if (!c)
        die("cannot open the JACK client \"%s\" (status 0x%x%s)", name,
            (unsigned)st, (st & JackNameNotUnique) ? ": name in use" : "");
    t.in[0] = reg(c, "in_a", JackPortIsInput);
    t.in[1] = reg(c, "in_b", JackPortIsInput);
    t.out[0] = reg(c, "out_l", JackPortIsOutput);
    t.out[1] = reg(c, "out_r", JackPortIsOutput);
    jack_set_process_callback(c, thru_cb, &t);
    jack_set_xrun_callback(c, thru_xrun_cb, &t);
    jack_on_info_shutdown(c, thru_shutdown_cb, &t);
    if (jack_activate(c))
        die("cannot activate the JACK client \"%s\"", name);
    fprintf(stderr, PROG ": ready: passing %s:in_a,in_b through to out_l,out_r\n",
            name);
    stage = "passing through";
    int sig = -1;
    while (sig < 0 && !atomic_load(&t.shutdown)) {
        struct timespec ts = {0, 100000000L};
        sig = sigtimedwait(&set, NULL, &ts);
    }
    if (atomic_load(&t.shutdown))
        die("the JACK server went away while %s", stage);
    jack_deactivate(c);
    jack_client_close(c);
    alarm(0);
    printf("thru: xruns=%d\n", atomic_load(&t.xruns));
    return 0;
}

static void usage(FILE *f)
{
    fprintf(f,
            "usage: " PROG " [-S SERVER] --play A.wav B.wav --to NAME "
            "--record OUT.wav --frames N\n"
            "                 [--skip N] [--align ORIGIN:STEP] [--no-connect]\n"
            "                 [--strict] [--timeout SEC]\n"
            "       " PROG " [-S SERVER] --thru NAME [--timeout SEC]\n"
            "Plays mono A and B into NAME:in_a and NAME:in_b from the start "
            "of one JACK cycle and\nrecords NAME:out_l and NAME:out_r from "
            "that same cycle: N frames (after dropping\nthe first --skip "
            "frames) to a stereo float WAV. --no-connect waits for the\n"
            "connections to be made by someone else instead of making "
            "them.\n--align starts on a cycle whose frame time minus ORIGIN "
            "is a multiple of STEP.\nAn xrun or a skipped cycle while recording "
            "is a warning; --strict makes it an error.\n--thru runs a client NAME "
            "with the daemon's ports that only copies in_a to out_l\nand in_b "
            "to out_r (a soak baseline) until SIGTERM or SIGINT, then prints "
            "its xruns.\nErrors exit 2.\n");
}

int main(int argc, char **argv)
{
    const char *server = NULL, *pa = NULL, *pb = NULL, *to = NULL, *out = NULL;
    const char *thru_name = NULL;
    long frames = -1, skip = 0;
    int connect = 1, strict = 0, align = 0;
    unsigned long origin = 0, step = 0;
    for (int i = 1; i < argc; i++) {
        const char *o = argv[i];
        int more = i + 1 < argc;
        if (!strcmp(o, "-h") || !strcmp(o, "--help")) {
            usage(stdout);
            return 0;
        } else if (!strcmp(o, "-S") && more)
            server = argv[++i];
        else if (!strcmp(o, "--play") && i + 2 < argc) {
            pa = argv[++i];
            pb = argv[++i];
        } else if (!strcmp(o, "--to") && more)
            to = argv[++i];
        else if (!strcmp(o, "--thru") && more)
            thru_name = argv[++i];
        else if (!strcmp(o, "--record") && more)
            out = argv[++i];
        else if (!strcmp(o, "--frames") && more)
            frames = parse_count("--frames", argv[++i], 1, 100000000L);
        else if (!strcmp(o, "--skip") && more)
            skip = parse_count("--skip", argv[++i], 0, 10000000L);
        else if (!strcmp(o, "--timeout") && more)
            timeout_s = (int)parse_count("--timeout", argv[++i], 1, 86400);
        else if (!strcmp(o, "--align") && more) {
            const char *v = argv[++i];
            char *end, *end2;
            errno = 0;
            origin = strtoul(v, &end, 10);
            if (!errno && end != v && *end == ':') {
                step = strtoul(end + 1, &end2, 10);
                if (errno || end2 == end + 1 || *end2 || step < 1 ||
                    step > 1048576 || origin > 0xffffffffUL)
                    step = 0;
            }
            if (!step)
                die("--align: expected ORIGIN:STEP (frame time and a step "
                    "from 1 to 1048576), got \"%s\"", v);
            align = 1;
        } else if (!strcmp(o, "--no-connect"))
            connect = 0;
        else if (!strcmp(o, "--strict"))
            strict = 1;
        else if (!strcmp(o, "-S") || !strcmp(o, "--play") || !strcmp(o, "--to") ||
                 !strcmp(o, "--thru") || !strcmp(o, "--record") ||
                 !strcmp(o, "--frames") ||
                 !strcmp(o, "--skip") || !strcmp(o, "--timeout") ||
                 !strcmp(o, "--align"))
            die("%s: missing value", o);
        else
            die("unknown option or argument \"%s\" (see --help)", o);
    }
    if (thru_name) {
        if (pa || to || out || frames >= 0)
            die("--thru runs alone: no --play, --to, --record or --frames");
        if (strlen(thru_name) > 200)
            die("--thru: client name too long");
        signal(SIGALRM, on_alarm);
        alarm((unsigned)timeout_s);
        return run_thru(thru_name, server);
    }
    if (!pa)
        die("no input files (--play A.wav B.wav)");
    if (!to)
        die("no target client (--to NAME)");
    if (!out)
        die("no output file (--record OUT.wav)");
    if (frames < 0)
        die("no length (--frames N)");
    if (strlen(to) > 200)
        die("--to: client name too long");

    signal(SIGALRM, on_alarm);
    alarm((unsigned)timeout_s);

    static io s; /* zeroed */
    stage = "reading the input files";
    s.a = load(pa);
    s.b = load(pb);
    s.total = skip + frames;
    s.buf = calloc((size_t)s.total * 2, sizeof(float));
    if (!s.buf)
        die("out of memory for %ld frames", s.total);
    /* Every page the callbacks touch must be resident before they run: a
     * first-touch page fault in the audio thread is an xrun waiting to
     * happen (and on a VM, a slow one). Lock what can be locked, and
     * touch the recording buffer either way. */
    if (mlockall(MCL_CURRENT) != 0)
        fprintf(stderr, "sm-jackio: warning: cannot lock memory (%s)\n",
                strerror(errno));
    memset(s.buf, 0, (size_t)s.total * 2 * sizeof(float));

    jack_set_error_function(quiet);
    jack_set_info_function(quiet);
    stage = "opening the JACK clients";
    s.play = open_client("sm-jackio-player", server);
    s.rec = open_client("sm-jackio-recorder", server);
    int rate = (int)jack_get_sample_rate(s.play);
    if (file_rate(pa) != rate)
        die("%s: rate %d differs from the server's %d", pa, file_rate(pa), rate);
    if (file_rate(pb) != rate)
        die("%s: rate %d differs from the server's %d", pb, file_rate(pb), rate);
    s.out_a = reg(s.play, "out_a", JackPortIsOutput);
    s.out_b = reg(s.play, "out_b", JackPortIsOutput);
    s.in_l = reg(s.rec, "in_l", JackPortIsInput);
    s.in_r = reg(s.rec, "in_r", JackPortIsInput);
    jack_set_process_callback(s.play, play_cb, &s);
    jack_set_process_callback(s.rec, rec_cb, &s);
    jack_set_xrun_callback(s.play, xrun_cb, &s);
    jack_on_info_shutdown(s.play, shutdown_cb, &s);
    jack_on_info_shutdown(s.rec, shutdown_cb, &s);
    if (jack_activate(s.play) || jack_activate(s.rec))
        die("cannot activate the JACK clients");

    /* Full port names: ours (the names JACK gave us) and the target's. */
    char our[4][320], their[4][256];
    const char *pn = jack_get_client_name(s.play), *rn = jack_get_client_name(s.rec);
    snprintf(our[0], sizeof our[0], "%s:out_a", pn);
    snprintf(our[1], sizeof our[1], "%s:out_b", pn);
    snprintf(our[2], sizeof our[2], "%s:in_l", rn);
    snprintf(our[3], sizeof our[3], "%s:in_r", rn);
    snprintf(their[0], sizeof their[0], "%s:in_a", to);
    snprintf(their[1], sizeof their[1], "%s:in_b", to);
    snprintf(their[2], sizeof their[2], "%s:out_l", to);
    snprintf(their[3], sizeof their[3], "%s:out_r", to);
    jack_port_t *mine[4] = {s.out_a, s.out_b, s.in_l, s.in_r};

    if (connect) {
        stage = "waiting for the target's ports";
        for (int k = 0; k < 4; k++) {
            while (!jack_port_by_name(s.play, their[k])) {
                check_alive(&s);
                sleep_ms(5);
            }
        }
        stage = "connecting";
        for (int k = 0; k < 4; k++) {
            const char *src = k < 2 ? our[k] : their[k];
            const char *dst = k < 2 ? their[k] : our[k];
            int r = jack_connect(s.play, src, dst);
            if (r && r != EEXIST)
                die("cannot connect %s to %s", src, dst);
        }
    }
    stage = connect ? "waiting for the connections"
                    : "waiting for the connections to be made (--no-connect)";
    for (int k = 0; k < 4;) {
        check_alive(&s);
        if (jack_port_connected_to(mine[k], their[k]))
            k++;
        else
            sleep_ms(5);
    }

    /* Start well ahead, so that no client of the starting cycle can have
     * run before the start time was published: both callbacks then switch
     * on in the first cycle whose frame time is at or after it. */
    stage = "playing and recording";
    jack_nframes_t period = jack_get_buffer_size(s.play);
    jack_nframes_t ahead = (jack_nframes_t)rate / 20 + 4 * period;
    jack_nframes_t start = jack_frame_time(s.play) + ahead;
    if (align) {
        /* Cycle starts lie on ORIGIN + k * period (ORIGIN is one). */
        unsigned long a = step, b = period, g;
        while (b) {
            g = a % b;
            a = b;
            b = g;
        }
        unsigned long grid = step / a * period;
        jack_nframes_t since = start - (jack_nframes_t)origin;
        jack_nframes_t up = (jack_nframes_t)((grid - since % grid) % grid);
        start += up;
    }
    s.start_at = start;
    int xruns0 = atomic_load(&s.xruns);
    atomic_store_explicit(&s.armed, 1, memory_order_release);
    while (!atomic_load_explicit(&s.r_done, memory_order_acquire)) {
        check_alive(&s);
        sleep_ms(5);
    }
    jack_deactivate(s.rec);
    jack_deactivate(s.play);
    if (s.p_start != s.r_start)
        die("player and recorder started on different cycles (frame times %u "
            "and %u)", (unsigned)s.p_start, (unsigned)s.r_start);
    int xr = atomic_load(&s.xruns) - xruns0;
    int gap = atomic_load(&s.gap);
    if (strict && gap)
        die("a process cycle was skipped while recording: the recording is "
            "not continuous");
    if (align && s.r_start != s.start_at)
        die("missed the aligned start cycle (frame time %u, started at %u)",
            (unsigned)s.start_at, (unsigned)s.r_start);
    if (strict && xr)
        die("%d xrun%s in the JACK graph while recording: the recording is "
            "not trustworthy", xr, xr == 1 ? "" : "s");
    if (xr || gap)
        fprintf(stderr, PROG ": warning: %d xrun%s%s while recording: the "
                        "recording may have gaps\n", xr, xr == 1 ? "" : "s",
                gap ? ", cycles skipped" : "");
    jack_client_close(s.rec);
    jack_client_close(s.play);

    stage = "writing the recording";
    SF_INFO oi = {.samplerate = rate, .channels = 2,
                  .format = SF_FORMAT_WAV | SF_FORMAT_FLOAT};
    SNDFILE *sf = sf_open(out, SFM_WRITE, &oi);
    if (!sf)
        die("%s: cannot write: %s", out, sf_strerror(NULL));
    if (sf_writef_float(sf, s.buf + 2 * skip, frames) != frames || sf_close(sf))
        die("%s: write failed", out);
    alarm(0);
    fprintf(stderr,
            PROG ": recorded %ld frames at %d Hz (period %u, skipped %ld) from "
                 "frame time %u\n",
            frames, rate, (unsigned)period, skip, (unsigned)s.r_start);
    free(s.buf);
    free(s.a.x);
    free(s.b.x);
    return 0;
}
