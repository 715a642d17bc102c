/* SPDX-License-Identifier: MIT */
/* efivarfs boolean variables and the kernel's lockdown file (agent/checks/firmware.c). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "firmware.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        _cleanup_free_ char *text = malloc(size + 1);
        const char *mode;
        uint32_t attributes;
        bool value;

        if (!text)
                return 0;
        (void) efivar_parse_bool(data, size, &attributes, &value);
        memcpy(text, data, size);
        text[size] = 0;
        (void) lockdown_parse(text, &mode);
        return 0;
}
