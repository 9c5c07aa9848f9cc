/* test_settings.c: the daemon's front-end settings ([jack]): strict
 * checks per type, loading beside the engine parameters, the renderer's
 * check-and-ignore path, and saving with values that need quoting. */
#include "ini.h"
#include "settings.h"
#include "testutil.h"

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

static void test_defaults_and_types(void **state)
{
    (void)state;
    sm_settings s;
    sm_settings_default(&s);
    assert_string_equal(sm_settings_str(&s, SM_S_JACK_CLIENT_NAME),
                        "specmorph");
    assert_int_equal(sm_settings_int(&s, SM_S_JACK_PREFILL_PERIODS), 2);
    char why[512];
    /* Every default passes its own check. */
    for (int i = 0; i < SM_S_COUNT; i++) {
        const sm_setting_info *in = sm_setting_get_info((sm_setting)i);
        if (sm_settings_set(&s, (sm_setting)i, in->def, why, sizeof why))
            fail_msg("default of %s rejected: %s", in->name, why);
    }
    assert_int_equal(sm_settings_set(&s, SM_S_JACK_CLIENT_NAME, "", why,
                                     sizeof why), -1);
    assert_int_equal(sm_settings_set(&s, SM_S_JACK_CLIENT_NAME, "a:b", why,
                                     sizeof why), -1);
    assert_non_null(strstr(why, "jack.client_name"));
    assert_int_equal(sm_settings_set(&s, SM_S_JACK_CONNECT_A, "sys(", why,
                                     sizeof why), -1);
    assert_non_null(strstr(why, "regular expression"));
    assert_int_equal(sm_settings_set(&s, SM_S_JACK_PREFILL_PERIODS, "9", why,
                                     sizeof why), -1);
    assert_non_null(strstr(why, "from 1 to 8"));
    assert_int_equal(sm_settings_set(&s, SM_S_JACK_PREFILL_PERIODS, "2x",
                                     why, sizeof why), -1);
    /* A rejected value leaves the old one. */
    assert_string_equal(sm_settings_str(&s, SM_S_JACK_CLIENT_NAME),
                        "specmorph");
    assert_int_equal(sm_settings_set(&s, SM_S_JACK_CONNECT_A,
                                     "^system:capture_[12]$", why,
                                     sizeof why), 0);
    assert_int_equal(sm_setting_find("JACK.Connect_A"), SM_S_JACK_CONNECT_A);
    assert_int_equal(sm_setting_find("jack.nope"), -1);
}

static char *write_tmp(const char *text)
{
    static char path[64];
    snprintf(path, sizeof path, "/tmp/sm-settings-XXXXXX");
    int fd = mkstemp(path);
    assert_true(fd >= 0);
    assert_int_equal(write(fd, text, strlen(text)), (ssize_t)strlen(text));
    close(fd);
    return path;
}

static int problems_seen;
static char last_problem[512];
static void collect(void *ctx, const char *line)
{
    (void)ctx;
    problems_seen++;
    snprintf(last_problem, sizeof last_problem, "%s", line);
}

static void test_load_beside_params(void **state)
{
    (void)state;
    char *p = write_tmp("[jack]\nclient_name = live rig\n"
                        "connect_out = \"system:playback_[12]\"\n"
                        "prefill_periods = 4\n[mask]\nk = 3\n");
    sm_config c = sm_config_default(48000);
    sm_settings s;
    sm_settings_default(&s);
    problems_seen = 0;
    assert_int_equal(sm_conf_load_all(p, &c, &s, collect, NULL), 0);
    assert_string_equal(sm_settings_str(&s, SM_S_JACK_CLIENT_NAME),
                        "live rig");
    assert_string_equal(sm_settings_str(&s, SM_S_JACK_CONNECT_OUT),
                        "system:playback_[12]");
    assert_int_equal(sm_settings_int(&s, SM_S_JACK_PREFILL_PERIODS), 4);
    assert_float_equal(c.values[SM_P_MASK_K], 3.0f, 0);
    /* The renderer's path: settings checked, ignored. */
    sm_config c2 = sm_config_default(48000);
    assert_int_equal(sm_conf_load(p, &c2, collect, NULL), 0);
    assert_float_equal(c2.values[SM_P_MASK_K], 3.0f, 0);
    unlink(p);

    p = write_tmp("[jack]\nprefill_periods = 0\nclient_nam = x\n");
    sm_settings before = s;
    problems_seen = 0;
    assert_int_equal(sm_conf_load_all(p, &c, &s, collect, NULL), 2);
    assert_memory_equal(&before, &s, sizeof s);
    assert_non_null(strstr(last_problem, ":3: jack.client_nam: unknown key "
                                         "(did you mean jack.client_name?)"));
    /* The renderer rejects a bad daemon file too: one format. */
    problems_seen = 0;
    assert_int_equal(sm_conf_load(p, &c2, collect, NULL), 2);
    unlink(p);
}

static void test_set_kv_and_save(void **state)
{
    (void)state;
    sm_config c = sm_config_default(48000);
    sm_settings s;
    sm_settings_default(&s);
    char why[512];
    assert_int_equal(sm_conf_set_kv_all(&c, &s,
                                        "jack.connect_a=a; b # c", why,
                                        sizeof why), SM_OK);
    assert_int_equal(sm_conf_set_kv_all(&c, &s, "jack.prefill_periods=12",
                                        why, sizeof why), SM_ERR_PARSE);
    assert_int_equal(sm_conf_set_kv_all(&c, &s, "jack.srever=x", why,
                                        sizeof why), SM_ERR_PARAM);
    assert_non_null(strstr(why, "did you mean jack.server"));
    /* NULL settings: checked, not stored. */
    assert_int_equal(sm_conf_set_kv_all(&c, NULL, "jack.server=x", why,
                                        sizeof why), SM_OK);
    assert_int_equal(sm_conf_set_kv_all(&c, NULL, "jack.prefill_periods=0",
                                        why, sizeof why), SM_ERR_PARSE);

    char dir[] = "/tmp/sm-save-XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/d.ini", dir);
    assert_int_equal(sm_conf_save_all(path, &c, &s, why, sizeof why), 0);
    sm_config c2 = sm_config_default(48000);
    sm_settings s2;
    sm_settings_default(&s2);
    problems_seen = 0;
    if (sm_conf_load_all(path, &c2, &s2, collect, NULL) != 0)
        fail_msg("saved file does not load: %s", last_problem);
    assert_string_equal(sm_settings_str(&s2, SM_S_JACK_CONNECT_A),
                        "a; b # c");
    assert_memory_equal(c.values, c2.values, sizeof c.values);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_defaults_and_types),
        cmocka_unit_test(test_load_beside_params),
        cmocka_unit_test(test_set_kv_and_save),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
