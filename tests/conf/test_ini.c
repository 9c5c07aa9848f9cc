/* test_ini.c: INI configuration files (conf/ini.c).
 *
 * A configuration mistake must be found before audio runs, and found at
 * the right place: every problem is reported as "FILE:LINE: ..." naming
 * the key and the allowed values, all problems of a file are reported in
 * one go, and a file with any problem changes nothing. Saving is atomic and
 * what is saved (or written with sm_conf_write_ini) loads back to the same
 * values. Files are temporary (mkstemp/mkdtemp under /tmp) and removed.
 */
#include <dirent.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "ini.h"
#include "testutil.h"

/* ---- helpers ---------------------------------------------------------------- */

#define MAX_REPORTS 32

typedef struct reports {
    int n;
    char line[MAX_REPORTS][1024];
} reports;

static void collect(void *ctx, const char *line)
{
    reports *r = ctx;
    assert_non_null(line);
    assert_null(strchr(line, '\n'));
    if (r->n < MAX_REPORTS)
        snprintf(r->line[r->n], sizeof r->line[0], "%s", line);
    r->n++;
}

/* Writes text to a fresh temporary file; path receives its name. */
static void write_tmp(char *path, size_t len, const char *text)
{
    snprintf(path, len, "/tmp/sm_test_ini_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    assert_true(fputs(text, f) >= 0);
    assert_int_equal(fclose(f), 0);
}

/* Loads text as a file; returns the problem count. */
static int load_text(const char *text, sm_config *cfg, reports *r,
                     char *path, size_t path_len)
{
    write_tmp(path, path_len, text);
    memset(r, 0, sizeof *r);
    int n = sm_conf_load(path, cfg, collect, r);
    unlink(path);
    assert_int_equal(n, r->n); /* one report per problem */
    return n;
}

/* Some report starts with "PATH:LINE: " + head and contains each needle. */
static void want_report(const reports *r, const char *path, int line,
                        const char *head, const char *n1, const char *n2)
{
    char prefix[512];
    if (line > 0)
        snprintf(prefix, sizeof prefix, "%s:%d: %s", path, line, head);
    else
        snprintf(prefix, sizeof prefix, "%s: %s", path, head);
    for (int i = 0; i < r->n && i < MAX_REPORTS; i++) {
        if (strncmp(r->line[i], prefix, strlen(prefix)) != 0)
            continue;
        if (n1 && !strstr(r->line[i], n1))
            continue;
        if (n2 && !strstr(r->line[i], n2))
            continue;
        return;
    }
    for (int i = 0; i < r->n && i < MAX_REPORTS; i++)
        print_message("  report: %s\n", r->line[i]);
    fail_msg("no report '%s...' with '%s' and '%s'", prefix, n1 ? n1 : "",
             n2 ? n2 : "");
}

/* Loads a file with problems and checks the config is untouched. */
static int load_bad(const char *text, reports *r, char *path, size_t len)
{
    sm_config cfg = sm_config_default(48000);
    cfg.values[SM_P_MASK_K] = 7.0f; /* not the default */
    sm_config before = cfg;
    int n = load_text(text, &cfg, r, path, len);
    assert_true(n > 0);
    assert_memory_equal(&cfg, &before, sizeof cfg);
    return n;
}

/* ---- loading -------------------------------------------------------------- */

static void test_good_file_loads(void **state)
{
    (void)state;
    const char *text = "; a comment\n"
                       "# another comment\n"
                       "\n"
                       "[morph]\n"
                       "position = 0.25\n"
                       "\n"
                       "[MASK]\n"
                       "Type = wiener\n"
                       "k = 3.5 ; inline comment\n"
                       "wiener_ms=80\n"
                       "[bands]\n"
                       "count = 1\n"
                       "single_window = 4096\n"
                       "single_hop = 1024\n"
                       "[output]\n"
                       "ceiling_db = \"-3\"\n";
    sm_config cfg = sm_config_default(48000);
    sm_config want = cfg;
    want.values[SM_P_MORPH_POSITION] = 0.25f;
    want.values[SM_P_MASK_TYPE] = (float)SM_MASK_WIENER;
    want.values[SM_P_MASK_K] = 3.5f;
    want.values[SM_P_MASK_WIENER_MS] = 80.0f;
    want.values[SM_P_BANDS_COUNT] = 1.0f;
    want.values[SM_P_BANDS_SINGLE_WINDOW] = 4096.0f;
    want.values[SM_P_BANDS_SINGLE_HOP] = 1024.0f;
    want.values[SM_P_OUTPUT_CEILING_DB] = -3.0f;
    reports r;
    char path[64];
    int n = load_text(text, &cfg, &r, path, sizeof path);
    if (n)
        fail_msg("good file: %d problems, first: %s", n, r.line[0]);
    assert_memory_equal(&cfg, &want, sizeof cfg);

    /* An empty file is fine and changes nothing. */
    n = load_text("", &cfg, &r, path, sizeof path);
    assert_int_equal(n, 0);
    assert_memory_equal(&cfg, &want, sizeof cfg);
}

static void test_bad_value(void **state)
{
    (void)state;
    reports r;
    char path[64];
    int n = load_bad("[morph]\nposition = 0.5\n[mask]\n\nk = abc\n", &r, path,
                     sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 5, "mask.k: ", "'abc'",
                "expected a number from 0.1 to 20");

    n = load_bad("[mask]\ntype = wienr\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 2, "mask.type: ", "wienr",
                "expected one of softmax, wiener, psf");

    n = load_bad("[bands]\nlf_window = 4096.5\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 2, "bands.lf_window: ", "not an integer",
                "expected an integer from 64 to 32768");

    n = load_bad("[morph]\nposition =\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 2, "morph.position: ", "empty", NULL);

    n = load_bad("[mask]\nk = nan\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 2, "mask.k: ", "not finite", "0.1 to 20");
}

static void test_out_of_range(void **state)
{
    (void)state;
    reports r;
    char path[64];
    int n = load_bad("[morph]\n; comment\nposition = 2\n", &r, path,
                     sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 3, "morph.position: ", "out of range",
                "expected a number from 0 to 1");
    n = load_bad("[output]\nceiling_db = 3\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 2, "output.ceiling_db: ", "out of range",
                "expected a number from -24 to 0 dBTP");
    n = load_bad("[mask]\nk = 1e40\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 2, "mask.k: ", "out of range", "expected");
}

static void test_unknown_key(void **state)
{
    (void)state;
    reports r;
    char path[64];
    int n = load_bad("[morph]\n\n\npositon = 0.3\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 4, "morph.positon: ", "unknown key",
                "did you mean morph.position?");
    n = load_bad("[mask]\nzzzzzzzzzz = 1\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 2, "mask.zzzzzzzzzz: ", "unknown key", NULL);
    assert_null(strstr(r.line[0], "did you mean"));
}

static void test_unknown_section(void **state)
{
    (void)state;
    reports r;
    char path[64];
    int n = load_bad("[morph]\nposition = 0.1\n\n[reverb]\nsize = 3\n", &r,
                     path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 4, "[reverb]: ", "unknown section", NULL);
}

static void test_syntax_error(void **state)
{
    (void)state;
    reports r;
    char path[64];
    int n = load_bad("[morph]\nposition = 0.1\nthis is not ini\n", &r, path,
                     sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 3, "syntax error: ", "this is not ini", NULL);
}

/* The offending text may itself contain parentheses, and a file may have
 * several broken lines: each is reported at its own line. */
static void test_syntax_errors_all_reported(void **state)
{
    (void)state;
    reports r;
    char path[64];
    int n = load_bad("[morph]\nset it (see docs)\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 2, "syntax error: ", "set it (see docs)", NULL);

    n = load_bad("[morph]\nfirst bad line\nposition = 0.1\n[mask\nk = 2\n",
                 &r, path, sizeof path);
    assert_int_equal(n, 2);
    want_report(&r, path, 2, "syntax error: ", "first bad line", NULL);
    want_report(&r, path, 4, "syntax error: ", "[mask", NULL);
}

static void test_several_problems(void **state)
{
    (void)state;
    const char *text = "[morph]\n"            /* 1 */
                       "position = 7\n"       /* 2: out of range */
                       "[mask]\n"             /* 3 */
                       "type = softmax\n"     /* 4: fine */
                       "k = 2.5x\n"           /* 5: not a number */
                       "curvature = 3\n"      /* 6: unknown key */
                       "[bandz]\n"            /* 7: unknown section */
                       "count = 3\n"          /* 8 */
                       "[bands]\n"            /* 9 */
                       "xover_lo_hz = 10\n"   /* 10: out of range */
                       "lf_hop = 1024\n";     /* 11: fine */
    reports r;
    char path[64];
    int n = load_bad(text, &r, path, sizeof path);
    assert_int_equal(n, 5);
    want_report(&r, path, 2, "morph.position: ", "out of range", "0 to 1");
    want_report(&r, path, 5, "mask.k: ", "'2.5x'", "0.1 to 20");
    want_report(&r, path, 6, "mask.curvature: ", "unknown key", NULL);
    want_report(&r, path, 7, "[bandz]: ", "unknown section", NULL);
    want_report(&r, path, 10, "bands.xover_lo_hz: ", "out of range",
                "40 to 2000 Hz");
}

/* Values that are each fine but not together: reported once, at the line
 * of the key named, and nothing is applied. */
static void test_joint_check(void **state)
{
    (void)state;
    reports r;
    char path[64];
    int n = load_bad("[bands]\nlf_window = 2048\nlf_hop = 1500\n", &r, path,
                     sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 3, "bands.lf_hop: ", "at most 1024", NULL);
    n = load_bad("[bands]\ncount = 2\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 2, "bands.count: ", "1 or 3", NULL);
}

/* A key before any [section] would otherwise be dropped without a word:
 * the user believes it is set. */
static void test_key_outside_section(void **state)
{
    (void)state;
    reports r;
    char path[64];
    int n = load_bad("position = 0.3\n[mask]\nk = 3\n", &r, path,
                     sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 1, "position: ", "outside", "morph.position");
}

/* iniparser keeps the last of duplicate keys; the report must point at the
 * line whose value was used. */
static void test_duplicate_key_line(void **state)
{
    (void)state;
    reports r;
    char path[64];
    int n = load_bad("[mask]\nk = 3\nk = 99\n", &r, path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 3, "mask.k: ", "99", "out of range");
    /* Across two blocks of the same section too. */
    n = load_bad("[mask]\nk = 3\n[morph]\nposition = 0\n[mask]\nk = 0\n", &r,
                 path, sizeof path);
    assert_int_equal(n, 1);
    want_report(&r, path, 6, "mask.k: ", "out of range", NULL);
}

static void test_unreadable(void **state)
{
    (void)state;
    sm_config cfg = sm_config_default(48000), before = cfg;
    reports r;
    memset(&r, 0, sizeof r);
    int n = sm_conf_load("/tmp/sm_test_ini_does_not_exist/x.ini", &cfg,
                         collect, &r);
    assert_int_equal(n, 1);
    assert_int_equal(r.n, 1);
    assert_non_null(strstr(r.line[0], "/tmp/sm_test_ini_does_not_exist/x.ini: "
                                      "cannot read"));
    memset(&r, 0, sizeof r);
    n = sm_conf_load("/tmp", &cfg, collect, &r);
    assert_int_equal(n, 1);
    assert_non_null(strstr(r.line[0], "not a regular file"));
    /* A NULL reporter is allowed. */
    assert_int_equal(sm_conf_load("/tmp", &cfg, NULL, NULL), 1);
    assert_memory_equal(&cfg, &before, sizeof cfg);
}

/* ---- -s key=value ---------------------------------------------------------- */

static void test_set_kv(void **state)
{
    (void)state;
    sm_config cfg = sm_config_default(48000);
    char why[256];
    assert_int_equal(sm_conf_set_kv(&cfg, "mask.k=3", why, sizeof why), SM_OK);
    assert_true(cfg.values[SM_P_MASK_K] == 3.0f);
    assert_int_equal(
        sm_conf_set_kv(&cfg, " Mask.Type = psf ", why, sizeof why), SM_OK);
    assert_true(cfg.values[SM_P_MASK_TYPE] == (float)SM_MASK_PSF);
    assert_int_equal(sm_conf_set_kv(&cfg, "bands.count=1", why, sizeof why),
                     SM_OK);
    assert_true(cfg.values[SM_P_BANDS_COUNT] == 1.0f);

    sm_config before = cfg;
    why[0] = 0;
    assert_int_equal(sm_conf_set_kv(&cfg, "mask.kk=3", why, sizeof why),
                     SM_ERR_PARAM);
    assert_non_null(strstr(why, "mask.kk"));
    assert_non_null(strstr(why, "did you mean mask.k?"));
    why[0] = 0;
    assert_int_equal(sm_conf_set_kv(&cfg, "mask.k", why, sizeof why),
                     SM_ERR_PARSE);
    assert_non_null(strstr(why, "section.key=value"));
    why[0] = 0;
    assert_int_equal(sm_conf_set_kv(&cfg, "mask.k=abc", why, sizeof why),
                     SM_ERR_PARSE);
    assert_non_null(strstr(why, "expected a number from 0.1 to 20"));
    why[0] = 0;
    assert_int_equal(sm_conf_set_kv(&cfg, "mask.k=50", why, sizeof why),
                     SM_ERR_RANGE);
    assert_non_null(strstr(why, "out of range"));
    assert_int_equal(sm_conf_set_kv(&cfg, "mask.k=", why, sizeof why),
                     SM_ERR_PARSE);
    assert_int_equal(sm_conf_set_kv(&cfg, "mask.k=inf", why, sizeof why),
                     SM_ERR_NOT_FINITE);
    assert_int_equal(sm_conf_set_kv(&cfg, "mask.type=7", why, sizeof why),
                     SM_ERR_RANGE);
    assert_int_equal(sm_conf_set_kv(&cfg, NULL, why, sizeof why),
                     SM_ERR_PARSE);
    assert_memory_equal(&cfg, &before, sizeof cfg);
}

/* ---- saving and writing ----------------------------------------------------- */

/* A configuration with every value off its default where the type allows,
 * including floats with no short decimal form. */
static sm_config odd_config(void)
{
    sm_config c = sm_config_default(44100);
    c.values[SM_P_MORPH_POSITION] = 1.0f / 3.0f;
    c.values[SM_P_MASK_TYPE] = (float)SM_MASK_PSF;
    c.values[SM_P_MASK_K] = 2.7182817f;
    c.values[SM_P_MASK_WIENER_MS] = 33.3333f;
    c.values[SM_P_BANDS_COUNT] = 3;
    c.values[SM_P_BANDS_LF_WINDOW] = 8192;
    c.values[SM_P_BANDS_LF_HOP] = 2048;
    c.values[SM_P_BANDS_HF_HOP] = 64;
    c.values[SM_P_BANDS_XOVER_LO_HZ] = 317.25f;
    c.values[SM_P_BANDS_XOVER_HI_HZ] = 3141.5926f;
    c.values[SM_P_OUTPUT_WIDTH] = 0.1f;
    c.values[SM_P_OUTPUT_GAIN_DB] = -7.77f;
    c.values[SM_P_OUTPUT_CEILING_DB] = -0.3f;
    assert_int_equal(sm_config_check(&c, NULL, 0), SM_OK);
    return c;
}

static int count_entries(const char *dir)
{
    DIR *d = opendir(dir);
    assert_non_null(d);
    int n = 0;
    struct dirent *e;
    while ((e = readdir(d)))
        if (strcmp(e->d_name, ".") && strcmp(e->d_name, ".."))
            n++;
    closedir(d);
    return n;
}

static void test_save_roundtrip(void **state)
{
    (void)state;
    char dir[] = "/tmp/sm_test_save_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/specmorphd.ini", dir);
    sm_config c = odd_config();
    char why[256] = "";
    if (sm_conf_save(path, &c, why, sizeof why) != 0)
        fail_msg("save: %s", why);
    /* Only the file itself: no temporary left behind. */
    assert_int_equal(count_entries(dir), 1);
    struct stat st;
    assert_int_equal(stat(path, &st), 0);
    assert_true(S_ISREG(st.st_mode));

    sm_config back = sm_config_default(44100);
    reports r;
    memset(&r, 0, sizeof r);
    int n = sm_conf_load(path, &back, collect, &r);
    if (n)
        fail_msg("reload: %s", r.line[0]);
    for (int i = 0; i < SM_P_COUNT; i++)
        if (back.values[i] != c.values[i])
            fail_msg("%s: saved %.9g, loaded %.9g",
                     sm_param_get_info((sm_param)i)->name, c.values[i],
                     back.values[i]);

    /* Saving again replaces the file in place. */
    c.values[SM_P_MASK_K] = 11.0f;
    assert_int_equal(sm_conf_save(path, &c, why, sizeof why), 0);
    assert_int_equal(count_entries(dir), 1);
    n = sm_conf_load(path, &back, collect, &r);
    assert_int_equal(n, 0);
    assert_true(back.values[SM_P_MASK_K] == 11.0f);

    /* Temporaries of saves killed half-way: an old one goes with the
     * next good save, a fresh one (a save in progress) stays. */
    char stale[160], fresh[160], other[160];
    snprintf(stale, sizeof stale, "%s.tmp.AbC123", path);
    snprintf(fresh, sizeof fresh, "%s.tmp.XyZ789", path);
    snprintf(other, sizeof other, "%s/notes.tmp.AbC123", dir);
    const char *mk[3] = {stale, fresh, other};
    for (int i = 0; i < 3; i++) {
        FILE *t = fopen(mk[i], "w");
        assert_non_null(t);
        fputs("[mask]\nk = ", t); /* as a kill leaves it */
        fclose(t);
    }
    struct timespec old[2] = {{time(NULL) - 3600, 0}, {time(NULL) - 3600, 0}};
    assert_int_equal(utimensat(AT_FDCWD, stale, old, 0), 0);
    assert_int_equal(utimensat(AT_FDCWD, other, old, 0), 0);
    assert_int_equal(sm_conf_save(path, &c, why, sizeof why), 0);
    assert_int_equal(access(stale, F_OK), -1);
    assert_int_equal(access(fresh, F_OK), 0);
    assert_int_equal(access(other, F_OK), 0); /* not ours */
    unlink(fresh);
    unlink(other);
    assert_int_equal(count_entries(dir), 1);

    /* A folder that does not exist: an error, a reason, no file. */
    char bad[160];
    snprintf(bad, sizeof bad, "%s/missing/x.ini", dir);
    why[0] = 0;
    assert_int_equal(sm_conf_save(bad, &c, why, sizeof why), -1);
    assert_true(strlen(why) > 0);
    assert_non_null(strstr(why, bad));
    assert_int_equal(count_entries(dir), 1);

    unlink(path);
    assert_int_equal(rmdir(dir), 0);
}

static void write_and_load(const sm_config *c, int with_help)
{
    char path[64];
    snprintf(path, sizeof path, "/tmp/sm_test_ini_XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    FILE *f = fdopen(fd, "w");
    assert_non_null(f);
    sm_conf_write_ini(f, c, with_help);
    assert_int_equal(fclose(f), 0);
    sm_config back = sm_config_default(c->sample_rate_hz);
    back.values[SM_P_MASK_K] = 19.0f; /* must be overwritten */
    reports r;
    memset(&r, 0, sizeof r);
    int n = sm_conf_load(path, &back, collect, &r);
    if (n)
        fail_msg("written INI (help %d) does not load: %s", with_help,
                 r.line[0]);
    /* Every key is present, in its section. */
    f = fopen(path, "r");
    assert_non_null(f);
    char buf[1024];
    int keys = 0, comments = 0;
    while (fgets(buf, sizeof buf, f)) {
        if (buf[0] == ';')
            comments++;
        else if (strchr(buf, '='))
            keys++;
    }
    fclose(f);
    unlink(path);
    assert_int_equal(keys, SM_P_COUNT);
    if (with_help)
        assert_true(comments >= SM_P_COUNT);
    else
        assert_int_equal(comments, 0);
    assert_memory_equal(back.values, c->values, sizeof back.values);
}

static void test_write_ini_loads_back(void **state)
{
    (void)state;
    sm_config c = sm_config_default(48000);
    write_and_load(&c, 1);
    write_and_load(&c, 0);
    c = odd_config();
    write_and_load(&c, 1);
    write_and_load(&c, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_good_file_loads),
        cmocka_unit_test(test_bad_value),
        cmocka_unit_test(test_out_of_range),
        cmocka_unit_test(test_unknown_key),
        cmocka_unit_test(test_unknown_section),
        cmocka_unit_test(test_syntax_error),
        cmocka_unit_test(test_syntax_errors_all_reported),
        cmocka_unit_test(test_several_problems),
        cmocka_unit_test(test_joint_check),
        cmocka_unit_test(test_key_outside_section),
        cmocka_unit_test(test_duplicate_key_line),
        cmocka_unit_test(test_unreadable),
        cmocka_unit_test(test_set_kv),
        cmocka_unit_test(test_save_roundtrip),
        cmocka_unit_test(test_write_ini_loads_back),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
