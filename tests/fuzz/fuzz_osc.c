/* fuzz_osc.c: libFuzzer target for the OSC server's datagram handler
 * (framing, bundles, decoding, dispatch, value coercion, replies), with a
 * host that keeps a configuration like the daemon's and checks, after
 * every input, that no parameter left its range. `make fuzz`. */
#include "osc.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sm_config cfg;

static sm_error h_apply(void *ctx, const sm_param *ids, const float *v, int n,
                        char *why, size_t len)
{
    (void)ctx;
    sm_config c = cfg;
    for (int i = 0; i < n; i++)
        c.values[ids[i]] = v[i];
    if (sm_config_check(&c, why, len) != SM_OK)
        return SM_ERR_CONFIG;
    cfg = c;
    return SM_OK;
}

static float h_get(void *ctx, sm_param id)
{
    (void)ctx;
    return cfg.values[id];
}

static void h_status(void *ctx, sm_osc_status *st)
{
    (void)ctx;
    st->v[SM_OSC_ST_bands] = 3;
}

static int h_fail(void *ctx, char *msg, size_t len)
{
    (void)ctx;
    snprintf(msg, len, "not here");
    return -1;
}

static int h_preset(void *ctx, const char *name, char *msg, size_t len)
{
    (void)ctx;
    int p = sm_preset_find(name);
    if (p < 0) {
        snprintf(msg, len, "unknown");
        return -1;
    }
    sm_config c = cfg;
    if (sm_config_apply_preset(&c, p) != SM_OK ||
        sm_config_check(&c, msg, len) != SM_OK)
        return -1;
    cfg = c;
    return 0;
}

static sm_osc *server(void)
{
    static sm_osc *o;
    if (!o) {
        cfg = sm_config_default(48000);
        sm_osc_host h = {NULL, h_apply, h_get, h_status, h_fail, h_fail,
                         h_preset};
        sm_osc_config c;
        memset(&c, 0, sizeof c);
        c.port = 0; /* replaced below: any free port */
        c.bind_addr = 0x7f000001;
        c.status_hz = 10;
        c.max_rate = 100000;
        char why[256];
        for (int port = 47000; !o && port < 47100; port++) {
            c.port = port;
            o = sm_osc_new(&c, &h, why, sizeof why);
        }
        if (!o) {
            fprintf(stderr, "fuzz_osc: %s\n", why);
            abort();
        }
    }
    return o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static long long now_ms;
    sm_osc *o = server();
    /* Replies go to the discard port of this machine. */
    sm_osc_handle_datagram(o, data, size, 0x7f000001, 9, now_ms += 1000);
    for (int i = 0; i < SM_P_COUNT; i++)
        if (sm_param_check((sm_param)i, cfg.values[i], NULL, 0) != SM_OK)
            abort();
    if (sm_config_check(&cfg, NULL, 0) != SM_OK)
        abort();
    return 0;
}
