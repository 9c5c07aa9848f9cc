/* render.c: specmorph-render, the engine on files.
 *
 * It is the reference front end: the daemon fed the same input must give
 * the same samples after the reported latency. Output is time-aligned
 * with the input (latency trimmed, tail flushed) unless --keep-latency.
 * Exit codes: 0 done, 2 bad usage or input (one clear line), 1 failure
 * while writing; nothing half-written is ever left at the output path.
 */
#include "audiofile.h"
#include "ini.h"
#include "specmorph.h"

#include <getopt.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define BLOCK 4096
#define MAX_SETS 256

typedef struct opts {
    const char *in_a, *in_b, *out, *ini, *report, *format;
    const char *sets[MAX_SETS];
    int nsets;
    int rate;
    int print_latency, bench, keep_latency, quiet;
} opts;

static volatile sig_atomic_t stop_flag;
static void on_signal(int sig) { stop_flag = sig; }

static double now_cpu(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (double)ts.tv_sec + ts.tv_nsec * 1e-9;
}

static void print_params(FILE *f)
{
    fprintf(f, "\nParameters (-s section.key=value, or [section] key = value "
               "in -c FILE):\n");
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        char def[48], range[96];
        sm_param_format((sm_param)i, in->def, def, sizeof def);
        if (in->type == SM_T_ENUM) {
            size_t o = 0;
            for (int c = 0; c <= (int)in->max; c++)
                o += (size_t)snprintf(range + o, sizeof range - o, "%s%s",
                                      c ? "|" : "",
                                      sm_param_choice_name((sm_param)i, c));
        } else {
            snprintf(range, sizeof range, "%g..%g%s%s", in->min, in->max,
                     *in->unit ? " " : "", in->unit);
        }
        fprintf(f, "  %-26s %-24s default %s\n", in->name, range, def);
    }
}

static void usage(FILE *f)
{
    fprintf(f,
        "usage: specmorph-render [options] A B -o OUT\n"
        "       specmorph-render --print-latency [-r RATE] [-c FILE] [-s k=v]\n"
        "\n"
        "Merges source A and source B with the specmorph engine. Inputs: any\n"
        "file libsndfile reads; channels are mixed down to mono, rates are\n"
        "converted to the engine rate, the shorter input is padded with\n"
        "silence. Output: stereo, as long as the longer input, time-aligned.\n"
        "\n"
        "  -o, --output FILE     output (.wav float by default; .flac .ogg\n"
        "                        .aiff .caf by extension)\n"
        "  -c, --config FILE     INI file (same format as specmorphd)\n"
        "  -s, --set KEY=VALUE   one parameter, after -c (repeatable)\n"
        "  -r, --rate HZ         engine rate (default: the rate of A)\n"
        "      --format SUB      float | pcm16 | pcm24\n"
        "      --keep-latency    keep the raw stream (latency not trimmed)\n"
        "      --print-latency   print the engine latency and exit\n"
        "      --report FILE     write a JSON report (latency, timing,\n"
        "                        telemetry)\n"
        "      --bench           print the engine's real-time factor\n"
        "  -q, --quiet           no progress bar\n"
        "  -h, --help            this help\n"
        "      --version         version\n");
    print_params(f);
}

static int bad(const char *msg)
{
    fprintf(stderr, "specmorph-render: %s\n", msg);
    return 2;
}

static void ini_report(void *ctx, const char *line)
{
    (void)ctx;
    fprintf(stderr, "specmorph-render: %s\n", line);
}

static int parse_args(int argc, char **argv, opts *o)
{
    enum { O_FORMAT = 256, O_KEEP, O_PRINTLAT, O_REPORT, O_BENCH, O_VERSION };
    static const struct option lo[] = {
        {"output", required_argument, 0, 'o'},
        {"config", required_argument, 0, 'c'},
        {"set", required_argument, 0, 's'},
        {"rate", required_argument, 0, 'r'},
        {"format", required_argument, 0, O_FORMAT},
        {"keep-latency", no_argument, 0, O_KEEP},
        {"print-latency", no_argument, 0, O_PRINTLAT},
        {"report", required_argument, 0, O_REPORT},
        {"bench", no_argument, 0, O_BENCH},
        {"quiet", no_argument, 0, 'q'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, O_VERSION},
        {0, 0, 0, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":o:c:s:r:qh", lo, NULL)) != -1) {
        switch (c) {
        case 'o': o->out = optarg; break;
        case 'c': o->ini = optarg; break;
        case 's':
            if (o->nsets == MAX_SETS)
                return bad("too many -s options");
            o->sets[o->nsets++] = optarg;
            break;
        case 'r': {
            char *end;
            long v = strtol(optarg, &end, 10);
            if (*end || v < 8000 || v > 384000)
                return bad("-r: expected a rate from 8000 to 384000 Hz");
            o->rate = (int)v;
            break;
        }
        case O_FORMAT: o->format = optarg; break;
        case O_KEEP: o->keep_latency = 1; break;
        case O_PRINTLAT: o->print_latency = 1; break;
        case O_REPORT: o->report = optarg; break;
        case O_BENCH: o->bench = 1; break;
        case 'q': o->quiet = 1; break;
        case 'h': usage(stdout); exit(0);
        case O_VERSION:
            printf("specmorph-render " SM_VERSION " (backends: cpu)\n");
            exit(0);
        case ':': {
            char m[128];
            snprintf(m, sizeof m, "%s: needs a value (see --help)",
                     argv[optind - 1]);
            return bad(m);
        }
        default: {
            char m[128];
            snprintf(m, sizeof m, "unknown option '%s' (see --help)",
                     argv[optind - 1]);
            return bad(m);
        }
        }
    }
    int npos = argc - optind;
    if (o->print_latency && npos == 0)
        return 0;
    if (npos != 2)
        return bad("expected two inputs, A and B (see --help)");
    o->in_a = argv[optind];
    o->in_b = argv[optind + 1];
    if (!o->out && !o->print_latency)
        return bad("no output: give -o OUT");
    return 0;
}

static int build_config(const opts *o, int rate, sm_config *cfg)
{
    *cfg = sm_config_default(rate);
    if (o->ini && sm_conf_load(o->ini, cfg, ini_report, NULL) != 0)
        return 2;
    for (int i = 0; i < o->nsets; i++) {
        char why[256];
        if (sm_conf_set_kv(cfg, o->sets[i], why, sizeof why) != SM_OK) {
            char m[300];
            snprintf(m, sizeof m, "-s %s", why);
            return bad(m);
        }
    }
    char why[256];
    if (sm_config_check(cfg, why, sizeof why) != SM_OK)
        return bad(why);
    return 0;
}

static void progress(double frac)
{
    int w = 40, f = (int)(frac * w);
    fprintf(stderr, "\r[");
    for (int i = 0; i < w; i++)
        fputc(i < f ? '#' : '.', stderr);
    fprintf(stderr, "] %3d%%", (int)(frac * 100.0));
    fflush(stderr);
}

/* The alignment and crossover telemetry at one whole second of engine
 * input. */
typedef struct align_point {
    float lag_ms, confidence, delay_ms;
    float xover_lo_hz, xover_hi_hz, centroid_hz;
} align_point;

typedef struct result {
    long long frames_out;
    double audio_s, cpu_engine_s, cpu_total_s;
    sm_engine_stats st;
    align_point *series; /* [n_series], second 1, 2, ... */
    size_t n_series;
} result;

static void json_str(FILE *f, const char *s)
{
    fputc('"', f);
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            fprintf(f, "\\%c", c);
        else if (c < 0x20)
            fprintf(f, "\\u%04x", c);
        else
            fputc(c, f);
    }
    fputc('"', f);
}

static int write_report(const char *path, const sm_config *cfg, int latency,
                        const result *r, const opts *o)
{
    char tmp[4096];
    snprintf(tmp, sizeof tmp, "%s.partial", path);
    FILE *f = fopen(tmp, "w");
    if (!f) {
        fprintf(stderr, "specmorph-render: %s: cannot write report\n", path);
        return 1;
    }
    double rate = cfg->sample_rate_hz;
    fprintf(f, "{\n  \"version\": \"%s\",\n", SM_VERSION);
    fprintf(f, "  \"input_a\": ");
    json_str(f, o->in_a);
    fprintf(f, ",\n  \"input_b\": ");
    json_str(f, o->in_b);
    fprintf(f, ",\n");
    fprintf(f, "  \"sample_rate_hz\": %d,\n", cfg->sample_rate_hz);
    fprintf(f, "  \"latency_samples\": %d,\n  \"latency_ms\": %.3f,\n",
            latency, latency * 1000.0 / rate);
    fprintf(f, "  \"frames_out\": %lld,\n  \"audio_seconds\": %.6f,\n",
            r->frames_out, r->audio_s);
    fprintf(f, "  \"cpu_seconds_engine\": %.6f,\n  \"cpu_seconds_total\": "
               "%.6f,\n",
            r->cpu_engine_s, r->cpu_total_s);
    fprintf(f, "  \"realtime_factor\": %.3f,\n",
            r->cpu_engine_s > 0 ? r->audio_s / r->cpu_engine_s : 0.0);
    fprintf(f, "  \"telemetry\": {\n");
    fprintf(f, "    \"stft_frames\": %llu,\n", r->st.frames);
    fprintf(f, "    \"nonfinite_input_samples\": %llu,\n",
            r->st.nonfinite_in);
    fprintf(f, "    \"limited_samples\": %llu,\n", r->st.limited);
    fprintf(f, "    \"max_gain_reduction_db\": %.3f,\n",
            r->st.max_reduction_db);
    if (isfinite(r->st.peak_out_dbfs))
        fprintf(f, "    \"peak_out_dbfs\": %.3f\n", r->st.peak_out_dbfs);
    else
        fprintf(f, "    \"peak_out_dbfs\": null\n");
    /* lag_ms > 0: B lags A (A is delayed to match); series: one entry at
     * the end of each whole second of input */
    fprintf(f, "  },\n  \"align\": {\n");
    fprintf(f, "    \"lag_ms\": %.5f,\n    \"confidence\": %.3f,\n",
            r->st.align_lag_ms, r->st.align_confidence);
    fprintf(f, "    \"delay_ms\": %.5f,\n    \"series\": [",
            r->st.align_delay_ms);
    for (size_t i = 0; i < r->n_series; i++)
        fprintf(f, "%s\n      {\"t_s\": %zu, \"lag_ms\": %.5f, "
                   "\"confidence\": %.3f, \"delay_ms\": %.5f}",
                i ? "," : "", i + 1, r->series[i].lag_ms,
                r->series[i].confidence, r->series[i].delay_ms);
    fprintf(f, "%s]\n", r->n_series ? "\n    " : "");
    /* cutoffs in force (0 with bands.count = 1); centroid_hz: the smoothed
     * centroid the adaptive cutoffs follow (0 until measured) */
    fprintf(f, "  },\n  \"xover\": {\n");
    fprintf(f, "    \"adaptive\": %s,\n",
            cfg->values[SM_P_BANDS_ADAPTIVE] != 0.0f ? "true" : "false");
    fprintf(f, "    \"lo_hz\": %.2f,\n    \"hi_hz\": %.2f,\n",
            r->st.xover_lo_hz, r->st.xover_hi_hz);
    fprintf(f, "    \"centroid_hz\": %.2f,\n    \"series\": [",
            r->st.xover_centroid_hz);
    for (size_t i = 0; i < r->n_series; i++)
        fprintf(f, "%s\n      {\"t_s\": %zu, \"lo_hz\": %.2f, "
                   "\"hi_hz\": %.2f, \"centroid_hz\": %.2f}",
                i ? "," : "", i + 1, r->series[i].xover_lo_hz,
                r->series[i].xover_hi_hz, r->series[i].centroid_hz);
    fprintf(f, "%s]\n", r->n_series ? "\n    " : "");
    fprintf(f, "  },\n  \"parameters\": {\n");
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        char v[64];
        sm_param_format((sm_param)i, cfg->values[i], v, sizeof v);
        if (in->type == SM_T_ENUM)
            fprintf(f, "    \"%s\": \"%s\"%s\n", in->name, v,
                    i + 1 < SM_P_COUNT ? "," : "");
        else
            fprintf(f, "    \"%s\": %s%s\n", in->name, v,
                    i + 1 < SM_P_COUNT ? "," : "");
    }
    fprintf(f, "  }\n}\n");
    if (fclose(f) != 0 || rename(tmp, path) != 0) {
        unlink(tmp);
        fprintf(stderr, "specmorph-render: %s: cannot write report\n", path);
        return 1;
    }
    return 0;
}

int main(int argc, char **argv)
{
    opts o = {0};
    int rc = parse_args(argc, argv, &o);
    if (rc)
        return rc;

    char why[512];
    sm_reader *ra = NULL, *rb = NULL;
    sm_writer *w = NULL;
    sm_engine *e = NULL;
    float *ia = NULL, *ib = NULL, *ol = NULL, *or_ = NULL, *inter = NULL;
    align_point *series = NULL;
    sm_config cfg;

    if (o.print_latency && !o.in_a) {
        if ((rc = build_config(&o, o.rate ? o.rate : 48000, &cfg)))
            return rc;
        sm_error err;
        e = sm_engine_new(&cfg, &err);
        if (!e)
            return bad(sm_strerror(err));
        printf("%d\n", sm_engine_latency(e));
        sm_engine_free(e);
        return 0;
    }

    /* Inputs first: the engine rate defaults to A's rate. */
    ra = sm_reader_open(o.in_a, o.rate, why, sizeof why);
    if (!ra) {
        rc = bad(why);
        goto out;
    }
    int rate = o.rate ? o.rate : sm_reader_file_rate(ra);
    rb = sm_reader_open(o.in_b, rate, why, sizeof why);
    if (!rb) {
        rc = bad(why);
        goto out;
    }
    if ((rc = build_config(&o, rate, &cfg)))
        goto out;
    sm_error err;
    e = sm_engine_new(&cfg, &err);
    if (!e) {
        rc = bad(sm_strerror(err));
        goto out;
    }
    const long long lat = sm_engine_latency(e);
    if (o.print_latency) {
        printf("%lld\n", lat);
        rc = 0;
        goto out;
    }

    long long len = sm_reader_frames(ra);
    if (sm_reader_frames(rb) > len)
        len = sm_reader_frames(rb);
    long long total_out = o.keep_latency ? len + lat : len;

    w = sm_writer_open(o.out, rate, 2, o.format, why, sizeof why);
    if (!w) {
        rc = bad(why);
        goto out;
    }
    ia = malloc(sizeof(float) * BLOCK);
    ib = malloc(sizeof(float) * BLOCK);
    ol = malloc(sizeof(float) * BLOCK);
    or_ = malloc(sizeof(float) * BLOCK);
    inter = malloc(sizeof(float) * 2 * BLOCK);
    /* one point per second fed, latency flush included */
    size_t max_series = (size_t)((len + lat + BLOCK) / rate) + 1;
    series = malloc(sizeof *series * max_series);
    if (!ia || !ib || !ol || !or_ || !inter || !series) {
        rc = bad("out of memory");
        goto out;
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGHUP, &sa, NULL);

    int show = !o.quiet && isatty(2);
    double cpu0 = now_cpu(CLOCK_PROCESS_CPUTIME_ID), cpu_engine = 0.0;
    long long fed = 0, written = 0, skip = o.keep_latency ? 0 : lat;
    size_t n_series = 0;
    int last_pct = -1;
    while (written < total_out) {
        if (stop_flag) {
            fprintf(stderr, "%sspecmorph-render: interrupted; %s not written\n",
                    show ? "\n" : "", o.out);
            rc = 130;
            goto out;
        }
        size_t n = BLOCK;
        if (sm_reader_read(ra, ia, n, why, sizeof why) != 0 ||
            sm_reader_read(rb, ib, n, why, sizeof why) != 0) {
            rc = bad(why);
            goto out;
        }
        /* Cut at whole seconds for the telemetry series (the output does
         * not depend on where the stream is cut). */
        for (size_t done = 0; done < n;) {
            long long next = (fed / rate + 1) * rate;
            size_t m = n - done;
            if (fed + (long long)m > next)
                m = (size_t)(next - fed);
            double t0 = now_cpu(CLOCK_THREAD_CPUTIME_ID);
            sm_engine_process(e, ia + done, ib + done, ol + done, or_ + done,
                              m);
            cpu_engine += now_cpu(CLOCK_THREAD_CPUTIME_ID) - t0;
            fed += (long long)m;
            done += m;
            if (fed == next && n_series < max_series) {
                sm_engine_stats st;
                sm_engine_get_stats(e, &st);
                series[n_series++] = (align_point){
                    st.align_lag_ms,    st.align_confidence,
                    st.align_delay_ms,  st.xover_lo_hz,
                    st.xover_hi_hz,     st.xover_centroid_hz};
            }
        }
        size_t from = 0;
        if (skip > 0) {
            from = skip > (long long)n ? n : (size_t)skip;
            skip -= (long long)from;
        }
        size_t m = n - from;
        if ((long long)m > total_out - written)
            m = (size_t)(total_out - written);
        for (size_t i = 0; i < m; i++) {
            inter[2 * i] = ol[from + i];
            inter[2 * i + 1] = or_[from + i];
        }
        if (m && sm_writer_write(w, inter, m, why, sizeof why) != 0) {
            fprintf(stderr, "specmorph-render: %s\n", why);
            rc = 1;
            goto out;
        }
        written += (long long)m;
        if (show) {
            int pct = (int)(100.0 * written / (double)total_out);
            if (pct != last_pct) {
                progress((double)written / (double)total_out);
                last_pct = pct;
            }
        }
    }
    if (show)
        fputc('\n', stderr);
    if (sm_writer_commit(w, why, sizeof why) != 0) {
        w = NULL;
        fprintf(stderr, "specmorph-render: %s\n", why);
        rc = 1;
        goto out;
    }
    w = NULL;

    result r = {0};
    r.frames_out = written;
    r.audio_s = (double)fed / rate;
    r.cpu_engine_s = cpu_engine;
    r.cpu_total_s = now_cpu(CLOCK_PROCESS_CPUTIME_ID) - cpu0;
    sm_engine_get_stats(e, &r.st);
    r.series = series;
    r.n_series = n_series;
    if (o.bench)
        printf("bench: audio_s=%.3f cpu_s=%.4f rtf=%.1f\n", r.audio_s,
               r.cpu_engine_s,
               r.cpu_engine_s > 0 ? r.audio_s / r.cpu_engine_s : 0.0);
    if (r.st.nonfinite_in && !o.quiet)
        fprintf(stderr, "specmorph-render: warning: %llu non-finite input "
                        "samples replaced by silence\n", r.st.nonfinite_in);
    rc = 0;
    if (o.report && write_report(o.report, &cfg, (int)lat, &r, &o) != 0)
        rc = 1;
out:
    sm_writer_abort(w);
    sm_engine_free(e);
    sm_reader_close(ra);
    sm_reader_close(rb);
    free(ia);
    free(ib);
    free(ol);
    free(or_);
    free(inter);
    free(series);
    return rc;
}
