/* nsm.h: the Non/New Session Manager client side (NSM API 1.2).
 *
 * When NSM_URL is set, the daemon announces itself, waits for
 * /nsm/client/open, takes the client id as its JACK name and
 * PATH_PREFIX.ini as its configuration, answers /nsm/client/save, and
 * tells the server when its state is dirty or clean. Everything runs on
 * the control thread: the socket is polled with the others.
 */
#ifndef SM_DAEMON_NSM_H
#define SM_DAEMON_NSM_H

#include <stddef.h>

typedef struct sm_nsm sm_nsm;

typedef struct sm_nsm_host {
    void *ctx;
    /* Open the session's state: 0, or -1 and a reason for the server. */
    int (*open)(void *ctx, const char *path_prefix, const char *client_id,
                char *msg, size_t len);
    /* Save the state to the session's file: 0, or -1 and a reason. */
    int (*save)(void *ctx, char *msg, size_t len);
} sm_nsm_host;

/* Opens a socket and announces to url (NSM_URL) as exe. NULL and why on
 * failure. NRT only. */
sm_nsm *sm_nsm_new(const char *url, const char *exe, const sm_nsm_host *host,
                   char *why, size_t why_len);

/* NRT only. NULL is fine. */
void sm_nsm_free(sm_nsm *n);

/* The socket, for poll(). */
int sm_nsm_fd(const sm_nsm *n);

/* Handles what is waiting (open, save, replies, errors). NRT only. */
void sm_nsm_poll(sm_nsm *n);

/* 1 once /nsm/client/open has been handled (successfully or not). */
int sm_nsm_opened(const sm_nsm *n);

/* Reports the state: sends /nsm/client/is_dirty or is_clean when it
 * changes. NRT only. */
void sm_nsm_set_dirty(sm_nsm *n, int dirty);

#endif
