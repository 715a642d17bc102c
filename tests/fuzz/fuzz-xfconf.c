/* SPDX-License-Identifier: MIT */
/* xfconf's per-channel XML files (agent/checks/screen-lock/xfconf.c). */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "screen-lock/xfconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(xfconf_done) XfconfChannel c = {};
        _cleanup_free_ char *err = NULL;

        if (size > 65536)
                return 0;
        if (xfconf_parse((const char *) data, size, &c, &err) < 0)
                return 0;
        (void) xfconf_get(&c, "/lock/enabled");
        (void) xfconf_get(&c, "/saver/idle-activation/delay");
        return 0;
}
