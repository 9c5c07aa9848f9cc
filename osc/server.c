/* server.c: the OSC server: socket, allow-list, rate limit, bundle
 * framing, dispatch over the parameter table, replies, subscribers,
 * feedback and status (see osc.h for the address space).
 *
 * A datagram is checked in two passes: framing first (bundles nested at
 * most MAX_DEPTH deep, element sizes, paths), which also counts its
 * messages for the rate limit, and only then decoded and dispatched, so
 * a bad datagram is dropped whole and a flood costs one recvfrom and a
 * few comparisons per datagram.
 */
#include "osc.h"
#include "value.h"

#include <arpa/inet.h>
#include <errno.h>
#include <lo/lo.h>
#include <math.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define PREFIX "/specmorph/"
#define NORM PREFIX "norm/"
#define MAX_DGRAM 65536
#define MAX_DEPTH 8
#define MAX_BATCH 128       /* sets in one bundle */
#define PACKETS_PER_POLL 256
#define PATH_MAX_LEN 128

typedef struct subscriber {
    struct sockaddr_in to;
} subscriber;

struct sm_osc {
    int fd, port;
    sm_osc_config cfg;
    sm_osc_host host;
    /* rate limit: a token bucket refilled at max_rate per second */
    double tokens;
    long long last_ms;
    long long next_status_ms;
    subscriber sub[SM_OSC_MAX_SUBSCRIBERS];
    int nsub;
    float shown[SM_P_COUNT]; /* last values sent to subscribers */
    char path[SM_P_COUNT][PATH_MAX_LEN];
    sm_osc_counters n;
    /* the datagram being handled and its sender */
    unsigned char *buf;
    struct sockaddr_in from;
    /* the batch of sets collected from one datagram */
    sm_param ids[MAX_BATCH];
    float vals[MAX_BATCH];
    char batch_path[MAX_BATCH][PATH_MAX_LEN];
    int nbatch;
    int batch_refused; /* a set of this datagram was refused */
};

/* ---- sending --------------------------------------------------------- */

static void send_to(sm_osc *o, const struct sockaddr_in *to, const char *path,
                    lo_message m)
{
    unsigned char out[4096];
    size_t len = lo_message_length(m, path);
    if (len == 0 || len > sizeof out) {
        o->n.send_failed++;
        return;
    }
    size_t got = len;
    if (!lo_message_serialise(m, path, out, &got) ||
        sendto(o->fd, out, got, MSG_DONTWAIT, (const struct sockaddr *)to,
               sizeof *to) != (ssize_t)got)
        o->n.send_failed++;
}

static void reply_error(sm_osc *o, const char *path, const char *why)
{
    /* path may be a get's argument, of any length up to a datagram's:
     * cut it so that the reply fits send_to's buffer and is sent. */
    char cut[256];
    snprintf(cut, sizeof cut, "%s", path);
    lo_message m = lo_message_new();
    lo_message_add_string(m, cut);
    lo_message_add_string(m, why);
    send_to(o, &o->from, PREFIX "error", m);
    lo_message_free(m);
    o->n.rejected++;
}

static void reply_str(sm_osc *o, const char *path, const char *s)
{
    lo_message m = lo_message_new();
    if (s)
        lo_message_add_string(m, s);
    send_to(o, &o->from, path, m);
    lo_message_free(m);
}

static void add_value(lo_message m, sm_param id, float v)
{
    if (sm_param_get_info(id)->type == SM_T_FLOAT)
        lo_message_add_float(m, v);
    else
        lo_message_add_int32(m, (int32_t)lrintf(v));
}

/* The value of id in both forms, to one address. */
static void send_value(sm_osc *o, const struct sockaddr_in *to, sm_param id,
                       float v, int forms)
{
    char npath[PATH_MAX_LEN + 8];
    if (forms & 1) {
        lo_message m = lo_message_new();
        add_value(m, id, v);
        send_to(o, to, o->path[id], m);
        lo_message_free(m);
    }
    if (forms & 2) {
        const sm_param_info *in = sm_param_get_info(id);
        snprintf(npath, sizeof npath, NORM "%s/%s", in->section, in->key);
        lo_message m = lo_message_new();
        lo_message_add_float(m, sm_param_to_norm(id, v));
        send_to(o, to, npath, m);
        lo_message_free(m);
    }
}

/* ---- status ---------------------------------------------------------- */

/* Levels are peaks since the host's last report: collect once, send to
 * every subscriber. */
static void collect_status(sm_osc *o, sm_osc_status *st)
{
    memset(st, 0, sizeof *st);
    o->host.status(o->host.ctx, st);
    st->v[SM_OSC_ST_osc_dropped] = (double)(o->n.rate_dropped + o->n.denied);
}

static const struct {
    const char *name;
    char type;
} fields[SM_OSC_ST_COUNT] = {
#define SF(name, type, unit, help) {#name, type},
#include "status.def"
#undef SF
};

static void add_field(lo_message m, int i, double v)
{
    if (fields[i].type == 'i')
        lo_message_add_int32(m, (int32_t)(v > 2147483647.0 ? 2147483647.0
                                          : v < -2147483648.0 ? -2147483648.0
                                                              : v));
    else /* silence is -inf dBFS: sent as -144, which a meter can show */
        lo_message_add_float(m, isfinite(v) ? (float)v : -144.0f);
}

static void send_status(sm_osc *o, const struct sockaddr_in *to,
                        const sm_osc_status *st)
{
    lo_message all = lo_message_new();
    for (int i = 0; i < SM_OSC_ST_COUNT; i++) {
        lo_message_add_string(all, fields[i].name);
        add_field(all, i, st->v[i]);
    }
    send_to(o, to, PREFIX "status", all);
    lo_message_free(all);
    /* One address per field too: a surface's meter binds to one. */
    for (int i = 0; i < SM_OSC_ST_COUNT; i++) {
        char path[64];
        snprintf(path, sizeof path, PREFIX "status/%s", fields[i].name);
        lo_message m = lo_message_new();
        add_field(m, i, st->v[i]);
        send_to(o, to, path, m);
        lo_message_free(m);
    }
}

/* ---- subscribers ----------------------------------------------------- */

static int same(const struct sockaddr_in *a, const struct sockaddr_in *b)
{
    return a->sin_addr.s_addr == b->sin_addr.s_addr &&
           a->sin_port == b->sin_port;
}

static int port_arg(sm_osc *o, const char *path, const char *types,
                    lo_arg **argv, int argc, struct sockaddr_in *to)
{
    *to = o->from;
    if (argc == 0)
        return 0;
    if (argc != 1 || types[0] != LO_INT32 || argv[0]->i < 1 ||
        argv[0]->i > 65535) {
        reply_error(o, path, "expected no argument or one port number "
                             "(i, 1 to 65535)");
        return -1;
    }
    to->sin_port = htons((uint16_t)argv[0]->i);
    return 0;
}

static void subscribe(sm_osc *o, const char *path, const char *types,
                      lo_arg **argv, int argc)
{
    struct sockaddr_in to;
    if (port_arg(o, path, types, argv, argc, &to))
        return;
    int i = 0;
    while (i < o->nsub && !same(&o->sub[i].to, &to))
        i++;
    if (i == o->nsub) {
        if (o->nsub == SM_OSC_MAX_SUBSCRIBERS) {
            reply_error(o, path, "too many subscribers (at most 16); "
                                 "unsubscribe one first");
            return;
        }
        o->sub[o->nsub++].to = to;
    }
    lo_message m = lo_message_new();
    lo_message_add_int32(m, ntohs(to.sin_port));
    send_to(o, &to, PREFIX "subscribed", m);
    lo_message_free(m);
    /* The whole state at once, so a surface is in sync from the start. */
    for (int p = 0; p < SM_P_COUNT; p++)
        send_value(o, &to, (sm_param)p, o->host.get(o->host.ctx, (sm_param)p),
                   3);
    sm_osc_status st;
    collect_status(o, &st);
    send_status(o, &to, &st);
}

static void unsubscribe(sm_osc *o, const char *path, const char *types,
                        lo_arg **argv, int argc)
{
    struct sockaddr_in to;
    if (port_arg(o, path, types, argv, argc, &to))
        return;
    for (int i = 0; i < o->nsub; i++) {
        if (same(&o->sub[i].to, &to)) {
            o->sub[i] = o->sub[--o->nsub];
            break;
        }
    }
    lo_message m = lo_message_new();
    lo_message_add_int32(m, ntohs(to.sin_port));
    send_to(o, &to, PREFIX "unsubscribed", m);
    lo_message_free(m);
}

/* ---- address lookup ---------------------------------------------------- */

/* Parameter of a value path (/specmorph/s/k) or norm path; -1 if none. */
static int find_param(const char *path, int *norm)
{
    const char *rest = NULL;
    *norm = 0;
    if (strncmp(path, NORM, sizeof NORM - 1) == 0) {
        *norm = 1;
        rest = path + sizeof NORM - 1;
    } else if (strncmp(path, PREFIX, sizeof PREFIX - 1) == 0) {
        rest = path + sizeof PREFIX - 1;
    } else {
        return -1;
    }
    char name[PATH_MAX_LEN];
    size_t len = strlen(rest);
    if (len >= sizeof name)
        return -1;
    memcpy(name, rest, len + 1);
    char *slash = strchr(name, '/');
    if (!slash || strchr(slash + 1, '/'))
        return -1;
    *slash = '.';
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        if (strcmp(in->name, name) == 0)
            return i;
    }
    return -1;
}

static void unknown(sm_osc *o, const char *path)
{
    char why[256];
    const char *hint = NULL;
    int norm = strncmp(path, NORM, sizeof NORM - 1) == 0;
    const char *rest = path + (norm ? sizeof NORM - 1
                                    : strncmp(path, PREFIX, sizeof PREFIX - 1)
                                            ? 0
                                            : sizeof PREFIX - 1);
    char name[PATH_MAX_LEN];
    snprintf(name, sizeof name, "%s", rest);
    char *slash = strchr(name, '/');
    if (slash)
        *slash = '.';
    if (rest != path)
        hint = sm_param_suggest(name);
    if (hint) {
        char h[PATH_MAX_LEN];
        snprintf(h, sizeof h, "%s", hint);
        char *dot = strchr(h, '.');
        if (dot)
            *dot = '/';
        snprintf(why, sizeof why, "unknown address (did you mean %s%s?)",
                 norm ? NORM : PREFIX, h);
    } else {
        snprintf(why, sizeof why, "unknown address (see /specmorph/list)");
    }
    reply_error(o, path, why);
}

/* ---- messages -------------------------------------------------------- */

static void list(sm_osc *o)
{
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        char choices[256] = "";
        for (int c = 0; in->type == SM_T_ENUM && c <= (int)in->max; c++) {
            size_t l = strlen(choices);
            snprintf(choices + l, sizeof choices - l, "%s%s", c ? "," : "",
                     sm_param_choice_name((sm_param)i, c));
        }
        lo_message m = lo_message_new();
        lo_message_add_string(m, o->path[i]);
        lo_message_add_string(m, in->type == SM_T_FLOAT ? "float"
                                 : in->type == SM_T_INT ? "int"
                                                        : "enum");
        lo_message_add_float(m, in->min);
        lo_message_add_float(m, in->max);
        lo_message_add_float(m, in->def);
        lo_message_add_string(m, in->unit);
        add_value(m, (sm_param)i, o->host.get(o->host.ctx, (sm_param)i));
        lo_message_add_string(m, (in->flags & SM_PF_REBUILD) ? "rebuild"
                                                             : "live");
        lo_message_add_string(m, (in->flags & SM_PF_LOG) ? "log" : "linear");
        lo_message_add_string(m, choices);
        send_to(o, &o->from, PREFIX "param", m);
        lo_message_free(m);
    }
    lo_message m = lo_message_new();
    lo_message_add_int32(m, SM_P_COUNT);
    send_to(o, &o->from, PREFIX "list/end", m);
    lo_message_free(m);
}

static void get(sm_osc *o, const char *path, const char *types, lo_arg **argv,
                int argc)
{
    if (argc != 1 || (types[0] != LO_STRING && types[0] != LO_SYMBOL)) {
        reply_error(o, path, "expected one string: the address to read, "
                             "e.g. /specmorph/mask/k");
        return;
    }
    const char *want = &argv[0]->s;
    int norm;
    int id = find_param(want, &norm);
    if (id < 0) {
        unknown(o, want);
        return;
    }
    send_value(o, &o->from, (sm_param)id,
               o->host.get(o->host.ctx, (sm_param)id), norm ? 2 : 1);
}

static void command(sm_osc *o, const char *path, int argc,
                    int (*fn)(void *, char *, size_t), const char *ok_path)
{
    char msg[512];
    if (argc != 0) {
        reply_error(o, path, "expected no arguments");
        return;
    }
    if (fn(o->host.ctx, msg, sizeof msg) != 0)
        reply_error(o, path, msg);
    else
        reply_str(o, ok_path, msg);
}

static void message(sm_osc *o, const char *path, lo_message m)
{
    const char *types = lo_message_get_types(m);
    lo_arg **argv = lo_message_get_argv(m);
    int argc = lo_message_get_argc(m);
    if (!types)
        types = "";
    o->n.messages++;
    int norm;
    int id = find_param(path, &norm);
    if (id >= 0) {
        float v;
        char why[256];
        if (sm_osc_value((sm_param)id, norm, types, argv, argc, &v, why,
                         sizeof why) != SM_OK) {
            reply_error(o, path, why);
            o->batch_refused = 1;
            return;
        }
        if (o->nbatch == MAX_BATCH) {
            reply_error(o, path, "too many sets in one bundle (at most 128)");
            o->batch_refused = 1;
            return;
        }
        o->ids[o->nbatch] = (sm_param)id;
        o->vals[o->nbatch] = v;
        snprintf(o->batch_path[o->nbatch], PATH_MAX_LEN, "%s", path);
        o->nbatch++;
        return;
    }
    if (!strcmp(path, PREFIX "ping"))
        reply_str(o, PREFIX "pong", NULL);
    else if (!strcmp(path, PREFIX "get"))
        get(o, path, types, argv, argc);
    else if (!strcmp(path, PREFIX "list"))
        list(o);
    else if (!strcmp(path, PREFIX "subscribe"))
        subscribe(o, path, types, argv, argc);
    else if (!strcmp(path, PREFIX "unsubscribe"))
        unsubscribe(o, path, types, argv, argc);
    else if (!strcmp(path, PREFIX "status")) {
        sm_osc_status st;
        collect_status(o, &st);
        send_status(o, &o->from, &st);
    }
    else if (!strcmp(path, PREFIX "config/save"))
        command(o, path, argc, o->host.save, PREFIX "config/saved");
    else if (!strcmp(path, PREFIX "config/reload"))
        command(o, path, argc, o->host.reload, PREFIX "config/reloaded");
    else if (!strncmp(path, PREFIX "preset/", sizeof PREFIX + 6) &&
             path[sizeof PREFIX + 6]) {
        char msg[512];
        const char *name = path + sizeof PREFIX + 6;
        if (argc != 0)
            reply_error(o, path, "expected no arguments");
        else if (o->host.preset(o->host.ctx, name, msg, sizeof msg) != 0)
            reply_error(o, path, msg);
        else
            reply_str(o, PREFIX "preset/applied", msg); /* canonical name */
    } else
        unknown(o, path);
}

/* ---- framing --------------------------------------------------------- */

static uint32_t be32(const unsigned char *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 |
           p[3];
}

static int is_bundle(const unsigned char *p, size_t len)
{
    return len >= 16 && memcmp(p, "#bundle", 8) == 0;
}

/* Pass 1: framing only. Returns the number of messages, or -1. */
static int frame_count(const unsigned char *p, size_t len, int depth)
{
    if (len < 4 || len % 4)
        return -1;
    if (!is_bundle(p, len)) {
        if (p[0] != '/' || !memchr(p, 0, len))
            return -1;
        return 1;
    }
    if (depth >= MAX_DEPTH)
        return -1;
    int count = 0;
    size_t at = 16;
    while (at < len) {
        if (len - at < 4)
            return -1;
        uint32_t n = be32(p + at);
        at += 4;
        if (n == 0 || n % 4 || n > len - at)
            return -1;
        int c = frame_count(p + at, n, depth + 1);
        if (c < 0)
            return -1;
        count += c;
        at += n;
    }
    return count;
}

/* Between the passes: every message decodes (liblo checks type tags,
 * argument sizes and strings, which framing does not), so that a bundle
 * with one bad element is dropped whole rather than applied in part.
 * Only datagrams within the rate limit get here. */
static int decodes(unsigned char *p, size_t len)
{
    if (is_bundle(p, len)) {
        size_t at = 16;
        while (at < len) {
            uint32_t n = be32(p + at);
            at += 4;
            if (!decodes(p + at, n))
                return 0;
            at += n;
        }
        return 1;
    }
    if (strnlen((const char *)p, len) >= PATH_MAX_LEN)
        return 0;
    int res = 0;
    lo_message m = lo_message_deserialise(p, len, &res);
    if (!m)
        return 0;
    lo_message_free(m);
    return 1;
}

/* Pass 2: decode and dispatch (framing already checked). */
static void dispatch(sm_osc *o, unsigned char *p, size_t len)
{
    if (is_bundle(p, len)) {
        size_t at = 16;
        while (at < len) {
            uint32_t n = be32(p + at);
            at += 4;
            dispatch(o, p + at, n);
            at += n;
        }
        return;
    }
    char path[PATH_MAX_LEN];
    size_t pl = strnlen((const char *)p, len);
    if (pl >= sizeof path) {
        o->n.malformed++;
        return;
    }
    memcpy(path, p, pl + 1);
    int res = 0;
    lo_message m = lo_message_deserialise(p, len, &res);
    if (!m) {
        o->n.malformed++;
        return;
    }
    message(o, path, m);
    lo_message_free(m);
}

/* A bundle is all or nothing: one refused set keeps the others from
 * applying (each is told why), as one that fails the checks together. */
static void apply_batch(sm_osc *o)
{
    char why[256];
    if (o->nbatch && o->batch_refused) {
        for (int i = 0; i < o->nbatch; i++)
            reply_error(o, o->batch_path[i], "not applied: another value in "
                                             "the same bundle was refused");
    } else if (o->nbatch && o->host.apply(o->host.ctx, o->ids, o->vals,
                                          o->nbatch, why,
                                          sizeof why) != SM_OK) {
        for (int i = 0; i < o->nbatch; i++)
            reply_error(o, o->batch_path[i], why);
    }
    o->nbatch = 0;
    o->batch_refused = 0;
}

static int allowed(const sm_osc *o, const struct sockaddr_in *from)
{
    if (!o->cfg.nallow)
        return 1;
    uint32_t a = ntohl(from->sin_addr.s_addr);
    for (int i = 0; i < o->cfg.nallow; i++)
        if ((a & o->cfg.allow_mask[i]) == o->cfg.allow_addr[i])
            return 1;
    return 0;
}

static void refill(sm_osc *o, long long now_ms)
{
    double burst = o->cfg.max_rate / 4.0 > 64 ? o->cfg.max_rate / 4.0 : 64;
    if (now_ms > o->last_ms) {
        o->tokens += (double)(now_ms - o->last_ms) * o->cfg.max_rate / 1000.0;
        o->last_ms = now_ms;
    }
    if (o->tokens > burst)
        o->tokens = burst;
}

/* ---- public ---------------------------------------------------------- */

static void make_paths(sm_osc *o)
{
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        snprintf(o->path[i], PATH_MAX_LEN, PREFIX "%s/%s", in->section,
                 in->key);
    }
}

sm_osc *sm_osc_new(const sm_osc_config *cfg, const sm_osc_host *host,
                   char *why, size_t why_len)
{
    char addr[INET_ADDRSTRLEN];
    struct in_addr ia = {htonl(cfg->bind_addr)};
    inet_ntop(AF_INET, &ia, addr, sizeof addr);
    if (cfg->port < 1 || cfg->port > 65535 || cfg->max_rate < 1 ||
        cfg->nallow < 0 || cfg->nallow > SM_OSC_MAX_ALLOW) {
        snprintf(why, why_len, "OSC: invalid configuration");
        return NULL;
    }
    sm_osc *o = calloc(1, sizeof *o);
    unsigned char *buf = malloc(MAX_DGRAM);
    if (!o || !buf) {
        free(o);
        free(buf);
        snprintf(why, why_len, "OSC: out of memory");
        return NULL;
    }
    o->buf = buf;
    o->cfg = *cfg;
    o->host = *host;
    o->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)cfg->port);
    sa.sin_addr.s_addr = htonl(cfg->bind_addr);
    if (o->fd < 0 || bind(o->fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
        snprintf(why, why_len, "OSC: cannot listen on %s:%d/udp: %s", addr,
                 cfg->port, strerror(errno));
        sm_osc_free(o);
        return NULL;
    }
    socklen_t sl = sizeof sa;
    getsockname(o->fd, (struct sockaddr *)&sa, &sl);
    o->port = ntohs(sa.sin_port);
    make_paths(o);
    for (int i = 0; i < SM_P_COUNT; i++)
        o->shown[i] = host->get(host->ctx, (sm_param)i);
    o->tokens = -1; /* set on the first poll */
    return o;
}

void sm_osc_free(sm_osc *o)
{
    if (!o)
        return;
    if (o->fd >= 0)
        close(o->fd);
    free(o->buf);
    free(o);
}

int sm_osc_fd(const sm_osc *o) { return o->fd; }
int sm_osc_port(const sm_osc *o) { return o->port; }

int sm_osc_reconfigure(sm_osc *o, const sm_osc_config *cfg)
{
    if (cfg->port != o->cfg.port || cfg->bind_addr != o->cfg.bind_addr)
        return -1;
    if (cfg->status_hz != o->cfg.status_hz)
        o->next_status_ms = 0;
    o->cfg = *cfg;
    return 0;
}

static void feedback(sm_osc *o)
{
    for (int p = 0; p < SM_P_COUNT; p++) {
        float v = o->host.get(o->host.ctx, (sm_param)p);
        if (v == o->shown[p] || (isnan(v) && isnan(o->shown[p])))
            continue;
        o->shown[p] = v;
        for (int s = 0; s < o->nsub; s++)
            send_value(o, &o->sub[s].to, (sm_param)p, v, 3);
    }
}

/* One datagram in o->buf (len > MAX_DGRAM: it was truncated), from
 * o->from: allow-list, framing, rate limit, dispatch, batch. */
static void handle(sm_osc *o, size_t len, long long now_ms)
{
    if (o->tokens < 0) {
        o->last_ms = now_ms;
        o->tokens = 1e18; /* refill() caps it at the burst */
    }
    o->n.packets++;
    if (!allowed(o, &o->from)) {
        o->n.denied++;
        return;
    }
    int count = len > MAX_DGRAM ? -1 : frame_count(o->buf, len, 0);
    if (count < 0) {
        o->n.malformed++;
        return;
    }
    refill(o, now_ms);
    if (o->tokens < count) {
        o->n.rate_dropped += (unsigned long long)count;
        return;
    }
    o->tokens -= count;
    if (!decodes(o->buf, len)) {
        o->n.malformed++;
        return;
    }
    dispatch(o, o->buf, len);
    apply_batch(o);
}

void sm_osc_handle_datagram(sm_osc *o, const void *data, size_t len,
                            uint32_t from_addr, int from_port,
                            long long now_ms)
{
    size_t n = len < MAX_DGRAM ? len : MAX_DGRAM;
    memcpy(o->buf, data, n);
    memset(&o->from, 0, sizeof o->from);
    o->from.sin_family = AF_INET;
    o->from.sin_addr.s_addr = htonl(from_addr);
    o->from.sin_port = htons((uint16_t)from_port);
    handle(o, len, now_ms);
}

int sm_osc_poll(sm_osc *o, long long now_ms)
{
    for (int k = 0; k < PACKETS_PER_POLL; k++) {
        socklen_t fl = sizeof o->from;
        ssize_t len = recvfrom(o->fd, o->buf, MAX_DGRAM, MSG_TRUNC,
                               (struct sockaddr *)&o->from, &fl);
        if (len < 0)
            break; /* EAGAIN: nothing more waiting */
        handle(o, (size_t)len, now_ms);
    }
    feedback(o);
    if (o->cfg.status_hz <= 0)
        return -1;
    long long period = 1000 / o->cfg.status_hz;
    if (now_ms >= o->next_status_ms) {
        if (o->nsub) {
            sm_osc_status st;
            collect_status(o, &st);
            for (int s = 0; s < o->nsub; s++)
                send_status(o, &o->sub[s].to, &st);
        }
        /* On the grid, but never a burst to catch up after a stall. */
        o->next_status_ms += period;
        if (o->next_status_ms <= now_ms)
            o->next_status_ms = now_ms + period;
    }
    return (int)(o->next_status_ms - now_ms);
}

void sm_osc_get_counters(const sm_osc *o, sm_osc_counters *c)
{
    *c = o->n;
    c->subscribers = o->nsub;
}
