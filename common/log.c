/* SPDX-License-Identifier: MIT */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "journal-send.h"
#include "log.h"

static const char *log_program = "vigie";
static int log_max_level = LOG_INFO;
static int log_to_journal = -1; /* -1: not decided yet */
static bool log_force_stderr;

void log_setup(const char *program) {
        if (program)
                log_program = program;
        const char *e = getenv("VIGIE_LOG_LEVEL");
        if (e) {
                static const char *const names[] = { "emerg", "alert", "crit", "err",
                                                     "warning", "notice", "info", "debug" };
                for (size_t i = 0; i < ELEMENTSOF(names); i++)
                        if (streq(e, names[i]))
                                log_max_level = (int) i;
        }
}

void log_set_max_level(int level) {
        log_max_level = level;
}

int log_get_max_level(void) {
        return log_max_level;
}

void log_set_target_stderr(bool on) {
        log_force_stderr = on;
}

static const char *journal_socket(void) {
#ifdef VIGIE_TEST_HOOKS
        /* Test builds only: a socket the test listens on, in journald's place. */
        const char *e = getenv("VIGIE_JOURNAL_SOCKET");
        if (e && *e)
                return e;
#endif
        return JOURNAL_SOCKET;
}

/* stderr goes to the journal when $JOURNAL_STREAM names its device and inode. */
static bool stderr_is_journal(void) {
        const char *e = getenv("JOURNAL_STREAM");
        struct stat st;
        unsigned long long dev, ino;

        if (!e || sscanf(e, "%llu:%llu", &dev, &ino) != 2)
                return false;
        if (fstat(STDERR_FILENO, &st) < 0)
                return false;
        return st.st_dev == (dev_t) dev && st.st_ino == (ino_t) ino;
}

int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *const *fields, const char *format, ...) {
        int saved_errno = errno;
        char msg[2048];
        va_list ap;

        if (error < 0)
                error = -error;
        if (level > log_max_level)
                return error ? -error : 0;

        /* %m refers to the error we were given, not whatever errno happens to be. */
        errno = error;
        va_start(ap, format);
        vsnprintf(msg, sizeof(msg), format, ap);
        va_end(ap);

        if (log_to_journal < 0)
                log_to_journal = stderr_is_journal();

        if (log_to_journal && !log_force_stderr) {
                struct iovec iov[24];
                char buf_msg[sizeof(msg) + 16], buf_prio[32], buf_errno[32], buf_file[512],
                        buf_line[32], buf_func[256], buf_id[128];
                size_t n = 0;

#define ADD(b, ...)                                                     \
        do {                                                            \
                snprintf(b, sizeof(b), __VA_ARGS__);                    \
                iov[n++] = (struct iovec) { .iov_base = b, .iov_len = strlen(b) }; \
        } while (0)
                ADD(buf_msg, "MESSAGE=%s", msg);
                ADD(buf_prio, "PRIORITY=%i", level);
                ADD(buf_id, "SYSLOG_IDENTIFIER=%s", log_program);
                ADD(buf_file, "CODE_FILE=%s", file);
                ADD(buf_line, "CODE_LINE=%i", line);
                ADD(buf_func, "CODE_FUNC=%s", func);
                if (error)
                        ADD(buf_errno, "ERRNO=%i", error);
#undef ADD
                for (size_t i = 0; fields && fields[i] && n < ELEMENTSOF(iov); i++)
                        iov[n++] = (struct iovec) { .iov_base = (char *) fields[i],
                                                    .iov_len = strlen(fields[i]) };
                /* On failure (journald gone, say) the line still reaches stderr, which is
                 * the journal's stream. */
                if (journal_sendv(journal_socket(), iov, n) >= 0)
                        goto out;
        }

        if (log_max_level >= LOG_DEBUG)
                fprintf(stderr, "%s: %s (%s:%i)\n", log_program, msg, file, line);
        else
                fprintf(stderr, "%s: %s\n", log_program, msg);
out:
        errno = saved_errno;
        return error ? -error : 0;
}
