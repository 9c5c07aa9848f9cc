/* jackio.h: the daemon's JACK side: one client, its four ports, the
 * lock-free rings between the process callback and the DSP worker, and the
 * worker thread that runs the engine.
 *
 * Threads and what they may do:
 *   process callback (JACK RT)  copies JACK buffers to/from the rings,
 *                               counts under-runs, posts the worker's
 *                               semaphore; nothing else.
 *   DSP worker (RT, below JACK) runs sm_engine_process on whatever input
 *                               the rings hold; never blocks on anything
 *                               but its semaphore.
 *   notification callbacks      set flags only.
 *   control thread (main)       everything else: open/close, resync,
 *                               connections, logging.
 * Output is delayed by prefill periods of silence, so the worker has that
 * long to finish each period; that delay is part of the reported latency.
 */
#ifndef SM_DAEMON_JACKIO_H
#define SM_DAEMON_JACKIO_H

#include "specmorph.h"

#include <stdatomic.h>

typedef struct sm_jack sm_jack;

typedef struct sm_jack_counters {
    unsigned long long underruns; /* periods output as silence */
    /* Of those, the ones within prefill + 1 cycles after a cycle that ran
     * more than half a period off the beat (the machine stalled the graph
     * and JACK caught up, leaving the worker less than its time). */
    unsigned long long underruns_irregular;
    unsigned long long overruns;  /* periods of input dropped */
    unsigned long long xruns;     /* reported by JACK */
    float dsp_load;               /* JACK's figure, percent */
    int latency;                  /* samples reported on the ports */
    int period;                   /* frames */
    int rate_hz;
    unsigned origin_frame;        /* JACK frame time of engine sample 0 */
    unsigned long long worker_runs; /* worker wake-ups that processed */
    double worker_mean_us, worker_p99_us, worker_max_us; /* per wake-up */
} sm_jack_counters;

/* Opens a client (never starts a server) with the exact name given and
 * registers its ports; nothing runs yet. Returns NULL with a reason in
 * why. NRT only. */
sm_jack *sm_jack_open(const char *client_name, const char *server,
                      int prefill_periods, char *why, size_t why_len);

/* Current sample rate of the server, to build the engine. NRT only. */
int sm_jack_rate(sm_jack *j);
/* Current period of the server in frames. NRT only. */
int sm_jack_period(sm_jack *j);

/* Adopts engine (the worker runs it; sm_jack_close frees it), primes the
 * rings, starts the worker and activates the client. NRT only. */
int sm_jack_start(sm_jack *j, sm_engine *engine, char *why, size_t why_len);

/* Deactivates, closes the client, stops the worker, frees the engine.
 * Safe after the server died. NRT only. */
void sm_jack_close(sm_jack *j);

/* Flags raised by callbacks, read-and-cleared by the control thread. */
int sm_jack_take_shutdown(sm_jack *j);  /* the server went away */
int sm_jack_take_ports_changed(sm_jack *j);
int sm_jack_take_format_changed(sm_jack *j); /* period or rate changed */

/* Replaces the engine (e.g. after a rate change or a structural change):
 * pauses the audio path (silence out), swaps, re-primes the rings,
 * re-reports latency, resumes; returns the old engine for the caller to
 * free. NRT only. */
sm_engine *sm_jack_swap_engine(sm_jack *j, sm_engine *e);

/* Brings engine e in without a gap: the worker pre-rolls it on the recent
 * input, crossfades to it over 50 ms and hands the old engine back, which
 * is freed here; the new latency is then reported. Blocks the calling
 * (control) thread until done, a second or so at most. Falls back to
 * sm_jack_swap_engine when the audio path is not running. Returns 0, or
 * -1 when the server stalled mid-swap (sm_jack_close cleans up). NRT
 * only. */
int sm_jack_crossfade_engine(sm_jack *j, sm_engine *e);

/* Re-primes the rings for the current period (after a period change).
 * NRT only. */
void sm_jack_resync(sm_jack *j);

/* Engine in use (for sm_engine_set from the control thread). */
sm_engine *sm_jack_engine(sm_jack *j);

void sm_jack_get_counters(sm_jack *j, sm_jack_counters *c);

/* Connects every port matching the patterns (compiled POSIX EREs, NULL for
 * none) that is not connected yet. Returns connections made. NRT only. */
int sm_jack_autoconnect(sm_jack *j, const void *re_a, const void *re_b,
                        const void *re_out);

const char *sm_jack_client_name(sm_jack *j);

/* Sample peaks since the last call (in_a, in_b, out_l, out_r), in dBFS
 * (-INFINITY for silence); clears them. Control thread. */
void sm_jack_take_peaks(sm_jack *j, float dbfs[4]);

#endif
