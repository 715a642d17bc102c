/* SPDX-License-Identifier: MIT */
/* dconf databases: the GVDB reader and the GVariant decoder (agent/checks/screen-lock/gvdb.c),
 * looking up the keys the screen_lock check reads and the ".locks" table. */
#include <stdint.h>
#include <stdlib.h>

#include "screen-lock/gvdb.h"

static const char *const keys[] = {
        "/org/gnome/desktop/session/idle-delay", "/org/gnome/desktop/screensaver/lock-enabled",
        "/org/mate/desktop/session/idle-delay",  "/org/vigie/name", "/org/vigie/list", "/", "/org/", "",
};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        GvdbTable t, locks;
        GVariantValue v;

        (void) gvariant_decode_variant(data, size, &v);
        if (gvdb_table_open(data, size, &t) < 0)
                return 0;
        for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
                (void) gvdb_table_get_value(&t, keys[i], &v);
                (void) gvdb_table_has(&t, keys[i]);
        }
        if (gvdb_table_get_table(&t, ".locks", &locks) >= 0)
                for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++)
                        (void) gvdb_table_has(&locks, keys[i]);
        return 0;
}
