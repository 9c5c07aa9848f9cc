/* test_netaddr.c: the strict IPv4 and allow-list parsing behind [osc]
 * bind and allow: what is accepted, what each refusal says, and matching. */
#include "netaddr.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

static void test_addr(void **state)
{
    (void)state;
    uint32_t a = 0;
    assert_int_equal(sm_net_parse_addr("127.0.0.1", &a), 0);
    assert_int_equal(a, 0x7f000001u);
    assert_int_equal(sm_net_parse_addr("0.0.0.0", &a), 0);
    assert_int_equal(a, 0u);
    assert_int_equal(sm_net_parse_addr("255.255.255.255", &a), 0);
    assert_int_equal(a, 0xffffffffu);
    const char *bad[] = {"", "1.2.3", "1.2.3.4.5", "256.1.1.1", "1.2.3.4 ",
                         " 1.2.3.4", "1..2.3", "a.b.c.d", "1.2.3.-4",
                         "0001.2.3.4", "localhost", "::1", "1.2.3.4/8"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        a = 12345;
        assert_int_equal(sm_net_parse_addr(bad[i], &a), -1);
        assert_int_equal(a, 12345); /* untouched */
    }
}

static void test_ranges(void **state)
{
    (void)state;
    sm_net_range r[SM_NET_MAX_RANGES];
    char why[160];
    assert_int_equal(sm_net_parse_ranges("", r, SM_NET_MAX_RANGES, why,
                                         sizeof why), 0);
    assert_int_equal(sm_net_parse_ranges(" , ", r, SM_NET_MAX_RANGES, why,
                                         sizeof why), 0);
    int n = sm_net_parse_ranges("192.168.1.77/24, 10.0.0.7 0.0.0.0/0", r,
                                SM_NET_MAX_RANGES, why, sizeof why);
    assert_int_equal(n, 3);
    assert_int_equal(r[0].addr, 0xc0a80100u); /* masked */
    assert_int_equal(r[0].mask, 0xffffff00u);
    assert_int_equal(r[1].addr, 0x0a000007u);
    assert_int_equal(r[1].mask, 0xffffffffu);
    assert_int_equal(r[2].mask, 0u);
    assert_true(sm_net_ranges_match(r, 2, 0xc0a801feu));  /* 192.168.1.254 */
    assert_false(sm_net_ranges_match(r, 2, 0xc0a802feu)); /* 192.168.2.254 */
    assert_true(sm_net_ranges_match(r, 2, 0x0a000007u));
    assert_false(sm_net_ranges_match(r, 2, 0x0a000008u));
    assert_true(sm_net_ranges_match(r, 3, 0x01020304u)); /* /0: all */
    assert_false(sm_net_ranges_match(r, 0, 0x7f000001u));

    assert_int_equal(sm_net_parse_ranges("10.0.0.0/33", r, 4, why,
                                         sizeof why), -1);
    assert_non_null(strstr(why, "prefix must be 0 to 32"));
    assert_int_equal(sm_net_parse_ranges("10.0.0.0/", r, 4, why, sizeof why),
                     -1);
    assert_int_equal(sm_net_parse_ranges("10.0.0.0/2x", r, 4, why,
                                         sizeof why), -1);
    assert_int_equal(sm_net_parse_ranges("10.0.0.1, tablet", r, 4, why,
                                         sizeof why), -1);
    assert_non_null(strstr(why, "'tablet' is not an IPv4 address"));
    assert_int_equal(sm_net_parse_ranges("1.1.1.1 2.2.2.2 3.3.3.3", r, 2,
                                         why, sizeof why), -1);
    assert_non_null(strstr(why, "more than 2"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_addr),
        cmocka_unit_test(test_ranges),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
