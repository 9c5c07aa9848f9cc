/* netaddr.h: IPv4 addresses and CIDR allow-lists as the configuration
 * writes them ("127.0.0.1", "192.168.1.0/24, 10.0.0.7"), parsed strictly
 * so that a typo in an allow-list is an error, never an open door.
 * Addresses are in host byte order. */
#ifndef SM_CONF_NETADDR_H
#define SM_CONF_NETADDR_H

#include <stddef.h>
#include <stdint.h>

#define SM_NET_MAX_RANGES 32

typedef struct sm_net_range {
    uint32_t addr, mask; /* addr already masked */
} sm_net_range;

/* Parses a dotted IPv4 address (four decimal parts 0..255, nothing else).
 * Returns 0 or -1. any thread. */
int sm_net_parse_addr(const char *text, uint32_t *addr);

/* Parses a list of addresses and ADDR/PREFIX ranges separated by commas
 * and/or spaces (empty text: an empty list). At most SM_NET_MAX_RANGES.
 * Returns the count, or -1 with a reason in why ("'10.0.0.0/33': prefix
 * must be 0 to 32"). any thread. */
int sm_net_parse_ranges(const char *text, sm_net_range *out, size_t max,
                        char *why, size_t why_len);

/* 1 when addr lies in one of the n ranges. any thread. */
int sm_net_ranges_match(const sm_net_range *r, int n, uint32_t addr);

#endif
