/* settings.h: the front-end settings of conf/settings.def (the daemon's
 * [jack] and [osc] sections), stored as validated text. */
#ifndef SM_CONF_SETTINGS_H
#define SM_CONF_SETTINGS_H

#include <stddef.h>

typedef enum sm_setting {
#define S(id, sec, key, type, def, mn, mx, help) SM_S_##id,
#include "settings.def"
#undef S
    SM_S_COUNT
} sm_setting;

typedef enum sm_stype {
    SM_ST_NAME,
    SM_ST_STRING,
    SM_ST_REGEX,
    SM_ST_INT,
    SM_ST_ADDR,
    SM_ST_RANGES
} sm_stype;

typedef struct sm_setting_info {
    const char *section, *key, *name; /* name = "section.key" */
    sm_stype type;
    const char *def;
    int min, max;
    const char *help;
} sm_setting_info;

#define SM_SETTING_MAX 256

typedef struct sm_settings {
    char val[SM_S_COUNT][SM_SETTING_MAX];
} sm_settings;

/* Row of the table or NULL. any thread. */
const sm_setting_info *sm_setting_get_info(sm_setting id);
/* Id of "section.key" (case-insensitive) or -1. any thread. */
int sm_setting_find(const char *name);
/* Closest setting name and its edit distance. any thread. */
const char *sm_setting_suggest(const char *name, int *distance);
/* 1 when some setting lives in this section. any thread. */
int sm_setting_section_known(const char *section);
/* Defaults. any thread. */
void sm_settings_default(sm_settings *s);
/* Checks text for the setting (and compiles a regex to check it); on
 * success stores it. why gets "section.key: problem (expected ...)".
 * Returns 0 or -1. NRT only. */
int sm_settings_set(sm_settings *s, sm_setting id, const char *text,
                    char *why, size_t why_len);
/* Value as text / as integer (SM_ST_INT). any thread. */
const char *sm_settings_str(const sm_settings *s, sm_setting id);
int sm_settings_int(const sm_settings *s, sm_setting id);

#endif
