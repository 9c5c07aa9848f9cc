/* ini.c: strict INI loading on top of iniparser, line numbers for
 * messages, atomic saving; see ini.h. */
#include "ini.h"
#include "settings.h"

#include <ctype.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <iniparser.h>
#include <libgen.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* iniparser reports each syntax error through a process-wide printf-like
 * hook without a user pointer, as "iniparser: syntax error in FILE
 * (LINE):\n-> TEXT\n". Each message is parsed on its own (TEXT may hold
 * parentheses, and a file may have several bad lines) into this per-thread
 * list. */
#define INI_MAX_ERRS 16
static _Thread_local struct {
    int n;                       /* messages seen (may exceed the list) */
    int line[INI_MAX_ERRS];       /* 0: none given; < 0: -line of an
                                     error other than a syntax error */
    char text[INI_MAX_ERRS][200]; /* offending line, or the message */
} ini_errs;

static int capture_error(const char *fmt, ...)
{
    char msg[1400];
    va_list ap;
    va_start(ap, fmt);
    int len = vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    int i = ini_errs.n++;
    if (i >= INI_MAX_ERRS)
        return len;
    /* The line number is the last "(digits)" before the "\n-> " that
     * starts the offending text (or in the whole message without one). */
    char *arrow = strstr(msg, "\n-> ");
    if (arrow)
        *arrow = 0;
    ini_errs.line[i] = 0;
    for (char *p = strrchr(msg, '('); p; ) {
        char *end;
        long v = strtol(p + 1, &end, 10);
        if (end > p + 1 && *end == ')' && v > 0 && v < 1000000000) {
            ini_errs.line[i] = (int)v;
            break;
        }
        *p = 0; /* try the previous '(' */
        p = strrchr(msg, '(');
    }
    const char *text = arrow ? arrow + 4 : msg;
    size_t n = strcspn(text, "\n");
    if (n >= sizeof ini_errs.text[i])
        n = sizeof ini_errs.text[i] - 1;
    memcpy(ini_errs.text[i], text, n);
    ini_errs.text[i][n] = 0;
    if (!arrow)
        ini_errs.line[i] = -ini_errs.line[i]; /* not a syntax error */
    return len;
}

static void report(sm_conf_report_fn fn, void *ctx, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void report(sm_conf_report_fn fn, void *ctx, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    if (fn)
        fn(ctx, line);
}

static char *trim(char *s)
{
    while (isspace((unsigned char)*s))
        s++;
    size_t n = strlen(s);
    while (n && isspace((unsigned char)s[n - 1]))
        s[--n] = 0;
    return s;
}

/* Line of "key" in "[section]" (its last occurrence, whose value iniparser
 * keeps; section "" is before any header), or of the first header of the
 * section when key is NULL; 0 when not found. */
static int find_line(const char *path, const char *section, const char *key)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return 0;
    char buf[1024], sec[256] = "";
    int lineno = 0, found = 0;
    while ((key || !found) && fgets(buf, sizeof buf, f)) {
        lineno++;
        char *s = trim(buf);
        if (*s == '[') {
            char *e = strchr(s, ']');
            if (e) {
                *e = 0;
                snprintf(sec, sizeof sec, "%s", trim(s + 1));
                if (!key && strcasecmp(sec, section) == 0)
                    found = lineno;
            }
            continue;
        }
        if (!key || *s == ';' || *s == '#')
            continue;
        char *eq = strchr(s, '=');
        if (!eq)
            continue;
        *eq = 0;
        if (strcasecmp(sec, section) == 0 && strcasecmp(trim(s), key) == 0)
            found = lineno;
    }
    fclose(f);
    return found;
}

static int section_known(const char *sec)
{
    for (int i = 0; i < SM_P_COUNT; i++)
        if (strcasecmp(sm_param_get_info((sm_param)i)->section, sec) == 0)
            return 1;
    return sm_setting_section_known(sec);
}

/* Closest known name over both tables (engine parameters, settings). */
static const char *suggest_any(const char *name)
{
    const char *p = sm_param_suggest(name);
    int ds;
    const char *s = sm_setting_suggest(name, &ds);
    size_t len = strlen(name);
    int limit = len < 3 ? 1 : len < 6 ? 2 : (int)(len / 3);
    if (s && ds <= limit && (!p || ds < sm_text_distance(name, p)))
        return s;
    return p;
}

int sm_conf_load(const char *path, sm_config *cfg, sm_conf_report_fn fn,
                 void *ctx)
{
    return sm_conf_load_all(path, cfg, NULL, fn, ctx);
}

int sm_conf_load_all(const char *path, sm_config *cfg, sm_settings *set,
                     sm_conf_report_fn fn, void *ctx)
{
    struct stat st;
    if (stat(path, &st) != 0) {
        report(fn, ctx, "%s: cannot read: %s", path, strerror(errno));
        return 1;
    }
    if (!S_ISREG(st.st_mode)) {
        report(fn, ctx, "%s: not a regular file", path);
        return 1;
    }
    FILE *probe = fopen(path, "r");
    if (!probe) {
        report(fn, ctx, "%s: cannot read: %s", path, strerror(errno));
        return 1;
    }
    fclose(probe);

    memset(&ini_errs, 0, sizeof ini_errs);
    iniparser_set_error_callback(capture_error);
    dictionary *d = iniparser_load(path);
    iniparser_set_error_callback(NULL);
    if (!d) {
        int problems = 0;
        for (int i = 0; i < ini_errs.n && i < INI_MAX_ERRS; i++, problems++) {
            int line = ini_errs.line[i];
            if (line > 0)
                report(fn, ctx, "%s:%d: syntax error: '%s' (expected "
                                "[section] or key = value)",
                       path, line, ini_errs.text[i]);
            else if (line < 0 && strstr(ini_errs.text[i], "too long"))
                report(fn, ctx, "%s:%d: line too long", path, -line);
            else
                report(fn, ctx, "%s: cannot parse as INI: %s", path,
                       ini_errs.text[i]);
        }
        if (problems == 0) {
            report(fn, ctx, "%s: cannot parse as INI", path);
            problems = 1;
        }
        return problems;
    }

    sm_config next = *cfg;
    sm_settings next_set;
    if (set)
        next_set = *set;
    else
        sm_settings_default(&next_set);
    int problems = 0;
    /* Keys before any [section] are stored as ":key" and would otherwise
     * be ignored without a word. */
    for (ssize_t i = 0; i < d->size; i++) {
        const char *k = d->key[i];
        if (!k || k[0] != ':')
            continue;
        const char *sug = suggest_any(k + 1);
        report(fn, ctx, "%s:%d: %s: key outside any section (expected it "
                        "under a [section]%s%s%s)",
               path, find_line(path, "", k + 1), k + 1,
               sug ? "; did you mean " : "", sug ? sug : "", sug ? "?" : "");
        problems++;
    }
    int nsec = iniparser_getnsec(d);
    for (int s = 0; s < nsec; s++) {
        const char *sec = iniparser_getsecname(d, s);
        if (!section_known(sec)) {
            const char *sug = sm_param_suggest_section(sec);
            report(fn, ctx, "%s:%d: [%s]: unknown section%s%s%s", path,
                   find_line(path, sec, NULL), sec,
                   sug ? " (did you mean [" : "", sug ? sug : "",
                   sug ? "]?)" : "");
            problems++;
            continue;
        }
        int nkeys = iniparser_getsecnkeys(d, sec);
        if (nkeys <= 0)
            continue;
        const char **keys = calloc((size_t)nkeys, sizeof *keys);
        if (!keys) {
            report(fn, ctx, "%s: out of memory", path);
            problems++;
            break;
        }
        iniparser_getseckeys(d, sec, keys);
        for (int k = 0; k < nkeys; k++) {
            /* iniparser names keys "section:key". */
            const char *colon = strchr(keys[k], ':');
            const char *key = colon ? colon + 1 : keys[k];
            char name[300];
            snprintf(name, sizeof name, "%s.%s", sec, key);
            int line = find_line(path, sec, key);
            int id = sm_param_find(name);
            const char *val = iniparser_getstring(d, keys[k], NULL);
            char why[512];
            int sid = id < 0 ? sm_setting_find(name) : -1;
            if (sid >= 0) {
                if (sm_settings_set(&next_set, (sm_setting)sid,
                                    val ? val : "", why, sizeof why) != 0) {
                    report(fn, ctx, "%s:%d: %s", path, line, why);
                    problems++;
                }
                continue;
            }
            if (id < 0) {
                const char *sug = suggest_any(name);
                report(fn, ctx, "%s:%d: %s: unknown key%s%s%s", path, line,
                       name, sug ? " (did you mean " : "", sug ? sug : "",
                       sug ? "?)" : "");
                problems++;
                continue;
            }
            float v;
            if (sm_param_parse((sm_param)id, val ? val : "", &v, why,
                               sizeof why) != SM_OK) {
                report(fn, ctx, "%s:%d: %s", path, line, why);
                problems++;
                continue;
            }
            next.values[id] = v;
        }
        free(keys);
    }
    iniparser_freedict(d);
    if (problems == 0) {
        char why[256];
        if (sm_config_check(&next, why, sizeof why) != SM_OK) {
            /* The reason starts with the key at fault: point at its line
             * when the file sets it. */
            char name[128];
            int line = 0;
            size_t n = strcspn(why, ":");
            if (n < sizeof name) {
                memcpy(name, why, n);
                name[n] = 0;
                int id = sm_param_find(name);
                if (id >= 0) {
                    const sm_param_info *in = sm_param_get_info((sm_param)id);
                    line = find_line(path, in->section, in->key);
                }
            }
            if (line > 0)
                report(fn, ctx, "%s:%d: %s", path, line, why);
            else
                report(fn, ctx, "%s: %s", path, why);
            problems++;
        }
    }
    if (problems == 0) {
        *cfg = next;
        if (set)
            *set = next_set;
    }
    return problems;
}

sm_error sm_conf_set_kv(sm_config *cfg, const char *assignment, char *why,
                        size_t why_len)
{
    return sm_conf_set_kv_all(cfg, NULL, assignment, why, why_len);
}

sm_error sm_conf_set_kv_all(sm_config *cfg, sm_settings *set,
                            const char *assignment, char *why,
                            size_t why_len)
{
    const char *eq = assignment ? strchr(assignment, '=') : NULL;
    if (!eq) {
        snprintf(why, why_len, "'%s': expected section.key=value",
                 assignment ? assignment : "");
        return SM_ERR_PARSE;
    }
    char name[256];
    size_t n = (size_t)(eq - assignment);
    if (n >= sizeof name)
        n = sizeof name - 1;
    memcpy(name, assignment, n);
    name[n] = 0;
    char *key = trim(name);
    int id = sm_param_find(key);
    if (id < 0) {
        int sid = sm_setting_find(key);
        if (sid >= 0) {
            sm_settings scratch;
            sm_settings *dst = set ? set : &scratch;
            if (!set)
                sm_settings_default(&scratch);
            return sm_settings_set(dst, (sm_setting)sid, eq + 1, why,
                                   why_len) == 0
                       ? SM_OK
                       : SM_ERR_PARSE;
        }
        const char *sug = suggest_any(key);
        snprintf(why, why_len, "%s: unknown key%s%s%s", key,
                 sug ? " (did you mean " : "", sug ? sug : "",
                 sug ? "?)" : "");
        return SM_ERR_PARAM;
    }
    float v;
    sm_error e = sm_param_parse((sm_param)id, eq + 1, &v, why, why_len);
    if (e == SM_OK)
        cfg->values[id] = v;
    return e;
}

static void wrap_comment(FILE *f, const char *text)
{
    const char *p = text;
    while (*p) {
        size_t n = strlen(p);
        if (n > 74) {
            n = 74;
            while (n > 20 && p[n] != ' ')
                n--;
        }
        fprintf(f, "; %.*s\n", (int)n, p);
        p += n;
        while (*p == ' ')
            p++;
    }
}

void sm_conf_write_ini(FILE *f, const sm_config *cfg, int with_help)
{
    sm_conf_write_ini_all(f, cfg, NULL, with_help);
}

static void write_settings(FILE *f, const sm_settings *set, int with_help)
{
    const char *last = "";
    for (int i = 0; i < SM_S_COUNT; i++) {
        const sm_setting_info *in = sm_setting_get_info((sm_setting)i);
        if (strcmp(in->section, last) != 0) {
            fprintf(f, "%s[%s]\n", *last ? "\n" : "", in->section);
            last = in->section;
        }
        if (with_help) {
            wrap_comment(f, in->help);
            if (in->type == SM_ST_INT)
                fprintf(f, "; %d to %d; default %s\n", in->min, in->max,
                        in->def);
            else
                fprintf(f, "; default \"%s\"\n", in->def);
        }
        const char *v = sm_settings_str(set, (sm_setting)i);
        /* Quote text so ';', '#' and spaces survive a reload. */
        if (in->type == SM_ST_INT)
            fprintf(f, "%s = %s\n", in->key, v);
        else
            fprintf(f, "%s = \"%s\"\n", in->key, v);
    }
    fprintf(f, "\n");
}

void sm_conf_write_ini_all(FILE *f, const sm_config *cfg,
                           const sm_settings *set, int with_help)
{
    if (set)
        write_settings(f, set, with_help);
    const char *last = "";
    for (int i = 0; i < SM_P_COUNT; i++) {
        const sm_param_info *in = sm_param_get_info((sm_param)i);
        if (strcmp(in->section, last) != 0) {
            fprintf(f, "%s[%s]\n", *last ? "\n" : "", in->section);
            last = in->section;
        }
        char val[64], def[64];
        sm_param_format((sm_param)i, cfg->values[i], val, sizeof val);
        if (with_help) {
            sm_param_format((sm_param)i, in->def, def, sizeof def);
            wrap_comment(f, in->help);
            if (in->type == SM_T_ENUM) {
                fprintf(f, "; one of:");
                for (int c = 0; c <= (int)in->max; c++)
                    fprintf(f, " %s", sm_param_choice_name((sm_param)i, c));
                fprintf(f, "; default %s\n", def);
            } else {
                fprintf(f, "; %g to %g%s%s; default %s%s\n", in->min, in->max,
                        *in->unit ? " " : "", in->unit, def,
                        (in->flags & SM_PF_RATE) ? " at 48 kHz" : "");
            }
        }
        fprintf(f, "%s = %s\n", in->key, val);
    }
}

int sm_conf_save(const char *path, const sm_config *cfg, char *why,
                 size_t why_len)
{
    return sm_conf_save_all(path, cfg, NULL, why, why_len);
}

/* Temporary files of saves that were killed half-way (FILE.tmp.XXXXXX
 * beside FILE, older than a minute so a save in progress elsewhere is
 * left alone) are removed after a good save. */
static void remove_stale_temps(const char *path)
{
    char *d = strdup(path), *b = strdup(path);
    if (!d || !b) {
        free(d);
        free(b);
        return;
    }
    const char *dir = dirname(d), *base = basename(b);
    size_t bl = strlen(base);
    DIR *dh = opendir(dir);
    time_t now = time(NULL);
    struct dirent *e;
    while (dh && (e = readdir(dh)) != NULL) {
        if (strncmp(e->d_name, base, bl) || strncmp(e->d_name + bl, ".tmp.", 5) ||
            strlen(e->d_name + bl + 5) != 6)
            continue;
        char full[4096];
        struct stat st;
        if ((size_t)snprintf(full, sizeof full, "%s/%s", dir, e->d_name) <
                sizeof full &&
            lstat(full, &st) == 0 && S_ISREG(st.st_mode) &&
            now - st.st_mtime > 60)
            unlink(full);
    }
    if (dh)
        closedir(dh);
    free(d);
    free(b);
}

int sm_conf_save_all(const char *path, const sm_config *cfg,
                     const sm_settings *set, char *why, size_t why_len)
{
    size_t n = strlen(path);
    char *tmp = malloc(n + 16);
    char *dircopy = strdup(path);
    int fd = -1, rc = -1;
    FILE *f = NULL;
    if (!tmp || !dircopy) {
        snprintf(why, why_len, "%s: out of memory", path);
        goto out;
    }
    snprintf(tmp, n + 16, "%s.tmp.XXXXXX", path);
    fd = mkstemp(tmp);
    if (fd < 0) {
        snprintf(why, why_len, "%s: cannot create temporary file: %s", path,
                 strerror(errno));
        goto out;
    }
    f = fdopen(fd, "w");
    if (!f) {
        snprintf(why, why_len, "%s: %s", path, strerror(errno));
        close(fd);
        unlink(tmp);
        goto out;
    }
    fprintf(f, "; specmorphd configuration (saved by specmorph " SM_VERSION
               ")\n\n");
    sm_conf_write_ini_all(f, cfg, set, 0);
    if (fflush(f) != 0 || fsync(fileno(f)) != 0 || ferror(f)) {
        snprintf(why, why_len, "%s: write failed: %s", path, strerror(errno));
        fclose(f);
        unlink(tmp);
        goto out;
    }
    fchmod(fileno(f), 0644);
    if (fclose(f) != 0) {
        snprintf(why, why_len, "%s: write failed: %s", path, strerror(errno));
        unlink(tmp);
        goto out;
    }
    if (rename(tmp, path) != 0) {
        snprintf(why, why_len, "%s: rename failed: %s", path,
                 strerror(errno));
        unlink(tmp);
        goto out;
    }
    int dfd = open(dirname(dircopy), O_RDONLY | O_DIRECTORY);
    if (dfd >= 0) {
        fsync(dfd);
        close(dfd);
    }
    remove_stale_temps(path);
    rc = 0;
out:
    free(tmp);
    free(dircopy);
    return rc;
}
