/* SPDX-License-Identifier: MIT */
#pragma once

/* The "device_identity" section of the policy (docs/checks.md "device_identity"): whether
 * the device's key must be held by a TPM. Judged by the server from what IT recorded at
 * enrollment (server/device-key.h), never from the device's word:
 *
 *   "device_identity": {"required": true, "key": "tpm" | "tpm_unverified"}
 *
 * "tpm": proven by attestation; "tpm_unverified" also accepts a TPM the server could not
 * verify (no EK CA configured). A policy without the section has no such check. */

#include <stdbool.h>

#include <json-c/json.h>

#define POLICY_IDENTITY_CHECK "device_identity"

typedef enum IdentityKeyRule {
        IDENTITY_KEY_TPM,
        IDENTITY_KEY_TPM_UNVERIFIED,
        _IDENTITY_KEY_RULE_MAX,
} IdentityKeyRule;

typedef struct PolicyIdentity {
        bool present;  /* the policy has the section */
        bool required; /* counts in the fleet verdict (default false) */
        IdentityKeyRule key;
} PolicyIdentity;

/* Overlays the JSON section v on *ret; strict (the server) refuses unknown keys, the
 * agent's lenient load ignores them. -EINVAL with "device_identity…: reason" in *ret_error. */
int policy_identity_parse(json_object *v, bool strict, PolicyIdentity *ret, char **ret_error);
/* NULL when the section is absent. */
json_object *policy_identity_to_json(const PolicyIdentity *p);
