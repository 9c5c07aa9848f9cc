/* main.c: specmorphd, the control thread.
 *
 * Owns the configuration (INI + command line), the life of the JACK
 * connection (connect, reconnect with back-off after the server goes away,
 * period and rate changes), autoconnection, the OSC server, signals and
 * the log. Signals are blocked in every thread and read here from a
 * signalfd in the same poll() as the OSC socket, so no handler ever runs
 * inside the audio path and one thread owns every change of state.
 */
#include "ini.h"
#include "jackio.h"
#include "log.h"
#include "netaddr.h"
#include "nsm.h"
#include "osc.h"
#include "settings.h"
#include "specmorph.h"

#include <errno.h>
#include <jack/jack.h>
#include <getopt.h>
#include <limits.h>
#include <math.h>
#include <poll.h>
#include <regex.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#define MAX_SETS 256

typedef struct opts {
    const char *ini, *name, *server;
    const char *osc_port, *osc_bind, *osc_allow;
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
    sm_osc *osc;
    long long osc_retry_ms; /* when to try opening the OSC socket again */
    int osc_warned;
    /* Values changed at run time (OSC, presets) since the file was last
     * read: they survive a reconnect or a rate change, which re-read the
     * file (window defaults scale with the rate). */
    float live_val[SM_P_COUNT];
    unsigned char live_set[SM_P_COUNT];
    sm_nsm *nsm;               /* under a session manager (NSM_URL) */
    char nsm_ini[PATH_MAX];    /* the session's configuration file */
    char nsm_name[64];         /* the client id: our JACK name */
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
        "      --osc-port N    OSC UDP port (overrides [osc] port; 0 = off)\n"
        "      --osc-bind ADDR OSC listen address (overrides [osc] bind)\n"
        "      --osc-allow LIST  allowed OSC senders (overrides [osc] allow)\n"
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
    enum { O_SET = 256, O_CHECK, O_SYSLOG, O_VERSION, O_OSC_PORT, O_OSC_BIND,
           O_OSC_ALLOW };
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
        {"osc-port", required_argument, 0, O_OSC_PORT},
        {"osc-bind", required_argument, 0, O_OSC_BIND},
        {"osc-allow", required_argument, 0, O_OSC_ALLOW},
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
        case O_OSC_PORT: o->osc_port = optarg; break;
        case O_OSC_BIND: o->osc_bind = optarg; break;
        case O_OSC_ALLOW: o->osc_allow = optarg; break;
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
    const struct {
        const char *opt, *val;
        sm_setting id;
    } osc_opts[] = {{"--osc-port", o->osc_port, SM_S_OSC_PORT},
                    {"--osc-bind", o->osc_bind, SM_S_OSC_BIND},
                    {"--osc-allow", o->osc_allow, SM_S_OSC_ALLOW}};
    for (int i = 0; i < 3; i++) {
        if (osc_opts[i].val && sm_settings_set(set, osc_opts[i].id,
                                               osc_opts[i].val, why,
                                               sizeof why)) {
            sm_log(LOG_ERR, "%s: %s", osc_opts[i].opt, why);
            problems++;
        }
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

static void log_osc(smd *d)
{
    if (!d->osc)
        return;
    sm_osc_counters c;
    sm_osc_get_counters(d->osc, &c);
    sm_log(LOG_INFO,
           "osc: port=%d packets=%llu messages=%llu rejected=%llu "
           "denied=%llu rate_dropped=%llu malformed=%llu send_failed=%llu "
           "subscribers=%d",
           sm_osc_port(d->osc), c.packets, c.messages, c.rejected, c.denied,
           c.rate_dropped, c.malformed, c.send_failed, c.subscribers);
}

static void log_status(smd *d)
{
    if (!d->jack) {
        sm_log(LOG_INFO, "status: disconnected (waiting for the JACK "
                         "server)");
        log_osc(d);
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
    log_osc(d);
}

/* Puts the run-time changes back over a configuration just read from the
 * file; drops them (with a warning) if they no longer fit together, e.g.
 * at another sample rate. */
static void overlay_live(smd *d, sm_config *cfg)
{
    sm_config c = *cfg;
    int n = 0;
    for (int i = 0; i < SM_P_COUNT; i++) {
        if (d->live_set[i]) {
            c.values[i] = d->live_val[i];
            n++;
        }
    }
    if (!n)
        return;
    char why[256];
    if (sm_config_check(&c, why, sizeof why) != SM_OK) {
        sm_log(LOG_WARNING, "run-time changes do not fit at %d Hz (%s); "
                            "using the file's values",
               c.sample_rate_hz, why);
        memset(d->live_set, 0, sizeof d->live_set);
        return;
    }
    *cfg = c;
}

static void overlay_forget(smd *d)
{
    memset(d->live_set, 0, sizeof d->live_set);
}

static void overlay_note(smd *d, const sm_config *before, const sm_config *now)
{
    for (int i = 0; i < SM_P_COUNT; i++) {
        if (now->values[i] != before->values[i]) {
            d->live_set[i] = 1;
            d->live_val[i] = now->values[i];
        }
    }
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
    } else {
        overlay_live(d, &cfg);
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

static long long mono_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (long long)t.tv_sec * 1000 + t.tv_nsec / 1000000;
}

/* ---- OSC server life ---------------------------------------------------- */

static sm_osc_host make_host(smd *d); /* the callbacks, further down */


static void osc_config_from(const sm_settings *set, sm_osc_config *c)
{
    memset(c, 0, sizeof *c);
    c->port = sm_settings_int(set, SM_S_OSC_PORT);
    /* Both checked when loaded: parsing cannot fail here. */
    sm_net_parse_addr(sm_settings_str(set, SM_S_OSC_BIND), &c->bind_addr);
    sm_net_range r[SM_NET_MAX_RANGES];
    char why[160];
    int n = sm_net_parse_ranges(sm_settings_str(set, SM_S_OSC_ALLOW), r,
                                SM_OSC_MAX_ALLOW, why, sizeof why);
    for (int i = 0; i < n; i++) {
        c->allow_addr[i] = r[i].addr;
        c->allow_mask[i] = r[i].mask;
    }
    c->nallow = n > 0 ? n : 0;
    c->status_hz = sm_settings_int(set, SM_S_OSC_STATUS_HZ);
    c->max_rate = sm_settings_int(set, SM_S_OSC_MAX_RATE);
}

/* Opens the OSC socket when configured and not open yet. A port in use
 * is not fatal (audio matters more than control): it is retried every
 * 5 s and logged once. */
static void osc_start(smd *d)
{
    if (d->osc || sm_settings_int(&d->set, SM_S_OSC_PORT) == 0 ||
        mono_ms() < d->osc_retry_ms)
        return;
    sm_osc_config c;
    osc_config_from(&d->set, &c);
    char why[256];
    sm_osc_host h = make_host(d);
    d->osc = sm_osc_new(&c, &h, why, sizeof why);
    if (!d->osc) {
        if (!d->osc_warned)
            sm_log(LOG_ERR, "%s; retrying every 5 s", why);
        d->osc_warned = 1;
        d->osc_retry_ms = mono_ms() + 5000;
        return;
    }
    d->osc_warned = 0;
    sm_log(LOG_INFO, "osc: listening on %s:%d/udp%s%s",
           sm_settings_str(&d->set, SM_S_OSC_BIND), sm_osc_port(d->osc),
           c.nallow ? ", allowed: " : "",
           c.nallow ? sm_settings_str(&d->set, SM_S_OSC_ALLOW) : "");
}

/* After the settings changed: adjust in place, or reopen on a new
 * address or port (subscribers then subscribe again). */
static void osc_update(smd *d)
{
    sm_osc_config c;
    osc_config_from(&d->set, &c);
    if (d->osc && (c.port == 0 || sm_osc_reconfigure(d->osc, &c) != 0)) {
        sm_osc_free(d->osc);
        d->osc = NULL;
        if (c.port == 0)
            sm_log(LOG_INFO, "osc: off");
    }
    d->osc_retry_ms = 0;
    osc_start(d);
}

/* ---- applying changes ----------------------------------------------------- */

/* Makes cfg and set the daemon's state: live values are queued as one
 * batch (they land together), structural ones build a new engine off the
 * audio path and crossfade to it, JACK identity changes reconnect.
 * what names the source in the log. Returns 0, or -1 with why (nothing
 * changed). */
static int apply_config(smd *d, const sm_config *cfg, const sm_settings *set,
                        const char *what, char *why, size_t why_len)
{
    int rejack = strcmp(sm_settings_str(set, SM_S_JACK_CLIENT_NAME),
                        sm_settings_str(&d->set, SM_S_JACK_CLIENT_NAME)) ||
                 strcmp(sm_settings_str(set, SM_S_JACK_SERVER),
                        sm_settings_str(&d->set, SM_S_JACK_SERVER)) ||
                 strcmp(sm_settings_str(set, SM_S_JACK_PREFILL_PERIODS),
                        sm_settings_str(&d->set, SM_S_JACK_PREFILL_PERIODS));
    int osc_changed = 0;
    for (int i = 0; i < SM_S_COUNT; i++)
        if (!strcmp(sm_setting_get_info((sm_setting)i)->section, "osc") &&
            strcmp(sm_settings_str(set, (sm_setting)i),
                   sm_settings_str(&d->set, (sm_setting)i)))
            osc_changed = 1;
    if (!d->jack || rejack) {
        d->set = *set;
        d->cfg = *cfg;
        patterns_compile(&d->pat, set);
        if (rejack && d->jack) {
            sm_log(LOG_INFO, "%s: JACK settings changed; reconnecting", what);
            disconnect(d);
            try_connect(d, 0);
        }
        if (osc_changed)
            osc_update(d);
        return 0;
    }
    sm_engine *e = sm_jack_engine(d->jack);
    sm_param ids[SM_P_COUNT];
    float vals[SM_P_COUNT];
    int rebuild = 0, n = 0;
    for (int i = 0; i < SM_P_COUNT; i++) {
        if (cfg->values[i] == d->cfg.values[i])
            continue;
        if (sm_param_get_info((sm_param)i)->flags & SM_PF_REBUILD)
            rebuild = 1;
        ids[n] = (sm_param)i;
        vals[n++] = cfg->values[i];
    }
    if (rebuild) {
        sm_error err;
        sm_engine *ne = sm_engine_new(cfg, &err);
        if (!ne) {
            snprintf(why, why_len, "new engine: %s; keeping the current one",
                     sm_strerror(err));
            sm_log(LOG_ERR, "%s: %s", what, why);
            return -1;
        }
        if (sm_jack_crossfade_engine(d->jack, ne) != 0)
            sm_log(LOG_WARNING, "%s: the server stalled during the engine "
                                "change", what);
        else
            sm_log(LOG_INFO, "%s: engine rebuilt (crossfaded)", what);
        log_ready(d);
    } else if (n) {
        size_t bad = 0;
        sm_error err = sm_engine_set_many(e, ids, vals, (size_t)n, &bad);
        if (err != SM_OK) {
            snprintf(why, why_len, "%s: %s",
                     sm_param_get_info(ids[bad < (size_t)n ? bad : 0])->name,
                     sm_strerror(err));
            return -1;
        }
        /* OSC changes are not logged one by one: a fader sends hundreds. */
        if (strcmp(what, "osc") != 0)
            sm_log(LOG_INFO, "%s: %d value%s changed", what, n,
                   n == 1 ? "" : "s");
    }
    d->cfg = *cfg;
    d->set = *set;
    patterns_compile(&d->pat, set);
    autoconnect(d);
    if (osc_changed)
        osc_update(d);
    return 0;
}

/* Reads the INI file again. Returns 0 or -1 with msg (also logged). */
static int reload(smd *d, char *msg, size_t len)
{
    if (!d->o.ini) {
        snprintf(msg, len, "no configuration file");
        sm_log(LOG_INFO, "reload: %s", msg);
        return -1;
    }
    int rate = d->jack ? sm_jack_rate(d->jack) : d->cfg.sample_rate_hz;
    sm_config cfg;
    sm_settings set;
    if (load_config(&d->o, rate, &cfg, &set) != 0) {
        snprintf(msg, len, "%s has problems (see the log); keeping the "
                           "current settings", d->o.ini);
        sm_log(LOG_ERR, "reload: %s", msg);
        return -1;
    }
    if (apply_config(d, &cfg, &set, "reload", msg, len) != 0)
        return -1;
    overlay_forget(d); /* the file is the truth again */
    sm_log(LOG_INFO, "reload: %s applied", d->o.ini);
    snprintf(msg, len, "%s", d->o.ini);
    return 0;
}

/* ---- OSC host callbacks (control thread) ---------------------------------- */

static sm_error host_apply(void *ctx, const sm_param *ids, const float *v,
                           int n, char *why, size_t why_len)
{
    smd *d = ctx;
    sm_config cfg = d->cfg, before = d->cfg;
    for (int i = 0; i < n; i++)
        cfg.values[ids[i]] = v[i];
    if (sm_config_check(&cfg, why, why_len) != SM_OK)
        return SM_ERR_CONFIG;
    if (apply_config(d, &cfg, &d->set, "osc", why, why_len) != 0)
        return SM_ERR_CONFIG;
    overlay_note(d, &before, &d->cfg);
    sm_nsm_set_dirty(d->nsm, 1);
    return SM_OK;
}

static float host_get(void *ctx, sm_param id)
{
    return ((smd *)ctx)->cfg.values[id];
}

static void host_status(void *ctx, sm_osc_status *st)
{
    smd *d = ctx;
    double *v = st->v;
    v[SM_OSC_ST_bands] = d->cfg.values[SM_P_BANDS_COUNT];
    v[SM_OSC_ST_xover_lo_hz] = d->cfg.values[SM_P_BANDS_XOVER_LO_HZ];
    v[SM_OSC_ST_xover_hi_hz] = d->cfg.values[SM_P_BANDS_XOVER_HI_HZ];
    v[SM_OSC_ST_in_a_dbfs] = v[SM_OSC_ST_in_b_dbfs] = -INFINITY;
    v[SM_OSC_ST_out_l_dbfs] = v[SM_OSC_ST_out_r_dbfs] = -INFINITY;
    if (!d->jack)
        return;
    sm_jack_counters c;
    sm_jack_get_counters(d->jack, &c);
    v[SM_OSC_ST_connected] = 1;
    v[SM_OSC_ST_dsp_load] = c.dsp_load;
    v[SM_OSC_ST_xruns] = (double)c.xruns;
    v[SM_OSC_ST_underruns] = (double)c.underruns;
    v[SM_OSC_ST_overruns] = (double)c.overruns;
    v[SM_OSC_ST_latency_ms] = c.rate_hz ? 1000.0 * c.latency / c.rate_hz : 0.0;
    sm_engine_stats es;
    sm_engine_get_stats(sm_jack_engine(d->jack), &es);
    v[SM_OSC_ST_align_lag_ms] = es.align_lag_ms;
    v[SM_OSC_ST_align_confidence] = es.align_confidence;
    v[SM_OSC_ST_align_delay_ms] = es.align_delay_ms;
    v[SM_OSC_ST_xover_lo_hz] = es.xover_lo_hz;
    v[SM_OSC_ST_xover_hi_hz] = es.xover_hi_hz;
    float lv[4];
    sm_jack_take_peaks(d->jack, lv);
    v[SM_OSC_ST_in_a_dbfs] = lv[0];
    v[SM_OSC_ST_in_b_dbfs] = lv[1];
    v[SM_OSC_ST_out_l_dbfs] = lv[2];
    v[SM_OSC_ST_out_r_dbfs] = lv[3];
}

/* mkdir -p for the directory part of path. */
static int make_parent_dirs(const char *path)
{
    char dir[PATH_MAX];
    snprintf(dir, sizeof dir, "%s", path);
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = 0;
        if (mkdir(dir, 0755) != 0 && errno != EEXIST)
            return -1;
        *p = '/';
    }
    return 0;
}

/* Saves the state in force to the loaded file, or to the default path
 * when none was loaded (which then becomes the loaded file). Never to a
 * path from the network. */
static int host_save(void *ctx, char *msg, size_t len)
{
    smd *d = ctx;
    const char *path = d->o.ini;
    if (!path) {
        if (!d->o.ini_buf[0]) {
            snprintf(msg, len, "no configuration file and no $HOME to put "
                               "one in (start with -c FILE)");
            return -1;
        }
        path = d->o.ini_buf;
        if (make_parent_dirs(path) != 0) {
            snprintf(msg, len, "cannot create the directory of %s: %s", path,
                     strerror(errno));
            return -1;
        }
    }
    char why[512];
    if (sm_conf_save_all(path, &d->cfg, &d->set, why, sizeof why) != 0) {
        snprintf(msg, len, "%s", why);
        sm_log(LOG_ERR, "save: %s", why);
        return -1;
    }
    d->o.ini = path;
    sm_log(LOG_INFO, "save: %s written", path);
    sm_nsm_set_dirty(d->nsm, 0);
    snprintf(msg, len, "%s", path);
    return 0;
}

static int host_reload(void *ctx, char *msg, size_t len)
{
    return reload(ctx, msg, len);
}

static int host_preset(void *ctx, const char *name, char *msg, size_t len)
{
    smd *d = ctx;
    int p = sm_preset_find(name);
    if (p < 0) {
        const char *hint = sm_preset_suggest(name);
        snprintf(msg, len, "unknown preset '%s'%s%s%s", name,
                 hint ? " (did you mean " : "", hint ? hint : "",
                 hint ? "?)" : "");
        return -1;
    }
    sm_config cfg = d->cfg;
    sm_error err = sm_config_apply_preset(&cfg, p);
    if (err == SM_OK)
        err = sm_config_check(&cfg, msg, len);
    else
        snprintf(msg, len, "%s", sm_strerror(err));
    if (err != SM_OK)
        return -1;
    sm_config before = d->cfg;
    if (apply_config(d, &cfg, &d->set, "preset", msg, len) != 0)
        return -1;
    overlay_note(d, &before, &d->cfg);
    sm_log(LOG_INFO, "preset: %s applied", sm_preset_name(p));
    sm_nsm_set_dirty(d->nsm, 1);
    snprintf(msg, len, "%s", sm_preset_name(p));
    return 0;
}

/* ---- NSM host callbacks (control thread) ---------------------------------- */

/* The session's state: PATH_PREFIX.ini, the client id as JACK name. A
 * missing file is a new session: the current settings are written there. */
static int nsm_open(void *ctx, const char *prefix, const char *client_id,
                    char *msg, size_t len)
{
    smd *d = ctx;
    char why[256];
    sm_settings probe;
    sm_settings_default(&probe);
    if (sm_settings_set(&probe, SM_S_JACK_CLIENT_NAME, client_id, why,
                        sizeof why) != 0) {
        snprintf(msg, len, "client id unusable as a JACK name: %s", why);
        return -1;
    }
    if ((size_t)snprintf(d->nsm_ini, sizeof d->nsm_ini, "%s.ini", prefix) >=
        sizeof d->nsm_ini) {
        snprintf(msg, len, "session path too long");
        return -1;
    }
    snprintf(d->nsm_name, sizeof d->nsm_name, "%s", client_id);
    opts o = d->o;
    o.ini = d->nsm_ini;
    o.name = d->nsm_name;
    struct stat st;
    int exists = stat(d->nsm_ini, &st) == 0;
    if (!exists)
        o.ini = NULL;
    int rate = d->jack ? sm_jack_rate(d->jack) : d->cfg.sample_rate_hz;
    sm_config cfg;
    sm_settings set;
    if (load_config(&o, rate, &cfg, &set) != 0) {
        snprintf(msg, len, "%s has problems (see the daemon's log)",
                 d->nsm_ini);
        return -1;
    }
    if (apply_config(d, &cfg, &set, "nsm", msg, len) != 0)
        return -1;
    overlay_forget(d);
    d->o.ini = d->nsm_ini;
    d->o.name = d->nsm_name;
    if (!exists && sm_conf_save_all(d->nsm_ini, &d->cfg, &d->set, msg,
                                    len) != 0)
        return -1;
    sm_log(LOG_INFO, "nsm: session %s, JACK name %s", d->nsm_ini,
           d->nsm_name);
    snprintf(msg, len, "%s", exists ? "loaded" : "new session");
    return 0;
}

static int nsm_save(void *ctx, char *msg, size_t len)
{
    smd *d = ctx;
    if (host_save(d, msg, len) != 0)
        return -1;
    snprintf(msg, len, "saved");
    return 0;
}

static sm_osc_host make_host(smd *d)
{
    sm_osc_host h = {d, host_apply, host_get, host_status, host_save,
                     host_reload, host_preset};
    return h;
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
        } else {
            overlay_live(d, &cfg);
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
    int sfd = signalfd(-1, &sigs, SFD_NONBLOCK | SFD_CLOEXEC);
    if (sfd < 0) {
        sm_log(LOG_ERR, "signalfd: %s", strerror(errno));
        return 1;
    }
    const char *nsm_url = getenv("NSM_URL");
    if (nsm_url && *nsm_url) {
        char why[256];
        sm_nsm_host nh = {&d, nsm_open, nsm_save};
        d.nsm = sm_nsm_new(nsm_url, argv[0], &nh, why, sizeof why);
        if (!d.nsm) {
            sm_log(LOG_ERR, "%s", why);
            return 1;
        }
        /* Identity and configuration come with the open: nothing
         * connects before it. Signals still stop us. */
        long long warn_at = mono_ms() + 10000;
        while (!sm_nsm_opened(d.nsm)) {
            struct pollfd pf[2] = {{sfd, POLLIN, 0},
                                   {sm_nsm_fd(d.nsm), POLLIN, 0}};
            poll(pf, 2, 200);
            struct signalfd_siginfo si;
            if (read(sfd, &si, sizeof si) == (ssize_t)sizeof si &&
                (si.ssi_signo == SIGTERM || si.ssi_signo == SIGINT)) {
                sm_log(LOG_INFO, "stopping before the session opened");
                sm_nsm_free(d.nsm);
                return 0;
            }
            sm_nsm_poll(d.nsm);
            if (mono_ms() > warn_at) {
                sm_log(LOG_WARNING, "nsm: still waiting for "
                                    "/nsm/client/open from %s", nsm_url);
                warn_at = mono_ms() + 10000;
            }
        }
    }
    osc_start(&d);
    int backoff_ms = 100, warned = 0;
    int osc_wait_ms = -1; /* from the last sm_osc_poll: next status due */
    long long next_try = 0;
    for (;;) {
        long long now = mono_ms();
        if (!d.jack && now >= next_try) {
            int r = try_connect(&d, warned);
            if (r == -2) {
                /* The configuration cannot run at the server's rate:
                 * retrying will not help; a supervisor may restart us. */
                sm_osc_free(d.osc);
                patterns_free(&d.pat);
                return 1;
            }
            if (r == 0) {
                backoff_ms = 100;
                warned = 0;
            } else {
                warned = 1;
                next_try = now + backoff_ms;
                backoff_ms = backoff_ms * 2 > 1000 ? 1000 : backoff_ms * 2;
            }
        }
        osc_start(&d); /* no-op unless a retry is due */
        /* Flags from JACK's threads are looked at every 50 ms at most;
         * OSC and signals wake the loop at once. */
        int wait_ms = 50;
        if (d.osc && osc_wait_ms >= 0 && osc_wait_ms < wait_ms)
            wait_ms = osc_wait_ms;
        struct pollfd pf[3] = {{sfd, POLLIN, 0},
                               {d.osc ? sm_osc_fd(d.osc) : -1, POLLIN, 0},
                               {d.nsm ? sm_nsm_fd(d.nsm) : -1, POLLIN, 0}};
        poll(pf, 3, wait_ms);
        if (d.nsm)
            sm_nsm_poll(d.nsm);
        int stop = 0;
        struct signalfd_siginfo si;
        while (read(sfd, &si, sizeof si) == (ssize_t)sizeof si) {
            int sig = (int)si.ssi_signo;
            if (sig == SIGTERM || sig == SIGINT) {
                sm_log(LOG_INFO, "stopping (%s)",
                       sig == SIGTERM ? "SIGTERM" : "SIGINT");
                stop = 1;
                break;
            }
            if (sig == SIGHUP) {
                char msg[512];
                reload(&d, msg, sizeof msg);
            }
            if (sig == SIGUSR1)
                log_status(&d);
        }
        if (stop)
            break;
        /* After the signals, so a reload's changes reach subscribers in
         * this same turn. */
        osc_wait_ms = d.osc ? sm_osc_poll(d.osc, mono_ms()) : -1;
        if (!d.jack)
            continue;
        if (sm_jack_take_shutdown(d.jack)) {
            sm_log(LOG_WARNING, "JACK server went away; reconnecting");
            disconnect(&d);
            backoff_ms = 100;
            next_try = mono_ms();
            continue;
        }
        if (sm_jack_take_format_changed(d.jack))
            format_changed(&d);
        if (d.jack && sm_jack_take_ports_changed(d.jack))
            autoconnect(&d);
        report_counters(&d);
    }
    close(sfd);
    sm_osc_free(d.osc);
    sm_nsm_free(d.nsm);
    disconnect(&d);
    patterns_free(&d.pat);
    sm_log_close();
    return 0;
}
