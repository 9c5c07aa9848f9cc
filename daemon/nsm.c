/* nsm.c: NSM client (see nsm.h). liblo's own non-threaded server is used
 * here: the peer is one trusted session manager on this machine, so the
 * handler table is the simplest correct thing. */
#include "nsm.h"
#include "log.h"

#include <lo/lo.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSM_API_MAJOR 1
#define NSM_API_MINOR 2

struct sm_nsm {
    lo_server srv;
    lo_address to;
    sm_nsm_host host;
    int opened, dirty, announced;
};

static void reply(sm_nsm *n, const char *path, int err, const char *msg)
{
    if (err)
        lo_send_from(n->to, n->srv, LO_TT_IMMEDIATE, "/error", "sis", path,
                     -1, msg);
    else
        lo_send_from(n->to, n->srv, LO_TT_IMMEDIATE, "/reply", "ss", path,
                     msg);
}

static int on_open(const char *path, const char *types, lo_arg **argv,
                   int argc, lo_message m, void *user)
{
    (void)path;
    (void)types;
    (void)argc;
    (void)m;
    sm_nsm *n = user;
    char msg[512];
    int r = n->host.open(n->host.ctx, &argv[0]->s, &argv[2]->s, msg,
                         sizeof msg);
    reply(n, "/nsm/client/open", r != 0, msg);
    n->opened = 1;
    if (r == 0)
        n->dirty = 0;
    return 0;
}

static int on_save(const char *path, const char *types, lo_arg **argv,
                   int argc, lo_message m, void *user)
{
    (void)path;
    (void)types;
    (void)argv;
    (void)argc;
    (void)m;
    sm_nsm *n = user;
    char msg[512];
    int r = n->host.save(n->host.ctx, msg, sizeof msg);
    reply(n, "/nsm/client/save", r != 0, msg);
    if (r == 0)
        n->dirty = 0; /* the server takes a save reply as clean */
    return 0;
}

static int on_reply(const char *path, const char *types, lo_arg **argv,
                    int argc, lo_message m, void *user)
{
    (void)path;
    (void)m;
    sm_nsm *n = user;
    if (argc >= 3 && types[0] == 's' &&
        !strcmp(&argv[0]->s, "/nsm/server/announce")) {
        n->announced = 1;
        sm_log(LOG_INFO, "nsm: announced to %s: %s",
               types[2] == 's' ? &argv[2]->s : "the session manager",
               types[1] == 's' ? &argv[1]->s : "");
    }
    return 0;
}

static int on_error(const char *path, const char *types, lo_arg **argv,
                    int argc, lo_message m, void *user)
{
    (void)path;
    (void)m;
    (void)user;
    if (argc >= 3 && types[0] == 's' && types[2] == 's')
        sm_log(LOG_ERR, "nsm: %s failed: %s", &argv[0]->s, &argv[2]->s);
    return 0;
}

static int on_loaded(const char *path, const char *types, lo_arg **argv,
                     int argc, lo_message m, void *user)
{
    (void)path;
    (void)types;
    (void)argv;
    (void)argc;
    (void)m;
    (void)user;
    return 0;
}

static void lo_quiet(int num, const char *msg, const char *where)
{
    sm_log(LOG_WARNING, "nsm: liblo error %d: %s%s%s", num, msg ? msg : "",
           where ? " " : "", where ? where : "");
}

sm_nsm *sm_nsm_new(const char *url, const char *exe, const sm_nsm_host *host,
                   char *why, size_t why_len)
{
    sm_nsm *n = calloc(1, sizeof *n);
    if (!n) {
        snprintf(why, why_len, "nsm: out of memory");
        return NULL;
    }
    n->host = *host;
    n->to = lo_address_new_from_url(url);
    int proto = n->to ? lo_address_get_protocol(n->to) : -1;
    if (!n->to || proto != LO_UDP) {
        snprintf(why, why_len, "NSM_URL '%s' is not an osc.udp:// address",
                 url);
        sm_nsm_free(n);
        return NULL;
    }
    n->srv = lo_server_new_with_proto(NULL, LO_UDP, lo_quiet);
    if (!n->srv) {
        snprintf(why, why_len, "nsm: cannot open a UDP socket");
        sm_nsm_free(n);
        return NULL;
    }
    lo_server_add_method(n->srv, "/nsm/client/open", "sss", on_open, n);
    lo_server_add_method(n->srv, "/nsm/client/save", "", on_save, n);
    lo_server_add_method(n->srv, "/nsm/client/session_is_loaded", "",
                         on_loaded, n);
    lo_server_add_method(n->srv, "/reply", NULL, on_reply, n);
    lo_server_add_method(n->srv, "/error", NULL, on_error, n);
    const char *base = strrchr(exe, '/');
    base = base ? base + 1 : exe;
    if (lo_send_from(n->to, n->srv, LO_TT_IMMEDIATE, "/nsm/server/announce",
                     "sssiii", "specmorphd", ":dirty:", base, NSM_API_MAJOR,
                     NSM_API_MINOR, (int)getpid()) < 0) {
        snprintf(why, why_len, "nsm: cannot send the announce to %s: %s", url,
                 lo_address_errstr(n->to));
        sm_nsm_free(n);
        return NULL;
    }
    return n;
}

void sm_nsm_free(sm_nsm *n)
{
    if (!n)
        return;
    if (n->srv)
        lo_server_free(n->srv);
    if (n->to)
        lo_address_free(n->to);
    free(n);
}

int sm_nsm_fd(const sm_nsm *n) { return lo_server_get_socket_fd(n->srv); }

void sm_nsm_poll(sm_nsm *n)
{
    while (lo_server_recv_noblock(n->srv, 0) > 0)
        ;
}

int sm_nsm_opened(const sm_nsm *n) { return n->opened; }

void sm_nsm_set_dirty(sm_nsm *n, int dirty)
{
    if (!n || !n->opened || dirty == n->dirty)
        return;
    n->dirty = dirty;
    lo_send_from(n->to, n->srv, LO_TT_IMMEDIATE,
                 dirty ? "/nsm/client/is_dirty" : "/nsm/client/is_clean", "");
}
