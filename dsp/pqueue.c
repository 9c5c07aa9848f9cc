/* pqueue.c: see pqueue.h. */
#include "pqueue.h"

void sm_pqueue_init(sm_pqueue *q)
{
    for (size_t i = 0; i < SM_PQUEUE_CAP; i++)
        atomic_init(&q->cell[i].seq, i);
    atomic_init(&q->head, 0);
    q->tail = 0;
}

int sm_pqueue_push(sm_pqueue *q, int id, float value)
{
    return sm_pqueue_push_batch(q, &id, &value, 1);
}

/* Batches. A producer reserves n consecutive cells with one CAS on head,
 * after checking that all n are free for this lap (a free cell's seq equals
 * its position; a cell claimed by another producer cannot look free to a
 * CAS that succeeds, as head only grows). It fills all n, then publishes
 * their sequence numbers in reverse: last cell first, first cell last, each
 * a release store.
 *
 * Why the consumer never sees part of a batch: it pops in position order
 * and stops at the first cell not yet published, so it cannot reach any
 * cell of the batch before the first one. The first cell's seq is stored
 * last, with release; the consumer loads it with acquire, so every earlier
 * store of the producer (the data of all n cells and the other n - 1 seq
 * stores) happens before everything the consumer does next, and its
 * acquire loads of the later cells' seq must return the published values
 * (coherence: only the consumer itself writes those cells again). Once the
 * consumer sees the first cell of a batch, all of it is visible; and as the
 * engine's consumer (apply_changes in engine.c) drains everything visible
 * at once before the bands reach their next hop boundary, a batch is
 * applied whole at one boundary, never split across two. Batches of other
 * producers may be interleaved with it in the ring only as whole batches:
 * each reservation is a single CAS over consecutive positions. */
int sm_pqueue_push_batch(sm_pqueue *q, const int *ids, const float *values,
                         size_t n)
{
    if (n < 1 || n > SM_PQUEUE_CAP / 4)
        return -1;
    size_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        ptrdiff_t dif = 0;
        size_t i;
        for (i = 0; i < n; i++) {
            sm_pq_cell *c = &q->cell[(pos + i) & (SM_PQUEUE_CAP - 1)];
            size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
            dif = (ptrdiff_t)seq - (ptrdiff_t)(pos + i);
            if (dif != 0)
                break;
        }
        if (i == n) {
            /* All n free: claim them. On failure pos is the new head. */
            if (atomic_compare_exchange_weak_explicit(
                    &q->head, &pos, pos + n, memory_order_relaxed,
                    memory_order_relaxed))
                break;
        } else if (dif < 0) {
            return -1; /* cell pos + i not consumed from the last lap */
        } else {
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
    for (size_t i = 0; i < n; i++) {
        sm_pq_cell *c = &q->cell[(pos + i) & (SM_PQUEUE_CAP - 1)];
        c->id = ids[i];
        c->value = values[i];
    }
    for (size_t i = n; i-- > 0;)
        atomic_store_explicit(&q->cell[(pos + i) & (SM_PQUEUE_CAP - 1)].seq,
                              pos + i + 1, memory_order_release);
    return 0;
}

int sm_pqueue_pop(sm_pqueue *q, int *id, float *value)
{
    size_t pos = q->tail;
    sm_pq_cell *c = &q->cell[pos & (SM_PQUEUE_CAP - 1)];
    size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
    if ((ptrdiff_t)seq - (ptrdiff_t)(pos + 1) < 0)
        return 0;
    *id = c->id;
    *value = c->value;
    atomic_store_explicit(&c->seq, pos + SM_PQUEUE_CAP, memory_order_release);
    q->tail = pos + 1;
    return 1;
}
