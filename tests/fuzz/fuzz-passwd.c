/* SPDX-License-Identifier: MIT */
/* /etc/passwd and /etc/login.defs (agent/checks/screen-lock/users.c): the input is the
 * passwd text, a NUL byte, then the login.defs text. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "screen-lock/users.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(local_users_done) LocalUsers u = {};
        _cleanup_free_ char *text = NULL;
        size_t n;

        if (size > 262144)
                return 0;
        text = malloc(size + 2);
        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = text[size + 1] = 0;
        n = strlen(text);
        (void) local_users_parse(text, text + n + 1, &u);
        return 0;
}
