/* SPDX-License-Identifier: MIT */
#pragma once

/* Errors for people travel as strings beside a negative errno: the deciding caller prints
 * or logs them. */

#include <stdarg.h>

#include "macro.h"

/* Formats a message into *ret_error unless ret_error is NULL or already holds one (the
 * first cause wins), and returns r, so callers can `return error_set(ret_error, -EINVAL, …)`. */
int error_set(char **ret_error, int r, const char *fmt, ...) _printf_(3, 4);
int error_setv(char **ret_error, int r, const char *fmt, va_list ap) _printf_(3, 0);
