/* SPDX-License-Identifier: MIT */
/* Release and clear-signed InRelease files. */
#include <stdint.h>
#include <stdlib.h>

#include "apt-lists.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        AptRelease r;
        (void) apt_release_parse((const char *) data, size, &r);
        return 0;
}
