/* SPDX-License-Identifier: MIT */
#pragma once

/* The compliance policy (DESIGN.md "Policy"): served by the server, cached by the agent,
 * a default built in. A policy may hold only some checks' sections, or only some keys of a
 * section: everything missing takes the built-in default. The same code validates a policy
 * on the server (`vigie-server policy set`, strict) and loads it on the agent. Each check's
 * section is described by its schema (policy-schema.h); this file knows no check. */

#include <stdbool.h>
#include <stdint.h>

#include <json-c/json.h>

#include "policy-enforcement.h"
#include "policy-identity.h"
#include "policy-schema.h"

typedef struct Policy {
        char *policy_id;
        int64_t version;
        int report_interval_s;
        void **checks;          /* one section per policy_check_schemas[] entry */
        PolicyEnforcement enforcement;
        PolicyIdentity identity; /* "device_identity": judged by the server */
} Policy;

typedef enum PolicyFlags {
        POLICY_STRICT = 1 << 0, /* unknown keys are errors (server side); else ignored */
} PolicyFlags;

Policy *policy_new_default(void);
Policy *policy_free(Policy *p);
/* Overlays `json` on the defaults. On error returns -EINVAL with "path: reason" in
 * *ret_error. */
int policy_from_json(json_object *json, PolicyFlags flags, Policy **ret, char **ret_error);
int policy_load_file(const char *path, PolicyFlags flags, Policy **ret, char **ret_error);
/* The effective policy (defaults merged) as JSON. */
json_object *policy_to_json(const Policy *p);
/* The section of the check with this id (its schema's struct), or NULL for unknown ids. */
const void *policy_check_section(const Policy *p, const char *check_id);
/* Whether the check with this id is required; unknown ids are not. */
bool policy_check_required(const Policy *p, const char *check_id);

static inline void policy_freep(Policy **p) {
        policy_free(*p);
}
