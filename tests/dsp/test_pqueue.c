/* test_pqueue.c: the bounded lock-free MPSC queue of parameter changes
 * (dsp/pqueue.c).
 *
 * Live parameter changes from several control threads reach the audio
 * thread only through this queue, so it must keep FIFO order, report a full
 * queue at exactly SM_PQUEUE_CAP pending items instead of overwriting, keep
 * working across many wrap-arounds of its sequence numbers, and under real
 * contention (4 producers, 1 consumer) deliver every item exactly once with
 * each producer's order preserved. No timing is asserted.
 *
 * Batches (sm_pqueue_push_batch) must come out whole: in order, contiguous,
 * refused as a whole when they do not fit, and under contention a drain of
 * everything available never stops inside a batch.
 */
#include <pthread.h>
#include <sched.h>
#include <setjmp.h>
#include <stdatomic.h>
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

/* ---- batches -------------------------------------------------------------- */

/* Pops one item and checks it. */
static void expect_pop(sm_pqueue *q, int id, float v)
{
    int got_id = -1;
    float got_v = -1.0f;
    assert_int_equal(sm_pqueue_pop(q, &got_id, &got_v), 1);
    assert_int_equal(got_id, id);
    assert_true(got_v == v);
}

static void test_batch_in_order(void **state)
{
    (void)state;
    sm_pqueue *q = new_queue();
    int ids[5] = {10, 11, 12, 13, 14};
    float vals[5] = {0.5f, 1.5f, 2.5f, 3.5f, 4.5f};
    assert_int_equal(sm_pqueue_push(q, 1, 100.0f), 0);
    assert_int_equal(sm_pqueue_push_batch(q, ids, vals, 5), 0);
    assert_int_equal(sm_pqueue_push(q, 2, 200.0f), 0);
    assert_int_equal(sm_pqueue_push_batch(q, ids + 3, vals + 3, 2), 0);
    expect_pop(q, 1, 100.0f);
    for (int i = 0; i < 5; i++)
        expect_pop(q, ids[i], vals[i]);
    expect_pop(q, 2, 200.0f);
    expect_pop(q, 13, 3.5f);
    expect_pop(q, 14, 4.5f);
    assert_int_equal(sm_pqueue_pop(q, &(int){0}, &(float){0}), 0);

    /* The largest batch, across the wrap of the ring (tail is at 9). */
    enum { M = SM_PQUEUE_CAP / 4 };
    int bid[M];
    float bv[M];
    for (int lap = 0; lap < 3 * SM_PQUEUE_CAP / M; lap++) {
        for (int i = 0; i < M; i++) {
            bid[i] = i;
            bv[i] = (float)(lap * M + i);
        }
        assert_int_equal(sm_pqueue_push_batch(q, bid, bv, M), 0);
        for (int i = 0; i < M; i++)
            expect_pop(q, i, (float)(lap * M + i));
        assert_int_equal(sm_pqueue_pop(q, &(int){0}, &(float){0}), 0);
    }
    free(q);
}

/* A batch larger than the free space is refused and none of it shows;
 * one that just fits is taken. */
static void test_batch_refused_when_no_room(void **state)
{
    (void)state;
    sm_pqueue *q = new_queue();
    const int fill = SM_PQUEUE_CAP - 3;
    for (int i = 0; i < fill; i++)
        assert_int_equal(sm_pqueue_push(q, i, (float)i), 0);
    int ids[4] = {-1, -2, -3, -4};
    float vals[4] = {-1.0f, -2.0f, -3.0f, -4.0f};
    assert_int_equal(sm_pqueue_push_batch(q, ids, vals, 4), -1);
    /* Room for 3 still: the refusal reserved nothing. */
    assert_int_equal(sm_pqueue_push_batch(q, ids, vals, 3), 0);
    assert_int_equal(sm_pqueue_push_batch(q, ids, vals, 1), -1);
    assert_int_equal(sm_pqueue_push(q, -9, -9.0f), -1);
    for (int i = 0; i < fill; i++)
        expect_pop(q, i, (float)i);
    for (int i = 0; i < 3; i++)
        expect_pop(q, ids[i], vals[i]);
    assert_int_equal(sm_pqueue_pop(q, &(int){0}, &(float){0}), 0);

    /* Refused with the free cells split around the wrap of the ring, too:
     * 5 free, batch of 6. */
    for (int i = 0; i < SM_PQUEUE_CAP - 5; i++)
        assert_int_equal(sm_pqueue_push(q, i, (float)i), 0);
    int six[6] = {0, 1, 2, 3, 4, 5};
    float sixv[6] = {7, 7, 7, 7, 7, 7};
    assert_int_equal(sm_pqueue_push_batch(q, six, sixv, 6), -1);
    for (int i = 0; i < SM_PQUEUE_CAP - 5; i++)
        expect_pop(q, i, (float)i);
    assert_int_equal(sm_pqueue_pop(q, &(int){0}, &(float){0}), 0);
    assert_int_equal(sm_pqueue_push_batch(q, six, sixv, 6), 0);
    for (int i = 0; i < 6; i++)
        expect_pop(q, i, 7.0f);
    assert_int_equal(sm_pqueue_pop(q, &(int){0}, &(float){0}), 0);
    free(q);
}

static void test_batch_size_bounds(void **state)
{
    (void)state;
    sm_pqueue *q = new_queue();
    enum { M = SM_PQUEUE_CAP / 4 };
    int ids[M + 1];
    float vals[M + 1];
    for (int i = 0; i <= M; i++) {
        ids[i] = i;
        vals[i] = (float)i;
    }
    assert_int_equal(sm_pqueue_push_batch(q, ids, vals, 0), -1);
    assert_int_equal(sm_pqueue_push_batch(q, ids, vals, M + 1), -1);
    assert_int_equal(sm_pqueue_push_batch(q, ids, vals, SM_PQUEUE_CAP), -1);
    assert_int_equal(sm_pqueue_pop(q, &(int){0}, &(float){0}), 0);
    assert_int_equal(sm_pqueue_push_batch(q, ids, vals, M), 0);
    for (int i = 0; i < M; i++)
        expect_pop(q, i, (float)i);
    assert_int_equal(sm_pqueue_pop(q, &(int){0}, &(float){0}), 0);
    free(q);
}

/* ---- batches under contention ----------------------------------------------- */

#define BATCHES_PER_PRODUCER 20000

/* Size of batch tag t (known to producer and consumer): 1..64 mostly, now
 * and then the largest allowed. */
static int batch_size(int tag)
{
    uint32_t h = (uint32_t)tag * 2654435761u;
    h ^= h >> 15;
    if (h % 53 == 0)
        return SM_PQUEUE_CAP / 4;
    return 1 + (int)(h % 64);
}

typedef struct batch_arg {
    sm_pqueue *q;
    int index;
    atomic_int *stop; /* set by the consumer when it gives up */
} batch_arg;

/* A short busy wait of 0..255 steps, so that producers sometimes run
 * ahead of the consumer and sometimes behind it. */
static void pause_a_little(uint32_t *s)
{
    *s ^= *s << 13;
    *s ^= *s >> 17;
    *s ^= *s << 5;
    for (volatile uint32_t i = 0; i < (*s & 255u); i++)
        ;
}

static void *batch_producer(void *p)
{
    batch_arg *a = p;
    int ids[SM_PQUEUE_CAP / 4];
    float vals[SM_PQUEUE_CAP / 4];
    uint32_t s = 0x9e3779b9u + (uint32_t)a->index;
    for (int k = 0; k < BATCHES_PER_PRODUCER; k++) {
        /* tag = batch number over all producers (exact in a float). */
        int tag = a->index * BATCHES_PER_PRODUCER + k;
        int n = batch_size(tag);
        for (int i = 0; i < n; i++) {
            ids[i] = i;
            vals[i] = (float)tag;
        }
        while (sm_pqueue_push_batch(a->q, ids, vals, (size_t)n) != 0) {
            if (atomic_load(a->stop))
                return NULL;
            sched_yield();
        }
        pause_a_little(&s);
    }
    return NULL;
}

/* 4 producers push batches of varied sizes; between "hop boundaries" the
 * consumer drains everything available. Every drain must end on the last
 * item of a batch, each batch must come contiguous and in order, each
 * producer's batches in order, none lost or duplicated. */
static void test_batch_multi_producer(void **state)
{
    (void)state;
    sm_pqueue *q = new_queue();
    enum { TAGS = PRODUCERS * BATCHES_PER_PRODUCER };
    unsigned char *seen = calloc(TAGS, 1);
    assert_non_null(seen);
    long expected_items = 0;
    for (int t = 0; t < TAGS; t++)
        expected_items += batch_size(t);

    atomic_int stop;
    atomic_init(&stop, 0);
    pthread_t th[PRODUCERS];
    batch_arg args[PRODUCERS];
    for (int p = 0; p < PRODUCERS; p++) {
        args[p] = (batch_arg){q, p, &stop};
        assert_int_equal(
            pthread_create(&th[p], NULL, batch_producer, &args[p]), 0);
    }
    uint32_t s = 12345;
    long items = 0, batches = 0, drains = 0, split = 0, broken = 0,
         dup = 0, out_of_order = 0, multi = 0;
    int next_k[PRODUCERS] = {0};
    int cur_tag = -1, cur_n = 0, cur_next = 0; /* batch being read */
    while (batches < TAGS) {
        int id;
        float v;
        long got = 0;
        while (sm_pqueue_pop(q, &id, &v)) {
            got++;
            items++;
            int tag = (int)v;
            if (cur_next == 0) { /* a batch must start here */
                if (id != 0 || tag < 0 || tag >= TAGS || (float)tag != v) {
                    broken++;
                    continue;
                }
                cur_tag = tag;
                cur_n = batch_size(tag);
            } else if (tag != cur_tag || id != cur_next) {
                broken++; /* not contiguous or out of order in its batch */
                cur_next = 0;
                continue;
            }
            if (++cur_next == cur_n) {
                batches++;
                if (seen[cur_tag]++)
                    dup++;
                int p = cur_tag / BATCHES_PER_PRODUCER;
                if (cur_tag % BATCHES_PER_PRODUCER != next_k[p])
                    out_of_order++;
                next_k[p] = cur_tag % BATCHES_PER_PRODUCER + 1;
                cur_next = 0;
            }
        }
        if (got) {
            drains++;
            if (got > 1)
                multi++;
            if (cur_next != 0) { /* the drain stopped inside a batch */
                split++;
                if (split == 1)
                    print_message("split: batch %d stopped at id %d of %d\n",
                                  cur_tag, cur_next - 1, cur_n);
            }
        }
        if (broken || split) {
            atomic_store(&stop, 1); /* do not wait for what cannot end */
            break;
        }
        pause_a_little(&s); /* until the next hop boundary */
    }
    for (int p = 0; p < PRODUCERS; p++)
        assert_int_equal(pthread_join(th[p], NULL), 0);
    assert_int_equal(split, 0);
    assert_int_equal(broken, 0);
    assert_int_equal(dup, 0);
    assert_int_equal(out_of_order, 0);
    assert_int_equal(items, expected_items);
    for (int t = 0; t < TAGS; t++)
        assert_int_equal(seen[t], 1);
    for (int p = 0; p < PRODUCERS; p++)
        assert_int_equal(next_k[p], BATCHES_PER_PRODUCER);
    int id;
    float v;
    assert_int_equal(sm_pqueue_pop(q, &id, &v), 0); /* nothing extra */
    print_message("%ld batches, %ld items in %ld drains (%ld of several)\n",
                  batches, items, drains, multi);
    free(seen);
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
        cmocka_unit_test(test_batch_in_order),
        cmocka_unit_test(test_batch_refused_when_no_room),
        cmocka_unit_test(test_batch_size_bounds),
        cmocka_unit_test(test_batch_multi_producer),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
