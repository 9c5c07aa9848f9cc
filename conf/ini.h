/* ini.h: INI configuration files for the engine parameters.
 *
 * The same format serves the renderer and the daemon: one [section] per
 * parameter group, keys from dsp/params.def. Loading is strict: every
 * value is re-parsed by the parameter table's rules, every problem is
 * reported as "FILE:LINE: section.key: problem (expected ...)", unknown
 * keys are named with the closest valid one, and nothing is applied
 * unless the whole file is good. Saving is atomic.
 */
#ifndef SM_CONF_INI_H
#define SM_CONF_INI_H

#include "settings.h"
#include "specmorph.h"

#include <stdio.h>

/* Receives one problem line (no trailing newline). */
typedef void (*sm_conf_report_fn)(void *ctx, const char *line);

/* Loads path over *cfg. Returns the number of problems found (each given
 * to report); *cfg is changed only when that number is 0. A file that
 * cannot be read is one problem. NRT only; not reentrant across threads
 * (iniparser reports syntax errors through a process-wide hook). */
int sm_conf_load(const char *path, sm_config *cfg, sm_conf_report_fn report,
                 void *ctx);

/* As sm_conf_load, also reading the front-end settings into *set (which
 * may be NULL: they are then checked and ignored, as the renderer
 * does). */
int sm_conf_load_all(const char *path, sm_config *cfg, sm_settings *set,
                     sm_conf_report_fn fn, void *ctx);

/* Applies "section.key=value" (as given to -s). Returns SM_OK or an error
 * with a one-line reason in why. NRT only. */
sm_error sm_conf_set_kv(sm_config *cfg, const char *assignment, char *why,
                        size_t why_len);

/* As sm_conf_set_kv, for engine parameters and settings alike (set may be
 * NULL: settings are then checked and ignored). NRT only. */
sm_error sm_conf_set_kv_all(sm_config *cfg, sm_settings *set,
                            const char *assignment, char *why,
                            size_t why_len);

/* Writes every parameter of cfg as a commented INI file. any thread. */
void sm_conf_write_ini(FILE *f, const sm_config *cfg, int with_help);
/* The same, settings first when set is not NULL. any thread. */
void sm_conf_write_ini_all(FILE *f, const sm_config *cfg,
                           const sm_settings *set, int with_help);

/* Saves cfg to path atomically: temporary file in the same folder,
 * fsync, rename, fsync of the folder. Never leaves a half-written file.
 * Returns 0, or -1 with a reason in why. NRT only. */
int sm_conf_save(const char *path, const sm_config *cfg, char *why,
                 size_t why_len);
/* The same, with the settings. NRT only. */
int sm_conf_save_all(const char *path, const sm_config *cfg,
                     const sm_settings *set, char *why, size_t why_len);

#endif
