/* SPDX-License-Identifier: MIT */
/* GLib key files as dconf's keyfile service reads ~/.config/dconf/user.txt, then each value
 * of the screen-lock keys as GVariant text. */
#include <stdint.h>
#include <stdlib.h>

#include "screen-lock/dconf.h"
#include "screen-lock/glib-keyfile.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        static const char *const keys[] = { "lock-enabled", "lock-delay", "idle-delay", "ubuntu-lock-on-suspend" };
        GlibKeyFile k;

        if (size > 65536 || glib_keyfile_parse(&k, (const char *) data, size, NULL) < 0)
                return 0;
        for (size_t i = 0; i < k.n; i++) {
                GVariantValue v;
                (void) dconf_keyfile_value(k.entries[i].value, &v);
        }
        for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
                (void) glib_keyfile_get(&k, "org/gnome/desktop/screensaver", keys[i]);
        glib_keyfile_done(&k);
        return 0;
}
