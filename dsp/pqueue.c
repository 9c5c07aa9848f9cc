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
    size_t pos = atomic_load_explicit(&q->head, memory_order_relaxed);
    for (;;) {
        sm_pq_cell *c = &q->cell[pos & (SM_PQUEUE_CAP - 1)];
        size_t seq = atomic_load_explicit(&c->seq, memory_order_acquire);
        ptrdiff_t dif = (ptrdiff_t)seq - (ptrdiff_t)pos;
        if (dif == 0) {
            if (atomic_compare_exchange_weak_explicit(
                    &q->head, &pos, pos + 1, memory_order_relaxed,
                    memory_order_relaxed)) {
                c->id = id;
                c->value = value;
                atomic_store_explicit(&c->seq, pos + 1, memory_order_release);
                return 0;
            }
        } else if (dif < 0) {
            return -1;
        } else {
            pos = atomic_load_explicit(&q->head, memory_order_relaxed);
        }
    }
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
