/* docgen.c: sm-docgen, prints the documentation that is generated from
 * dsp/params.def, so the README and the example INI cannot drift from the
 * code: `sm-docgen markdown` (the README parameter reference) and
 * `sm-docgen ini` (conf/specmorphd.ini). */
#include "ini.h"
#include "specmorph.h"

#include <stdio.h>
#include <string.h>

static void markdown(void)
{
    printf("| key (`-s`, INI `[section] key`) | type | range | default | "
           "unit | live | description |\n");
    printf("|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        char def[48], range[128];
        sm_param_format((sm_param)i, in->def, def, sizeof def);
        const char *type = in->type == SM_T_FLOAT ? "float"
                           : in->type == SM_T_INT ? "int"
                                                  : "enum";
        if (in->type == SM_T_ENUM) {
            size_t o = 0;
            for (int c = 0; c <= (int)in->max; c++)
                o += (size_t)snprintf(range + o, sizeof range - o, "%s`%s`",
                                      c ? ", " : "",
                                      sm_param_choice_name((sm_param)i, c));
        } else {
            snprintf(range, sizeof range, "%g .. %g", in->min, in->max);
        }
        const char *live = (in->flags & SM_PF_LIVE) ? "yes" : "rebuild";
        printf("| `%s` | %s | %s | %s%s | %s | %s | %s |\n", in->name,
               type, range, def,
               (in->flags & SM_PF_RATE) ? " (48 kHz)" : "", in->unit, live,
               in->help);
    }
}

static void markdown_settings(void)
{
    printf("| key (INI `[section] key`) | type | default | description |\n");
    printf("|---|---|---|---|\n");
    for (int i = 0; i < SM_S_COUNT; i++) {
        const sm_setting_info *in = sm_setting_get_info((sm_setting)i);
        const char *type = in->type == SM_ST_INT      ? "int"
                           : in->type == SM_ST_REGEX  ? "regex"
                           : in->type == SM_ST_NAME   ? "name"
                                                      : "text";
        char range[48] = "";
        if (in->type == SM_ST_INT)
            snprintf(range, sizeof range, " (%d .. %d)", in->min, in->max);
        if (*in->def)
            printf("| `%s` | %s%s | `%s` | %s |\n", in->name, type, range,
                   in->def, in->help);
        else
            printf("| `%s` | %s%s | (empty) | %s |\n", in->name, type,
                   range, in->help);
    }
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "markdown")) {
        markdown();
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "settings")) {
        markdown_settings();
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "ini")) {
        sm_config c = sm_config_default(48000);
        sm_settings set;
        sm_settings_default(&set);
        printf("; specmorphd / specmorph-render example configuration.\n"
               "; Generated from dsp/params.def by `make docs`; every key is "
               "shown\n; with its default. Values are checked strictly: a bad "
               "one is\n; reported as FILE:LINE: section.key: problem.\n\n");
        sm_conf_write_ini_all(stdout, &c, &set, 1);
        return 0;
    }
    fprintf(stderr, "usage: sm-docgen markdown|settings|ini\n");
    return 2;
}
