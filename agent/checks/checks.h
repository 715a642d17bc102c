/* SPDX-License-Identifier: MIT */
#pragma once

/* The check seam: a check is one module that declares one Check descriptor (its id and
 * policy schema, title, agent.conf sections, run) and one line in check-list.h. Everything
 * that lists checks — the policy parser and default, the required set, report validation,
 * `vigie check --only`, the fleet's check ids — reads the registry (docs/checks.md).
 * Checks read the host only through ctx->root_fd (see fs-util.h), and see only their own
 * policy section and configuration sections. */

#include <stddef.h>

#include <json-c/json.h>

#include "check-result.h"
#include "config-section.h"
#include "policy-schema.h"
#include "time-util.h"

typedef struct CheckContext {
        const char *root;          /* the host root's path, "/" on a laptop */
        int root_fd;               /* O_PATH fd of root */
        const void *policy;        /* this check's policy section: its schema's struct */
        const ConfigSection *sections; /* agent.conf's module sections (pick config_kind's) */
        size_t n_sections;
        const char *state_dir;     /* agent state dir for caches; NULL: none usable */
        json_object *state;        /* this check's persistent state, read-write; saved after */
        usec_t now;                /* wall clock, µs (injectable through $VIGIE_NOW) */
} CheckContext;

typedef struct Check {
        /* policy.name is the check's id (^[a-z][a-z0-9_]{0,63}$); the section's struct starts
         * with PolicyCheckHead. */
        PolicySchema policy;
        const char *title; /* N_() */
        /* [KIND "NAME"] sections of agent.conf this check reads; NULL: none. */
        const char *config_kind;
        /* Validates those sections when the configuration loads ("FILE:LINE: …"); may be NULL. */
        int (*config_validate)(const ConfigSection *sections, size_t n, char **ret_error);
        /* Fills result (status, summary, remediation, deadline, evidence). Returns 0, or a
         * negative errno when the check itself broke (reported as status "error"). */
        int (*run)(const CheckContext *ctx, CheckResult *result);
} Check;

static inline const char *check_id(const Check *c) {
        return c->policy.name;
}

/* In report order, from check-list.h. */
extern const Check *const check_registry[];
extern const size_t check_registry_size;
const Check *check_find(const char *id);
