/* netaddr.c: strict IPv4 and CIDR parsing for [osc] bind and allow.
 * inet_pton is not used for the address itself: it is strict too, but its
 * error says nothing about what was wrong. */
#include "netaddr.h"

#include <stdio.h>
#include <string.h>

int sm_net_parse_addr(const char *text, uint32_t *addr)
{
    uint32_t a = 0;
    const char *p = text;
    for (int part = 0; part < 4; part++) {
        if (part && *p++ != '.')
            return -1;
        if (*p < '0' || *p > '9')
            return -1;
        unsigned v = 0;
        int digits = 0;
        while (*p >= '0' && *p <= '9') {
            v = v * 10 + (unsigned)(*p++ - '0');
            if (++digits > 3 || v > 255)
                return -1;
        }
        a = a << 8 | v;
    }
    if (*p)
        return -1;
    *addr = a;
    return 0;
}

int sm_net_parse_ranges(const char *text, sm_net_range *out, size_t max,
                        char *why, size_t why_len)
{
    int n = 0;
    const char *p = text;
    for (;;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        if (!*p)
            return n;
        char tok[64];
        size_t k = strcspn(p, " ,\t");
        if (k >= sizeof tok) {
            snprintf(why, why_len, "'%.20s...': too long for an address",
                     p);
            return -1;
        }
        memcpy(tok, p, k);
        tok[k] = 0;
        p += k;
        if ((size_t)n == max) {
            snprintf(why, why_len, "more than %zu entries", max);
            return -1;
        }
        char *slash = strchr(tok, '/');
        int prefix = 32;
        if (slash) {
            *slash = 0;
            const char *q = slash + 1;
            if (!*q || strlen(q) > 2 || strspn(q, "0123456789") != strlen(q) ||
                (prefix = (q[0] - '0') * (q[1] ? 10 : 1) +
                          (q[1] ? q[1] - '0' : 0)) > 32) {
                snprintf(why, why_len, "'%s/%s': prefix must be 0 to 32", tok,
                         q);
                return -1;
            }
        }
        uint32_t a;
        if (sm_net_parse_addr(tok, &a) != 0) {
            snprintf(why, why_len, "'%s' is not an IPv4 address (expected "
                                   "four numbers 0 to 255, e.g. 192.168.1.20)",
                     tok);
            return -1;
        }
        uint32_t mask = prefix ? 0xffffffffu << (32 - prefix) : 0;
        out[n].addr = a & mask;
        out[n].mask = mask;
        n++;
    }
}

int sm_net_ranges_match(const sm_net_range *r, int n, uint32_t addr)
{
    for (int i = 0; i < n; i++)
        if ((addr & r[i].mask) == r[i].addr)
            return 1;
    return 0;
}
