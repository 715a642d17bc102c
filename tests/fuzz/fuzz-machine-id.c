/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <string.h>

#include "identity.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char id[DEVICE_ID_SIZE];

        if (device_id_from_machine_id((const char *) data, size, id) >= 0 && strlen(id) != DEVICE_ID_SIZE - 1)
                __builtin_trap();
        return 0;
}
