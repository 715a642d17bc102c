/* SPDX-License-Identifier: MIT */
#pragma once

/* The "enforcement" section of the policy (DESIGN.md "Policy", docs/enforcement.md): what
 * a gateway does with a device that is not compliant.
 *
 *   "enforcement": {"mode": "monitor" | "warn_then_block" | "block",
 *                   "grace_hours": 72, "stale_is": "allowed" | "denied",
 *                   "checks": {"backup": {"mode": "monitor"}, "patch_level": {"grace_hours": 0}}}
 *
 * A per-check override names a check of the policy; a key it leaves out takes the
 * section's value. Missing keys take the defaults (monitor, 72 hours, stale allowed): a
 * policy without the section keeps the behaviour of a Vigie that did not enforce. */

#include <stdbool.h>
#include <stddef.h>

#include <json-c/json.h>

typedef enum EnforcementMode {
        ENFORCEMENT_MONITOR,         /* never deny for this: report only */
        ENFORCEMENT_WARN_THEN_BLOCK, /* deny once the grace has run out */
        ENFORCEMENT_BLOCK,           /* deny as soon as it fails */
        _ENFORCEMENT_MODE_MAX,
        _ENFORCEMENT_MODE_INHERIT = -1, /* override: take the section's mode */
} EnforcementMode;

#define ENFORCEMENT_GRACE_HOURS_MAX (24 * 366)
#define ENFORCEMENT_OVERRIDES_MAX 64

typedef struct EnforcementOverride {
        char *check_id;
        EnforcementMode mode;   /* or _ENFORCEMENT_MODE_INHERIT */
        int grace_hours;        /* -1: the section's */
} EnforcementOverride;

typedef struct PolicyEnforcement {
        EnforcementMode mode;
        int grace_hours;
        bool stale_allowed;
        EnforcementOverride *overrides;
        size_t n_overrides;
} PolicyEnforcement;

/* Whether a check id names a check of the policy (strict parsing refuses the others). */
typedef bool (*EnforcementKnownCheckFn)(const char *check_id);

void policy_enforcement_init(PolicyEnforcement *e);
void policy_enforcement_done(PolicyEnforcement *e);
/* Overlays the JSON section v on *e. known: NULL accepts any well-formed check id (the
 * agent's lenient load); otherwise an override of an unknown check is an error. On error
 * returns -EINVAL with "enforcement…: reason" in *ret_error and leaves *e valid. */
int policy_enforcement_parse(json_object *v, EnforcementKnownCheckFn known, PolicyEnforcement *e,
                             char **ret_error);
json_object *policy_enforcement_to_json(const PolicyEnforcement *e);

/* The mode and grace that apply to one check, overrides resolved. */
void policy_enforcement_for_check(const PolicyEnforcement *e, const char *check_id,
                                  EnforcementMode *ret_mode, int *ret_grace_hours);

const char *enforcement_mode_to_string(EnforcementMode m);
EnforcementMode enforcement_mode_from_string(const char *s);
