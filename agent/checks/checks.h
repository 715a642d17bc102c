/* SPDX-License-Identifier: MIT */
#pragma once

/* The check framework: a check is an id, a title and a run function that fills a
 * CheckResult. Checks read the host only through ctx->root_fd (see fs-util.h). */

#include <stddef.h>

#include <json-c/json.h>

#include "agent-config.h"
#include "check-result.h"
#include "policy.h"

typedef struct CheckContext {
        const char *root;          /* the host root's path, "/" on a laptop */
        int root_fd;               /* O_PATH fd of root */
        const Policy *policy;
        const AgentConfig *config;
        const char *state_dir;     /* agent state dir for caches; NULL: none usable */
        json_object *state;        /* this check's persistent state, read-write; saved after */
        usec_t now;                /* wall clock, µs (injectable through $VIGIE_NOW) */
} CheckContext;

typedef struct Check {
        const char *id;
        const char *title; /* N_() */
        /* Fills result (status, summary, remediation, deadline, evidence). Returns 0, or a
         * negative errno when the check itself broke (reported as status "error"). */
        int (*run)(const CheckContext *ctx, CheckResult *result);
} Check;

extern const Check check_disk_encryption;
extern const Check check_patch_level;
extern const Check check_backup;

extern const Check *const check_registry[];
extern const size_t check_registry_size;
const Check *check_find(const char *id);
