/* SPDX-License-Identifier: MIT */
#include <stdint.h>
#include <stdlib.h>

#include "backup-source.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
        BackupObservation o = {};
        char *err = NULL;

        if (timeshift_parse_info((const char *) data, size, &o, &err) >= 0)
                backup_observation_done(&o);
        free(err);
        return 0;
}
