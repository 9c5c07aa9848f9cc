/* phasebench.c: sm-phasebench, the quality and cost of the phase methods.
 *
 * The merged magnitude has no true phase; how close a method gets to a
 * consistent one is the spectral convergence of its reconstruction,
 *   SC_dB = 20 log10(|| |X| - |STFT(y)| ||_F / || |X| ||_F),
 * X the STFT of the signal, y the inverse STFT of the method's spectra
 * built from |X| alone (est = NULL: no source phases, so `mix` is zero
 * phase, the floor every method must beat). Each method runs through
 * sm_phase_offline(), the path specmorph-image and the tests use, and its
 * cost is the process CPU time of that call only (analysis, synthesis and
 * the measure are outside it), the median of --repeat runs, per second of
 * audio: the unit of the targets (ms of one core per s). Repeats
 * must give bit-identical spectra (determinism is part of the contract);
 * a method that does not, or gives non-finite output, fails the run.
 *
 *   sm-phasebench [options] INPUT...
 *   INPUT: an audio file (any libsndfile reads; mixed down to mono) or a
 *   built-in signal: piano | sweepnoise | noise | tone | silence
 *
 * Exit status: 0 done, 2 bad usage or input, 1 a method failed.
 */
#include "audiofile.h"
#include "phase/offline.h"
#include "specmorph.h"

#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#define MAX_SPECS 64
#define MAX_INPUTS 32

/* One method configuration: a row of the table. */
typedef struct mspec {
    char label[64];      /* as given on the command line, or the default */
    sm_phase_setup s;    /* window, hop, fs filled per signal */
    int iterations;      /* what sm_phase_offline gets */
    int uses_iterations; /* whether the method reads them */
    int offline;         /* gla, fgla: not real-time */
} mspec;

typedef struct opts {
    int window, hop, repeat, tsv, quiet, rate;
    int lookahead, iterations, init, fgla_it, gla_it;
    double seconds; /* generated length; files are cut to it when given */
    int seconds_given;
    const char *methods, *save_dir, *write_path;
    const char *inputs[MAX_INPUTS];
    int ninputs;
} opts;

/* Result of one method on one signal. */
typedef struct result {
    double sc_db, cpu_ms_per_s, mag_err_db;
    int ok;
} result;

static const char *const default_methods =
    "mix,lws,pghi,rtisila,rtisila:la=3:it=4,bregman,bregman:la=3:it=4,hpss,"
    "gla,fgla";

static int bad(const char *fmt, const char *arg)
{
    fprintf(stderr, "sm-phasebench: ");
    fprintf(stderr, fmt, arg);
    fputc('\n', stderr);
    return 2;
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: sm-phasebench [options] INPUT...\n"
        "\n"
        "Reconstructs each INPUT's STFT magnitude with each phase method\n"
        "(no source phases: from the magnitude alone) and reports the\n"
        "spectral convergence SC = 20 log10(|| |X| - |STFT(y)| || / || |X| ||)\n"
        "in dB (lower is better), the CPU ms per second of audio of the\n"
        "reconstruction (median of the repeats, one core), the look-ahead in\n"
        "frames and ms and the iterations. With several inputs a mean row\n"
        "per method follows (SC: mean of the dB values; CPU: total over the\n"
        "total length).\n"
        "\n"
        "INPUT: an audio file (libsndfile; mixed down to mono), or a built-in\n"
        "signal: piano (inharmonic partials, exponential decays), sweepnoise\n"
        "(log sweep 50 Hz..16 kHz + white noise at -20 dB), noise, tone\n"
        "(440 Hz), silence. Built-ins are --seconds long at --rate.\n"
        "\n"
        "  -w, --window N          STFT window (periodic Hann), default 2048\n"
        "  -H, --hop N             hop, default 512\n"
        "  -m, --methods LIST      comma-separated, each NAME[:KEY=VALUE...]\n"
        "                          (default %s)\n"
        "                          keys: la (look-ahead frames), it\n"
        "                          (iterations), init (pghi|mix), harm, perc\n"
        "                          (hpss layer methods), ms, hz (hpss medians)\n"
        "  -l, --lookahead N       phase.lookahead of every method (default\n"
        "                          the parameter's, %d)\n"
        "  -i, --iterations N      phase.iterations (default %d)\n"
        "      --init pghi|mix     phase.init (default %s)\n"
        "      --fgla-iterations N fgla's iterations (default 32)\n"
        "      --gla-iterations N  gla's iterations (default 100)\n"
        "  -r, --repeat N          timed runs per method, median (default 3)\n"
        "      --rate HZ           built-ins' rate; files are resampled to it\n"
        "                          when given (default 48000 / the file's)\n"
        "      --seconds S         built-ins' length (default 5); files are\n"
        "                          cut to S when given\n"
        "      --tsv               tab-separated: a header line, then per\n"
        "                          signal and method: signal seconds rate\n"
        "                          window hop method spec realtime\n"
        "                          lookahead_frames lookahead_ms (-1 offline)\n"
        "                          iterations (0: not used) cpu_ms_per_s sc_db\n"
        "                          mag_err_db (|output| against the target:\n"
        "                          float rounding, below -60; the mean rows,\n"
        "                          signal \"(mean)\", hold the worst)\n"
        "      --save DIR          write each reconstruction to\n"
        "                          DIR/SIGNAL-WINDOW-HOP-METHOD.wav\n"
        "      --write FILE        write the (single) input signal to FILE\n"
        "                          and exit (float WAV)\n"
        "  -q, --quiet             no progress on stderr\n"
        "  -h, --help              this help\n",
        default_methods,
        (int)sm_param_get_info(SM_P_PHASE_LOOKAHEAD)->def,
        (int)sm_param_get_info(SM_P_PHASE_ITERATIONS)->def,
        sm_param_choice_name(SM_P_PHASE_INIT,
                             (int)sm_param_get_info(SM_P_PHASE_INIT)->def));
}

/* ---- numbers on the command line ------------------------------------- */

static int parse_int(const char *t, int lo, int hi, int *v)
{
    char *end;
    errno = 0;
    long x = strtol(t, &end, 10);
    if (errno || end == t || *end || x < lo || x > hi)
        return -1;
    *v = (int)x;
    return 0;
}

static int parse_num(const char *t, double lo, double hi, double *v)
{
    char *end;
    errno = 0;
    double x = strtod(t, &end);
    if (errno || end == t || *end || !(x >= lo && x <= hi))
        return -1;
    *v = x;
    return 0;
}

static int init_of(const char *t)
{
    if (!strcmp(t, "pghi"))
        return SM_PHASE_INIT_PGHI;
    if (!strcmp(t, "mix"))
        return SM_PHASE_INIT_MIX;
    return -1;
}

/* ---- method specifications ------------------------------------------- */

/* One NAME[:KEY=VALUE...] into sp (the defaults of o first). */
static int spec_parse(const char *text, const opts *o, mspec *sp)
{
    char buf[128];
    if (strlen(text) >= sizeof buf || strlen(text) >= sizeof sp->label)
        return bad("method spec too long: %s", text);
    strcpy(buf, text);
    strcpy(sp->label, text);
    char *save = NULL, *tok = strtok_r(buf, ":", &save);
    int m = tok ? sm_phase_find(tok) : -1;
    if (m < 0)
        return bad("unknown method '%s' (mix lws pghi rtisila bregman hpss "
                   "gla fgla)", tok ? tok : text);
    memset(&sp->s, 0, sizeof sp->s);
    sp->s.method = m;
    sp->s.lookahead = o->lookahead;
    sp->s.init = o->init;
    sp->s.harmonic = (int)sm_param_get_info(SM_P_PHASE_HARMONIC)->def;
    sp->s.percussive = (int)sm_param_get_info(SM_P_PHASE_PERCUSSIVE)->def;
    sp->s.hpss_ms = sm_param_get_info(SM_P_PHASE_HPSS_MS)->def;
    sp->s.hpss_hz = sm_param_get_info(SM_P_PHASE_HPSS_HZ)->def;
    sp->offline = m >= SM_PHASE_STREAMING_COUNT;
    sp->iterations = m == SM_PHASE_FGLA  ? o->fgla_it
                     : m == SM_PHASE_GLA ? o->gla_it
                                         : o->iterations;
    while ((tok = strtok_r(NULL, ":", &save))) {
        char *eq = strchr(tok, '=');
        if (!eq)
            return bad("method option '%s' is not KEY=VALUE", tok);
        *eq = '\0';
        const char *k = tok, *v = eq + 1;
        int iv;
        double dv;
        if (!strcmp(k, "la")) {
            if (parse_int(v, 0, SM_PHASE_MAX_LOOKAHEAD, &iv))
                return bad("la=%s: look-ahead out of range", v);
            sp->s.lookahead = iv;
        } else if (!strcmp(k, "it")) {
            if (parse_int(v, 1, sp->offline ? 100000 : SM_PHASE_MAX_ITERATIONS,
                          &iv))
                return bad("it=%s: iterations out of range", v);
            sp->iterations = iv;
        } else if (!strcmp(k, "init")) {
            if ((sp->s.init = init_of(v)) < 0)
                return bad("init=%s: pghi or mix", v);
        } else if (!strcmp(k, "harm") || !strcmp(k, "perc")) {
            iv = sm_phase_find(v);
            if (iv < 0 || iv >= SM_PHASE_HPSS)
                return bad("%s: a layer is mix, lws, pghi, rtisila or "
                           "bregman", tok);
            *(k[0] == 'h' ? &sp->s.harmonic : &sp->s.percussive) = iv;
        } else if (!strcmp(k, "ms")) {
            if (parse_num(v, 1.0, 10000.0, &dv))
                return bad("ms=%s: out of range", v);
            sp->s.hpss_ms = (float)dv;
        } else if (!strcmp(k, "hz")) {
            if (parse_num(v, 1.0, 100000.0, &dv))
                return bad("hz=%s: out of range", v);
            sp->s.hpss_hz = (float)dv;
        } else {
            return bad("unknown method option '%s' (la it init harm perc ms "
                       "hz)", k);
        }
    }
    int iter_layer = sp->s.harmonic == SM_PHASE_RTISILA ||
                     sp->s.harmonic == SM_PHASE_BREGMAN ||
                     sp->s.percussive == SM_PHASE_RTISILA ||
                     sp->s.percussive == SM_PHASE_BREGMAN;
    sp->uses_iterations = sp->offline || m == SM_PHASE_RTISILA ||
                          m == SM_PHASE_BREGMAN ||
                          (m == SM_PHASE_HPSS && iter_layer);
    return 0;
}

static int specs_parse(const char *list, const opts *o, mspec *sp, int *n)
{
    char *buf = strdup(list);
    if (!buf)
        return bad("%s", "out of memory");
    int rc = 0;
    *n = 0;
    char *save = NULL;
    for (char *t = strtok_r(buf, ",", &save); t; t = strtok_r(NULL, ",", &save)) {
        if (*n == MAX_SPECS) {
            rc = bad("more than %s methods", "64");
            break;
        }
        if ((rc = spec_parse(t, o, &sp[*n])))
            break;
        (*n)++;
    }
    free(buf);
    if (!rc && *n == 0)
        rc = bad("--methods '%s' names no method", list);
    return rc;
}

/* ---- built-in signals -------------------------------------------------- */

typedef struct rng {
    uint32_t s;
} rng;

static double rnd(rng *r) /* uniform [-1, 1) */
{
    r->s ^= r->s << 13;
    r->s ^= r->s >> 17;
    r->s ^= r->s << 5;
    return (double)(r->s >> 8) / 8388608.0 - 1.0;
}

/* Piano-like: notes of an arpeggiated progression with a chord on each
 * bar; every note is a stiff string (partial k at k f0 sqrt(1 + B k^2),
 * B = 4e-4) whose partials decay faster the higher they are, with a
 * 2 ms hammer onset: sharp attacks and long inharmonic tails, what makes
 * phase from magnitude hard for piano. */
static void gen_piano(float *x, long n, double fs)
{
    static const double roots[4] = {130.81, 110.0, 146.83, 98.0}; /* C A D G */
    static const double third[4] = {1.2599, 1.1892, 1.1892, 1.2599};
    const long bar = (long)(2.0 * fs), step = bar / 8;
    for (long start = 0; start < n; start += step) {
        long b = start / bar, k8 = (start % bar) / step;
        double root = roots[b % 4];
        double notes[4];
        int count = 1;
        if (k8 == 0) { /* chord: root, third, fifth, octave */
            notes[0] = root;
            notes[1] = root * third[b % 4];
            notes[2] = root * 1.4983;
            notes[3] = root * 2.0;
            count = 4;
        } else { /* arpeggio an octave up */
            static const double pat[7] = {1.0, 1.4983, 2.0, 2.5198, 2.0,
                                          1.4983, 1.2599};
            notes[0] = 2.0 * root * pat[(k8 - 1) % 7];
        }
        for (int v = 0; v < count; v++) {
            double f0 = notes[v], amp = count > 1 ? 0.5 : 0.8;
            long len = n - start;
            if (len > (long)(3.0 * fs))
                len = (long)(3.0 * fs);
            for (int k = 1; k <= 40; k++) {
                double fk = k * f0 * sqrt(1.0 + 4e-4 * k * k);
                if (fk > 0.45 * fs)
                    break;
                double ak = amp / k * (k == 1 ? 1.0 : 0.7);
                double dk = 1.5 + 0.004 * fk;     /* 1/s */
                double w = 2.0 * M_PI * fk / fs; /* recursive oscillator */
                double c = 2.0 * cos(w), s1 = sin(k * 1.7), s0 = sin(k * 1.7 - w);
                double g = exp(-dk / fs), e = 1.0;
                for (long i = 0; i < len; i++) {
                    double s = c * s1 - s0;
                    s0 = s1;
                    s1 = s;
                    double att = i < (long)(0.002 * fs)
                                     ? (double)i / (0.002 * fs)
                                     : 1.0;
                    x[start + i] += (float)(ak * e * att * s0);
                    e *= g;
                }
            }
        }
    }
}

/* Log sweep 50 Hz..16 kHz (capped at 0.45 fs) over the whole length plus
 * white noise 20 dB below the sweep's RMS. */
static void gen_sweepnoise(float *x, long n, double fs, rng *r)
{
    double f1 = 50.0, f2 = fmin(16000.0, 0.45 * fs);
    double T = (double)n / fs, k = log(f2 / f1);
    /* uniform noise has RMS 1/sqrt(3); the sweep's is 1/sqrt(2) */
    double g = 0.1 * sqrt(3.0) / sqrt(2.0);
    for (long i = 0; i < n; i++) {
        double t = (double)i / fs;
        double ph = 2.0 * M_PI * f1 * T / k * (exp(t / T * k) - 1.0);
        x[i] = (float)(sin(ph) + g * rnd(r));
    }
}

static int builtin(const char *name, double secs, int rate, float **out,
                   long *n)
{
    static const char *const names[] = {"piano", "sweepnoise", "noise",
                                        "tone", "silence"};
    int which = -1;
    for (int i = 0; i < 5; i++)
        if (!strcmp(name, names[i]))
            which = i;
    if (which < 0)
        return -1;
    *n = (long)llround(secs * rate);
    float *x = calloc((size_t)*n + 1, sizeof(float));
    if (!x)
        return -2;
    rng r = {12345u};
    switch (which) {
    case 0: gen_piano(x, *n, rate); break;
    case 1: gen_sweepnoise(x, *n, rate, &r); break;
    case 2:
        for (long i = 0; i < *n; i++)
            x[i] = (float)rnd(&r);
        break;
    case 3:
        for (long i = 0; i < *n; i++)
            x[i] = (float)sin(2.0 * M_PI * 440.0 * (double)i / rate);
        break;
    default: break;
    }
    float pk = 0.0f;
    for (long i = 0; i < *n; i++)
        pk = fmaxf(pk, fabsf(x[i]));
    if (pk > 0.0f) /* peak at -6 dBFS, as sm-gen */
        for (long i = 0; i < *n; i++)
            x[i] *= 0.5f / pk;
    *out = x;
    return 0;
}

/* ---- a signal ------------------------------------------------------------ */

typedef struct sigin {
    char name[64];
    float *x;
    long n;
    int rate;
    int generated;
} sigin;

static void name_of(const char *path, char *name, size_t len)
{
    const char *b = strrchr(path, '/');
    b = b ? b + 1 : path;
    snprintf(name, len, "%s", b);
    char *dot = strrchr(name, '.');
    if (dot && dot != name)
        *dot = '\0';
}

static int signal_load(const char *in, const opts *o, sigin *sg)
{
    memset(sg, 0, sizeof *sg);
    struct stat st;
    if (stat(in, &st) != 0) {
        int rate = o->rate ? o->rate : 48000;
        int rc = builtin(in, o->seconds, rate, &sg->x, &sg->n);
        if (rc == -2)
            return bad("%s", "out of memory");
        if (rc < 0)
            return bad("%s: no such file, and not a built-in signal (piano "
                       "sweepnoise noise tone silence)", in);
        snprintf(sg->name, sizeof sg->name, "%s", in);
        sg->rate = rate;
        sg->generated = 1;
        return 0;
    }
    char why[512];
    sm_reader *r = sm_reader_open(in, o->rate, why, sizeof why);
    if (!r)
        return bad("%s", why);
    sg->rate = o->rate ? o->rate : sm_reader_file_rate(r);
    long long n = sm_reader_frames(r);
    if (o->seconds_given && n > (long long)llround(o->seconds * sg->rate))
        n = (long long)llround(o->seconds * sg->rate);
    if (n < 1 || n > (1LL << 31)) {
        sm_reader_close(r);
        return bad("%s: empty or too long", in);
    }
    sg->n = (long)n;
    sg->x = calloc((size_t)n, sizeof(float));
    if (!sg->x || sm_reader_read(r, sg->x, (size_t)n, why, sizeof why)) {
        int rc = bad("%s", sg->x ? why : "out of memory");
        sm_reader_close(r);
        free(sg->x);
        sg->x = NULL;
        return rc;
    }
    sm_reader_close(r);
    name_of(in, sg->name, sizeof sg->name);
    return 0;
}

static int write_wav(const char *path, const float *x, long n, int rate)
{
    char why[512];
    sm_writer *w = sm_writer_open(path, rate, 1, "float", why, sizeof why);
    if (!w || sm_writer_write(w, x, (size_t)n, why, sizeof why) ||
        sm_writer_commit(w, why, sizeof why)) {
        sm_writer_abort(w);
        fprintf(stderr, "sm-phasebench: %s\n", why);
        return -1;
    }
    return 0;
}

/* ---- one method on one signal ------------------------------------------ */

static double cpu_now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

/* 20 log10 of the relative Frobenius distance between |spec| and mag:
 * methods choose phases, never magnitudes, so this is float rounding. */
static double mag_err_db(const sm_cpx *spec, const float *mag, size_t count)
{
    double num = 0.0, den = 0.0;
    for (size_t i = 0; i < count; i++) {
        double d = (double)sm_cabs(spec[i]) - mag[i];
        num += d * d;
        den += (double)mag[i] * mag[i];
    }
    if (num == 0.0)
        return -INFINITY;
    return den > 0.0 ? 10.0 * log10(num / den) : INFINITY;
}

static int all_finite(const sm_cpx *spec, size_t count)
{
    for (size_t i = 0; i < count; i++)
        if (!isfinite(spec[i].re) || !isfinite(spec[i].im))
            return 0;
    return 1;
}

static void save_one(const opts *o, const sigin *sg, const mspec *sp,
                     const float *y)
{
    char path[4096], label[64];
    snprintf(label, sizeof label, "%s", sp->label);
    for (char *c = label; *c; c++)
        if (*c == ':' || *c == '=' || *c == '/')
            *c = '-';
    snprintf(path, sizeof path, "%s/%s-%d-%d-%s.wav", o->save_dir, sg->name,
             o->window, o->hop, label);
    write_wav(path, y, sg->n, sg->rate);
}

static result run_one(const opts *o, const sigin *sg, const float *mag,
                      int frames, mspec *sp, sm_cpx *spec_out, sm_cpx *first,
                      float *y, double *times)
{
    result res = {NAN, NAN, NAN, 0};
    const size_t count = (size_t)frames * (size_t)(o->window / 2 + 1);
    sp->s.window = o->window;
    sp->s.hop = o->hop;
    sp->s.fs_hz = sg->rate;
    for (int r = 0; r < o->repeat; r++) {
        sm_cpx *dst = r == 0 ? first : spec_out;
        double t0 = cpu_now_s();
        sm_error e = sm_phase_offline(&sp->s, mag, frames, NULL,
                                      sp->iterations, dst);
        double t1 = cpu_now_s();
        if (e != SM_OK) {
            fprintf(stderr, "sm-phasebench: %s on %s: %s\n", sp->label,
                    sg->name, sm_strerror(e));
            return res;
        }
        times[r] = t1 - t0;
        if (r > 0 && memcmp(first, spec_out, count * sizeof(sm_cpx))) {
            fprintf(stderr, "sm-phasebench: %s on %s: run %d differs from "
                            "run 1 (not deterministic)\n",
                    sp->label, sg->name, r + 1);
            return res;
        }
    }
    if (!all_finite(first, count)) {
        fprintf(stderr, "sm-phasebench: %s on %s: non-finite output\n",
                sp->label, sg->name);
        return res;
    }
    qsort(times, (size_t)o->repeat, sizeof *times, cmp_double);
    double med = o->repeat % 2
                     ? times[o->repeat / 2]
                     : 0.5 * (times[o->repeat / 2 - 1] + times[o->repeat / 2]);
    res.cpu_ms_per_s = 1000.0 * med / ((double)sg->n / sg->rate);
    if (sm_spec_synth(first, frames, o->window, o->hop, y, (size_t)sg->n)) {
        fprintf(stderr, "sm-phasebench: synthesis failed\n");
        return res;
    }
    res.sc_db = sm_spectral_convergence_db(mag, frames, o->window, o->hop, y,
                                           (size_t)sg->n);
    res.mag_err_db = mag_err_db(first, mag, count);
    if (res.mag_err_db > -60.0) /* float rounding is far below */
        fprintf(stderr, "sm-phasebench: warning: %s on %s: |output| differs "
                        "from the target magnitude (%.1f dB): a method "
                        "chooses phases, never magnitudes\n",
                sp->label, sg->name, res.mag_err_db);
    if (isnan(res.sc_db)) {
        fprintf(stderr, "sm-phasebench: %s on %s: SC could not be measured\n",
                sp->label, sg->name);
        return res;
    }
    if (o->save_dir)
        save_one(o, sg, sp, y);
    res.ok = 1;
    return res;
}

/* ---- output ---------------------------------------------------------- */

static void fmt_db(char *b, size_t n, double v)
{
    if (isnan(v))
        snprintf(b, n, "FAILED");
    else if (isinf(v))
        snprintf(b, n, "%s", v < 0 ? "-inf" : "inf");
    else
        snprintf(b, n, "%.2f", v);
}

static void print_tsv_header(void)
{
    printf("signal\tseconds\trate\twindow\thop\tmethod\tspec\trealtime\t"
           "lookahead_frames\tlookahead_ms\titerations\tcpu_ms_per_s\t"
           "sc_db\tmag_err_db\n");
}

static void print_row(const opts *o, const char *sig, double secs, int rate,
                      const mspec *sp, int la, const result *r)
{
    const double la_ms = 1000.0 * la * o->hop / rate;
    const int it = sp->uses_iterations ? sp->iterations : 0;
    char sc[32], me[32];
    fmt_db(sc, sizeof sc, r->sc_db);
    fmt_db(me, sizeof me, r->mag_err_db);
    if (o->tsv) {
        printf("%s\t%.3f\t%d\t%d\t%d\t%s\t%s\t%d\t%d\t%.2f\t%d\t%.3f\t%s\t%s\n",
               sig, secs, rate, o->window, o->hop,
               sm_phase_name(sp->s.method), sp->label, !sp->offline,
               sp->offline ? -1 : la, sp->offline ? -1.0 : la_ms, it,
               r->cpu_ms_per_s, sc, me);
        return;
    }
    char las[16] = "-", lams[16] = "-", its[16] = "-", cpu[32];
    if (!sp->offline) {
        snprintf(las, sizeof las, "%d", la);
        snprintf(lams, sizeof lams, "%.1f", la_ms);
    }
    if (it)
        snprintf(its, sizeof its, "%d", it);
    if (isnan(r->cpu_ms_per_s))
        snprintf(cpu, sizeof cpu, "-");
    else
        snprintf(cpu, sizeof cpu, "%.2f", r->cpu_ms_per_s);
    printf("  %-26s %-8s %5s %7s %5s %10s %9s\n", sp->label,
           sp->offline ? "offline" : "realtime", las, lams, its, cpu, sc);
}

static void print_table_head(void)
{
    printf("  %-26s %-8s %5s %7s %5s %10s %9s\n", "method", "kind", "LA fr",
           "LA ms", "iter", "CPU ms/s", "SC dB");
}

/* ---- options ---------------------------------------------------------- */

static int parse_args(int argc, char **argv, opts *o)
{
    enum { O_INIT = 256, O_FGLA, O_GLA, O_RATE, O_SECS, O_TSV, O_SAVE,
           O_WRITE };
    static const struct option lo[] = {
        {"window", required_argument, 0, 'w'},
        {"hop", required_argument, 0, 'H'},
        {"methods", required_argument, 0, 'm'},
        {"lookahead", required_argument, 0, 'l'},
        {"iterations", required_argument, 0, 'i'},
        {"init", required_argument, 0, O_INIT},
        {"fgla-iterations", required_argument, 0, O_FGLA},
        {"gla-iterations", required_argument, 0, O_GLA},
        {"repeat", required_argument, 0, 'r'},
        {"rate", required_argument, 0, O_RATE},
        {"seconds", required_argument, 0, O_SECS},
        {"tsv", no_argument, 0, O_TSV},
        {"save", required_argument, 0, O_SAVE},
        {"write", required_argument, 0, O_WRITE},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {0, 0, 0, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":w:H:m:l:i:r:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'w':
            if (parse_int(optarg, 4, 65536, &o->window) || (o->window & 1))
                return bad("--window %s: an even number 4..65536", optarg);
            break;
        case 'H':
            if (parse_int(optarg, 1, 32768, &o->hop))
                return bad("--hop %s: 1..32768", optarg);
            break;
        case 'm': o->methods = optarg; break;
        case 'l':
            if (parse_int(optarg, 0, SM_PHASE_MAX_LOOKAHEAD, &o->lookahead))
                return bad("--lookahead %s: 0..8 frames", optarg);
            break;
        case 'i':
            if (parse_int(optarg, 1, SM_PHASE_MAX_ITERATIONS, &o->iterations))
                return bad("--iterations %s: 1..64", optarg);
            break;
        case O_INIT:
            if ((o->init = init_of(optarg)) < 0)
                return bad("--init %s: pghi or mix", optarg);
            break;
        case O_FGLA:
            if (parse_int(optarg, 1, 100000, &o->fgla_it))
                return bad("--fgla-iterations %s: 1..100000", optarg);
            break;
        case O_GLA:
            if (parse_int(optarg, 1, 100000, &o->gla_it))
                return bad("--gla-iterations %s: 1..100000", optarg);
            break;
        case 'r':
            if (parse_int(optarg, 1, 1000, &o->repeat))
                return bad("--repeat %s: 1..1000", optarg);
            break;
        case O_RATE:
            if (parse_int(optarg, 8000, 384000, &o->rate))
                return bad("--rate %s: 8000..384000 Hz", optarg);
            break;
        case O_SECS:
            if (parse_num(optarg, 0.01, 3600.0, &o->seconds))
                return bad("--seconds %s: 0.01..3600", optarg);
            o->seconds_given = 1;
            break;
        case O_TSV: o->tsv = 1; break;
        case O_SAVE: o->save_dir = optarg; break;
        case O_WRITE: o->write_path = optarg; break;
        case 'q': o->quiet = 1; break;
        case 'h': usage(stdout); exit(0);
        case ':': return bad("%s needs a value", argv[optind - 1]);
        default: return bad("unknown option %s (--help)", argv[optind - 1]);
        }
    }
    if (o->hop > o->window / 2)
        return bad("--hop must be at most half the window (%s)",
                   "overlap of 2 or more");
    for (int i = optind; i < argc; i++) {
        if (o->ninputs == MAX_INPUTS)
            return bad("more than %s inputs", "32");
        o->inputs[o->ninputs++] = argv[i];
    }
    if (o->ninputs == 0) {
        usage(stderr);
        return 2;
    }
    if (o->write_path && o->ninputs != 1)
        return bad("--write takes %s input", "one");
    return 0;
}

int main(int argc, char **argv)
{
    opts o = {
        .window = 2048, .hop = 512, .repeat = 3, .seconds = 5.0,
        .lookahead = (int)sm_param_get_info(SM_P_PHASE_LOOKAHEAD)->def,
        .iterations = (int)sm_param_get_info(SM_P_PHASE_ITERATIONS)->def,
        .init = (int)sm_param_get_info(SM_P_PHASE_INIT)->def,
        .fgla_it = 32, .gla_it = 100, .methods = default_methods,
    };
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;
    static mspec specs[MAX_SPECS];
    int nspecs = 0;
    if ((rc = specs_parse(o.methods, &o, specs, &nspecs)))
        return rc;
    if (o.save_dir) {
        struct stat st;
        if (stat(o.save_dir, &st) != 0 || !S_ISDIR(st.st_mode))
            return bad("--save %s: not a directory", o.save_dir);
    }

    static sigin sigs[MAX_INPUTS];
    for (int i = 0; i < o.ninputs; i++)
        if ((rc = signal_load(o.inputs[i], &o, &sigs[i])))
            return rc;
    if (o.write_path)
        return write_wav(o.write_path, sigs[0].x, sigs[0].n, sigs[0].rate) ? 2
                                                                           : 0;
    for (int i = 1; i < o.ninputs; i++)
        if (sigs[i].rate != sigs[0].rate)
            return bad("inputs at different rates: give --rate (%s)",
                       sigs[i].name);

    /* mean rows: SC mean of dB, CPU total over total length */
    double sc_sum[MAX_SPECS] = {0}, cpu_ms[MAX_SPECS] = {0}, secs_sum = 0.0;
    double me_max[MAX_SPECS]; /* the worst magnitude error */
    int failed[MAX_SPECS] = {0};
    int la[MAX_SPECS];
    for (int m = 0; m < MAX_SPECS; m++)
        me_max[m] = -INFINITY;
    int any_fail = 0;
    const int bins = o.window / 2 + 1;

    if (o.tsv)
        print_tsv_header();
    for (int i = 0; i < o.ninputs; i++) {
        sigin *sg = &sigs[i];
        const double secs = (double)sg->n / sg->rate;
        const int frames = sm_spec_frames((size_t)sg->n, o.window, o.hop);
        const size_t count = (size_t)frames * (size_t)bins;
        sm_cpx *X = calloc(count, sizeof(sm_cpx));
        sm_cpx *s1 = calloc(count, sizeof(sm_cpx));
        sm_cpx *s2 = calloc(count, sizeof(sm_cpx));
        float *mag = calloc(count, sizeof(float));
        float *y = calloc((size_t)sg->n, sizeof(float));
        double *times = calloc((size_t)o.repeat, sizeof(double));
        if (!X || !s1 || !s2 || !mag || !y || !times) {
            fprintf(stderr, "sm-phasebench: out of memory\n");
            return 1;
        }
        if (sm_spec_analyze(sg->x, (size_t)sg->n, o.window, o.hop, X)) {
            fprintf(stderr, "sm-phasebench: analysis failed\n");
            return 1;
        }
        for (size_t k = 0; k < count; k++)
            mag[k] = sm_cabs(X[k]);
        if (!o.tsv) {
            printf("%s: %.3f s at %d Hz%s; window %d, hop %d (Hann); %d "
                   "frames; CPU median of %d run%s\n",
                   sg->name, secs, sg->rate, sg->generated ? " (built-in)" : "",
                   o.window, o.hop, frames, o.repeat, o.repeat > 1 ? "s" : "");
            print_table_head();
        }
        for (int m = 0; m < nspecs; m++) {
            if (!o.quiet)
                fprintf(stderr, "sm-phasebench: %s %d/%d %s\n", sg->name,
                        o.window, o.hop, specs[m].label);
            result r = run_one(&o, sg, mag, frames, &specs[m], s2, s1, y,
                               times);
            la[m] = specs[m].offline ? 0 : sm_phase_lookahead(&specs[m].s);
            print_row(&o, sg->name, secs, sg->rate, &specs[m], la[m], &r);
            fflush(stdout);
            if (!r.ok) {
                failed[m] = 1;
                any_fail = 1;
                continue;
            }
            sc_sum[m] += r.sc_db;
            cpu_ms[m] += r.cpu_ms_per_s * secs;
            me_max[m] = fmax(me_max[m], r.mag_err_db);
        }
        secs_sum += secs;
        if (!o.tsv)
            printf("\n");
        free(X);
        free(s1);
        free(s2);
        free(mag);
        free(y);
        free(times);
        free(sg->x);
    }
    if (o.ninputs > 1) {
        if (!o.tsv) {
            printf("mean over %d signals (%.3f s): SC mean of the dB values, "
                   "CPU total / length\n",
                   o.ninputs, secs_sum);
            print_table_head();
        }
        for (int m = 0; m < nspecs; m++) {
            result r = {NAN, NAN, NAN, 0};
            if (!failed[m]) {
                r.sc_db = sc_sum[m] / o.ninputs;
                r.cpu_ms_per_s = cpu_ms[m] / secs_sum;
                r.mag_err_db = me_max[m];
            }
            print_row(&o, "(mean)", secs_sum, sigs[0].rate, &specs[m], la[m],
                      &r);
        }
    }
    return any_fail ? 1 : 0;
}
