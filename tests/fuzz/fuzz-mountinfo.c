/* SPDX-License-Identifier: MIT */
/* /proc/self/mountinfo and /proc/swaps parsers, and the mount lookup on what they give. */
#include <stdint.h>
#include <stdlib.h>

#include "cleanup.h"
#include "mountinfo.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(mount_table_freep) MountTable *t = NULL;
        _cleanup_(swap_table_freep) SwapTable *s = NULL;
        _cleanup_free_ char *err = NULL, *err2 = NULL;

        if (mount_table_parse((const char *) data, size, &t, &err) >= 0) {
                const MountEntry *e = mount_table_find(t, "/home/user/file");
                if (e && !e->path)
                        abort();
        } else if (!err)
                abort();
        (void) swap_table_parse((const char *) data, size, &s, &err2);
        return 0;
}
