/* SPDX-License-Identifier: MIT */
#pragma once

/* Logging. Library code returns -errno and lets the deciding caller log. Messages go to
 * the journal (with structured fields) when stderr is connected to it, else to stderr as
 * "program: message". */

#include <stdbool.h>
#include <syslog.h>

#include "macro.h"

void log_setup(const char *program);
void log_set_max_level(int level);
int log_get_max_level(void);
/* Forces stderr output even when the journal is reachable (tests, CLI tools). */
void log_set_target_stderr(bool on);

/* fields: NULL or a NULL-terminated list of "KEY=value" journal fields. Returns
 * negative_errno(error) when error != 0, else 0, so callers can `return log_...`. */
int log_internal(int level, int error, const char *file, int line, const char *func,
                 const char *const *fields, const char *format, ...) _printf_(7, 8);

#define log_full_errno(level, error, ...) \
        log_internal(level, error, __FILE__, __LINE__, __func__, NULL, __VA_ARGS__)
#define log_fields(level, fields, ...) \
        log_internal(level, 0, __FILE__, __LINE__, __func__, fields, __VA_ARGS__)

#define log_debug(...) log_full_errno(LOG_DEBUG, 0, __VA_ARGS__)
#define log_info(...) log_full_errno(LOG_INFO, 0, __VA_ARGS__)
#define log_notice(...) log_full_errno(LOG_NOTICE, 0, __VA_ARGS__)
#define log_warning(...) log_full_errno(LOG_WARNING, 0, __VA_ARGS__)
#define log_error(...) log_full_errno(LOG_ERR, 0, __VA_ARGS__)

#define log_debug_errno(e, ...) log_full_errno(LOG_DEBUG, e, __VA_ARGS__)
#define log_info_errno(e, ...) log_full_errno(LOG_INFO, e, __VA_ARGS__)
#define log_warning_errno(e, ...) log_full_errno(LOG_WARNING, e, __VA_ARGS__)
#define log_error_errno(e, ...) log_full_errno(LOG_ERR, e, __VA_ARGS__)

/* Out of memory: logged once, returns -ENOMEM. */
#define log_oom() log_full_errno(LOG_ERR, ENOMEM, "Out of memory.")
