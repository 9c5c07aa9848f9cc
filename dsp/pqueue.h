/* pqueue.h: bounded lock-free queue of parameter changes (id, value).
 *
 * Many producers (control threads: OSC, config reload, tests), one
 * consumer (the thread that runs sm_engine_process). A cell-sequence
 * design (after D. Vyukov's bounded queue): no locks, no allocation after
 * init, a full queue is reported rather than waited on.
 */
#ifndef SM_PQUEUE_H
#define SM_PQUEUE_H

#include <stdatomic.h>
#include <stddef.h>

#define SM_PQUEUE_CAP 1024 /* power of two */

typedef struct sm_pq_cell {
    atomic_size_t seq;
    int id;
    float value;
} sm_pq_cell;

typedef struct sm_pqueue {
    sm_pq_cell cell[SM_PQUEUE_CAP];
    atomic_size_t head; /* next to enqueue (producers) */
    size_t tail;        /* next to dequeue (the consumer only) */
} sm_pqueue;

/* NRT only. */
void sm_pqueue_init(sm_pqueue *q);

/* any thread. Returns 0, or -1 when full. */
int sm_pqueue_push(sm_pqueue *q, int id, float value);

/* Pushes n changes as one batch: the consumer sees either none of them or
 * all of them, in order, in one drain (see pqueue.c). n is 1 to
 * SM_PQUEUE_CAP / 4. any thread. Returns 0, or -1 when the queue lacks n
 * free cells (nothing is pushed) or n is out of bounds. */
int sm_pqueue_push_batch(sm_pqueue *q, const int *ids, const float *values,
                         size_t n);

/* Consumer thread only; RT-safe. Returns 1 and fills id/value, or 0. */
int sm_pqueue_pop(sm_pqueue *q, int *id, float *value);

#endif
