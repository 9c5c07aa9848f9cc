/* log.h: the daemon's log: stderr by default, syslog with --syslog.
 * NRT only: the audio thread and the DSP worker never log; they bump
 * counters and raise flags that the control thread turns into lines. */
#ifndef SM_DAEMON_LOG_H
#define SM_DAEMON_LOG_H

#include <syslog.h>

void sm_log_open(int use_syslog, int verbose);
void sm_log(int level, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void sm_log_close(void);

#endif
