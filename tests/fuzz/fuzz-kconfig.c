/* SPDX-License-Identifier: MIT */
/* KConfig files (kscreenlockerrc, AccountsService's key files): the input is parsed as a
 * system file, then again as the user's file over it, as the check merges them. */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "screen-lock/kconfig.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(kconfig_done) KConfig c = {};
        const KConfigEntry *e;

        if (size > 65536)
                return 0;
        if (kconfig_parse(&c, (const char *) data, size, 0, NULL) < 0)
                return 0;
        (void) kconfig_parse(&c, (const char *) data, size, 1, NULL);
        e = kconfig_get(&c, "Daemon", "Timeout");
        if (e)
                (void) kconfig_value_bool(e->value);
        (void) kconfig_get(&c, "User", "Session");
        return 0;
}
