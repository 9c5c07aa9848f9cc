/* main.c: specmorphd, the control thread.
 *
 * Owns the configuration (INI + command line), the life of the JACK
 * connection (connect, reconnect with back-off after the server goes away,
 * period and rate changes), autoconnection, signals and the log. Signals
 * are blocked in every thread and taken here synchronously with
 * sigtimedwait, so no handler ever runs inside the audio path.
 */
#include "ini.h"
#include "jackio.h"
#include "log.h"
#include "settings.h"
#include "specmorph.h"

#include <errno.h>
#include <jack/jack.h>
#include <getopt.h>
#include <limits.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_SETS 256

typedef struct opts {
    const char *ini, *name, *server;
    const char *sets[MAX_SETS];
    int nsets, check, use_syslog, verbose;
    char ini_buf[PATH_MAX];
} opts;

typedef struct patterns {
    regex_t re[3]; /* a, b, out */
    int has[3];
} patterns;

typedef struct smd {
    opts o;
    sm_config cfg;
    sm_settings set;
    patterns pat;
    sm_jack *jack;
    sm_jack_counters last;
    time_t last_report;
} smd;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: specmorphd [options]\n"
        "\n"
        "Real-time spectral merging of two JACK inputs (in_a, in_b) into a\n"
        "stereo output (out_l, out_r).\n"
        "\n"
        "  -c, --config FILE   INI file (default: $XDG_CONFIG_HOME/specmorphd/\n"
        "                      specmorphd.ini when it exists)\n"
        "  -n, --name NAME     JACK client name (overrides [jack] client_name)\n"
        "  -s, --server NAME   JACK server name (overrides [jack] server)\n"
        "      --set KEY=VAL   one parameter or setting, after the file\n"
        "                      (repeatable; e.g. --set morph.position=0.3)\n"
        "      --check-config  validate the configuration and exit\n"
        "      --syslog        log to syslog instead of stderr\n"
        "  -v, --verbose       more log lines\n"
        "  -h, --help          this help\n"
        "      --version       version and backends\n"
        "\n"
        "Signals: TERM/INT stop, HUP reloads the INI file (a bad file keeps\n"
        "the current settings), USR1 logs a status line.\n"
        "Parameters and settings: see the README or the example INI.\n");
}

static int parse_args(int argc, char **argv, opts *o)
{
    enum { O_SET = 256, O_CHECK, O_SYSLOG, O_VERSION };
    static const struct option lo[] = {
        {"config", required_argument, 0, 'c'},
        {"name", required_argument, 0, 'n'},
        {"server", required_argument, 0, 's'},
        {"set", required_argument, 0, O_SET},
        {"check-config", no_argument, 0, O_CHECK},
        {"syslog", no_argument, 0, O_SYSLOG},
        {"verbose", no_argument, 0, 'v'},
        {"help", no_argument, 0, 'h'},
        {"version", no_argument, 0, O_VERSION},
        {0, 0, 0, 0}};
    int c;
    opterr = 0;
    while ((c = getopt_long(argc, argv, ":c:n:s:vh", lo, NULL)) != -1) {
        switch (c) {
        case 'c': o->ini = optarg; break;
        case 'n': o->name = optarg; break;
        case 's': o->server = optarg; break;
        case O_SET:
            if (o->nsets == MAX_SETS) {
                fprintf(stderr, "specmorphd: too many --set options\n");
                return 2;
            }
            o->sets[o->nsets++] = optarg;
            break;
        case O_CHECK: o->check = 1; break;
        case O_SYSLOG: o->use_syslog = 1; break;
        case 'v': o->verbose = 1; break;
        case 'h': usage(stdout); exit(0);
        case O_VERSION:
            printf("specmorphd " SM_VERSION " (backends: cpu)\n");
            exit(0);
        case ':':
            fprintf(stderr, "specmorphd: %s needs a value (see --help)\n",
                    argv[optind - 1]);
            return 2;
        default:
            fprintf(stderr, "specmorphd: unknown option '%s' (see --help)\n",
                    argv[optind - 1]);
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "specmorphd: unexpected argument '%s' (see --help)\n",
                argv[optind]);
        return 2;
    }
    if (!o->ini) {
        const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
        if (xdg && *xdg)
            snprintf(o->ini_buf, sizeof o->ini_buf,
                     "%s/specmorphd/specmorphd.ini", xdg);
        else if (home && *home)
            snprintf(o->ini_buf, sizeof o->ini_buf,
                     "%s/.config/specmorphd/specmorphd.ini", home);
        struct stat st;
        if (o->ini_buf[0] && stat(o->ini_buf, &st) == 0)
            o->ini = o->ini_buf;
    }
    return 0;
}

/* libjack prints every failed connection attempt (five lines each) and
 * may report from its own threads; keep it out of the log unless -v. */
static int jack_verbose;
static void jack_message(const char *msg)
{
    if (jack_verbose)
        fprintf(stderr, "specmorphd: libjack: %s\n", msg);
}

static void log_problem(void *ctx, const char *line)
{
    (void)ctx;
    sm_log(LOG_ERR, "%s", line);
}

/* Builds the whole configuration for a sample rate: defaults, the INI
 * file, --set, then -n/-s. Returns the number of problems (logged). */
static int load_config(const opts *o, int rate, sm_config *cfg,
                       sm_settings *set)
{
    *cfg = sm_config_default(rate);
    sm_settings_default(set);
    int problems = 0;
    if (o->ini)
        problems += sm_conf_load_all(o->ini, cfg, set, log_problem, NULL);
    for (int i = 0; i < o->nsets; i++) {
        char why[512];
        if (sm_conf_set_kv_all(cfg, set, o->sets[i], why, sizeof why) !=
            SM_OK) {
            sm_log(LOG_ERR, "--set %s", why);
            problems++;
        }
    }
    char why[512];
    if (o->name &&
        sm_settings_set(set, SM_S_JACK_CLIENT_NAME, o->name, why, sizeof why)) {
        sm_log(LOG_ERR, "-n: %s", why);
        problems++;
    }
    if (o->server &&
        sm_settings_set(set, SM_S_JACK_SERVER, o->server, why, sizeof why)) {
        sm_log(LOG_ERR, "-s: %s", why);
        problems++;
    }
    if (problems == 0 && sm_config_check(cfg, why, sizeof why) != SM_OK) {
        sm_log(LOG_ERR, "%s", why);
        problems++;
    }
    return problems;
}

static void patterns_free(patterns *p)
{
    for (int k = 0; k < 3; k++)
        if (p->has[k])
            regfree(&p->re[k]);
    memset(p, 0, sizeof *p);
}

static void patterns_compile(patterns *p, const sm_settings *set)
{
    static const sm_setting ids[3] = {SM_S_JACK_CONNECT_A, SM_S_JACK_CONNECT_B,
                                      SM_S_JACK_CONNECT_OUT};
    patterns_free(p);
    for (int k = 0; k < 3; k++) {
        const char *s = sm_settings_str(set, ids[k]);
        /* Checked when loaded, so compiling cannot fail here. */
        if (*s && regcomp(&p->re[k], s, REG_EXTENDED | REG_NOSUB) == 0)
            p->has[k] = 1;
    }
}

static void autoconnect(smd *d)
{
    if (!d->jack)
        return;
    int n = sm_jack_autoconnect(d->jack, d->pat.has[0] ? &d->pat.re[0] : NULL,
                                d->pat.has[1] ? &d->pat.re[1] : NULL,
                                d->pat.has[2] ? &d->pat.re[2] : NULL);
    if (n)
        sm_log(LOG_INFO, "autoconnect: %d connection%s made", n,
               n == 1 ? "" : "s");
}

static void log_ready(smd *d)
{
    sm_jack_counters c;
    sm_jack_get_counters(d->jack, &c);
    int engine_lat = sm_engine_latency(sm_jack_engine(d->jack));
    sm_log(LOG_INFO,
           "ready: %s:in_a,in_b -> out_l,out_r at %d Hz, period %d; latency "
           "%d samples (%d engine + %d ring), %.1f ms",
           sm_jack_client_name(d->jack), c.rate_hz, c.period, c.latency,
           engine_lat, c.latency - engine_lat,
           c.rate_hz ? 1000.0 * c.latency / c.rate_hz : 0.0);
}

static void log_status(smd *d)
{
    if (!d->jack) {
        sm_log(LOG_INFO, "status: disconnected (waiting for the JACK "
                         "server)");
        return;
    }
    sm_jack_counters c;
    sm_jack_get_counters(d->jack, &c);
    sm_engine_stats st;
    sm_engine_get_stats(sm_jack_engine(d->jack), &st);
    sm_log(LOG_INFO,
           "status: xruns=%llu underruns=%llu overruns=%llu latency=%d "
           "period=%d rate=%d dsp_load=%.1f%% worker_mean_us=%.1f "
           "worker_p99_us=%.0f worker_max_us=%.1f origin=%u samples=%llu "
           "limited=%llu underruns_irregular=%llu",
           c.xruns, c.underruns, c.overruns, c.latency, c.period, c.rate_hz,
           c.dsp_load, c.worker_mean_us, c.worker_p99_us, c.worker_max_us,
           c.origin_frame, st.samples, st.limited, c.underruns_irregular);
}

/* Tries to connect once; on success the daemon runs. */
static int try_connect(smd *d, int quiet)
{
    char why[256];
    const char *name = sm_settings_str(&d->set, SM_S_JACK_CLIENT_NAME);
    const char *server = sm_settings_str(&d->set, SM_S_JACK_SERVER);
    int prefill = sm_settings_int(&d->set, SM_S_JACK_PREFILL_PERIODS);
    sm_jack *j = sm_jack_open(name, server, prefill, why, sizeof why);
    if (!j) {
        if (!quiet)
            sm_log(LOG_WARNING, "%s; retrying", why);
        return -1;
    }
    int rate = sm_jack_rate(j);
    sm_config cfg;
    sm_settings set;
    if (load_config(&d->o, rate, &cfg, &set) != 0) {
        /* The file changed under us and is now bad: keep what we had,
         * rescaled for this rate where it came from defaults. */
        sm_log(LOG_WARNING, "configuration has problems; using the last "
                            "good one");
        cfg = d->cfg;
        cfg.sample_rate_hz = rate;
    }
    sm_error err;
    sm_engine *e = sm_engine_new(&cfg, &err);
    if (!e) {
        sm_log(LOG_ERR, "engine at %d Hz: %s", rate, sm_strerror(err));
        sm_jack_close(j);
        return -2;
    }
    if (sm_jack_start(j, e, why, sizeof why) != 0) {
        sm_log(LOG_ERR, "%s", why);
        sm_jack_close(j);
        return -1;
    }
    d->jack = j;
    d->cfg = cfg;
    autoconnect(d);
    log_ready(d);
    return 0;
}

static void disconnect(smd *d)
{
    sm_jack_close(d->jack);
    d->jack = NULL;
    memset(&d->last, 0, sizeof d->last);
}

/* Applies a reloaded configuration: live values are queued, structural
 * ones build a new engine off the audio path, JACK identity changes
 * reconnect. */
static void apply_reload(smd *d, const sm_config *cfg,
                         const sm_settings *set)
{
    int rejack = strcmp(sm_settings_str(set, SM_S_JACK_CLIENT_NAME),
                        sm_settings_str(&d->set, SM_S_JACK_CLIENT_NAME)) ||
                 strcmp(sm_settings_str(set, SM_S_JACK_SERVER),
                        sm_settings_str(&d->set, SM_S_JACK_SERVER)) ||
                 strcmp(sm_settings_str(set, SM_S_JACK_PREFILL_PERIODS),
                        sm_settings_str(&d->set, SM_S_JACK_PREFILL_PERIODS));
    d->set = *set;
    patterns_compile(&d->pat, set);
    if (!d->jack) {
        d->cfg = *cfg;
        return;
    }
    if (rejack) {
        sm_log(LOG_INFO, "reload: JACK settings changed; reconnecting");
        d->cfg = *cfg;
        disconnect(d);
        try_connect(d, 0);
        return;
    }
    sm_engine *e = sm_jack_engine(d->jack);
    int rebuild = 0, live = 0;
    for (int i = 0; i < SM_P_COUNT; i++) {
        if (cfg->values[i] == d->cfg.values[i])
            continue;
        if (sm_param_get_info((sm_param)i)->flags & SM_PF_REBUILD)
            rebuild = 1;
        else if (sm_engine_set(e, (sm_param)i, cfg->values[i]) == SM_OK)
            live++;
    }
    if (rebuild) {
        sm_error err;
        sm_engine *ne = sm_engine_new(cfg, &err);
        if (!ne) {
            sm_log(LOG_ERR, "reload: new engine: %s; keeping the current one",
                   sm_strerror(err));
            return;
        }
        if (sm_jack_crossfade_engine(d->jack, ne) != 0)
            sm_log(LOG_WARNING, "reload: the server stalled during the "
                                "engine change");
        else
            sm_log(LOG_INFO, "reload: engine rebuilt (crossfaded)");
        log_ready(d);
    } else {
        sm_log(LOG_INFO, "reload: %d value%s changed", live,
               live == 1 ? "" : "s");
    }
    d->cfg = *cfg;
    autoconnect(d);
}

static void reload(smd *d)
{
    if (!d->o.ini) {
        sm_log(LOG_INFO, "reload: no configuration file");
        return;
    }
    int rate = d->jack ? sm_jack_rate(d->jack) : d->cfg.sample_rate_hz;
    sm_config cfg;
    sm_settings set;
    if (load_config(&d->o, rate, &cfg, &set) != 0) {
        sm_log(LOG_ERR, "reload: %s has problems; keeping the current "
                        "settings", d->o.ini);
        return;
    }
    apply_reload(d, &cfg, &set);
    sm_log(LOG_INFO, "reload: %s applied", d->o.ini);
}

/* Period or rate changed under a running client. */
static void format_changed(smd *d)
{
    int rate = sm_jack_rate(d->jack);
    sm_jack_counters c;
    sm_jack_get_counters(d->jack, &c);
    if (rate == d->cfg.sample_rate_hz && c.period == sm_jack_period(d->jack))
        return; /* the notification JACK sends on activation */
    if (rate != d->cfg.sample_rate_hz) {
        sm_config cfg;
        sm_settings set;
        if (load_config(&d->o, rate, &cfg, &set) != 0) {
            cfg = d->cfg;
            cfg.sample_rate_hz = rate;
        }
        sm_error err;
        sm_engine *e = sm_engine_new(&cfg, &err);
        if (!e) {
            sm_log(LOG_ERR, "engine at %d Hz: %s; disconnecting", rate,
                   sm_strerror(err));
            disconnect(d);
            return;
        }
        sm_engine_free(sm_jack_swap_engine(d->jack, e));
        d->cfg = cfg;
    } else {
        sm_jack_resync(d->jack);
    }
    log_ready(d);
}

/* Logs counters that moved, at most once a second. */
static void report_counters(smd *d)
{
    time_t now = time(NULL);
    if (!d->jack || now == d->last_report)
        return;
    sm_jack_counters c;
    sm_jack_get_counters(d->jack, &c);
    if (c.underruns != d->last.underruns || c.overruns != d->last.overruns ||
        c.xruns != d->last.xruns) {
        sm_log(LOG_WARNING, "xruns=%llu underruns=%llu overruns=%llu",
               c.xruns, c.underruns, c.overruns);
        d->last = c;
    }
    d->last_report = now;
}

int main(int argc, char **argv)
{
    smd d;
    memset(&d, 0, sizeof d);
    int rc = parse_args(argc, argv, &d.o);
    if (rc)
        return rc;
    sm_log_open(d.o.use_syslog, d.o.verbose);
    jack_verbose = d.o.verbose;
    jack_set_error_function(jack_message);
    jack_set_info_function(jack_message);

    if (load_config(&d.o, 48000, &d.cfg, &d.set) != 0)
        return 2;
    if (d.o.check) {
        printf("%s: ok\n", d.o.ini ? d.o.ini : "(built-in defaults)");
        return 0;
    }
    patterns_compile(&d.pat, &d.set);

    /* Every thread created from here on inherits the blocked set. */
    sigset_t sigs;
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGTERM);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGHUP);
    sigaddset(&sigs, SIGUSR1);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (mlockall(MCL_CURRENT | MCL_FUTURE) != 0)
        sm_log(LOG_WARNING, "cannot lock memory (%s): page faults may cause "
                            "xruns; raise RLIMIT_MEMLOCK (see the README)",
               strerror(errno));

    sm_log(LOG_INFO, "specmorphd " SM_VERSION " starting%s%s",
           d.o.ini ? ", configuration " : "", d.o.ini ? d.o.ini : "");
    int backoff_ms = 100, warned = 0;
    struct timespec next_try = {0, 0};
    for (;;) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        if (!d.jack && (now.tv_sec > next_try.tv_sec ||
                        (now.tv_sec == next_try.tv_sec &&
                         now.tv_nsec >= next_try.tv_nsec))) {
            int r = try_connect(&d, warned);
            if (r == -2) {
                /* The configuration cannot run at the server's rate:
                 * retrying will not help; a supervisor may restart us. */
                patterns_free(&d.pat);
                return 1;
            }
            if (r == 0) {
                backoff_ms = 100;
                warned = 0;
            } else {
                warned = 1;
                long ns = now.tv_nsec + (long)backoff_ms * 1000000L;
                next_try.tv_sec = now.tv_sec + ns / 1000000000L;
                next_try.tv_nsec = ns % 1000000000L;
                backoff_ms = backoff_ms * 2 > 1000 ? 1000 : backoff_ms * 2;
            }
        }
        struct timespec wait = {0, 50 * 1000000L};
        int sig = sigtimedwait(&sigs, NULL, &wait);
        if (sig == SIGTERM || sig == SIGINT) {
            sm_log(LOG_INFO, "stopping (%s)", sig == SIGTERM ? "SIGTERM"
                                                             : "SIGINT");
            break;
        }
        if (sig == SIGHUP)
            reload(&d);
        if (sig == SIGUSR1)
            log_status(&d);
        if (!d.jack)
            continue;
        if (sm_jack_take_shutdown(d.jack)) {
            sm_log(LOG_WARNING, "JACK server went away; reconnecting");
            disconnect(&d);
            backoff_ms = 100;
            clock_gettime(CLOCK_MONOTONIC, &next_try);
            continue;
        }
        if (sm_jack_take_format_changed(d.jack))
            format_changed(&d);
        if (d.jack && sm_jack_take_ports_changed(d.jack))
            autoconnect(&d);
        report_counters(&d);
    }
    disconnect(&d);
    patterns_free(&d.pat);
    sm_log_close();
    return 0;
}
