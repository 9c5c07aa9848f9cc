/* docgen.c: sm-docgen, prints the documentation that is generated from
 * dsp/params.def, so the README and the example INI cannot drift from the
 * code: `sm-docgen markdown` (the README parameter reference),
 * `sm-docgen presets` (the README preset list) and `sm-docgen ini`
 * (conf/specmorphd.ini). */
#include "ini.h"
#include "specmorph.h"

#include <stdio.h>
#include <string.h>

/* How sm_param_from_norm maps a 0..1 fader onto the row. */
static const char *fader(const sm_param_info *in)
{
    if (in->type == SM_T_ENUM)
        return "steps";
    if (in->type == SM_T_INT && (in->flags & SM_PF_RATE))
        return (in->flags & SM_PF_LOG) ? "log, powers of 2"
                                       : "linear, powers of 2";
    return (in->flags & SM_PF_LOG) ? "log" : "linear";
}

static void markdown(void)
{
    printf("| key (`-s`, INI `[section] key`) | type | range | default | "
           "unit | live | fader | description |\n");
    printf("|---|---|---|---|---|---|---|---|\n");
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
        printf("| `%s` | %s | %s | %s%s | %s | %s | %s | %s |\n", in->name,
               type, range, def,
               (in->flags & SM_PF_RATE) ? " (48 kHz)" : "", in->unit, live,
               fader(in), in->help);
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
                           : in->type == SM_ST_ADDR   ? "IPv4 address"
                           : in->type == SM_ST_RANGES ? "address list"
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

/* The built-in presets with their layout and engine latency at 48 kHz
 * (measured on an engine built from the preset, so it cannot drift). */
static int markdown_presets(void)
{
    printf("| preset | bands | windows / hops at 48 kHz | latency at 48 kHz "
           "| description |\n");
    printf("|---|---|---|---|---|\n");
    for (int i = 0; i < sm_preset_count(); i++) {
        sm_config c = sm_config_default(48000);
        sm_error e = sm_config_apply_preset(&c, i);
        sm_engine *en = e == SM_OK ? sm_engine_new(&c, &e) : NULL;
        if (!en) {
            fprintf(stderr, "sm-docgen: preset %s: %s\n", sm_preset_name(i),
                    sm_strerror(e));
            return 1;
        }
        int lat = sm_engine_latency(en);
        sm_engine_free(en);
        const float *v = c.values;
        char win[96];
        if ((int)v[SM_P_BANDS_COUNT] == 1)
            snprintf(win, sizeof win, "%d / %d",
                     (int)v[SM_P_BANDS_SINGLE_WINDOW],
                     (int)v[SM_P_BANDS_SINGLE_HOP]);
        else
            snprintf(win, sizeof win, "LF %d / %d, MF %d / %d, HF %d / %d",
                     (int)v[SM_P_BANDS_LF_WINDOW], (int)v[SM_P_BANDS_LF_HOP],
                     (int)v[SM_P_BANDS_MF_WINDOW], (int)v[SM_P_BANDS_MF_HOP],
                     (int)v[SM_P_BANDS_HF_WINDOW], (int)v[SM_P_BANDS_HF_HOP]);
        printf("| `%s` | %d | %s | %d samples (%.1f ms) | %s |\n",
               sm_preset_name(i), (int)v[SM_P_BANDS_COUNT], win, lat,
               lat / 48.0, sm_preset_help(i));
    }
    return 0;
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "markdown")) {
        markdown();
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "presets"))
        return markdown_presets();
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
    fprintf(stderr, "usage: sm-docgen markdown|presets|settings|ini\n");
    return 2;
}
