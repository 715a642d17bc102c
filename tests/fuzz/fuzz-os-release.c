/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "os-release.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = malloc(size + 1);
        OsRelease *o = NULL;

        if (!text)
                return 0;
        memcpy(text, data, size);
        text[size] = 0;
        if (os_release_parse(text, &o) >= 0)
                os_release_free(o);
        return 0;
}
