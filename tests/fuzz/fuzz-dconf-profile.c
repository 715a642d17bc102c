/* SPDX-License-Identifier: MIT */
/* dconf profiles (/etc/dconf/profile/user): the list of databases; and the values of the
 * keyfile service's text (GVariant text). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "screen-lock/dconf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_(dconf_done) Dconf d = {};
        _cleanup_free_ char *text = NULL, *err = NULL;
        GVariantValue v;

        if (size > 65536)
                return 0;
        text = strndup((const char *) data, size);
        if (!text)
                return 0;
        (void) dconf_profile_parse(text, "/home/alice", 1000, &d, &err);
        (void) dconf_keyfile_value(text, &v);
        return 0;
}
