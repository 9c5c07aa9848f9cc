/* docgen.c: sm-docgen, prints the documentation that is generated from
 * dsp/params.def, so the README and the example INI cannot drift from the
 * code: `sm-docgen markdown` (the README parameter reference),
 * `sm-docgen presets` (the README preset list), `sm-docgen settings`
 * (the daemon settings), `sm-docgen osc` (the README OSC control
 * reference), `sm-docgen ini` (conf/specmorphd.ini) and `sm-docgen json`
 * (the table, the OSC commands and status fields, machine-readable, for
 * generated control surfaces such as tools/touchosc/). */
#include "ini.h"
#include "specmorph.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---- the OSC address space beside the table (osc/osc.h) --------------- */

#define OSC_PREFIX "/specmorph/"

/* The command messages of osc/osc.h and their replies. */
static const struct osc_command {
    const char *path;  /* below OSC_PREFIX */
    const char *args;  /* "" for none */
    const char *reply; /* markdown */
} osc_commands[] = {
    {"get", "s:path",
     "the value at `path` (a value or a norm path), to the sender, in the "
     "form asked: `/specmorph/<section>/<key> v` or "
     "`/specmorph/norm/<section>/<key> f`"},
    {"list", "",
     "one `/specmorph/param` per parameter: s:path s:type f:min f:max "
     "f:default s:unit v:current s:`live`/`rebuild` s:`log`/`linear` "
     "s:choices (comma-separated, enums); then `/specmorph/list/end` "
     "i:count"},
    {"subscribe", "[i:port]",
     "`/specmorph/subscribed` i:port, then every value in both forms and "
     "one status report; from then on every change (from any source) in "
     "both forms and the status at `[osc] status_hz`. Without a port, "
     "replies go to the sender's address and port; with one, to the "
     "sender's address and that port (a surface that listens on another "
     "port than it sends from, e.g. TouchOSC: 9000). At most 16 "
     "subscribers"},
    {"unsubscribe", "[i:port]",
     "`/specmorph/unsubscribed` i:port (the same address rule)"},
    {"status", "",
     "one status report, to the sender: `/specmorph/status` with name/value "
     "pairs of every field, and one `/specmorph/status/<field>` message per "
     "field"},
    {"config/save", "",
     "`/specmorph/config/saved` s:file: the state in force written to the "
     "loaded INI file (or the default path)"},
    {"config/reload", "",
     "`/specmorph/config/reloaded` s:file: the INI file read again and "
     "applied (as SIGHUP)"},
    {"preset/<name>", "",
     "`/specmorph/preset/applied` s:name: a built-in band layout (see "
     "Presets)"},
    {"ping", "", "`/specmorph/pong`"},
};
#define N_OSC_COMMANDS (int)(sizeof osc_commands / sizeof osc_commands[0])

/* The fields of a status report: osc/status.def, as the server sends
 * them. */
static const struct osc_status_field {
    const char *name;
    char type; /* 'i' or 'f' */
    const char *unit;
    const char *help;
} osc_status[] = {
#define SF(name, type, unit, help) {#name, type, unit, help},
#include "status.def"
#undef SF
};
#define N_OSC_STATUS (int)(sizeof osc_status / sizeof osc_status[0])

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

/* Default of a daemon setting ("section.key"), or "" when unknown. */
static const char *setting_def(const char *name)
{
    int id = sm_setting_find(name);
    return id < 0 ? "" : sm_setting_get_info((sm_setting)id)->def;
}

static const char *type_name(const sm_param_info *in)
{
    return in->type == SM_T_FLOAT ? "float"
           : in->type == SM_T_INT ? "int"
                                  : "enum";
}

/* The README's OSC control reference. */
static void markdown_osc(void)
{
    printf("specmorphd listens for OSC over UDP on `%s:%s` by default "
           "(`[osc] bind`, `[osc] port`; `--osc-bind ADDR`, `--osc-port N`, "
           "0 = off). Bind `0.0.0.0` to reach it from a tablet on the "
           "network, and restrict senders with `[osc] allow` / "
           "`--osc-allow` (e.g. `192.168.1.0/24`). Subscribers receive "
           "`[osc] status_hz` status reports per second (default %s); at "
           "most `[osc] max_rate` messages per second are handled (default "
           "%s), the excess is dropped and counted.\n\n",
           setting_def("osc.bind"), setting_def("osc.port"),
           setting_def("osc.status_hz"), setting_def("osc.max_rate"));
    printf("Every parameter has two addresses: the **value path** "
           "`/specmorph/<section>/<key>` takes the value itself (one "
           "argument: `i`, `h`, `f`, `d`, `T` = 1 or `F` = 0; an enum also "
           "its choice name as `s`; integral for int and enum; out of range "
           "is refused, never clamped), and the **norm path** "
           "`/specmorph/norm/<section>/<key>` takes a 0..1 fader position "
           "(one number) mapped onto the range by the parameter's fader "
           "curve. A refused message changes nothing and is answered with "
           "`/specmorph/error` s:path s:reason, to the sender. A set has "
           "no reply of its own: subscribers see the change. The sets of "
           "one bundle apply together (at one hop boundary, the crossover "
           "pair and the adaptive crossover ranges checked together); "
           "queries in a bundle see the values "
           "from before it; time tags are ignored.\n\n");
    printf("| message | arguments | reply |\n|---|---|---|\n");
    for (int i = 0; i < N_OSC_COMMANDS; i++)
        printf("| `" OSC_PREFIX "%s` | %s | %s |\n", osc_commands[i].path,
               *osc_commands[i].args ? osc_commands[i].args : "none",
               osc_commands[i].reply);
    printf("\nPresets: ");
    for (int i = 0; i < sm_preset_count(); i++)
        printf("%s`" OSC_PREFIX "preset/%s`", i ? ", " : "",
               sm_preset_name(i));
    printf(".\n\nStatus fields (`" OSC_PREFIX "status` and `" OSC_PREFIX
           "status/<field>`; int fields saturate at 2147483647):\n\n");
    printf("| field | type | unit | meaning |\n|---|---|---|---|\n");
    for (int i = 0; i < N_OSC_STATUS; i++)
        printf("| `%s` | %s | %s | %s |\n", osc_status[i].name,
               osc_status[i].type == 'i' ? "i" : "f", osc_status[i].unit,
               osc_status[i].help);
    printf("\nParameters (\"accepts\" is what the value path takes; the "
           "norm path takes one number from 0 to 1; \"rebuild\" builds a "
           "new engine and crossfades to it, so do not put those on a "
           "fader):\n\n");
    printf("| parameter | value path | norm path | accepts | range | unit | "
           "fader | change |\n|---|---|---|---|---|---|---|---|\n");
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        char accepts[192], range[128];
        if (in->type == SM_T_ENUM) {
            size_t o = (size_t)snprintf(accepts, sizeof accepts,
                                        "name (s) or index (i h f d T F): ");
            for (int c = 0; c <= (int)in->max; c++)
                o += (size_t)snprintf(accepts + o, sizeof accepts - o,
                                      "%s%d = `%s`", c ? ", " : "", c,
                                      sm_param_choice_name((sm_param)i, c));
            snprintf(range, sizeof range, "0 .. %g", in->max);
        } else {
            snprintf(accepts, sizeof accepts, "%s (i h f d T F)",
                     in->type == SM_T_INT ? "integer" : "number");
            snprintf(range, sizeof range, "%g .. %g", in->min, in->max);
        }
        printf("| `%s` | `" OSC_PREFIX "%s/%s` | `" OSC_PREFIX
               "norm/%s/%s` | %s | %s | %s | %s | %s |\n",
               in->name, in->section, in->key, in->section, in->key, accepts,
               range, in->unit, fader(in),
               (in->flags & SM_PF_LIVE) ? "live" : "rebuild");
    }
}

/* ---- json ------------------------------------------------------------- */

static void json_str(const char *s)
{
    putchar('"');
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c == '"' || c == '\\')
            printf("\\%c", c);
        else if (c < 0x20)
            printf("\\u%04x", c);
        else
            putchar(c);
    }
    putchar('"');
}

/* A float as the shortest JSON number that reads back as the same float. */
static void json_num(float v)
{
    char buf[32];
    for (int prec = 6; prec <= 9; prec++) {
        snprintf(buf, sizeof buf, "%.*g", prec, (double)v);
        if (strtof(buf, NULL) == v)
            break;
    }
    fputs(buf, stdout);
}

/* The table and the OSC address space, for generators of control
 * surfaces (one object; keys and rows in a fixed order). */
static void json(void)
{
    printf("{\n  \"version\": ");
    json_str(SM_VERSION);
    printf(",\n  \"osc\": {\"prefix\": \"" OSC_PREFIX
           "\", \"norm_prefix\": \"" OSC_PREFIX "norm/\", "
           "\"error\": \"" OSC_PREFIX "error\", \"port\": %s, "
           "\"bind\": ",
           setting_def("osc.port"));
    json_str(setting_def("osc.bind"));
    printf(", \"status_hz\": %s},\n  \"params\": [\n",
           setting_def("osc.status_hz"));
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        printf("    {\"name\": ");
        json_str(in->name);
        printf(", \"section\": ");
        json_str(in->section);
        printf(", \"key\": ");
        json_str(in->key);
        printf(", \"path\": \"" OSC_PREFIX "%s/%s\", \"norm_path\": \""
               OSC_PREFIX "norm/%s/%s\", \"type\": \"%s\", \"min\": ",
               in->section, in->key, in->section, in->key, type_name(in));
        json_num(in->min);
        printf(", \"max\": ");
        json_num(in->max);
        printf(", \"default\": ");
        json_num(in->def);
        printf(", \"norm_default\": ");
        json_num(sm_param_to_norm((sm_param)i, in->def));
        printf(", \"unit\": ");
        json_str(in->unit);
        printf(", \"smooth_ms\": ");
        json_num(in->smooth_ms);
        printf(", \"flags\": [");
        static const struct {
            unsigned bit;
            const char *name;
        } fl[] = {{SM_PF_LIVE, "live"},
                  {SM_PF_REBUILD, "rebuild"},
                  {SM_PF_RATE, "rate"},
                  {SM_PF_LOG, "log"}};
        int first = 1;
        for (size_t f = 0; f < sizeof fl / sizeof fl[0]; f++) {
            if (in->flags & fl[f].bit) {
                printf("%s\"%s\"", first ? "" : ", ", fl[f].name);
                first = 0;
            }
        }
        printf("], \"live\": %s, \"fader\": ",
               (in->flags & SM_PF_LIVE) ? "true" : "false");
        json_str(fader(in));
        printf(", \"choices\": [");
        for (int c = 0; in->type == SM_T_ENUM && c <= (int)in->max; c++) {
            printf("%s", c ? ", " : "");
            json_str(sm_param_choice_name((sm_param)i, c));
        }
        printf("], \"help\": ");
        json_str(in->help);
        printf("}%s\n", i + 1 < SM_P_COUNT ? "," : "");
    }
    printf("  ],\n  \"presets\": [\n");
    for (int i = 0; i < sm_preset_count(); i++) {
        printf("    {\"name\": ");
        json_str(sm_preset_name(i));
        printf(", \"path\": \"" OSC_PREFIX "preset/%s\", \"help\": ",
               sm_preset_name(i));
        json_str(sm_preset_help(i));
        printf("}%s\n", i + 1 < sm_preset_count() ? "," : "");
    }
    printf("  ],\n  \"commands\": [\n");
    for (int i = 0; i < N_OSC_COMMANDS; i++) {
        printf("    {\"path\": \"" OSC_PREFIX "%s\", \"args\": ",
               osc_commands[i].path);
        json_str(osc_commands[i].args);
        printf("}%s\n", i + 1 < N_OSC_COMMANDS ? "," : "");
    }
    printf("  ],\n  \"status\": [\n");
    for (int i = 0; i < N_OSC_STATUS; i++) {
        printf("    {\"name\": ");
        json_str(osc_status[i].name);
        printf(", \"path\": \"" OSC_PREFIX "status/%s\", \"type\": \"%c\", "
               "\"unit\": ",
               osc_status[i].name, osc_status[i].type);
        json_str(osc_status[i].unit);
        printf(", \"help\": ");
        json_str(osc_status[i].help);
        printf("}%s\n", i + 1 < N_OSC_STATUS ? "," : "");
    }
    printf("  ]\n}\n");
}

int main(int argc, char **argv)
{
    if (argc == 2 && !strcmp(argv[1], "markdown")) {
        markdown();
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "presets"))
        return markdown_presets();
    if (argc == 2 && !strcmp(argv[1], "osc")) {
        markdown_osc();
        return 0;
    }
    if (argc == 2 && !strcmp(argv[1], "json")) {
        json();
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
    fprintf(stderr, "usage: sm-docgen markdown|presets|settings|osc|ini|json\n");
    return 2;
}
