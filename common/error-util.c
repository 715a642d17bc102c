/* SPDX-License-Identifier: MIT */
#include <stdarg.h>
#include <stdio.h>

#include "error-util.h"

void error_format(char **ret_error, const char *fmt, ...) {
        va_list ap;

        if (!ret_error || *ret_error)
                return;
        va_start(ap, fmt);
        if (vasprintf(ret_error, fmt, ap) < 0)
                *ret_error = NULL;
        va_end(ap);
}
