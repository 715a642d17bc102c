/* SPDX-License-Identifier: MIT */
#include <string.h>

#include "checks.h"
#include "macro.h"

/* In report order. */
const Check *const check_registry[] = {
        &check_disk_encryption,
        &check_patch_level,
        &check_backup,
};
const size_t check_registry_size = ELEMENTSOF(check_registry);

const Check *check_find(const char *id) {
        for (size_t i = 0; i < check_registry_size; i++)
                if (streq(check_registry[i]->id, id))
                        return check_registry[i];
        return NULL;
}
