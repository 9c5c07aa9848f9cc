/* settings.c: table and strict checks of the front-end settings. */
#include "settings.h"
#include "netaddr.h"

#include "specmorph.h"

#include <ctype.h>
#include <errno.h>
#include <regex.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

static const sm_setting_info table[SM_S_COUNT] = {
#define S(id, sec, key, type, def, mn, mx, help) \
    {sec, key, sec "." key, type, def, mn, mx, help},
#include "settings.def"
#undef S
};

const sm_setting_info *sm_setting_get_info(sm_setting id)
{
    if ((int)id < 0 || id >= SM_S_COUNT)
        return NULL;
    return &table[id];
}

int sm_setting_find(const char *name)
{
    for (int i = 0; name && i < SM_S_COUNT; i++)
        if (strcasecmp(table[i].name, name) == 0)
            return i;
    return -1;
}

const char *sm_setting_suggest(const char *name, int *distance)
{
    int best = -1, best_d = 1 << 30;
    for (int i = 0; name && i < SM_S_COUNT; i++) {
        int d = sm_text_distance(name, table[i].name);
        if (d < best_d) {
            best_d = d;
            best = i;
        }
    }
    if (distance)
        *distance = best_d;
    return best >= 0 ? table[best].name : NULL;
}

int sm_setting_section_known(const char *section)
{
    for (int i = 0; i < SM_S_COUNT; i++)
        if (strcasecmp(table[i].section, section) == 0)
            return 1;
    return 0;
}

void sm_settings_default(sm_settings *s)
{
    for (int i = 0; i < SM_S_COUNT; i++)
        snprintf(s->val[i], SM_SETTING_MAX, "%s", table[i].def);
}

int sm_settings_set(sm_settings *s, sm_setting id, const char *text,
                    char *why, size_t why_len)
{
    const sm_setting_info *in = sm_setting_get_info(id);
    if (!in || !text) {
        snprintf(why, why_len, "unknown setting");
        return -1;
    }
    if (strlen(text) >= SM_SETTING_MAX) {
        snprintf(why, why_len, "%s: value too long (expected at most %d "
                               "characters)", in->name, SM_SETTING_MAX - 1);
        return -1;
    }
    switch (in->type) {
    case SM_ST_NAME: {
        size_t n = strlen(text);
        int ok = n > 0 && n <= 63;
        for (size_t i = 0; ok && i < n; i++)
            ok = isprint((unsigned char)text[i]) && text[i] != ':';
        if (!ok) {
            snprintf(why, why_len, "%s: '%s' is not a valid name (expected "
                                   "1 to 63 printable characters, no ':')",
                     in->name, text);
            return -1;
        }
        break;
    }
    case SM_ST_STRING:
        break;
    case SM_ST_REGEX: {
        if (!*text)
            break;
        regex_t re;
        int rc = regcomp(&re, text, REG_EXTENDED | REG_NOSUB);
        if (rc != 0) {
            char msg[128];
            regerror(rc, &re, msg, sizeof msg);
            snprintf(why, why_len, "%s: '%s' is not a valid regular "
                                   "expression: %s (expected a POSIX "
                                   "extended regular expression)",
                     in->name, text, msg);
            return -1;
        }
        regfree(&re);
        break;
    }
    case SM_ST_ADDR: {
        uint32_t a;
        if (sm_net_parse_addr(text, &a) != 0) {
            snprintf(why, why_len, "%s: '%s' is not an IPv4 address "
                                   "(expected four numbers 0 to 255, e.g. "
                                   "127.0.0.1 or 0.0.0.0)",
                     in->name, text);
            return -1;
        }
        break;
    }
    case SM_ST_RANGES: {
        sm_net_range r[SM_NET_MAX_RANGES];
        char msg[160];
        if (sm_net_parse_ranges(text, r, SM_NET_MAX_RANGES, msg,
                                sizeof msg) < 0) {
            snprintf(why, why_len, "%s: %s (expected addresses or ranges "
                                   "such as 192.168.1.0/24, separated by "
                                   "commas)",
                     in->name, msg);
            return -1;
        }
        break;
    }
    case SM_ST_INT: {
        char *end;
        errno = 0;
        long v = strtol(text, &end, 10);
        while (*end && isspace((unsigned char)*end))
            end++;
        if (end == text || *end || errno || v < in->min || v > in->max) {
            snprintf(why, why_len, "%s: '%s' is not valid (expected an "
                                   "integer from %d to %d)",
                     in->name, text, in->min, in->max);
            return -1;
        }
        break;
    }
    }
    snprintf(s->val[id], SM_SETTING_MAX, "%s", text);
    return 0;
}

const char *sm_settings_str(const sm_settings *s, sm_setting id)
{
    return s->val[id];
}

int sm_settings_int(const sm_settings *s, sm_setting id)
{
    return atoi(s->val[id]);
}
