/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>

#include "backup-source.h"
#include "parse-util.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        char **l = NULL, *err = NULL;

        if (backup_parse_environment_file((const char *) data, size, &l, &err) >= 0)
                strv_free(l);
        free(err);
        return 0;
}
