/* fuzz_ini.c: libFuzzer target for the INI loader (parameters and daemon
 * settings): any file either loads into a configuration that passes its
 * own checks or is refused with problems reported; nothing crashes.
 * `make fuzz`. */
#include "ini.h"
#include "settings.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

static void sink(void *ctx, const char *line)
{
    (void)line;
    ++*(int *)ctx;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char path[64];
    if (!path[0])
        snprintf(path, sizeof path, "/tmp/fuzz_ini.%d.ini", (int)getpid());
    FILE *f = fopen(path, "wb");
    if (!f)
        abort();
    fwrite(data, 1, size, f);
    fclose(f);
    sm_config c = sm_config_default(48000);
    sm_settings s;
    sm_settings_default(&s);
    int reported = 0;
    int problems = sm_conf_load_all(path, &c, &s, sink, &reported);
    if (problems == 0) {
        for (int i = 0; i < SM_P_COUNT; i++)
            if (sm_param_check((sm_param)i, c.values[i], NULL, 0) != SM_OK)
                abort();
    } else if (reported == 0) {
        abort(); /* refused without saying why */
    }
    return 0;
}
