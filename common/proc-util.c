/* SPDX-License-Identifier: MIT */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cleanup.h"
#include "fs-util.h"
#include "macro.h"
#include "proc-util.h"

bool pid_is_vigie_agent(int64_t pid) {
        _cleanup_free_ char *comm = NULL;
        char path[64];

        if (pid <= 0 || pid > INT32_MAX)
                return false;
        snprintf(path, sizeof(path), "/proc/%" PRId64 "/comm", pid);
        if (read_file_full(path, 64, &comm, NULL) < 0)
                return false;
        comm[strcspn(comm, "\n")] = 0;
        return streq(comm, "vigie-agent");
}
