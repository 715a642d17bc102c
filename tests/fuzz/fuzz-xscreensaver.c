/* SPDX-License-Identifier: MIT */
/* xscreensaver's ~/.xscreensaver (agent/checks/screen-lock/xscreensaver.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "screen-lock/xscreensaver.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = NULL;
        XssPrefs p;

        if (size > 65536)
                return 0;
        text = strndup((const char *) data, size);
        if (!text)
                return 0;
        xscreensaver_parse(text, &p);
        return 0;
}
