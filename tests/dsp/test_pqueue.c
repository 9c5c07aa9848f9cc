/* test_pqueue.c: the bounded lock-free MPSC queue of parameter changes
 * (dsp/pqueue.c).
 *
 * Live parameter changes from several control threads reach the audio
 * thread only through this queue, so it must keep FIFO order, report a full
 * queue at exactly SM_PQUEUE_CAP pending items instead of overwriting, keep
 * working across many wrap-arounds of its sequence numbers, and under real
 * contention (4 producers, 1 consumer) deliver every item exactly once with
 * each producer's order preserved. No timing is asserted.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "pqueue.h"
#include "testutil.h"

static sm_pqueue *new_queue(void)
{
    sm_pqueue *q = malloc(sizeof *q);
    assert_non_null(q);
    sm_pqueue_init(q);
    return q;
}

static void test_empty(void **state)
{
    (void)state;
    sm_pqueue *q = new_queue();
    int id = 123;
    float v = 4.5f;
    assert_int_equal(sm_pqueue_pop(q, &id, &v), 0);
    assert_int_equal(id, 123); /* untouched */
    assert_true(v == 4.5f);
    assert_int_equal(sm_pqueue_push(q, 7, 0.25f), 0);
    assert_int_equal(sm_pqueue_pop(q, &id, &v), 1);
    assert_int_equal(id, 7);
    assert_true(v == 0.25f);
    assert_int_equal(sm_pqueue_pop(q, &id, &v), 0);
    free(q);
}

static void test_fifo_order(void **state)
{
    (void)state;
    sm_pqueue *q = new_queue();
    for (int i = 0; i < 100; i++)
        assert_int_equal(sm_pqueue_push(q, i % 17, (float)i * 0.5f), 0);
    for (int i = 0; i < 100; i++) {
        int id = -1;
        float v = -1.0f;
        assert_int_equal(sm_pqueue_pop(q, &id, &v), 1);
        assert_int_equal(id, i % 17);
        assert_true(v == (float)i * 0.5f);
    }
    assert_int_equal(sm_pqueue_pop(q, &(int){0}, &(float){0}), 0);
    free(q);
}

static void test_full_at_capacity(void **state)
{
    (void)state;
    sm_pqueue *q = new_queue();
    for (int i = 0; i < SM_PQUEUE_CAP; i++)
        if (sm_pqueue_push(q, i, (float)i) != 0)
            fail_msg("push %d of %d refused", i, SM_PQUEUE_CAP);
    /* Full: refused, and nothing already queued is overwritten. */
    assert_int_equal(sm_pqueue_push(q, -1, -1.0f), -1);
    assert_int_equal(sm_pqueue_push(q, -2, -2.0f), -1);
    int id;
    float v;
    assert_int_equal(sm_pqueue_pop(q, &id, &v), 1);
    assert_int_equal(id, 0);
    /* One slot free again: exactly one more fits. */
    assert_int_equal(sm_pqueue_push(q, SM_PQUEUE_CAP, (float)SM_PQUEUE_CAP),
                     0);
    assert_int_equal(sm_pqueue_push(q, -3, -3.0f), -1);
    for (int i = 1; i <= SM_PQUEUE_CAP; i++) {
        assert_int_equal(sm_pqueue_pop(q, &id, &v), 1);
        assert_int_equal(id, i);
        assert_true(v == (float)i);
    }
    assert_int_equal(sm_pqueue_pop(q, &id, &v), 0);
    free(q);
}

/* Many laps around the ring with the queue at various fill levels. */
static void test_wraparound(void **state)
{
    (void)state;
    sm_pqueue *q = new_queue();
    int next_in = 0, next_out = 0, pending = 0;
    uint32_t s = 12345;
    for (int round = 0; round < 200000; round++) {
        s ^= s << 13;
        s ^= s >> 17;
        s ^= s << 5;
        if (s % 3 != 0) { /* push twice as often as pop, until full */
            int r = sm_pqueue_push(q, next_in, (float)(next_in & 0xffff));
            if (pending == SM_PQUEUE_CAP) {
                assert_int_equal(r, -1);
            } else {
                assert_int_equal(r, 0);
                next_in++;
                pending++;
            }
        } else {
            int id;
            float v;
            int r = sm_pqueue_pop(q, &id, &v);
            if (pending == 0) {
                assert_int_equal(r, 0);
            } else {
                assert_int_equal(r, 1);
                assert_int_equal(id, next_out);
                assert_true(v == (float)(next_out & 0xffff));
                next_out++;
                pending--;
            }
        }
        /* Drain now and then so the fill level sweeps up and down. */
        if (round % 5000 == 4999) {
            int id;
            float v;
            while (sm_pqueue_pop(q, &id, &v)) {
                assert_int_equal(id, next_out);
                next_out++;
                pending--;
            }
            assert_int_equal(pending, 0);
        }
    }
    assert_true(next_in > 20 * SM_PQUEUE_CAP);
    free(q);
}

/* ---- multi-producer stress -------------------------------------------------- */

#define PRODUCERS 4
#define PER_PRODUCER 100000

typedef struct producer_arg {
    sm_pqueue *q;
    int index;
    unsigned long full; /* times the queue was found full */
} producer_arg;

static void *producer(void *p)
{
    producer_arg *a = p;
    for (int i = 0; i < PER_PRODUCER; i++) {
        /* id carries the producer, value the sequence number (exact in a
         * float up to 2^24). */
        while (sm_pqueue_push(a->q, a->index, (float)i) != 0) {
            a->full++;
            sched_yield();
        }
    }
    return NULL;
}

static void test_multi_producer_stress(void **state)
{
    (void)state;
    sm_pqueue *q = new_queue();
    pthread_t th[PRODUCERS];
    producer_arg args[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++) {
        args[p] = (producer_arg){q, p, 0};
        assert_int_equal(pthread_create(&th[p], NULL, producer, &args[p]), 0);
    }
    long next[PRODUCERS] = {0};
    long total = 0, bad_id = 0, out_of_order = 0;
    while (total < (long)PRODUCERS * PER_PRODUCER) {
        int id;
        float v;
        if (!sm_pqueue_pop(q, &id, &v)) {
            sched_yield();
            continue;
        }
        total++;
        if (id < 0 || id >= PRODUCERS) {
            bad_id++;
            continue;
        }
        /* Per producer the values must come as 0, 1, 2, ...: this checks
         * order, loss and duplication at once. */
        if ((long)v != next[id])
            out_of_order++;
        next[id] = (long)v + 1;
    }
    for (int p = 0; p < PRODUCERS; p++)
        assert_int_equal(pthread_join(th[p], NULL), 0);
    int id;
    float v;
    assert_int_equal(sm_pqueue_pop(q, &id, &v), 0); /* nothing extra */
    assert_int_equal(bad_id, 0);
    assert_int_equal(out_of_order, 0);
    for (int p = 0; p < PRODUCERS; p++)
        assert_int_equal(next[p], PER_PRODUCER);
    free(q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_fifo_order),
        cmocka_unit_test(test_full_at_capacity),
        cmocka_unit_test(test_wraparound),
        cmocka_unit_test(test_multi_producer_stress),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
