/* SPDX-License-Identifier: MIT */
#pragma once

/* Runs the registered checks against a root and a policy, with their persistent state. */

#include <stddef.h>

#include "agent-config.h"
#include "check-result.h"
#include "policy.h"

typedef struct CheckRunOptions {
        const char *root;          /* default "/" */
        const Policy *policy;
        const AgentConfig *config;
        const char *state_dir;     /* for check caches; NULL: none */
        const char *state_path;    /* state.json; NULL: state kept in memory only */
        char **only;               /* run only these ids (strv); NULL: all */
} CheckRunOptions;

/* Results in registry order. Fails with -ENOENT for an unknown id in `only`, or when the
 * root cannot be opened. A check that breaks yields status "error", not a failure. */
int checks_run(const CheckRunOptions *o, CheckResult ***ret, size_t *ret_n);
