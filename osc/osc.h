/* osc.h: the OSC control server (UDP), its address space generated from
 * the parameter table (dsp/params.def).
 *
 *   /specmorph/<section>/<key> v        set (numbers; enums also by name)
 *   /specmorph/norm/<section>/<key> f   set by 0..1 position on the curve
 *   /specmorph/get s:path               -> the value, to the sender
 *   /specmorph/list                     -> /specmorph/param ... per row,
 *                                          then /specmorph/list/end i:count
 *   /specmorph/subscribe [i:port]       changes and status to the sender
 *   /specmorph/unsubscribe [i:port]
 *   /specmorph/status                   -> one status report now
 *   /specmorph/config/save, /specmorph/config/reload
 *   /specmorph/preset/<name>
 *   /specmorph/ping                     -> /specmorph/pong
 *
 * Rejections answer /specmorph/error s:path s:reason and change nothing.
 * A bundle's sets apply together (one batch: one hop boundary), or none
 * of them when one is refused; queries
 * inside a bundle see the values from before it; time tags are ignored
 * (applied on arrival).
 *
 * Everything runs on the caller's thread (the daemon's control thread):
 * the socket is non-blocking and sm_osc_poll handles what is waiting.
 * The socket is our own rather than liblo's server so that the bind
 * address, the allow-list and the rate limit act before any parsing;
 * liblo decodes and encodes the messages. This module knows no JACK: the
 * daemon provides the host callbacks.
 */
#ifndef SM_OSC_OSC_H
#define SM_OSC_OSC_H

#include "specmorph.h"

#include <stddef.h>
#include <stdint.h>

typedef struct sm_osc sm_osc;

#define SM_OSC_MAX_ALLOW 32
#define SM_OSC_MAX_SUBSCRIBERS 16

/* Status fields (osc/status.def): SM_OSC_ST_<name>. */
typedef enum sm_osc_stat {
#define SF(name, type, unit, help) SM_OSC_ST_##name,
#include "status.def"
#undef SF
    SM_OSC_ST_COUNT
} sm_osc_stat;

/* A status report: the host fills v[] (levels in dBFS, -INFINITY for
 * silence; ints as whole numbers); fields it leaves alone stay 0. */
typedef struct sm_osc_status {
    double v[SM_OSC_ST_COUNT];
} sm_osc_status;

/* What the server needs from the daemon. Called on the polling thread.
 * why: a one-line reason on failure. */
typedef struct sm_osc_host {
    void *ctx;
    /* Applies n values together (a message: 1; a bundle: all of its
     * sets), live or by rebuilding the engine; all or nothing. Values
     * are already checked one by one. */
    sm_error (*apply)(void *ctx, const sm_param *ids, const float *values,
                      int n, char *why, size_t why_len);
    float (*get)(void *ctx, sm_param id);
    void (*status)(void *ctx, sm_osc_status *st);
    /* 0 and a short text for the reply (e.g. the path), or -1 and why. */
    int (*save)(void *ctx, char *msg, size_t len);
    int (*reload)(void *ctx, char *msg, size_t len);
    int (*preset)(void *ctx, const char *name, char *msg, size_t len);
} sm_osc_host;

typedef struct sm_osc_config {
    int port;                 /* UDP port, 1 to 65535 */
    uint32_t bind_addr;       /* IPv4, host byte order */
    uint32_t allow_addr[SM_OSC_MAX_ALLOW], allow_mask[SM_OSC_MAX_ALLOW];
    int nallow;               /* 0: every sender */
    int status_hz;            /* 0: no periodic status */
    int max_rate;             /* messages per second, all senders */
} sm_osc_config;

typedef struct sm_osc_counters {
    unsigned long long packets;      /* datagrams received */
    unsigned long long messages;     /* messages handled */
    unsigned long long rejected;     /* answered with /specmorph/error */
    unsigned long long denied;       /* datagrams from outside the allow-list */
    unsigned long long rate_dropped; /* messages over max_rate */
    unsigned long long malformed;    /* datagrams that are not OSC */
    unsigned long long send_failed;  /* replies the socket refused */
    int subscribers;
} sm_osc_counters;

/* Opens the socket. NULL and why on failure (e.g. the port is in use).
 * NRT only. */
sm_osc *sm_osc_new(const sm_osc_config *cfg, const sm_osc_host *host,
                   char *why, size_t why_len);

/* NRT only. NULL is fine. */
void sm_osc_free(sm_osc *o);

/* The socket, for poll(). any thread. */
int sm_osc_fd(const sm_osc *o);

/* The bound port (useful when cfg->port asked for a specific one, and in
 * messages). any thread. */
int sm_osc_port(const sm_osc *o);

/* Applies a changed allow-list, status rate and rate limit in place.
 * Returns -1 when the port or address changed: a new server is needed.
 * NRT only (the polling thread). */
int sm_osc_reconfigure(sm_osc *o, const sm_osc_config *cfg);

/* Handles the datagrams waiting (at most a few hundred per call, so the
 * caller's loop keeps turning under a flood), then sends subscribers the
 * values that changed since the last call (from any source) and the
 * status when due. now_ms: a monotonic clock. Returns the milliseconds
 * until it wants to be called again (status), or -1 for "whenever".
 * NRT only. */
int sm_osc_poll(sm_osc *o, long long now_ms);

/* Handles one datagram as if it had come from from_addr:from_port (host
 * byte order), without the socket: for fuzzing and tests. Replies still go
 * out through the socket. NRT only (the polling thread). */
void sm_osc_handle_datagram(sm_osc *o, const void *data, size_t len,
                            uint32_t from_addr, int from_port,
                            long long now_ms);

/* NRT only (the polling thread). */
void sm_osc_get_counters(const sm_osc *o, sm_osc_counters *c);

#endif
