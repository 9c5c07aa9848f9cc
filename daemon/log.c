/* log.c: see log.h. One small state block per process: the log is a
 * process-wide resource like stderr itself. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

static int log_syslog, log_verbose;

void sm_log_open(int use_syslog, int verbose)
{
    log_syslog = use_syslog;
    log_verbose = verbose;
    if (use_syslog)
        openlog("specmorphd", LOG_PID, LOG_DAEMON);
}

void sm_log(int level, const char *fmt, ...)
{
    if (level == LOG_DEBUG && !log_verbose)
        return;
    va_list ap;
    va_start(ap, fmt);
    if (log_syslog) {
        vsyslog(level, fmt, ap);
    } else {
        char line[1024];
        vsnprintf(line, sizeof line, fmt, ap);
        fprintf(stderr, "specmorphd: %s%s\n",
                level <= LOG_ERR       ? "error: "
                : level == LOG_WARNING ? "warning: "
                                       : "",
                line);
        fflush(stderr);
    }
    va_end(ap);
}

void sm_log_close(void)
{
    if (log_syslog)
        closelog();
}
