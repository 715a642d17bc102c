/* SPDX-License-Identifier: MIT */
#pragma once

/* Errors for people travel as strings beside a negative errno: the deciding caller prints
 * or logs them. */

#include <errno.h>
#include <stdarg.h>

#include "macro.h"

/* Formats a message into *ret_error unless ret_error is NULL or already holds one (the
 * first cause wins). */
void error_format(char **ret_error, const char *fmt, ...) _printf_(2, 3);

/* error_format(), then r, so callers can `return error_set(ret_error, -EINVAL, …)`. A macro
 * so that the compiler sees the value returned: its flow analysis then knows that an error
 * path returns negative and never reads the outputs it left unset (GCC 14's
 * -Wmaybe-uninitialized otherwise fires on `if ((r = parse(&x)) < 0) return r; use(x);`). */
#define error_set(ret_error, r, ...)                                    \
        ({                                                              \
                int _error_set_r = (r);                                 \
                error_format((ret_error), __VA_ARGS__);                 \
                _error_set_r;                                           \
        })
